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
    int polys = 2;
    org.cryptonets.engine.RnsBasis q = params.coeffBasis();
    int n = params.n();
    if (residues.length != (long) polys * q.size() * n) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, residues.length + " residues; expected " + polys + " polynomials of " + q.size() + " x " + n);
    }
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < q.size(); i++) {
        long qi = q.modulus(i).value();
        int base = (p * q.size() + i) * n;
        for (int j = 0; j < n; j++) {
          if (residues[base + j] < 0 || residues[base + j] >= qi) {
            throw new BfvException(BfvException.ErrorCode.VALUE_OUT_OF_RANGE, "polynomial " + p + ", limb " + i + ", coefficient " + j + ": " + residues[base + j]
                + " is not in [0, " + qi + ")");
          }
        }
      }
    }
    PolyBuffer buffer = backend.allocate(q, polys);
    backend.upload(residues, buffer.all());
    return new PublicKey(params, buffer);
  }

  /** The residues in NTT form, downloaded from the backend (the layout {@link #fromResidues} takes). */
  public long[] residues() {
    long[] host = new long[(int) buffer.all().hostLength()];
    buffer.backend().download(buffer.all(), host);
    return host;
  }

  PolyBuffer buffer() {
    return buffer;
  }

  @Override
  public void close() {
    buffer.close();
  }
}
