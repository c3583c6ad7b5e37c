package org.cryptonets.engine;

import java.math.BigInteger;

/**
 * Tables for converting a polynomial's residues from basis Q to basis P (HPS-style base extension):
 * y_i = [x_i (Q/q_i)^-1]_{q_i}, v = round(sum y_i / q_i), and x mod p_j = sum y_i (Q/q_i) - v Q.
 *
 * <p>The rounding uses fixed-point reciprocals (2^-56 units) in integer arithmetic, never floating
 * point, so every backend gets the same bits. The result is the centred representative of x
 * (|x| < Q/2) except for inputs within about 2^-20 Q of +-Q/2, where it may be the other lift
 * x -+ Q. BFV multiplication tolerates that (it only shifts the Q-overflow polynomial by one).
 *
 * <p>Immutable; thread-safe. Accessors return internal arrays: do not modify them.
 *
 * @throws EngineException {@code SHAPE_MISMATCH} if the bases differ in degree, share a prime or
 *     Q has more than 127 primes
 */
public final class BaseConverter {
  /** Fixed-point precision of the reciprocals 1/q_i. */
  public static final int FRACTION_BITS = 56;

  private final RnsBasis from;
  private final RnsBasis to;
  private final long[] puncturedInverse;
  private final long[] puncturedInverseShoup;
  private final long[] reciprocal;
  private final long[] puncturedModTo;
  private final long[] puncturedModToShoup;
  private final long[] productModTo;

  public BaseConverter(RnsBasis from, RnsBasis to) {
    if (from.n() != to.n()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "bases of degree " + from.n() + " and " + to.n());
    }
    if (from.size() > 127) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "source basis of " + from.size() + " primes exceeds 127");
    }
    for (Modulus a : from.moduli()) {
      if (to.moduli().contains(a)) {
        throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "prime " + a + " is in both bases");
      }
    }
    this.from = from;
    this.to = to;
    int l = from.size();
    int k = to.size();
    puncturedInverse = new long[l];
    puncturedInverseShoup = new long[l];
    reciprocal = new long[l];
    for (int i = 0; i < l; i++) {
      Modulus qi = from.modulus(i);
      puncturedInverse[i] = from.puncturedInverse(i);
      puncturedInverseShoup[i] = qi.shoup(puncturedInverse[i]);
      reciprocal[i] = BigInteger.ONE.shiftLeft(FRACTION_BITS).divide(BigInteger.valueOf(qi.value())).longValueExact();
    }
    puncturedModTo = new long[k * l];
    puncturedModToShoup = new long[k * l];
    productModTo = new long[k];
    for (int j = 0; j < k; j++) {
      Modulus pj = to.modulus(j);
      BigInteger p = BigInteger.valueOf(pj.value());
      for (int i = 0; i < l; i++) {
        long w = from.punctured(i).mod(p).longValueExact();
        puncturedModTo[j * l + i] = w;
        puncturedModToShoup[j * l + i] = pj.shoup(w);
      }
      productModTo[j] = from.product().mod(p).longValueExact();
    }
  }

  public RnsBasis from() {
    return from;
  }

  public RnsBasis to() {
    return to;
  }

  /** (Q/q_i)^-1 mod q_i. */
  public long[] puncturedInverse() {
    return puncturedInverse;
  }

  public long[] puncturedInverseShoup() {
    return puncturedInverseShoup;
  }

  /** floor(2^56 / q_i). */
  public long[] reciprocal() {
    return reciprocal;
  }

  /** (Q/q_i) mod p_j at [j * |Q| + i]. */
  public long[] puncturedModTo() {
    return puncturedModTo;
  }

  public long[] puncturedModToShoup() {
    return puncturedModToShoup;
  }

  /** Q mod p_j. */
  public long[] productModTo() {
    return productModTo;
  }

  /**
   * Reference conversion of one coefficient: {@code x[i]} in [0, q_i) for each prime of Q, result
   * in {@code out[j]} for each prime of P.
   */
  public void convert(long[] x, long[] out) {
    int l = from.size();
    long[] y = new long[l];
    long fraction = 0;
    for (int i = 0; i < l; i++) {
      y[i] = from.modulus(i).multiplyShoup(x[i], puncturedInverse[i], puncturedInverseShoup[i]);
      fraction += y[i] * reciprocal[i];
    }
    long v = (fraction + (1L << (FRACTION_BITS - 1))) >>> FRACTION_BITS;
    for (int j = 0; j < to.size(); j++) {
      Modulus pj = to.modulus(j);
      long acc = 0;
      for (int i = 0; i < l; i++) {
        acc = pj.add(acc, pj.multiplyShoup(y[i], puncturedModTo[j * l + i], puncturedModToShoup[j * l + i]));
      }
      out[j] = pj.subtract(acc, pj.multiply(v, productModTo[j]));
    }
  }
}
