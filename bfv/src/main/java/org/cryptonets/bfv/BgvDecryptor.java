package org.cryptonets.bfv;

import java.math.BigInteger;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Decrypts BGV batches with the secret key: the phase x = [c0 + c1 s (+ c2 s^2)]_Q, centred, on the
 * backend in NTT form, then on the host m = [x]_t f^-1 mod t (f the batch's correction factor) by an
 * exact CRT: with y_i = [x_i (Q/q_i)^-1]_{q_i}, x = sum_i y_i Q/q_i - v Q where v = round(sum_i
 * y_i / q_i), so x mod t needs only v, which a double estimate gives exactly while |x| &lt; Q/4.
 *
 * <p>Noise budget (SEAL's definition for BGV): bits(Q) - bits(max |x|) - 1 per ciphertext. A
 * ciphertext with no budget left (|x| &gt;= 2^(bits(Q) - 2), at least Q/4) is refused by the
 * decryption methods with {@link BfvException} INVALID_CIPHERTEXT, never decrypted to wrong
 * values: a phase that wrapped around Q looks uniform, and n uniform coefficients all below Q/4 in
 * magnitude happen with probability 2^-n.
 *
 * <p>Compressed results ({@link CompressedResults}) are BFV ciphertexts: they decrypt with the BFV
 * {@link Decryptor} and the results' factor.
 *
 * <p>Thread-safe for concurrent calls on different batches. Throws {@link BfvException}
 * PARAMETER_MISMATCH for BFV batches or other parameters, INVALID_CIPHERTEXT for sizes other than 2
 * or 3, an unset correction factor or an exhausted noise budget.
 */
public final class BgvDecryptor implements AutoCloseable {
  private final BfvParameters params;
  private final Backend backend;
  private final SecretKey key;
  private final Decryptor bfv;
  private final ConcurrentHashMap<Integer, PolyBuffer> keyAtLevel = new ConcurrentHashMap<>();

  public BgvDecryptor(BfvParameters params, Backend backend, SecretKey key) {
    if (!key.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "secret key made under other parameters");
    }
    this.params = params;
    this.backend = backend;
    this.key = key;
    this.bfv = new Decryptor(params, backend, key);
  }

  private PolyBuffer powers(int level) {
    if (level == params.maxLevel()) {
      return key.powers();
    }
    return keyAtLevel.computeIfAbsent(level, l -> KeyResidues.prefix(params, backend, key.powers().all(), l));
  }

  private void check(CiphertextBatch batch) {
    if (batch.scheme() != Scheme.BGV) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "the BGV decryptor was given a " + batch.scheme() + " ciphertext: " + batch);
    }
    if (!batch.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "ciphertext made under other parameters");
    }
    if (batch.size() < 2 || batch.size() > 3) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "ciphertext size " + batch.size() + "; expected 2 or 3");
    }
    if (batch.correctionFactor() == CiphertextBatch.FACTOR_UNSET) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "batch " + batch + " was allocated but never written");
    }
  }

  /** The phase in coefficient form over the batch's level, one polynomial per ciphertext, on the host. */
  private long[] phase(CiphertextBatch batch) {
    check(batch);
    RnsBasis basis = params.basisAt(batch.level());
    int count = batch.count();
    int size = batch.size();
    PolyBuffer s = powers(batch.level());
    long[] host = new long[count * basis.size() * params.n()];
    try (PolyBuffer x = backend.allocate(basis, count); PolyBuffer tmp = backend.allocate(basis, count)) {
      backend.multiplyBroadcast(batch.component(1), s.range(0, 1), x.all());
      backend.add(x.all(), batch.component(0), x.all());
      if (size == 3) {
        backend.multiplyBroadcast(batch.component(2), s.range(1, 1), tmp.all());
        backend.add(x.all(), tmp.all(), x.all());
      }
      backend.inverseNtt(x.all());
      backend.download(x.all(), host);
    }
    return host;
  }

  /**
   * The plaintext polynomials' coefficients [x]_t f^-1 of every ciphertext, {@code result[k][j]}.
   *
   * @throws BfvException INVALID_CIPHERTEXT if a ciphertext's noise budget is exhausted
   */
  private long[][] decryptCoefficients(CiphertextBatch batch) {
    long[] host = phase(batch);
    RnsBasis basis = params.basisAt(batch.level());
    Modulus t = params.plainModulus(batch.plainIndex());
    long tv = t.value();
    int n = params.n();
    int l = basis.size();
    int count = batch.count();
    long[] inverse = new long[l];
    long[] puncturedModT = new long[l];
    double[] reciprocal = new double[l];
    for (int i = 0; i < l; i++) {
      inverse[i] = basis.puncturedInverse(i);
      puncturedModT[i] = basis.punctured(i).mod(BigInteger.valueOf(tv)).longValueExact();
      reciprocal[i] = 1.0 / basis.modulus(i).value();
    }
    long qModT = basis.product().mod(BigInteger.valueOf(tv)).longValueExact();
    // |x| >= 2^(bits(Q) - 2) leaves no budget; the margin covers the double estimate's error.
    double limit = Math.scalb(1.0, basis.productBits() - 2) / basis.product().doubleValue() - 1e-9;
    long factorInverse = t.inverse(batch.correctionFactor());
    long[][] out = new long[count][n];
    java.util.stream.IntStream.range(0, count).parallel().forEach(k -> {
      double worst = 0;
      for (int j = 0; j < n; j++) {
        double f = 0;
        long acc = 0;
        for (int i = 0; i < l; i++) {
          Modulus qi = basis.modulus(i);
          long y = qi.multiply(host[(k * l + i) * n + j], inverse[i]);
          f += y * reciprocal[i];
          acc = (acc + (y % tv) * puncturedModT[i]) % tv;
        }
        double v = Math.rint(f);
        worst = Math.max(worst, Math.abs(f - v));
        long m = Math.floorMod(acc - ((long) v % tv) * qModT, tv);
        out[k][j] = t.multiply(m, factorInverse);
      }
      if (worst >= limit) {
        throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "ciphertext " + k + " of " + batch + " has no noise budget left (|phase| ~ "
            + String.format("%.3f", worst) + " Q); it cannot be decrypted correctly");
      }
    });
    return out;
  }

  /**
   * The slot values of every ciphertext, in [0, t): {@code result[k][slot]}.
   *
   * @throws BfvException INVALID_CIPHERTEXT if a ciphertext's noise budget is exhausted
   */
  public long[][] decryptSlots(CiphertextBatch batch) {
    long[][] m = decryptCoefficients(batch);
    BatchEncoder encoder = new BatchEncoder(params, batch.plainIndex());
    long[][] out = new long[m.length][];
    for (int k = 0; k < m.length; k++) {
      out[k] = encoder.decode(new Plaintext(params, batch.plainIndex(), m[k]));
    }
    return out;
  }

  /**
   * The plaintext polynomials.
   *
   * @throws BfvException INVALID_CIPHERTEXT if a ciphertext's noise budget is exhausted
   */
  public Plaintext[] decrypt(CiphertextBatch batch) {
    long[][] m = decryptCoefficients(batch);
    Plaintext[] out = new Plaintext[m.length];
    for (int k = 0; k < m.length; k++) {
      out[k] = new Plaintext(params, batch.plainIndex(), m[k]);
    }
    return out;
  }

  /**
   * SEAL's BGV noise budget of each ciphertext in bits: bits(Q) - bits(max |[c0 + c1 s]_Q|) - 1,
   * exact (BigInteger CRT). Decryption is correct while it is positive; 0 means exhausted.
   */
  public int[] noiseBudget(CiphertextBatch batch) {
    long[] host = phase(batch);
    RnsBasis basis = params.basisAt(batch.level());
    int n = params.n();
    int l = basis.size();
    int count = batch.count();
    int[] budget = new int[count];
    java.util.stream.IntStream.range(0, count).parallel().forEach(k -> {
      long[] residues = new long[l];
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
    });
    return budget;
  }

  /** The results of every compressed ciphertext, in [0, t): BFV decryption times the results' factor. */
  public long[][] decryptSlots(CompressedResults results) {
    return bfv.decryptWithBudget(results.ciphertexts(), results.plainFactor()).slots();
  }

  /** The BFV invariant noise budget of the compressed ciphertexts (see {@link Decryptor}). */
  public int[] noiseBudget(CompressedResults results) {
    return bfv.invariantNoiseBudget(results.ciphertexts());
  }

  /** Overwrites and releases the key copies made for lower levels. */
  @Override
  public void close() {
    for (PolyBuffer b : keyAtLevel.values()) {
      backend.upload(new long[(int) b.all().hostLength()], b.all());
      b.close();
    }
    keyAtLevel.clear();
  }
}
