package org.cryptonets.engine;

/**
 * Twiddle tables for the negacyclic NTT of length n modulo one prime, with Shoup constants, and the
 * scalar reference transform every backend must reproduce exactly.
 *
 * <p>Forward: Cooley-Tukey with powers of psi (a primitive 2n-th root) in bit-reversed order, natural
 * input to bit-reversed output. Inverse: Gentleman-Sande, bit-reversed input to natural output,
 * scaled by n^-1. Pointwise products in between give the negacyclic convolution. psi is the
 * smallest primitive 2n-th root, so tables are reproducible from (q, n) alone.
 *
 * <p>Immutable after construction (the arrays are never written once built, and accessors hand out
 * the internal arrays for speed: callers must not modify them); thread-safe.
 *
 * @throws EngineException {@code INVALID_MODULUS} if q is not 1 mod 2n
 */
public final class NttTables {
  private final Modulus modulus;
  private final int n;
  private final long psi;
  private final long[] rootPowers;
  private final long[] rootPowersShoup;
  private final long[] inverseRootPowers;
  private final long[] inverseRootPowersShoup;
  private final long inverseN;
  private final long inverseNShoup;

  public NttTables(Modulus modulus, int n) {
    RingDegree.check(n);
    long q = modulus.value();
    if ((q - 1) % (2L * n) != 0) {
      throw new EngineException(
          EngineException.Code.INVALID_MODULUS,
          "modulus " + q + " is not 1 mod 2n = " + (2L * n) + ", so it has no negacyclic NTT of length " + n);
    }
    this.modulus = modulus;
    this.n = n;
    this.psi = minimalPrimitiveRoot(modulus, n);
    int logN = RingDegree.log2(n);
    rootPowers = new long[n];
    rootPowersShoup = new long[n];
    inverseRootPowers = new long[n];
    inverseRootPowersShoup = new long[n];
    long psiInv = modulus.inverse(psi);
    long power = 1;
    long inversePower = 1;
    for (int i = 0; i < n; i++) {
      int r = Integer.reverse(i) >>> (32 - logN);
      rootPowers[r] = power;
      inverseRootPowers[r] = inversePower;
      power = modulus.multiply(power, psi);
      inversePower = modulus.multiply(inversePower, psiInv);
    }
    for (int i = 0; i < n; i++) {
      rootPowersShoup[i] = modulus.shoup(rootPowers[i]);
      inverseRootPowersShoup[i] = modulus.shoup(inverseRootPowers[i]);
    }
    inverseN = modulus.inverse(n);
    inverseNShoup = modulus.shoup(inverseN);
  }

  private static long minimalPrimitiveRoot(Modulus modulus, int n) {
    long q = modulus.value();
    long exponent = (q - 1) / (2L * n);
    long root = -1;
    for (long g = 2; g < q; g++) {
      long candidate = modulus.pow(g, exponent);
      // A 2n-th root is primitive iff its n-th power is -1 (n is a power of two).
      if (modulus.pow(candidate, n) == q - 1) {
        root = candidate;
        break;
      }
    }
    if (root < 0) {
      throw new EngineException(EngineException.Code.INVALID_MODULUS, "no primitive 2n-th root modulo " + q);
    }
    // The primitive roots are root^(odd k); pick the smallest so tables do not depend on search order.
    long square = modulus.multiply(root, root);
    long best = root;
    long current = root;
    for (int k = 1; k < n; k++) {
      current = modulus.multiply(current, square);
      if (current < best) {
        best = current;
      }
    }
    return best;
  }

  public Modulus modulus() {
    return modulus;
  }

  public int n() {
    return n;
  }

  public long psi() {
    return psi;
  }

  /** psi^bitrev(i), i in [0, n). Do not modify. */
  public long[] rootPowers() {
    return rootPowers;
  }

  public long[] rootPowersShoup() {
    return rootPowersShoup;
  }

  /** psi^-bitrev(i), i in [0, n). Do not modify. */
  public long[] inverseRootPowers() {
    return inverseRootPowers;
  }

  public long[] inverseRootPowersShoup() {
    return inverseRootPowersShoup;
  }

  public long inverseN() {
    return inverseN;
  }

  public long inverseNShoup() {
    return inverseNShoup;
  }

  /** Reference forward transform of a[offset .. offset+n), values in [0, q), in place. */
  public void forward(long[] a, int offset) {
    long q = modulus.value();
    int t = n;
    for (int m = 1; m < n; m <<= 1) {
      t >>= 1;
      for (int i = 0; i < m; i++) {
        int j1 = offset + 2 * i * t;
        long w = rootPowers[m + i];
        long ws = rootPowersShoup[m + i];
        for (int j = j1; j < j1 + t; j++) {
          long u = a[j];
          long v = modulus.multiplyShoup(a[j + t], w, ws);
          long sum = u + v;
          a[j] = sum >= q ? sum - q : sum;
          long diff = u - v;
          a[j + t] = diff < 0 ? diff + q : diff;
        }
      }
    }
  }

  /** Reference inverse transform, including the n^-1 scaling, in place. */
  public void inverse(long[] a, int offset) {
    long q = modulus.value();
    int t = 1;
    for (int m = n; m > 1; m >>= 1) {
      int h = m >> 1;
      int j1 = offset;
      for (int i = 0; i < h; i++) {
        long w = inverseRootPowers[h + i];
        long ws = inverseRootPowersShoup[h + i];
        for (int j = j1; j < j1 + t; j++) {
          long u = a[j];
          long v = a[j + t];
          long sum = u + v;
          a[j] = sum >= q ? sum - q : sum;
          long diff = u - v;
          a[j + t] = modulus.multiplyShoup(diff < 0 ? diff + q : diff, w, ws);
        }
        j1 += 2 * t;
      }
      t <<= 1;
    }
    for (int j = offset; j < offset + n; j++) {
      a[j] = modulus.multiplyShoup(a[j], inverseN, inverseNShoup);
    }
  }
}
