package org.cryptonets.engine;

/**
 * The one exception the engine layer throws for misuse it can detect: a bad modulus, a buffer of
 * the wrong shape, an unknown backend. Each instance carries a {@link Code} so callers and tests can
 * tell failures apart without parsing messages.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class EngineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Code {
    /** A modulus is not prime, too large for the backend word, or not NTT-friendly for the ring. */
    INVALID_MODULUS,
    /** The ring degree is not a supported power of two. */
    INVALID_RING_DEGREE,
    /** Buffers or ranges disagree in basis, length or position. */
    SHAPE_MISMATCH,
    /** A host array holds a value outside [0, q_i). */
    VALUE_OUT_OF_RANGE,
    /** The requested backend does not exist or cannot run on this machine. */
    BACKEND_UNAVAILABLE,
    /** A buffer was used after close or with another backend. */
    BUFFER_INVALID,
    /** The backend device failed (driver error, kernel build failure). */
    DEVICE_FAILURE,
    /** An argument outside the documented domain. */
    INVALID_ARGUMENT
  }

  private final Code code;

  public EngineException(Code code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public EngineException(Code code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
