package org.cryptonets.engine;

/**
 * BGV modulus switching: dropping the last prime q_l of a basis while keeping the value modulo a
 * plaintext modulus t, for polynomials held in NTT form. For x over Q (the integer polynomial
 * whose residues the limbs hold),
 *
 * <pre>
 *   delta = t * centred([x * t^-1]_{q_l})     (delta = x mod q_l, delta = 0 mod t, |delta| &lt;= t q_l / 2)
 *   x'    = (x - delta) / q_l                  over Q / q_l, exactly
 * </pre>
 *
 * so x' = x * q_l^-1 mod t and |x'| &lt;= |x| / q_l + t / 2 coefficient-wise. In NTT form only the
 * last limb is transformed back, and only the small correction r = centred([x t^-1]_{q_l}) is
 * transformed forward into each remaining prime: limb i of the result is
 * {@code x_i * q_l^-1 - NTT_i(r) * (t q_l^-1)} mod q_i. Any exact computation gives the same
 * residues, so every backend must match {@link #apply} bit for bit.
 *
 * <p>Holds the per-(basis, t) constants. Immutable; thread-safe.
 *
 * @throws EngineException INVALID_ARGUMENT if the basis has a single prime, t is outside [2, 2^31)
 *     or t shares a factor with the last prime
 */
public final class PlainPreservingSwitch {
  private final RnsBasis from;
  private final RnsBasis to;
  private final long t;
  private final long tInverseLast;
  private final long tInverseLastShoup;
  private final long[] lastInverse;
  private final long[] lastInverseShoup;
  private final long[] tOverLast;
  private final long[] tOverLastShoup;

  public PlainPreservingSwitch(RnsBasis from, long t) {
    int l = from.size();
    if (l < 2) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "cannot drop the only prime of " + from);
    }
    if (t < 2 || t >= (1L << Modulus.MAX_BITS)) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "plaintext modulus " + t + " is outside [2, 2^31)");
    }
    Modulus last = from.modulus(l - 1);
    if (t % last.value() == 0) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "plaintext modulus " + t + " is a multiple of the prime " + last + " it would drop");
    }
    this.from = from;
    this.to = from.prefix(l - 1);
    this.t = t;
    this.tInverseLast = last.inverse(t % last.value());
    this.tInverseLastShoup = last.shoup(tInverseLast);
    this.lastInverse = from.lastInverse().clone();
    this.lastInverseShoup = from.lastInverseShoup().clone();
    this.tOverLast = new long[l - 1];
    this.tOverLastShoup = new long[l - 1];
    for (int i = 0; i < l - 1; i++) {
      Modulus qi = from.modulus(i);
      tOverLast[i] = qi.multiply(qi.reduce(t), lastInverse[i]);
      tOverLastShoup[i] = qi.shoup(tOverLast[i]);
    }
  }

  /** The input basis (with q_l last). */
  public RnsBasis from() {
    return from;
  }

  /** The output basis: {@link #from()} without its last prime. */
  public RnsBasis to() {
    return to;
  }

  /** The plaintext modulus t whose residues are kept (up to the factor q_l^-1). */
  public long t() {
    return t;
  }

  /** t^-1 mod q_l. */
  public long tInverseLast() {
    return tInverseLast;
  }

  public long tInverseLastShoup() {
    return tInverseLastShoup;
  }

  /** q_l^-1 mod q_i for prime i of the output basis. */
  public long lastInverse(int i) {
    return lastInverse[i];
  }

  public long lastInverseShoup(int i) {
    return lastInverseShoup[i];
  }

  /** t q_l^-1 mod q_i for prime i of the output basis. */
  public long tOverLast(int i) {
    return tOverLast[i];
  }

  public long tOverLastShoup(int i) {
    return tOverLastShoup[i];
  }

  /**
   * The centred correction r = centred([x t^-1]_{q_l}) in (-q_l/2, q_l/2] from the last limb in
   * coefficient form, in place: {@code a[off .. off + n)} holds the limb's coefficients on entry.
   */
  public void correction(long[] a, int off) {
    Modulus last = from.modulus(from.size() - 1);
    long q = last.value();
    long half = q >>> 1;
    for (int j = off; j < off + from.n(); j++) {
      long r = last.multiplyShoup(a[j], tInverseLast, tInverseLastShoup);
      a[j] = r > half ? r - q : r;
    }
  }

  /**
   * The scalar reference for one polynomial: {@code in[inOff ..]} holds its l limbs over {@link
   * #from()} in NTT form, {@code out[outOff ..]} receives its l - 1 limbs over {@link #to()} in
   * NTT form. {@code in} is not modified.
   */
  public void apply(long[] in, int inOff, long[] out, int outOff) {
    int n = from.n();
    int l = from.size();
    long[] r = java.util.Arrays.copyOfRange(in, inOff + (l - 1) * n, inOff + l * n);
    from.ntt(l - 1).inverse(r, 0);
    correction(r, 0);
    long[] tmp = new long[n];
    for (int i = 0; i < l - 1; i++) {
      Modulus qi = from.modulus(i);
      for (int j = 0; j < n; j++) {
        tmp[j] = Math.floorMod(r[j], qi.value());
      }
      from.ntt(i).forward(tmp, 0);
      int src = inOff + i * n;
      int dst = outOff + i * n;
      for (int j = 0; j < n; j++) {
        long scaled = qi.multiplyShoup(in[src + j], lastInverse[i], lastInverseShoup[i]);
        long shift = qi.multiplyShoup(tmp[j], tOverLast[i], tOverLastShoup[i]);
        out[dst + j] = qi.subtract(scaled, shift);
      }
    }
  }

  @Override
  public String toString() {
    return "PlainPreservingSwitch(t=" + t + ", drop " + from.modulus(from.size() - 1) + " from " + from.size() + " primes)";
  }
}
