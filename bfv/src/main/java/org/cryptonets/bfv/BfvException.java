package org.cryptonets.bfv;

/**
 * The one exception type of the BFV layer. Each instance carries an {@link ErrorCode}, so callers can
 * react to the kind of failure and tests can check it without parsing text; the message says what
 * was wrong and what was expected.
 *
 * <p>Immutable; thread-safe.
 */
public final class BfvException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kinds of failure. */
  public enum ErrorCode {
    /** n is not a power of two in the supported range. */
    INVALID_RING_DEGREE,
    /** A ciphertext prime is not prime, not 1 mod 2n, repeated, or of an unsupported size. */
    INVALID_COEFF_MODULUS,
    /** A plaintext prime is not prime, not 1 mod 2n (needed for batching), or clashes with Q. */
    INVALID_PLAIN_MODULUS,
    /** The parameters are below 128-bit security by the HomomorphicEncryption.org standard. */
    INSECURE_PARAMETERS,
    /** Not enough auxiliary primes exist for ciphertext multiplication at these sizes. */
    AUXILIARY_BASIS_UNAVAILABLE,
    /** Objects made under different parameters, plaintext moduli, levels or backends were combined. */
    PARAMETER_MISMATCH,
    /** A ciphertext of the wrong size, level or form for the operation. */
    INVALID_CIPHERTEXT,
    /** A slot value or plaintext coefficient outside its range. */
    VALUE_OUT_OF_RANGE,
    /** Any other argument outside its documented domain. */
    INVALID_ARGUMENT
  }

  private final ErrorCode code;

  public BfvException(ErrorCode code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
