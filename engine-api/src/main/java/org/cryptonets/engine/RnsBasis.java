package org.cryptonets.engine;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * An ordered set of distinct NTT-friendly primes for one ring degree: the residue number system a
 * polynomial's coefficients live in, limb i holding the coefficients mod q_i. Carries each prime's
 * NTT tables and the CRT constants to compose and decompose big integers (the reference used by
 * tests and by host-side encoding).
 *
 * <p>Immutable; thread-safe. Two bases are equal when they have the same degree and the same primes
 * in the same order.
 *
 * @throws EngineException {@code INVALID_MODULUS} if primes repeat or are not 1 mod 2n
 */
public final class RnsBasis {
  private final int n;
  private final Modulus[] moduli;
  private final NttTables[] ntt;
  private final BigInteger product;
  private final BigInteger[] punctured;
  private final long[] puncturedInverse;
  private final long[] lastInverse;
  private final long[] lastInverseShoup;

  public RnsBasis(int n, List<Modulus> moduli) {
    RingDegree.check(n);
    this.n = n;
    this.moduli = moduli.toArray(new Modulus[0]);
    for (int i = 0; i < this.moduli.length; i++) {
      for (int j = 0; j < i; j++) {
        if (this.moduli[i].equals(this.moduli[j])) {
          throw new EngineException(EngineException.Code.INVALID_MODULUS, "prime " + this.moduli[i] + " appears twice in the basis");
        }
      }
    }
    this.ntt = new NttTables[this.moduli.length];
    for (int i = 0; i < this.moduli.length; i++) {
      ntt[i] = new NttTables(this.moduli[i], n);
    }
    BigInteger p = BigInteger.ONE;
    for (Modulus m : this.moduli) {
      p = p.multiply(BigInteger.valueOf(m.value()));
    }
    this.product = p;
    this.punctured = new BigInteger[this.moduli.length];
    this.puncturedInverse = new long[this.moduli.length];
    for (int i = 0; i < this.moduli.length; i++) {
      BigInteger qi = BigInteger.valueOf(this.moduli[i].value());
      punctured[i] = p.divide(qi);
      puncturedInverse[i] = punctured[i].modInverse(qi).longValueExact();
    }
    int l = this.moduli.length;
    this.lastInverse = new long[Math.max(0, l - 1)];
    this.lastInverseShoup = new long[lastInverse.length];
    for (int i = 0; i < l - 1; i++) {
      lastInverse[i] = this.moduli[i].inverse(this.moduli[l - 1].value() % this.moduli[i].value());
      lastInverseShoup[i] = this.moduli[i].shoup(lastInverse[i]);
    }
  }

  /** q_last^-1 mod q_i for i below the last prime: the table of modulus switching. Do not modify. */
  public long[] lastInverse() {
    return lastInverse;
  }

  public long[] lastInverseShoup() {
    return lastInverseShoup;
  }

  /** Convenience: validates each value as a {@link Modulus}. */
  public static RnsBasis of(int n, long... primes) {
    List<Modulus> list = new ArrayList<>();
    for (long q : primes) {
      list.add(Modulus.of(q));
    }
    return new RnsBasis(n, list);
  }

  public int n() {
    return n;
  }

  public int size() {
    return moduli.length;
  }

  public Modulus modulus(int i) {
    return moduli[i];
  }

  public List<Modulus> moduli() {
    return Collections.unmodifiableList(Arrays.asList(moduli));
  }

  public NttTables ntt(int i) {
    return ntt[i];
  }

  /** The product of all primes. */
  public BigInteger product() {
    return product;
  }

  public int productBits() {
    return product.bitLength();
  }

  /** Q / q_i. */
  public BigInteger punctured(int i) {
    return punctured[i];
  }

  /** (Q / q_i)^-1 mod q_i. */
  public long puncturedInverse(int i) {
    return puncturedInverse[i];
  }

  /** The first {@code count} primes as a basis (the level after dropping the rest). */
  public RnsBasis prefix(int count) {
    if (count < 1 || count > moduli.length) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "prefix of " + count + " primes from a basis of " + moduli.length);
    }
    if (count == moduli.length) {
      return this;
    }
    return new RnsBasis(n, Arrays.asList(moduli).subList(0, count));
  }

  /** This basis followed by {@code other}'s primes. */
  public RnsBasis concat(RnsBasis other) {
    if (other.n != n) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "cannot join bases of degree " + n + " and " + other.n);
    }
    List<Modulus> list = new ArrayList<>(Arrays.asList(moduli));
    list.addAll(Arrays.asList(other.moduli));
    return new RnsBasis(n, list);
  }

  /** True if this basis's primes are the first primes of {@code other}, in order. */
  public boolean isPrefixOf(RnsBasis other) {
    if (other.n != n || other.moduli.length < moduli.length) {
      return false;
    }
    for (int i = 0; i < moduli.length; i++) {
      if (!moduli[i].equals(other.moduli[i])) {
        return false;
      }
    }
    return true;
  }

  /** Residues of x (any sign) modulo each prime. */
  public long[] decompose(BigInteger x) {
    long[] r = new long[moduli.length];
    for (int i = 0; i < moduli.length; i++) {
      r[i] = x.mod(BigInteger.valueOf(moduli[i].value())).longValueExact();
    }
    return r;
  }

  /** The integer in [0, Q) with the given residues (CRT). */
  public BigInteger compose(long[] residues) {
    if (residues.length != moduli.length) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, residues.length + " residues for a basis of " + moduli.length);
    }
    BigInteger acc = BigInteger.ZERO;
    for (int i = 0; i < moduli.length; i++) {
      long y = moduli[i].multiply(moduli[i].reduce(residues[i]), puncturedInverse[i]);
      acc = acc.add(punctured[i].multiply(BigInteger.valueOf(y)));
    }
    return acc.mod(product);
  }

  /** The integer in (-Q/2, Q/2] with the given residues. */
  public BigInteger composeCentered(long[] residues) {
    BigInteger x = compose(residues);
    return x.compareTo(product.shiftRight(1)) > 0 ? x.subtract(product) : x;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RnsBasis)) {
      return false;
    }
    RnsBasis b = (RnsBasis) o;
    return b.n == n && Arrays.equals(b.moduli, moduli);
  }

  @Override
  public int hashCode() {
    return 31 * n + Arrays.hashCode(moduli);
  }

  @Override
  public String toString() {
    return "RnsBasis(n=" + n + ", " + productBits() + " bits, " + Arrays.toString(moduli) + ")";
  }
}
