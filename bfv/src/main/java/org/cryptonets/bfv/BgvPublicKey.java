package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;

/**
 * The BGV public key: for each plaintext prime t_j the pair (pk0, pk1) = (-(a_j s) + t_j e_j, a_j)
 * in NTT form over the full Q; made by {@link KeyGenerator#createBgvPublicKey()}. Restricted to the
 * first primes it serves every level.
 *
 * <p>Immutable after creation; thread-safe for concurrent encryptions.
 */
public final class BgvPublicKey implements AutoCloseable {
  private final BfvParameters params;
  private final PolyBuffer buffer;

  BgvPublicKey(BfvParameters params, PolyBuffer buffer) {
    this.params = params;
    this.buffer = buffer;
  }

  public BfvParameters parameters() {
    return params;
  }

  /**
   * Rebuilds the key on {@code backend} from its residues in NTT form over the full Q in the order
   * {@link #residues()} gives them: 2 k polynomials (pk0, pk1 for t_0, then for t_1, ...), each limb
   * after limb.
   *
   * @throws BfvException INVALID_ARGUMENT if the array length is wrong, VALUE_OUT_OF_RANGE if a
   *     residue is not below its prime
   */
  public static BgvPublicKey fromResidues(BfvParameters params, Backend backend, long[] residues) {
    return new BgvPublicKey(params, KeyResidues.upload(params, backend, residues, 2 * params.plainModuli().size()));
  }

  /** The residues in NTT form, downloaded from the backend (the layout {@link #fromResidues} takes). */
  public long[] residues() {
    return KeyResidues.download(buffer);
  }

  /** (pk0, pk1) for plaintext prime {@code plainIndex}. */
  PolyRange pair(int plainIndex) {
    params.checkPlainIndex(plainIndex);
    return buffer.range(2 * plainIndex, 2);
  }

  PolyBuffer buffer() {
    return buffer;
  }

  @Override
  public void close() {
    buffer.close();
  }
}
