package org.cryptonets.bfv;

import java.math.BigInteger;
import java.util.stream.IntStream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Size-2 ciphertexts switched from their RNS modulus Q to the power of two 2^bits, for the trip
 * back to the data owner: c_i' = round(2^bits c_i / Q) mod 2^bits. Modulus switching is the usual
 * BFV operation, here to a modulus outside the chain, chosen only as large as decryption needs
 * (a few bits above t), so each coefficient costs {@code bits} bits instead of log2 Q.
 *
 * <p>Decryption stays correct while the switched noise (the old noise scaled by 2^bits / Q plus the
 * rounding, about sqrt(n) for a ternary key) is below 2^bits / (2t); {@link
 * Decryptor#invariantNoiseBudget(CompressedCiphertexts)} measures what is left. The arithmetic
 * modulo 2^bits is plain wrapping {@code long} arithmetic, and the owner decrypts on the host.
 *
 * <p>Held in Java memory, values ciphertext after ciphertext as (c0, c1), each n coefficients in
 * [0, 2^bits). Immutable; thread-safe. The factories throw {@link BfvException} (INVALID_CIPHERTEXT,
 * INVALID_ARGUMENT, VALUE_OUT_OF_RANGE) for inputs they cannot represent.
 */
public final class CompressedCiphertexts {
  /** Largest modulus exponent: products with t (below 2^31) must be formed exactly in 128 bits. */
  public static final int MAX_BITS = 62;

  private final BfvParameters params;
  private final int plainIndex;
  private final int bits;
  private final int count;
  private final long[] values;

  private CompressedCiphertexts(BfvParameters params, int plainIndex, int bits, int count, long[] values) {
    this.params = params;
    this.plainIndex = plainIndex;
    this.bits = bits;
    this.count = count;
    this.values = values;
  }

  /** Smallest useful exponent for plaintext prime {@code plainIndex}: one bit above t. */
  public static int minBits(BfvParameters params, int plainIndex) {
    return params.plainModulus(plainIndex).bits() + 1;
  }

  /**
   * Switches a size-2 batch (either form, any level) to 2^bits. The batch is not modified.
   *
   * @throws BfvException PARAMETER_MISMATCH for a BGV batch, INVALID_CIPHERTEXT unless the batch has size 2 (relinearize first),
   *     INVALID_ARGUMENT if bits is outside [bits(t) + 1, 62]
   */
  public static CompressedCiphertexts compress(CiphertextBatch batch, int bits) {
    BfvParameters params = batch.parameters();
    if (batch.scheme() != Scheme.BFV) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "a " + batch.scheme() + " batch cannot be compressed as BFV; use BgvEvaluator.compressForReturn");
    }
    if (batch.size() != 2) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "only size-2 ciphertexts can be compressed; relinearize first (size " + batch.size() + ")");
    }
    checkBits(params, batch.plainIndex(), bits);
    RnsBasis basis = params.basisAt(batch.level());
    int n = params.n();
    int l = basis.size();
    int polys = 2 * batch.count();
    long[] host = new long[polys * l * n];
    Backend backend = batch.buffer().backend();
    if (batch.isNttForm()) {
      try (PolyBuffer copy = backend.allocate(basis, polys)) {
        backend.copy(batch.buffer().all(), copy.all());
        backend.inverseNtt(copy.all());
        backend.download(copy.all(), host);
      }
    } else {
      backend.download(batch.buffer().all(), host);
    }
    long[] out = new long[polys * n];
    if (PowerOfTwoRounding.supports(basis, bits)) {
      PowerOfTwoRounding rounding = new PowerOfTwoRounding(basis, bits);
      IntStream.range(0, polys).parallel().forEach(p -> {
        int b0 = p * l * n;
        for (int j = 0; j < n; j++) {
          long x = rounding.compose(host[b0 + j], l == 2 ? host[b0 + n + j] : 0);
          out[p * n + j] = rounding.round(x);
        }
      });
      return new CompressedCiphertexts(params, batch.plainIndex(), bits, batch.count(), out);
    }
    BigInteger q = basis.product();
    BigInteger half = q.shiftRight(1);
    long mask = (1L << bits) - 1;
    IntStream.range(0, polys).parallel().forEach(p -> {
      long[] residues = new long[l];
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < l; i++) {
          residues[i] = host[(p * l + i) * n + j];
        }
        // round(2^bits x / Q) for x in [0, Q); the result may be 2^bits itself, which is 0 mod 2^bits.
        BigInteger x = basis.compose(residues);
        out[p * n + j] = x.shiftLeft(bits).add(half).divide(q).longValue() & mask;
      }
    });
    return new CompressedCiphertexts(params, batch.plainIndex(), bits, batch.count(), out);
  }

  /**
   * Wraps values read back from storage, in the layout {@link #values()} returns.
   *
   * @throws BfvException INVALID_ARGUMENT for a wrong length, count or exponent,
   *     VALUE_OUT_OF_RANGE for a value outside [0, 2^bits)
   */
  public static CompressedCiphertexts of(BfvParameters params, int plainIndex, int bits, int count, long[] values) {
    checkBits(params, plainIndex, bits);
    if (count < 1 || values.length != 2L * count * params.n()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, values.length + " values for " + count + " ciphertexts; expected 2 n per ciphertext");
    }
    for (int k = 0; k < values.length; k++) {
      if (values[k] < 0 || values[k] >>> bits != 0) {
        throw new BfvException(BfvException.ErrorCode.VALUE_OUT_OF_RANGE, "value " + k + " = " + values[k] + " is not in [0, 2^" + bits + ")");
      }
    }
    return new CompressedCiphertexts(params, plainIndex, bits, count, values.clone());
  }

  private static void checkBits(BfvParameters params, int plainIndex, int bits) {
    int min = minBits(params, plainIndex);
    if (bits < min || bits > MAX_BITS) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "modulus 2^" + bits + " for plaintext prime " + params.plainModulus(plainIndex).value()
          + "; expected an exponent from " + min + " to " + MAX_BITS);
    }
  }

  public BfvParameters parameters() {
    return params;
  }

  public int plainIndex() {
    return plainIndex;
  }

  /** The exponent of the modulus 2^bits. */
  public int bits() {
    return bits;
  }

  public int count() {
    return count;
  }

  /** A copy of the values: ciphertext k's c0 at [2kn, 2kn + n), its c1 at [2kn + n, 2kn + 2n). */
  public long[] values() {
    return values.clone();
  }

  long[] valuesUnsafe() {
    return values;
  }

  /** What the ciphertexts cost to send: 2 n values of {@code bits} bits each. */
  public long serializedBits() {
    return 2L * count * params.n() * bits;
  }
}
