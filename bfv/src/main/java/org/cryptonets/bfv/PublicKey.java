package org.cryptonets.bfv;

import org.cryptonets.engine.PolyBuffer;

/**
 * The BFV public key (pk0, pk1) = (-(a s + e), a) in NTT form over Q.
 *
 * <p>Immutable after creation; thread-safe for concurrent encryptions.
 */
public final class PublicKey implements AutoCloseable {
  private final BfvParameters params;
  private final PolyBuffer buffer;

  PublicKey(BfvParameters params, PolyBuffer buffer) {
    this.params = params;
    this.buffer = buffer;
  }

  public BfvParameters parameters() {
    return params;
  }

  /**
   * Rebuilds the key on {@code backend} from its residues in NTT form over the full Q, in the order
   * {@link #residues()} gives them: 2 polynomials (pk0, pk1), each limb after limb. This is how a key read
   * from a file becomes usable.
   *
   * @throws BfvException INVALID_ARGUMENT if the array length is wrong, VALUE_OUT_OF_RANGE if a
   *     residue is not below its prime
   */
  public static PublicKey fromResidues(BfvParameters params, org.cryptonets.engine.Backend backend, long[] residues) {
    return new PublicKey(params, KeyResidues.upload(params, backend, residues, 2));
  }

  /** The residues in NTT form, downloaded from the backend (the layout {@link #fromResidues} takes). */
  public long[] residues() {
    return KeyResidues.download(buffer);
  }

  PolyBuffer buffer() {
    return buffer;
  }

  @Override
  public void close() {
    buffer.close();
  }
}
