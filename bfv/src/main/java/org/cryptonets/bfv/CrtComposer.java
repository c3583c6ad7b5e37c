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
  /** Garner's mixed radix in 64-bit arithmetic when T < 2^62: prefix products and their inverses. */
  private final long[] prefix;
  private final long[] prefixInverse;
  private final long productLong;

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
    if (p.bitLength() <= 62) {
      prefix = new long[this.primes.length];
      prefixInverse = new long[this.primes.length];
      long pre = 1;
      for (int i = 0; i < this.primes.length; i++) {
        prefix[i] = pre;
        prefixInverse[i] = i == 0 ? 1 : this.primes[i].inverse(this.primes[i].reduce(pre));
        pre *= this.primes[i].value();
      }
      productLong = pre;
    } else {
      prefix = null;
      prefixInverse = null;
      productLong = 0;
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

  /**
   * The centred integer with the given residues (any longs, taken mod t_i). When T < 2^62 (two primes of up
   * to 31 bits, the committed model's case) it is computed in 64-bit arithmetic by Garner's mixed
   * radix, which the owner runs once per logit (81,920 per batch); otherwise with BigIntegers.
   */
  public BigInteger compose(long[] residues) {
    checkCount(residues);
    if (prefix != null) {
      return BigInteger.valueOf(composeNarrow(residues));
    }
    return composeWide(residues);
  }

  private void checkCount(long[] residues) {
    if (residues.length != primes.length) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, residues.length + " residues for " + primes.length + " plaintext primes; expected one per prime");
    }
  }

  /** Garner's mixed radix in 64-bit arithmetic, for T < 2^62: the centred value. */
  private long composeNarrow(long[] residues) {
    long x = primes[0].reduce(residues[0]);
    for (int i = 1; i < primes.length; i++) {
      Modulus t = primes[i];
      long d = t.multiply(t.subtract(t.reduce(residues[i]), t.reduce(x)), prefixInverse[i]);
      x += prefix[i] * d;
    }
    return x > productLong / 2 ? x - productLong : x;
  }

  /** {@link #compose} with BigIntegers, whatever T (package-private: tests compare both). */
  BigInteger composeWide(long[] residues) {
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
    if (prefix != null) {
      checkCount(residues);
      return composeNarrow(residues);
    }
    BigInteger v = compose(residues);
    if (v.bitLength() > 63) {
      throw new BfvException(BfvException.ErrorCode.VALUE_OUT_OF_RANGE, "CRT value " + v + " does not fit a long");
    }
    return v.longValue();
  }

  /** True when T < 2^62, so that {@link #composeLongs} applies. */
  public boolean isNarrow() {
    return prefix != null;
  }

  /**
   * {@link #composeLong} for many values at once, prime by prime over whole rows (the owner composes
   * 81,920 logits per batch; one tight loop per prime instead of a call per logit):
   * {@code result[s]} is the centred value with residues {@code residues[i][s]} (any longs, taken
   * mod t_i), for s in [0, count).
   *
   * @throws BfvException INVALID_ARGUMENT if T is not below 2^62 (see {@link #isNarrow}; use
   *     {@link #compose}), for a row count other than one per prime, or rows shorter than count
   */
  public long[] composeLongs(long[][] residues, int count) {
    if (prefix == null) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "the CRT product T has " + product.bitLength() + " bits; composeLongs needs T < 2^62");
    }
    if (residues.length != primes.length) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, residues.length + " residue rows for " + primes.length + " plaintext primes; expected one per prime");
    }
    for (long[] row : residues) {
      if (row.length < count) {
        throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "a residue row of " + row.length + " values for " + count + " values");
      }
    }
    // The arithmetic is written out (no Modulus calls), as in Decryptor.decryptWithBudget: the owner
    // runs this once per batch, much of it before the JIT has compiled it.
    long[] x = new long[count];
    long[] r0 = residues[0];
    long t0 = primes[0].value();
    for (int s = 0; s < count; s++) {
      long r = r0[s];
      x[s] = r >= 0 && r < t0 ? r : Math.floorMod(r, t0);
    }
    for (int i = 1; i < primes.length; i++) {
      long[] ri = residues[i];
      long pre = prefix[i];
      long inv = prefixInverse[i];
      long tv = primes[i].value();
      long invShoup = primes[i].shoup(inv);
      for (int s = 0; s < count; s++) {
        long xs = x[s];
        long r = ri[s];
        long a = r >= 0 && r < tv ? r : Math.floorMod(r, tv);
        // the partial value xs >= 0: below 2 t_i for two primes of one size
        long b = xs < tv ? xs : xs < 2 * tv ? xs - tv : xs % tv;
        long diff = a - b;
        if (diff < 0) {
          diff += tv;
        }
        long d = diff * inv - ((diff * invShoup) >>> 32) * tv;
        x[s] = xs + pre * (d >= tv ? d - tv : d);
      }
    }
    long half = productLong / 2;
    for (int s = 0; s < count; s++) {
      if (x[s] > half) {
        x[s] -= productLong;
      }
    }
    return x;
  }
}
