package org.cryptonets.net;

/**
 * Signals that a model file cannot be used: wrong magic, unsupported format version, truncated,
 * checksum mismatch, unexpected tensor layout or non-finite weights. The message says what was
 * expected and what was found.
 *
 * <p>Immutable and therefore thread-safe.
 */
public final class ModelFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with the given message. */
    public ModelFormatException(String message) {
        super(message);
    }

    /** Creates an exception with the given message and cause. */
    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
