package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Moves public key material between host residue arrays (polynomial after polynomial, limb after
 * limb, over the full Q) and backend buffers, checking every residue on the way in, so a key read
 * from a file cannot carry an out-of-range value onto a device.
 *
 * <p>Stateless; thread-safe. Throws {@link BfvException} INVALID_ARGUMENT for a wrong length and
 * VALUE_OUT_OF_RANGE for a residue not below its prime.
 */
final class KeyResidues {
  private KeyResidues() {}

  static PolyBuffer upload(BfvParameters params, Backend backend, long[] residues, int polys) {
    RnsBasis q = params.coeffBasis();
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
    return buffer;
  }

  static long[] download(PolyBuffer buffer) {
    long[] host = new long[(int) buffer.all().hostLength()];
    buffer.backend().download(buffer.all(), host);
    return host;
  }

  /**
   * A new buffer over the first {@code level} primes holding the first {@code level} limbs of each
   * polynomial of {@code src} (over the full Q): key material restricted to a lower level. The
   * host copies are wiped, since the source may be the secret key.
   */
  static PolyBuffer prefix(BfvParameters params, Backend backend, org.cryptonets.engine.PolyRange src, int level) {
    RnsBasis full = params.coeffBasis();
    int n = params.n();
    int polys = src.count();
    long[] host = new long[polys * full.size() * n];
    backend.download(src, host);
    long[] cut = new long[polys * level * n];
    for (int p = 0; p < polys; p++) {
      System.arraycopy(host, p * full.size() * n, cut, p * level * n, level * n);
    }
    java.util.Arrays.fill(host, 0);
    PolyBuffer b = backend.allocate(params.basisAt(level), polys);
    backend.upload(cut, b.all());
    java.util.Arrays.fill(cut, 0);
    return b;
  }
}
