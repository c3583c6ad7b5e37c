package org.cryptonets.backend.opencl;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.NttTables;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.jocl.cl_mem;

/**
 * Read-only device copies of the engine-api precomputation (moduli, NTT twiddles with their Shoup
 * constants, base-conversion, scaling and modulus-switching tables), uploaded once per basis,
 * converter, scaler or modulus switch and kept until the backend closes. Values below 2^32 travel
 * as uint, pairs (w, shoup(w)) interleaved as uint2 so a kernel fetches both with one load.
 *
 * <p>Immutable once built; thread-safe. Construction throws {@link org.cryptonets.engine.EngineException}
 * {@code DEVICE_FAILURE} if an upload fails.
 */
abstract class DeviceTables {
  private final List<cl_mem> mems = new ArrayList<>();

  /** floor(2^64 / q) as an unsigned 64-bit value: the reduction constant of the kernels. */
  static long ratio(long q) {
    return BigInteger.ONE.shiftLeft(64).divide(BigInteger.valueOf(q)).longValue();
  }

  static int[] moduli(RnsBasis basis) {
    int[] out = new int[basis.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) basis.modulus(i).value();
    }
    return out;
  }

  static long[] ratios(RnsBasis basis) {
    long[] out = new long[basis.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ratio(basis.modulus(i).value());
    }
    return out;
  }

  /** Interleaves values and their Shoup constants (both below 2^32) into uint2 pairs. */
  static int[] pairs(long[] values, long[] shoup) {
    int[] out = new int[2 * values.length];
    for (int i = 0; i < values.length; i++) {
      out[2 * i] = (int) values[i];
      out[2 * i + 1] = (int) shoup[i];
    }
    return out;
  }

  static int[] narrow(long[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (int) values[i];
    }
    return out;
  }

  final cl_mem add(cl_mem m) {
    mems.add(m);
    return m;
  }

  final void release(ClDevice device) {
    for (cl_mem m : mems) {
      device.release(m);
    }
    mems.clear();
  }

  /** Per-basis tables: moduli, reduction ratios, twiddles, n^-1 and the modulus-switching inverses. */
  static final class Basis extends DeviceTables {
    final cl_mem moduli;
    final cl_mem ratios;
    final cl_mem forward;
    final cl_mem inverse;
    final cl_mem inverseN;
    final cl_mem lastInverse;

    Basis(ClDevice device, RnsBasis basis) {
      int l = basis.size();
      int n = basis.n();
      int[] fwd = new int[2 * l * n];
      int[] inv = new int[2 * l * n];
      long[] invN = new long[l];
      long[] invNShoup = new long[l];
      for (int i = 0; i < l; i++) {
        NttTables t = basis.ntt(i);
        System.arraycopy(pairs(t.rootPowers(), t.rootPowersShoup()), 0, fwd, 2 * i * n, 2 * n);
        System.arraycopy(pairs(t.inverseRootPowers(), t.inverseRootPowersShoup()), 0, inv, 2 * i * n, 2 * n);
        invN[i] = t.inverseN();
        invNShoup[i] = t.inverseNShoup();
      }
      String what = "tables of " + basis;
      try {
        moduli = add(device.constant(moduli(basis), what));
        ratios = add(device.constant(ratios(basis), what));
        forward = add(device.constant(fwd, what));
        inverse = add(device.constant(inv, what));
        inverseN = add(device.constant(pairs(invN, invNShoup), what));
        lastInverse = add(device.constant(pairs(basis.lastInverse(), basis.lastInverseShoup()), what));
      } catch (RuntimeException e) {
        release(device);
        throw e;
      }
    }
  }

  /** A {@link BaseConverter}'s tables. */
  static final class Converter extends DeviceTables {
    final cl_mem fromModuli;
    final cl_mem puncturedInverse;
    final cl_mem reciprocal;
    final cl_mem toModuli;
    final cl_mem toRatios;
    final cl_mem puncturedModTo;
    final cl_mem productModTo;

    Converter(ClDevice device, BaseConverter c) {
      String what = "base conversion tables";
      try {
        fromModuli = add(device.constant(moduli(c.from()), what));
        puncturedInverse = add(device.constant(pairs(c.puncturedInverse(), c.puncturedInverseShoup()), what));
        reciprocal = add(device.constant(c.reciprocal(), what));
        toModuli = add(device.constant(moduli(c.to()), what));
        toRatios = add(device.constant(ratios(c.to()), what));
        puncturedModTo = add(device.constant(pairs(c.puncturedModTo(), c.puncturedModToShoup()), what));
        productModTo = add(device.constant(narrow(c.productModTo()), what));
      } catch (RuntimeException e) {
        release(device);
        throw e;
      }
    }
  }

  /** An {@link RnsScaler}'s tables. */
  static final class Scaler extends DeviceTables {
    final cl_mem fractionHigh;
    final cl_mem fractionLow;
    final cl_mem outModuli;
    final cl_mem outRatios;
    final cl_mem integerModOut;
    final cl_mem lambda;

    Scaler(ClDevice device, RnsScaler s) {
      String what = "scale-and-round tables";
      try {
        fractionHigh = add(device.constant(narrow(s.fractionHigh()), what));
        fractionLow = add(device.constant(narrow(s.fractionLow()), what));
        outModuli = add(device.constant(moduli(s.output()), what));
        outRatios = add(device.constant(ratios(s.output()), what));
        integerModOut = add(device.constant(pairs(s.integerModOut(), s.integerModOutShoup()), what));
        lambda = add(device.constant(pairs(s.lambda(), s.lambdaShoup()), what));
      } catch (RuntimeException e) {
        release(device);
        throw e;
      }
    }
  }

  /**
   * A {@link PlainPreservingSwitch}'s tables: the dropped prime as a one-limb basis (modulus,
   * inverse twiddles, n^-1), so the NTT kernels can transform the last limbs alone through a
   * one-limb view, and per output prime (q_l^-1, its Shoup constant, t q_l^-1, its Shoup constant)
   * as uint4. The scalars t^-1 and n^-1 t^-1 mod q_l travel as kernel arguments.
   */
  static final class Switch extends DeviceTables {
    final cl_mem lastModulus;
    final cl_mem lastInverseTwiddles;
    final cl_mem lastInverseN;
    final cl_mem combine;

    Switch(ClDevice device, PlainPreservingSwitch s) {
      RnsBasis from = s.from();
      int m = from.size() - 1;
      NttTables last = from.ntt(m);
      int[] c = new int[4 * m];
      for (int i = 0; i < m; i++) {
        c[4 * i] = (int) s.lastInverse(i);
        c[4 * i + 1] = (int) s.lastInverseShoup(i);
        c[4 * i + 2] = (int) s.tOverLast(i);
        c[4 * i + 3] = (int) s.tOverLastShoup(i);
      }
      String what = "modulus switching tables of " + s;
      try {
        lastModulus = add(device.constant(new int[] {(int) from.modulus(m).value()}, what));
        lastInverseTwiddles = add(device.constant(pairs(last.inverseRootPowers(), last.inverseRootPowersShoup()), what));
        lastInverseN = add(device.constant(new int[] {(int) last.inverseN(), (int) last.inverseNShoup()}, what));
        combine = add(device.constant(c, what));
      } catch (RuntimeException e) {
        release(device);
        throw e;
      }
    }
  }

  /** Value key of a modulus switch: its tables depend only on the input basis and t. */
  record SwitchKey(RnsBasis from, long t) {
    static SwitchKey of(PlainPreservingSwitch s) {
      return new SwitchKey(s.from(), s.t());
    }
  }

  /** Value key of a scaler: its tables depend only on Q, the input and output bases and t. */
  record ScalerKey(RnsBasis q, RnsBasis input, RnsBasis output, long t, boolean auxiliary) {
    static ScalerKey of(RnsScaler s) {
      return new ScalerKey(s.q(), s.input(), s.output(), s.plainModulus(), s.hasAuxiliary());
    }
  }

  /** Value key of a converter: its tables depend only on the two bases. */
  record ConverterKey(RnsBasis from, RnsBasis to) {}
}
