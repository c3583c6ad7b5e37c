package org.cryptonets.bfv;

import java.util.List;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;

/**
 * Where an encryptor ({@link Encryptor}, {@link BgvEncryptor}) reads the coefficients of the
 * plaintexts it encrypts, a chunk at a time: {@link Plaintext} objects, or polynomials that {@link
 * BatchEncoder#encodeOnBackend} left on the backend. The factories check what both encryptors
 * accept. Implementations hold no state of their own; thread safety is that of the plaintexts or
 * the backend read.
 */
interface MessageSource {
  /** Writes the coefficients (in [0, t)) of plaintexts [first, first + count) to m[k * n + j]. */
  void fill(int first, int count, long[] m);

  /**
   * The plaintext prime shared by {@code plaintexts}, for encryption at {@code level}.
   *
   * @throws BfvException INVALID_ARGUMENT for no plaintexts or a level outside [1, top],
   *     PARAMETER_MISMATCH for plaintexts of different plaintext primes
   */
  static int plainIndexOf(BfvParameters params, List<Plaintext> plaintexts, int level) {
    params.checkLevel(level);
    if (plaintexts.isEmpty()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "nothing to encrypt");
    }
    int plainIndex = plaintexts.get(0).plainIndex();
    for (Plaintext p : plaintexts) {
      if (p.plainIndex() != plainIndex) {
        throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "plaintexts of plaintext primes " + plainIndex + " and " + p.plainIndex() + " in one batch");
      }
    }
    return plainIndex;
  }

  /** The coefficients of Plaintext objects (checked by {@link #plainIndexOf}). */
  static MessageSource of(List<Plaintext> plaintexts, int n) {
    return (first, count, m) -> {
      for (int k = 0; k < count; k++) {
        System.arraycopy(plaintexts.get(first + k).coefficientsUnsafe(), 0, m, k * n, n);
      }
    };
  }

  /**
   * Polynomials on the backend in coefficient form over plaintext prime {@code plainIndex} alone,
   * for encryption at {@code level}; they reach the host a chunk at a time.
   *
   * @throws BfvException INVALID_ARGUMENT for an empty range, a range over another basis than the
   *     plaintext prime's, or a level outside [1, top]
   */
  static MessageSource encoded(BfvParameters params, Backend backend, PolyRange plaintexts, int plainIndex, int level) {
    params.checkLevel(level);
    RnsBasis plainBasis = params.context(plainIndex, 1).plainBasis;
    if (plaintexts.count() == 0 || !plaintexts.basis().equals(plainBasis)) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "encoded plaintexts: got " + plaintexts
          + "; expected a non-empty run over plaintext prime " + plainIndex + " alone (t = " + params.plainModulus(plainIndex).value() + ", as BatchEncoder.encodeOnBackend makes them)");
    }
    return (first, count, m) -> backend.download(plaintexts.sub(first, count), m);
  }
}
