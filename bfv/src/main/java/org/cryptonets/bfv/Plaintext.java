package org.cryptonets.bfv;

/**
 * A BFV plaintext: a polynomial with coefficients in [0, t) for one of the parameter set's plaintext
 * primes, identified by its index. Produced by {@link BatchEncoder}.
 *
 * <p>Immutable (the coefficient array is copied in and out); thread-safe.
 */
public final class Plaintext {
  private final int plainIndex;
  private final long[] coefficients;

  /**
   * @throws BfvException VALUE_OUT_OF_RANGE if a coefficient is outside [0, t)
   */
  public Plaintext(BfvParameters params, int plainIndex, long[] coefficients) {
    long t = params.plainModulus(plainIndex).value();
    if (coefficients.length != params.n()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, coefficients.length + " coefficients; expected n = " + params.n());
    }
    for (int j = 0; j < coefficients.length; j++) {
      if (coefficients[j] < 0 || coefficients[j] >= t) {
        throw new BfvException(BfvException.ErrorCode.VALUE_OUT_OF_RANGE, "coefficient " + j + " = " + coefficients[j] + " is outside [0, " + t + ")");
      }
    }
    this.plainIndex = plainIndex;
    this.coefficients = coefficients.clone();
  }

  /** Adopts {@code coefficients} without a copy or a check: residues in [0, t) the caller made. */
  Plaintext(int plainIndex, long[] coefficients) {
    this.plainIndex = plainIndex;
    this.coefficients = coefficients;
  }

  public int plainIndex() {
    return plainIndex;
  }

  public long[] coefficients() {
    return coefficients.clone();
  }

  long[] coefficientsUnsafe() {
    return coefficients;
  }
}
