package org.cryptonets.onnx;

/**
 * A model file that cannot be imported: unreadable, malformed, too large, or using a construct a
 * CryptoNet cannot evaluate. The message names the file and, where one is at fault, the ONNX
 * node (its name and operator) and what a CryptoNet uses instead.
 *
 * <p>Unchecked, immutable and thread-safe.
 */
public final class OnnxImportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error with a complete message (it starts with the file's name). */
    public OnnxImportException(String message) {
        super(message);
    }

    /** An error caused by {@code cause}, with a complete message (it starts with the file's name). */
    public OnnxImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
