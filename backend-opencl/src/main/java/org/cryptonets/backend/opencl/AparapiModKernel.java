package org.cryptonets.backend.opencl;

import com.aparapi.Kernel;

/**
 * The Aparapi kernel behind {@link AparapiElementwise}: one work-item per residue of a run of
 * polynomials laid out as the backends' host arrays (polynomial-major, then limb, then coefficient),
 * computing add, subtract, negate or multiply modulo the limb's prime.
 *
 * <p>Aparapi translates {@link #run()} from its bytecode into OpenCL C, so it may only use
 * primitives, array fields and {@link Kernel}'s own methods. Object allocation or a call into
 * another class makes the translation fail, and Aparapi then quietly runs the kernel as Java;
 * {@link AparapiElementwise} detects that and throws. The translation also needs the class's local
 * variable table (javac {@code -g}, Maven's default): without it Aparapi's synthetic names produce
 * OpenCL that does not compile, which again ends in the same detected fallback.
 *
 * <p>One class for the four operations, switched by {@link #op}, so the program is translated and
 * built once: the switch is uniform across all work-items and costs nothing measurable next to the
 * memory traffic of an elementwise operation.
 *
 * <p>Not thread-safe: the fields are the arguments of the next execute, and {@link AparapiElementwise}
 * sets them and executes under its own monitor.
 */
final class AparapiModKernel extends Kernel {
  static final int ADD = 0;
  static final int SUBTRACT = 1;
  static final int NEGATE = 2;
  static final int MULTIPLY = 3;

  /** Which of the four operations the next execute computes. */
  int op;
  /** log2 of the ring degree: residue gid belongs to row gid >> logn. */
  int logn;
  /** Limbs per polynomial: row r is limb r % limbs. */
  int limbs;
  /** Operands and result, residues below 2^31 held in int. {@code b} is unused by negate. */
  int[] a;
  int[] b;
  int[] out;
  /** Per limb: the prime and its Barrett constants, as {@code org.cryptonets.engine.Modulus} defines them. */
  int[] moduli;
  long[] barrettFactor;
  int[] barrettShiftIn;
  int[] barrettShiftOut;

  @Override
  public void run() {
    int gid = getGlobalId();
    int limb = (gid >>> logn) % limbs;
    long q = moduli[limb];
    long x = a[gid];
    long r = 0;
    if (op == ADD) {
      // Both below q < 2^31: the sum fits easily in 64 bits; one subtraction makes it canonical.
      r = x + b[gid];
      if (r >= q) {
        r -= q;
      }
    } else if (op == SUBTRACT) {
      r = x - b[gid];
      if (r < 0) {
        r += q;
      }
    } else if (op == NEGATE) {
      if (x != 0) {
        r = q - x;
      }
    } else {
      // The product is below q^2 < 2^62. Barrett's estimate: the intermediate product can reach
      // 2^64, so both shifts must be logical (Aparapi emits >>> as a shift of an unsigned long).
      // The estimate is at most two below the true quotient, hence two corrections.
      long p = x * b[gid];
      long est = ((p >>> barrettShiftIn[limb]) * barrettFactor[limb]) >>> barrettShiftOut[limb];
      r = p - est * q;
      if (r >= q) {
        r -= q;
      }
      if (r >= q) {
        r -= q;
      }
    }
    out[gid] = (int) r;
  }
}
