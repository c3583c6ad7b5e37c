package org.cryptonets.data;

/**
 * Signals that an MNIST file is missing, truncated, corrupted or not the file it claims to be.
 *
 * <p>The message always names the offending file and states what was expected and what was found,
 * because the usual remedy (re-download, point {@code --data} elsewhere) depends on which file is
 * wrong. Instances are immutable and therefore thread-safe.
 */
public final class DatasetFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with the given message. */
    public DatasetFormatException(String message) {
        super(message);
    }

    /** Creates an exception with the given message and underlying cause (usually an I/O error). */
    public DatasetFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
