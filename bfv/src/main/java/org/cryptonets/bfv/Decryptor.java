package org.cryptonets.bfv;

import java.math.BigInteger;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Decrypts batches with the secret key: x = c0 + c1 s (+ c2 s^2 for unrelinearized ciphertexts),
 * then round(t x / Q) mod t by the backend's scale-and-round, then (for slots) the forward NTT mod t,
 * so a whole batch decrypts and decodes on the device. Also reports SEAL's invariant noise budget.
 *
 * <p>Thread-safe for concurrent calls on different batches.
 */
public final class Decryptor {
  private final BfvParameters params;
  private final Backend backend;
  private final SecretKey key;
  private final ConcurrentHashMap<Integer, PolyBuffer> keyAtLevel = new ConcurrentHashMap<>();

  public Decryptor(BfvParameters params, Backend backend, SecretKey key) {
    if (!key.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "secret key made under other parameters");
    }
    this.params = params;
    this.backend = backend;
    this.key = key;
  }

  /** s and s^2 restricted to the first {@code level} primes. */
  private PolyBuffer powers(int level) {
    if (level == params.maxLevel()) {
      return key.powers();
    }
    return keyAtLevel.computeIfAbsent(level, l -> KeyResidues.prefix(params, backend, key.powers().all(), l));
  }

  /** c0 + c1 s + c2 s^2 in coefficient form over the batch's level, one polynomial per ciphertext. */
  private PolyBuffer phase(CiphertextBatch batch) {
    if (!batch.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext made under other parameters");
    }
    if (batch.scheme() != Scheme.BFV) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, batch + " is a " + batch.scheme() + " ciphertext; decrypt it with the "
          + batch.scheme() + " decryptor");
    }
    if (batch.size() < 2 || batch.size() > 3) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "ciphertext size " + batch.size() + "; expected 2 or 3");
    }
    RnsBasis basis = params.basisAt(batch.level());
    int count = batch.count();
    PolyBuffer s = powers(batch.level());
    PolyBuffer x = backend.allocate(basis, count);
    try (PolyBuffer work = backend.allocate(basis, batch.size() * count)) {
      backend.copy(batch.buffer().all(), work.all());
      if (!batch.isNttForm()) {
        backend.forwardNtt(work.all());
      }
      int size = batch.size();
      backend.multiplyBroadcast(work.range(1, count, size), s.range(0, 1), x.all());
      backend.add(x.all(), work.range(0, count, size), x.all());
      if (size == 3) {
        backend.multiplyBroadcast(work.range(2, count, size), s.range(1, 1), work.range(0, count, size));
        backend.add(x.all(), work.range(0, count, size), x.all());
      }
    }
    backend.inverseNtt(x.all());
    return x;
  }

  /** The slot values of every ciphertext, in [0, t): {@code result[k][slot]}. */
  public long[][] decryptSlots(CiphertextBatch batch) {
    BfvParameters.PlainContext ctx = params.context(batch.plainIndex(), batch.level());
    int n = params.n();
    int count = batch.count();
    long[] host = new long[count * n];
    try (PolyBuffer x = phase(batch); PolyBuffer m = backend.allocate(ctx.plainBasis, count)) {
      backend.scaleAndRound(ctx.decryptScaler, x.all(), m.all());
      backend.forwardNtt(m.all());
      backend.download(m.all(), host);
    }
    long[][] out = new long[count][n];
    for (int k = 0; k < count; k++) {
      System.arraycopy(host, k * n, out[k], 0, n);
    }
    return out;
  }

  /** The plaintext polynomials. */
  public Plaintext[] decrypt(CiphertextBatch batch) {
    BfvParameters.PlainContext ctx = params.context(batch.plainIndex(), batch.level());
    int n = params.n();
    int count = batch.count();
    long[] host = new long[count * n];
    try (PolyBuffer x = phase(batch); PolyBuffer m = backend.allocate(ctx.plainBasis, count)) {
      backend.scaleAndRound(ctx.decryptScaler, x.all(), m.all());
      backend.download(m.all(), host);
    }
    Plaintext[] out = new Plaintext[count];
    for (int k = 0; k < count; k++) {
      out[k] = new Plaintext(params, batch.plainIndex(), java.util.Arrays.copyOfRange(host, k * n, (k + 1) * n));
    }
    return out;
  }

  /**
   * The phase c0 + c1 s mod 2^bits of every compressed ciphertext, computed on the host: the
   * negacyclic product with a ternary s is n shifted additions or subtractions of c1, and wrapping
   * {@code long} arithmetic is exact modulo 2^bits.
   */
  private long[][] phase(CompressedCiphertexts c) {
    if (!c.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext made under other parameters");
    }
    int n = params.n();
    long mask = (1L << c.bits()) - 1;
    long[] v = c.valuesUnsafe();
    long[][] x = new long[c.count()][];
    if (params.maxLevel() >= 2) {
      RnsBasis two = params.basisAt(2);
      // The integer product c1 s is below n 2^bits in magnitude; when two primes hold it, compute
      // it exactly with NTTs on the backend instead of the n^2 schoolbook product.
      if (two.product().bitLength() - 2 > c.bits() + Integer.numberOfTrailingZeros(n)) {
        return phaseByNtt(c, two, v, mask);
      }
    }
    java.util.stream.IntStream.range(0, c.count()).parallel().forEach(k -> {
      long[] acc = java.util.Arrays.copyOfRange(v, 2 * k * n, 2 * k * n + n);
      int c1 = 2 * k * n + n;
      for (int i = 0; i < n; i++) {
        int si = key.coefficient(i);
        if (si == 1) {
          for (int j = 0; j < n - i; j++) {
            acc[i + j] += v[c1 + j];
          }
          for (int j = n - i; j < n; j++) {
            acc[i + j - n] -= v[c1 + j];
          }
        } else if (si == -1) {
          for (int j = 0; j < n - i; j++) {
            acc[i + j] -= v[c1 + j];
          }
          for (int j = n - i; j < n; j++) {
            acc[i + j - n] += v[c1 + j];
          }
        }
      }
      for (int j = 0; j < n; j++) {
        acc[j] &= mask;
      }
      x[k] = acc;
    });
    return x;
  }

  private long[][] phaseByNtt(CompressedCiphertexts c, RnsBasis two, long[] v, long mask) {
    int n = params.n();
    int count = c.count();
    long q0 = two.modulus(0).value();
    long q1 = two.modulus(1).value();
    long[] host = new long[count * 2 * n];
    Modulus m0 = two.modulus(0);
    Modulus m1 = two.modulus(1);
    // Barrett instead of a division where the values (below 2^bits) allow it; every loop here runs
    // in parallel over the ciphertexts (decryption was 20-35 ms for the committed model's results)
    boolean barrett = c.bits() <= 2 * Math.min(m0.bits(), m1.bits());
    java.util.stream.IntStream.range(0, count).parallel().forEach(k -> {
      int c1 = 2 * k * n + n;
      for (int j = 0; j < n; j++) {
        long x = v[c1 + j];
        host[(2 * k) * n + j] = barrett ? m0.reduceProduct(x) : x % q0;
        host[(2 * k + 1) * n + j] = barrett ? m1.reduceProduct(x) : x % q1;
      }
    });
    try (PolyBuffer b = backend.allocate(two, count)) {
      backend.upload(host, b.all());
      backend.forwardNtt(b.all());
      backend.multiplyBroadcast(b.all(), powers(2).range(0, 1), b.all());
      backend.inverseNtt(b.all());
      backend.download(b.all(), host);
    }
    long inv = m1.inverse(q0 % q1);
    long big = q0 * q1;
    long halfBig = big / 2;
    long[][] x = new long[count][n];
    java.util.stream.IntStream.range(0, count).parallel().forEach(k -> {
      for (int j = 0; j < n; j++) {
        long a = host[(2 * k) * n + j];
        long d = m1.multiply(m1.subtract(host[(2 * k + 1) * n + j], m1.reduce(a)), inv);
        long y = a + q0 * d;
        if (y > halfBig) {
          y -= big;
        }
        x[k][j] = (v[2 * k * n + j] + y) & mask;
      }
    });
    return x;
  }

  /**
   * Slot values and noise budgets of compressed results, from one computation of the phase.
   *
   * @param slots {@code slots[k][slot]} in [0, t)
   * @param budgets the invariant noise budget of each ciphertext, in bits (see
   *     {@link #invariantNoiseBudget(CompressedCiphertexts)})
   */
  public record Decrypted(long[][] slots, int[] budgets) {}

  /** The slot values of every compressed ciphertext, in [0, t): {@code result[k][slot]}. */
  public long[][] decryptSlots(CompressedCiphertexts c) {
    return decryptWithBudget(c).slots();
  }

  /**
   * Decrypts and decodes compressed results and measures their noise budget, sharing the phase
   * c0 + c1 s (computed once, with NTTs on the backend) between the two; the slots are decoded by
   * the backend's NTT modulo t (one call for the whole batch) rather than one host transform per
   * ciphertext.
   *
   * @throws BfvException PARAMETER_MISMATCH for results made under other parameters
   */
  public Decrypted decryptWithBudget(CompressedCiphertexts c) {
    long[][] x = phase(c);
    int bits = c.bits();
    long t = params.plainModulus(c.plainIndex()).value();
    long half = 1L << (bits - 1);
    int n = params.n();
    int count = x.length;
    int[] budget = budgets(x, bits, t);
    long[] host = new long[count * n];
    java.util.stream.IntStream.range(0, count).parallel().forEach(k -> {
      long[] m = x[k];
      int off = k * n;
      for (int j = 0; j < n; j++) {
        // round(t x / 2^bits) with the 128-bit product t x (t < 2^31, x < 2^62, so it is below 2^93).
        long lo = t * m[j];
        long hi = Math.multiplyHigh(t, m[j]);
        long sum = lo + half;
        if (Long.compareUnsigned(sum, lo) < 0) {
          hi++;
        }
        long q = (hi << (64 - bits)) | (sum >>> bits);
        host[off + j] = q == t ? 0 : q;
      }
    });
    RnsBasis plainBasis = params.context(c.plainIndex(), 1).plainBasis;
    try (PolyBuffer m = backend.allocate(plainBasis, count)) {
      backend.upload(host, m.all());
      backend.forwardNtt(m.all());
      backend.download(m.all(), host);
    }
    long[][] out = new long[count][];
    for (int k = 0; k < count; k++) {
      out[k] = java.util.Arrays.copyOfRange(host, k * n, (k + 1) * n);
    }
    return new Decrypted(out, budget);
  }

  /**
   * The invariant noise budget of each compressed ciphertext in bits: (bits - 1) - bits(max |[t
   * x]_{2^bits}|), whole bits below the failure bound |t v| = 2^bits / 2. A uniformly random phase
   * (another key, damage) gives 0, as with the RNS measure; a positive budget means every
   * coefficient decrypts correctly.
   */
  public int[] invariantNoiseBudget(CompressedCiphertexts c) {
    return budgets(phase(c), c.bits(), params.plainModulus(c.plainIndex()).value());
  }

  private static int[] budgets(long[][] x, int bits, long t) {
    long mask = (1L << bits) - 1;
    long half = 1L << (bits - 1);
    int[] budget = new int[x.length];
    java.util.stream.IntStream.range(0, x.length).parallel().forEach(k -> {
      long max = 0;
      for (long v : x[k]) {
        long r = (t * v) & mask;
        long centred = r >= half ? (1L << bits) - r : r;
        max = Math.max(max, centred);
      }
      budget[k] = Math.max(0, bits - 1 - (64 - Long.numberOfLeadingZeros(max)));
    });
    return budget;
  }

  /**
   * SEAL's invariant noise budget of each ciphertext in bits: log2(Q) - log2(max |[t x]_Q|) - 1,
   * with x the decryption phase; decryption is correct while it is positive.
   */
  public int[] invariantNoiseBudget(CiphertextBatch batch) {
    RnsBasis basis = params.basisAt(batch.level());
    long t = params.plainModulus(batch.plainIndex()).value();
    int n = params.n();
    int l = basis.size();
    int count = batch.count();
    long[] host = new long[count * l * n];
    try (PolyBuffer x = phase(batch)) {
      backend.multiplyScalar(x.all(), t, x.all());
      backend.download(x.all(), host);
    }
    int[] budget = new int[count];
    long[] residues = new long[l];
    for (int k = 0; k < count; k++) {
      BigInteger max = BigInteger.ZERO;
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < l; i++) {
          residues[i] = host[(k * l + i) * n + j];
        }
        BigInteger v = basis.composeCentered(residues).abs();
        if (v.compareTo(max) > 0) {
          max = v;
        }
      }
      budget[k] = Math.max(0, basis.productBits() - max.bitLength() - 1);
    }
    return budget;
  }
}
