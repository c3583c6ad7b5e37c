package org.cryptonets.bfv;

import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.NttTables;

/**
 * SIMD batching for one plaintext prime t = 1 mod 2n: n slot values mod t become one plaintext
 * polynomial whose evaluations at the n primitive 2n-th roots of unity are the slots, so ring
 * addition and multiplication act slot by slot. Slot i is the evaluation the NTT puts at index i.
 *
 * <p>Immutable; thread-safe.
 */
public final class BatchEncoder {
  private final BfvParameters params;
  private final int plainIndex;
  private final NttTables tables;

  public BatchEncoder(BfvParameters params, int plainIndex) {
    this.params = params;
    this.plainIndex = plainIndex;
    this.tables = new NttTables(params.plainModulus(plainIndex), params.n());
  }

  public int slotCount() {
    return params.n();
  }

  public Modulus plainModulus() {
    return tables.modulus();
  }

  /**
   * Encodes slot values; signed values are reduced mod t, so -1 and t - 1 are the same slot value.
   * Fewer than n values leave the remaining slots zero.
   *
   * @throws BfvException INVALID_ARGUMENT if more than n values are given
   */
  public Plaintext encode(long[] slots) {
    int n = params.n();
    if (slots.length > n) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, slots.length + " slot values; at most n = " + n + " fit one plaintext");
    }
    long[] a = new long[n];
    Modulus t = tables.modulus();
    for (int j = 0; j < slots.length; j++) {
      a[j] = t.reduce(slots[j]);
    }
    tables.inverse(a, 0);
    return new Plaintext(params, plainIndex, a);
  }

  /**
   * Encodes {@code count} plaintexts at once on {@code backend}: {@code slots[k * n + i]} is slot i
   * of plaintext k (signed values are reduced mod t). One batched inverse NTT modulo t on the
   * backend replaces {@code count} host transforms (the same tables, so the same coefficients as
   * {@link #encode}); measured 8 to 10 % of the owner's encryption when done on the host.
   *
   * @throws BfvException INVALID_ARGUMENT if {@code slots} does not hold count x n values
   */
  public Plaintext[] encodeAll(org.cryptonets.engine.Backend backend, long[] slots, int count) {
    int n = params.n();
    if (count < 1 || slots.length != (long) count * n) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, slots.length + " slot values for " + count + " plaintexts of n = " + n);
    }
    Modulus t = tables.modulus();
    long tv = t.value();
    Plaintext[] out = new Plaintext[count];
    // The slots are reduced straight into the backend's buffer, and each plaintext adopts its own
    // downloaded array: one copy of the coefficients instead of four (BENCHMARKS.md, "encoding").
    try (org.cryptonets.engine.PolyBuffer b = encodeOnBackend(backend, count, (k, target, offset) -> {
      for (int j = 0; j < n; j++) {
        long v = slots[k * n + j];
        target[offset + j] = v >= 0 && v < tv ? v : t.reduce(v);
      }
    })) {
      for (int k = 0; k < count; k++) {
        long[] a = new long[n];
        backend.download(b.range(k, 1), a);
        out[k] = new Plaintext(plainIndex, a);
      }
    }
    return out;
  }

  /**
   * Encodes {@code count} plaintexts on {@code backend} and leaves their coefficients there, over
   * the plaintext prime alone (for {@link BgvEncryptor#encryptEncoded}): {@code slots} writes all n
   * slot values of plaintext k, each in [0, t), at {@code target[offset..offset + n)}, and may be
   * called concurrently for different plaintexts. The caller closes the buffer.
   *
   * @throws BfvException INVALID_ARGUMENT for a count below 1
   * @throws org.cryptonets.engine.EngineException VALUE_OUT_OF_RANGE if a slot value is outside [0, t)
   */
  public org.cryptonets.engine.PolyBuffer encodeOnBackend(org.cryptonets.engine.Backend backend, int count, org.cryptonets.engine.ResidueWriter slots) {
    if (count < 1) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, count + " plaintexts to encode; expected at least 1");
    }
    org.cryptonets.engine.RnsBasis basis = params.context(plainIndex, 1).plainBasis;
    org.cryptonets.engine.PolyBuffer b = backend.allocateUninitialized(basis, count);
    try {
      backend.generate(b.all(), slots);
      backend.inverseNtt(b.all());
      return b;
    } catch (RuntimeException e) {
      b.close();
      throw e;
    }
  }

  /** The slot values in [0, t). */
  public long[] decode(Plaintext p) {
    if (p.plainIndex() != plainIndex) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "plaintext for modulus " + p.plainIndex() + " given to the encoder of " + plainIndex);
    }
    long[] a = p.coefficients();
    tables.forward(a, 0);
    return a;
  }
}
