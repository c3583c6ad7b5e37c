package org.cryptonets.engine;

import java.math.BigInteger;
import java.util.List;

/**
 * Tables for the BFV scale-and-round: from x over the basis Q u P (P possibly empty), compute
 * round(t x / Q) modulo each output prime, where the output basis is P (ciphertext multiplication,
 * after the tensor product) or the single plaintext prime t when P is empty (decryption).
 *
 * <p>With M = QP, alpha_i = t [(M/q_i)^-1]_{q_i} P / q_i split into an integer part I_i and a
 * fraction f_i, the result modulo an output prime o is
 * sum_i x_i [I_i]_o + round(sum_i x_i f_i) (+ x_o lambda_o for o in P). The fractions are 56-bit
 * fixed point split into two 28-bit halves so every product fits 64-bit lanes; all backends use the
 * same integer arithmetic and agree bit for bit.
 *
 * <p>Immutable; thread-safe. Accessors return internal arrays: do not modify them.
 *
 * @throws EngineException {@code SHAPE_MISMATCH} if Q has more than 16 primes, P is empty or the
 *     bases differ in degree; {@code INVALID_MODULUS} if P shares a prime with Q, or (decryption) if
 *     t is not 1 mod 2n, since t then forms the output basis
 */
public final class RnsScaler {
  public static final int FRACTION_BITS = 56;
  public static final int HALF_BITS = 28;

  private final RnsBasis q;
  private final RnsBasis p;
  private final RnsBasis input;
  private final RnsBasis output;
  private final long t;
  private final long[] fractionHigh;
  private final long[] fractionLow;
  private final long[] integerModOut;
  private final long[] integerModOutShoup;
  private final long[] lambda;
  private final long[] lambdaShoup;

  private RnsScaler(RnsBasis q, RnsBasis p, Modulus t, RnsBasis output) {
    if (q.size() > 16) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "scale-and-round supports at most 16 primes in Q, got " + q.size());
    }
    this.q = q;
    this.p = p;
    this.t = t.value();
    this.input = p == null ? q : q.concat(p);
    this.output = output;
    int l = q.size();
    int k = output.size();
    BigInteger bigT = BigInteger.valueOf(t.value());
    BigInteger m = input.product();
    BigInteger bigP = p == null ? BigInteger.ONE : p.product();
    fractionHigh = new long[l];
    fractionLow = new long[l];
    integerModOut = new long[k * l];
    integerModOutShoup = new long[k * l];
    for (int i = 0; i < l; i++) {
      BigInteger qi = BigInteger.valueOf(q.modulus(i).value());
      BigInteger inv = m.divide(qi).modInverse(qi);
      BigInteger numerator = bigT.multiply(inv).multiply(bigP);
      BigInteger[] qr = numerator.divideAndRemainder(qi);
      BigInteger fixed = qr[1].shiftLeft(FRACTION_BITS).divide(qi);
      fractionHigh[i] = fixed.shiftRight(HALF_BITS).longValueExact();
      fractionLow[i] = fixed.and(BigInteger.ONE.shiftLeft(HALF_BITS).subtract(BigInteger.ONE)).longValueExact();
      for (int j = 0; j < k; j++) {
        Modulus o = output.modulus(j);
        long w = qr[0].mod(BigInteger.valueOf(o.value())).longValueExact();
        integerModOut[j * l + i] = w;
        integerModOutShoup[j * l + i] = o.shoup(w);
      }
    }
    lambda = new long[p == null ? 0 : k];
    lambdaShoup = new long[lambda.length];
    for (int j = 0; j < lambda.length; j++) {
      Modulus o = output.modulus(j);
      BigInteger pj = BigInteger.valueOf(o.value());
      BigInteger inv = m.divide(pj).modInverse(pj);
      long w = bigT.multiply(inv).multiply(bigP.divide(pj)).mod(pj).longValueExact();
      lambda[j] = w;
      lambdaShoup[j] = o.shoup(w);
    }
  }

  /** round(t x / Q) mod t for x over Q: the last step of decryption. */
  public static RnsScaler forDecryption(RnsBasis q, Modulus t) {
    return new RnsScaler(q, null, t, new RnsBasis(q.n(), List.of(t)));
  }

  /** round(t x / Q) mod P for x over Q u P: the scaling step of ciphertext multiplication. */
  public static RnsScaler forMultiplication(RnsBasis q, RnsBasis p, Modulus t) {
    if (p.size() == 0) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "multiplication needs a non-empty auxiliary basis");
    }
    return new RnsScaler(q, p, t, p);
  }

  public RnsBasis q() {
    return q;
  }

  /** Q u P (or Q alone for decryption). */
  public RnsBasis input() {
    return input;
  }

  public RnsBasis output() {
    return output;
  }

  public long plainModulus() {
    return t;
  }

  /** True if output primes also appear in the input (multiplication), so lambda applies. */
  public boolean hasAuxiliary() {
    return p != null;
  }

  public long[] fractionHigh() {
    return fractionHigh;
  }

  public long[] fractionLow() {
    return fractionLow;
  }

  /** [I_i]_{o_j} at [j * |Q| + i]. */
  public long[] integerModOut() {
    return integerModOut;
  }

  public long[] integerModOutShoup() {
    return integerModOutShoup;
  }

  /** lambda_j for output prime j (empty for decryption). */
  public long[] lambda() {
    return lambda;
  }

  public long[] lambdaShoup() {
    return lambdaShoup;
  }

  /** The rounded fractional sum round(sum_i x_i f_i) from the two 28-bit halves. */
  public static long roundFraction(long sumHigh, long sumLow) {
    long low = (sumLow + (1L << (FRACTION_BITS - 1))) >>> HALF_BITS;
    return (sumHigh + low) >>> HALF_BITS;
  }

  /** Reference for one coefficient: x over the input basis, out over the output basis. */
  public void scale(long[] x, long[] out) {
    int l = q.size();
    long high = 0;
    long low = 0;
    for (int i = 0; i < l; i++) {
      high += x[i] * fractionHigh[i];
      low += x[i] * fractionLow[i];
    }
    long rounded = roundFraction(high, low);
    for (int j = 0; j < output.size(); j++) {
      Modulus o = output.modulus(j);
      long acc = o.reduce(rounded);
      for (int i = 0; i < l; i++) {
        acc = o.add(acc, o.multiplyShoup(x[i], integerModOut[j * l + i], integerModOutShoup[j * l + i]));
      }
      if (p != null) {
        acc = o.add(acc, o.multiplyShoup(x[l + j], lambda[j], lambdaShoup[j]));
      }
      out[j] = acc;
    }
  }
}
