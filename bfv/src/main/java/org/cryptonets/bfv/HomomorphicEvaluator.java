package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.IntMatrix;

/**
 * The operations a CryptoNet evaluation needs, for either scheme: {@link Evaluator} (BFV, HPS
 * multiplication, results in coefficient form) and {@link BgvEvaluator} (BGV, everything in NTT
 * form). One evaluation code path runs on both; it sees only batches, plain weights, biases, the
 * relinearization keys and levels, never a secret key.
 *
 * <p>Contract shared by both implementations: operations return new batches (the caller closes
 * them) unless named "Into" or "InPlace"; every batch must be of the evaluator's {@link #scheme()}
 * and parameters and live on its backend, else {@link BfvException} PARAMETER_MISMATCH; sizes
 * that the operation cannot take give INVALID_CIPHERTEXT; shapes that do not fit give
 * INVALID_ARGUMENT. Implementations are thread-safe for calls on different batches.
 */
public interface HomomorphicEvaluator extends AutoCloseable {
  /** The scheme of the batches this evaluator takes and makes. */
  Scheme scheme();

  BfvParameters parameters();

  Backend backend();

  /**
   * An uninitialised batch to fill with {@link #copyInto}, {@link #multiplyAccumulateInto} or
   * {@link #squareInto}. {@code nttForm} is the form it starts in where the scheme has a choice
   * (BFV); BGV batches are always in NTT form and ignore it. Fill every ciphertext before reading
   * any: the residues of a ciphertext not written yet are unspecified (BGV does not clear the
   * memory first).
   */
  CiphertextBatch allocate(int plainIndex, int level, int size, int count, boolean nttForm);

  /** Copies every ciphertext of {@code src} into {@code dst} starting at ciphertext {@code dstFirst}. */
  void copyInto(CiphertextBatch src, CiphertextBatch dst, int dstFirst);

  /** The plain-weight linear layer: output ciphertext r = sum_k w[r][k] input ciphertext k (any size). */
  CiphertextBatch multiplyAccumulate(IntMatrix w, CiphertextBatch in);

  /** The linear layer written into an existing batch of w.rows() ciphertexts of in's size and level. */
  void multiplyAccumulateInto(IntMatrix w, CiphertextBatch in, CiphertextBatch out);

  /** Adds {@code constants[k]} (signed, taken mod t) to every slot of ciphertext k: a layer's bias. */
  void addPlainConstantsInPlace(CiphertextBatch a, long[] constants);

  /** a^2 of size-2 ciphertexts: size 3 at a's level. */
  CiphertextBatch square(CiphertextBatch a);

  /** a^2 switched down to {@code level} (at most a's). */
  CiphertextBatch square(CiphertextBatch a, int level);

  /**
   * Squares {@code a} into ciphertexts [outFirst, outFirst + a.count()) of {@code out} (size 3, as
   * {@link #allocate} made it), switched to out's level (at most a's).
   */
  void squareInto(CiphertextBatch a, CiphertextBatch out, int outFirst);

  /**
   * A linear layer, its bias and the square in one step: ciphertext r of {@code out} (size 3,
   * {@code w.rows()} ciphertexts, as {@link #allocate} made it) receives (sum_k w[r][k] in[k] +
   * bias[r])^2, switched to out's level (at most in's). {@code in} holds size-2 ciphertexts.
   *
   * <p>The default runs {@link #multiplyAccumulateInto}, {@link #addPlainConstantsInPlace} and
   * {@link #squareInto} on {@value org.cryptonets.engine.Backend#LINEAR_SQUARE_ROWS} rows at a time,
   * so the layer's output is never held whole. BGV, squaring at the input's level, hands the whole
   * step to the backend ({@code Backend.multiplyAccumulateSquare}), which may fuse it.
   *
   * @throws BfvException INVALID_ARGUMENT if the shapes or the number of biases do not fit, and as
   *     the three operations throw
   */
  default void multiplyAccumulateSquareInto(IntMatrix w, CiphertextBatch in, long[] bias, CiphertextBatch out) {
    if (bias.length != w.rows() || w.rows() != out.count()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT,
          "a " + w.rows() + " x " + w.columns() + " layer with " + bias.length + " biases cannot be squared into " + out + "; expected "
              + w.rows() + " of each");
    }
    int step = Math.min(Backend.LINEAR_SQUARE_ROWS, w.rows());
    CiphertextBatch part = null;
    try {
      for (int r0 = 0; r0 < w.rows(); r0 += step) {
        int r1 = Math.min(w.rows(), r0 + step);
        if (part == null || part.count() != r1 - r0) {
          if (part != null) {
            part.close();
          }
          part = allocate(in.plainIndex(), in.level(), in.size(), r1 - r0, in.isNttForm());
        }
        multiplyAccumulateInto(w.rows(r0, r1), in, part);
        addPlainConstantsInPlace(part, java.util.Arrays.copyOfRange(bias, r0, r1));
        squareInto(part, out, r0);
      }
    } finally {
      if (part != null) {
        part.close();
      }
    }
  }

  /** Size 3 to size 2 with the scheme's relinearization keys. */
  CiphertextBatch relinearize(CiphertextBatch a, RelinearizationKeys keys);

  /** Switches down to {@code level}; a copy if a is already there. */
  CiphertextBatch modSwitchTo(CiphertextBatch a, int level);

  /**
   * Size-2 results switched to the power-of-two modulus 2^bits for the trip back, with the factor
   * the owner applies to the decrypted slots (see {@link CompressedResults}). a is not modified.
   */
  CompressedResults compressForReturn(CiphertextBatch a, int bits);

  /** Releases cached scratch buffers. */
  @Override
  void close();
}
