package org.cryptonets.onnx;

/**
 * Internal: a reason to refuse a model, without the file's name, which {@link OnnxImporter} adds
 * when it turns this into an {@link OnnxImportException}.
 */
final class ImportFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ImportFailure(String message) {
        super(message);
    }

    ImportFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
