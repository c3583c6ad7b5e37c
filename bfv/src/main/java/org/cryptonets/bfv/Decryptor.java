package org.cryptonets.bfv;

import java.math.BigInteger;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.Backend;
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
    return keyAtLevel.computeIfAbsent(level, l -> {
      RnsBasis full = params.coeffBasis();
      int n = params.n();
      long[] host = new long[2 * full.size() * n];
      backend.download(key.powers().all(), host);
      long[] cut = new long[2 * l * n];
      System.arraycopy(host, 0, cut, 0, l * n);
      System.arraycopy(host, full.size() * n, cut, l * n, l * n);
      java.util.Arrays.fill(host, 0);
      PolyBuffer b = backend.allocate(params.basisAt(l), 2);
      backend.upload(cut, b.all());
      java.util.Arrays.fill(cut, 0);
      return b;
    });
  }

  /** c0 + c1 s + c2 s^2 in coefficient form over the batch's level, one polynomial per ciphertext. */
  private PolyBuffer phase(CiphertextBatch batch) {
    if (!batch.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext made under other parameters");
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
