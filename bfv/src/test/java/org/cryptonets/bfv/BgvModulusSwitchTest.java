package org.cryptonets.bfv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.cryptonets.backend.cpu.CpuBackend;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BGV modulus switching in NTT form ({@link PlainPreservingSwitch}, {@link Backend#dropLastModulusNtt}):
 * the scalar reference against a BigInteger computation of (c - delta) / q_l in coefficient form,
 * and the CPU backend (vector and scalar kernels) and the OpenCL backend (the interface's default
 * host round trip, when a device is present) against the reference residue for residue.
 */
class BgvModulusSwitchTest {
  static final List<Backend> BACKENDS = new ArrayList<>();

  @BeforeAll
  static void open() {
    BACKENDS.add(CpuBackend.create(2, true));
    BACKENDS.add(CpuBackend.create(1, false));
    if (CrossBackendBfvTest.openClUnavailableReason() == null) {
      BACKENDS.add(Backends.open("opencl"));
    } else {
      System.err.println("BgvModulusSwitchTest: OpenCL skipped: " + CrossBackendBfvTest.openClUnavailableReason());
    }
  }

  @AfterAll
  static void close() {
    BACKENDS.forEach(Backend::close);
  }

  /** n, prime sizes (the last is dropped), plaintext prime size. */
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(1024, List.of(31, 31), 17),
        Arguments.of(1024, List.of(30, 31, 31), 31),
        Arguments.of(2048, List.of(31, 31, 31, 31), 20),
        Arguments.of(2048, List.of(25, 31, 27), 2), // q_last > 2 q_0 and a tiny t
        Arguments.of(4096, List.of(31, 31, 31, 31, 31, 31), 31));
  }

  static RnsBasis basis(int n, List<Integer> bits) {
    List<Modulus> primes = new ArrayList<>();
    java.util.Set<Long> used = new java.util.HashSet<>();
    for (int b : bits) {
      long p = PrimeGenerator.nttPrimes(b, n, 1, used).get(0);
      used.add(p);
      primes.add(Modulus.of(p));
    }
    return new RnsBasis(n, primes);
  }

  static long plainModulus(int bits, int n) {
    return bits == 2 ? 3 : PrimeGenerator.nttPrimes(bits, n, 1, java.util.Set.of()).get(0);
  }

  @ParameterizedTest(name = "n = {0}, primes {1}, t of {2} bits")
  @MethodSource("cases")
  void referenceMatchesBigIntegerAndBackendsMatchReference(int n, List<Integer> bits, int tBits) {
    RnsBasis from = basis(n, bits);
    long t = plainModulus(tBits, n);
    PlainPreservingSwitch s = new PlainPreservingSwitch(from, t);
    RnsBasis to = s.to();
    int l = from.size();
    int polys = 3;
    SplittableRandom r = new SplittableRandom(n * 31L + tBits);
    long[] in = new long[polys * l * n];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        for (int j = 0; j < n; j++) {
          in[(p * l + i) * n + j] = r.nextLong(from.modulus(i).value());
        }
      }
    }
    long[] expected = new long[polys * (l - 1) * n];
    for (int p = 0; p < polys; p++) {
      s.apply(in, p * l * n, expected, p * (l - 1) * n);
    }
    checkAgainstBigInteger(from, to, t, in, expected, polys);
    for (Backend b : BACKENDS) {
      try (PolyBuffer x = b.allocate(from, polys); PolyBuffer y = b.allocate(to, polys)) {
        b.upload(in, x.all());
        b.dropLastModulusNtt(s, x.all(), y.all());
        long[] got = new long[expected.length];
        b.download(y.all(), got);
        assertArrayEquals(expected, got, b.device() + ": residues differ from the reference");
        long[] still = new long[in.length];
        b.download(x.all(), still);
        assertArrayEquals(in, still, b.device() + ": input modified");
      }
    }
  }

  /** In coefficient form: c = q_l c' + delta with delta = 0 mod t and |delta| <= t q_l / 2, c' = (c - delta) / q_l. */
  static void checkAgainstBigInteger(RnsBasis from, RnsBasis to, long t, long[] inNtt, long[] outNtt, int polys) {
    int n = from.n();
    int l = from.size();
    long[] in = inNtt.clone();
    long[] out = outNtt.clone();
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        from.ntt(i).inverse(in, (p * l + i) * n);
      }
      for (int i = 0; i < l - 1; i++) {
        to.ntt(i).inverse(out, (p * (l - 1) + i) * n);
      }
    }
    BigInteger ql = BigInteger.valueOf(from.modulus(l - 1).value());
    BigInteger bigT = BigInteger.valueOf(t);
    BigInteger tInverse = bigT.modInverse(ql);
    BigInteger bound = bigT.multiply(ql).shiftRight(1);
    long[] residues = new long[l];
    long[] outResidues = new long[l - 1];
    for (int p = 0; p < polys; p++) {
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < l; i++) {
          residues[i] = in[(p * l + i) * n + j];
        }
        BigInteger c = from.composeCentered(residues);
        BigInteger rr = c.multiply(tInverse).mod(ql);
        if (rr.compareTo(ql.shiftRight(1)) > 0) {
          rr = rr.subtract(ql);
        }
        BigInteger delta = bigT.multiply(rr);
        assertEquals(BigInteger.ZERO, c.subtract(delta).mod(ql), "delta = c mod q_l");
        assertTrue(delta.abs().compareTo(bound) <= 0, "|delta| <= t q_l / 2");
        BigInteger switched = c.subtract(delta).divide(ql);
        for (int i = 0; i < l - 1; i++) {
          outResidues[i] = out[(p * (l - 1) + i) * n + j];
        }
        BigInteger got = to.compose(outResidues);
        if (!got.equals(switched.mod(to.product()))) {
          assertEquals(switched.mod(to.product()), got, "polynomial " + p + ", coefficient " + j);
        }
        // The value mod t is kept up to q_l^-1.
        assertEquals(c.multiply(ql.modInverse(bigT)).mod(bigT), switched.mod(bigT));
      }
    }
  }
}
