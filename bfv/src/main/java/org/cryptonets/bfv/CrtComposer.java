package org.cryptonets.bfv;

import java.math.BigInteger;
import java.util.List;
import org.cryptonets.engine.Modulus;

/**
 * Carries signed integers wider than one plaintext prime across the k plaintext primes t_1..t_k
 * (paper section 3.2.5): a value is split into its residues, each prime's ciphertexts compute on
 * their residue, and the results are joined by the Chinese remainder theorem into the centred range
 * (-T/2, T/2], T = t_1 ... t_k. Correct as long as every true intermediate value stays inside it.
 *
 * <p>Immutable; thread-safe.
 */
public final class CrtComposer {
  private final Modulus[] primes;
  private final BigInteger product;
  private final BigInteger half;
  private final BigInteger[] basis;

  public CrtComposer(List<Modulus> primes) {
    this.primes = primes.toArray(new Modulus[0]);
    BigInteger p = BigInteger.ONE;
    for (Modulus m : this.primes) {
      p = p.multiply(BigInteger.valueOf(m.value()));
    }
    this.product = p;
    this.half = p.shiftRight(1);
    this.basis = new BigInteger[this.primes.length];
    for (int i = 0; i < this.primes.length; i++) {
      BigInteger ti = BigInteger.valueOf(this.primes[i].value());
      BigInteger hat = p.divide(ti);
      basis[i] = hat.multiply(hat.modInverse(ti)).mod(p);
    }
  }

  public CrtComposer(BfvParameters params) {
    this(params.plainModuli());
  }

  public BigInteger product() {
    return product;
  }

  /** Bits of the largest magnitude that round-trips: floor(T/2). */
  public int capacityBits() {
    return half.bitLength();
  }

  /** v mod t_i. */
  public long residue(long v, int i) {
    return primes[i].reduce(v);
  }

  /** The centred integer with the given residues. */
  public BigInteger compose(long[] residues) {
    if (residues.length != primes.length) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, residues.length + " residues for " + primes.length + " plaintext primes");
    }
    BigInteger acc = BigInteger.ZERO;
    for (int i = 0; i < primes.length; i++) {
      acc = acc.add(basis[i].multiply(BigInteger.valueOf(residues[i])));
    }
    acc = acc.mod(product);
    return acc.compareTo(half) > 0 ? acc.subtract(product) : acc;
  }

  /**
   * The centred value as a long.
   *
   * @throws BfvException VALUE_OUT_OF_RANGE if it does not fit 64 bits
   */
  public long composeLong(long[] residues) {
    BigInteger v = compose(residues);
    if (v.bitLength() > 63) {
      throw new BfvException(BfvException.ErrorCode.VALUE_OUT_OF_RANGE, "CRT value " + v + " does not fit a long");
    }
    return v.longValue();
  }
}
