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
   * The phase c0 + c1 s mod 2^bits of every compressed ciphertext, {@code x[k * n + j]}, on the host:
   * the negacyclic product with a ternary s is n shifted additions or subtractions of c1, exact in
   * wrapping {@code long} arithmetic modulo 2^bits. For parameters with fewer than two primes, or
   * two too small to hold the integer product (see {@link #productByNtt}).
   */
  private long[] phaseOnHost(CompressedCiphertexts c) {
    int n = params.n();
    long mask = (1L << c.bits()) - 1;
    long[] v = c.valuesUnsafe();
    long[] x = new long[c.count() * n];
    java.util.stream.IntStream.range(0, c.count()).parallel().forEach(k -> {
      int off = k * n;
      System.arraycopy(v, 2 * k * n, x, off, n);
      int c1 = 2 * k * n + n;
      for (int i = 0; i < n; i++) {
        int si = key.coefficient(i);
        if (si == 1) {
          for (int j = 0; j < n - i; j++) {
            x[off + i + j] += v[c1 + j];
          }
          for (int j = n - i; j < n; j++) {
            x[off + i + j - n] -= v[c1 + j];
          }
        } else if (si == -1) {
          for (int j = 0; j < n - i; j++) {
            x[off + i + j] -= v[c1 + j];
          }
          for (int j = n - i; j < n; j++) {
            x[off + i + j - n] += v[c1 + j];
          }
        }
      }
      for (int j = 0; j < n; j++) {
        x[off + j] &= mask;
      }
    });
    return x;
  }

  /**
   * The integer product c1 s of every compressed ciphertext as residues over the first two primes,
   * coefficient form, {@code host[(2 k + i) n + j]}; null when two primes cannot hold it exactly
   * (its magnitude is below n 2^bits). The backend reduces the c1 halves into both primes with the
   * kernels encryption keeps hot, transforms, multiplies by s and transforms back.
   */
  private long[] productByNtt(CompressedCiphertexts c) {
    int n = params.n();
    if (params.maxLevel() < 2 || params.basisAt(2).product().bitLength() - 2 <= c.bits() + Integer.numberOfTrailingZeros(n)) {
      return null;
    }
    int count = c.count();
    long[] v = c.valuesUnsafe();
    long[] c1 = new long[count * n];
    for (int k = 0; k < count; k++) {
      System.arraycopy(v, 2 * k * n + n, c1, k * n, n);
    }
    long[] host = new long[count * 2 * n];
    try (PolyBuffer b = backend.allocateUninitialized(params.basisAt(2), count)) {
      backend.uploadIntegers(c1, b.all(), true);
      backend.multiplyBroadcast(b.all(), powers(2).range(0, 1), b.all());
      backend.inverseNtt(b.all());
      backend.download(b.all(), host);
    }
    return host;
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

  /** {@link #decryptWithBudget(CompressedCiphertexts, long)} with factor 1 (BFV results). */
  public Decrypted decryptWithBudget(CompressedCiphertexts c) {
    return decryptWithBudget(c, 1);
  }

  /**
   * Decrypts and decodes compressed results, multiplies their slots by {@code plainFactor} mod t
   * (the factor {@link CompressedResults} carries; 1 for BFV) and measures their noise budget. One
   * host pass over the phase c0 + c1 s takes each coefficient's budget, rounds it to
   * round(t x / 2^bits) mod t and multiplies it by the factor (the decoding transform is linear, so
   * scaling coefficients scales slots); the backend's NTT modulo t then decodes the whole batch.
   * One host loop, fused (CRT, budget, rounding, factor): the owner decrypts once per batch, so its
   * loops run mostly before the JIT has compiled them, and each separate loop pays that again.
   *
   * @throws BfvException PARAMETER_MISMATCH for results made under other parameters,
   *     INVALID_ARGUMENT for a factor outside [1, t)
   */
  public Decrypted decryptWithBudget(CompressedCiphertexts c, long plainFactor) {
    if (!c.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext made under other parameters");
    }
    Modulus tm = params.plainModulus(c.plainIndex());
    long t = tm.value();
    if (plainFactor < 1 || plainFactor >= t) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "result factor " + plainFactor + "; expected a value in [1, " + t + ")");
    }
    int n = params.n();
    int count = c.count();
    int bits = c.bits();
    long[] v = c.valuesUnsafe();
    // The phase: c0 plus the product c1 s lifted from two primes by Garner's formula (crt), or
    // computed whole on the host.
    long[] product = productByNtt(c);
    boolean crt = product != null;
    long[] x = crt ? new long[count * n] : phaseOnHost(c);
    RnsBasis two = crt ? params.basisAt(2) : null;
    ResultRounding rounding = crt
        ? new ResultRounding(two.modulus(0).value(), two.modulus(1), tm, bits, plainFactor)
        : new ResultRounding(tm, bits, plainFactor);
    int[] budget = new int[count];
    java.util.stream.IntStream.range(0, count).parallel().forEach(k -> budget[k] = rounding.round(product, v, x, k, n));
    RnsBasis plainBasis = params.context(c.plainIndex(), 1).plainBasis;
    try (PolyBuffer m = backend.allocateUninitialized(plainBasis, count)) {
      backend.upload(x, m.all());
      backend.forwardNtt(m.all());
      backend.download(m.all(), x);
    }
    long[][] out = new long[count][];
    for (int k = 0; k < count; k++) {
      out[k] = java.util.Arrays.copyOfRange(x, k * n, (k + 1) * n);
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
    return decryptWithBudget(c).budgets();
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
