package org.cryptonets.bfv;

/**
 * Encrypted results for the trip back to the data owner, whichever scheme computed them: BFV
 * ciphertexts switched to a power-of-two modulus ({@link CompressedCiphertexts}, the same bytes for
 * both schemes) and one public factor g mod t. The owner decrypts the ciphertexts as BFV ({@link
 * Decryptor#decryptSlots(CompressedCiphertexts)}) and multiplies every slot by g ({@link
 * #recover}). BFV results have g = 1. BGV results are converted to BFV before compression, which
 * leaves the slots multiplied by k f (k = [-Q^-1]_t from the conversion at modulus Q, f the BGV
 * correction factor), so g = (k f)^-1 = [-Q f^-1]_t.
 *
 * <p>Immutable; thread-safe. Throws {@link BfvException} INVALID_ARGUMENT for a factor outside
 * [1, t) and PARAMETER_MISMATCH for slots of another count.
 */
public final class CompressedResults {
  private final Scheme scheme;
  private final CompressedCiphertexts ciphertexts;
  private final long plainFactor;

  private CompressedResults(Scheme scheme, CompressedCiphertexts ciphertexts, long plainFactor) {
    this.scheme = scheme;
    this.ciphertexts = ciphertexts;
    this.plainFactor = plainFactor;
  }

  /**
   * Results of {@code scheme} with the factor g the decrypted slots are multiplied by.
   *
   * @throws BfvException INVALID_ARGUMENT if g is not in [1, t), or is not 1 for BFV
   */
  public static CompressedResults of(Scheme scheme, CompressedCiphertexts ciphertexts, long plainFactor) {
    long t = ciphertexts.parameters().plainModulus(ciphertexts.plainIndex()).value();
    if (plainFactor < 1 || plainFactor >= t || scheme == Scheme.BFV && plainFactor != 1) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "result factor " + plainFactor + " for " + scheme + " results mod t = " + t
          + "; expected " + (scheme == Scheme.BFV ? "1" : "a value in [1, t)"));
    }
    return new CompressedResults(scheme, ciphertexts, plainFactor);
  }

  /** The scheme that computed the results (the ciphertexts themselves are BFV either way). */
  public Scheme scheme() {
    return scheme;
  }

  public CompressedCiphertexts ciphertexts() {
    return ciphertexts;
  }

  /** g in [1, t): decrypted slot values times g mod t are the results. */
  public long plainFactor() {
    return plainFactor;
  }

  public int plainIndex() {
    return ciphertexts.plainIndex();
  }

  public int count() {
    return ciphertexts.count();
  }

  /**
   * The results from the BFV decryption of {@link #ciphertexts()}: each slot times g mod t, in new
   * arrays.
   *
   * @throws BfvException PARAMETER_MISMATCH if {@code decrypted} does not hold one row per ciphertext
   */
  public long[][] recover(long[][] decrypted) {
    if (decrypted.length != ciphertexts.count()) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, decrypted.length + " decrypted rows for " + ciphertexts.count() + " result ciphertexts");
    }
    org.cryptonets.engine.Modulus t = ciphertexts.parameters().plainModulus(ciphertexts.plainIndex());
    long[][] out = new long[decrypted.length][];
    java.util.stream.IntStream.range(0, decrypted.length).parallel().forEach(k -> {
      out[k] = new long[decrypted[k].length];
      for (int j = 0; j < decrypted[k].length; j++) {
        out[k][j] = t.multiply(t.reduce(decrypted[k][j]), plainFactor);
      }
    });
    return out;
  }
}
