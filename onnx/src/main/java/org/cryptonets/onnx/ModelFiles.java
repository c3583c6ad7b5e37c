package org.cryptonets.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import org.cryptonets.net.CryptoNetModel;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.ModelFormatException;
import org.cryptonets.net.NetworkFile;

/**
 * Opens any model file the project reads, by its content: an ONNX model (protobuf, or any file
 * named {@code .onnx}) through {@link OnnxImporter}, or a file written by {@code train} (magic
 * {@code CNETMODL}) through {@link CryptoNetModel}. Either way the result is the unfolded
 * {@link FloatNetwork}; call {@link FloatNetwork#fold()} for the prediction form.
 *
 * <p>Stateless and thread-safe. Every method throws {@link OnnxImportException} (unchecked) for a
 * missing, unreadable, empty, oversized or unrecognized file and for an invalid model, with a
 * message that names the file and says what was expected.
 */
public final class ModelFiles {
    /** What every "wrong file" message says was expected. */
    static final String EXPECTED = "expected .onnx (ONNX) or a model file written by `train`";

    private ModelFiles() {
    }

    /**
     * Reads a model file of either format.
     *
     * @throws OnnxImportException for a missing file, a folder, an empty or oversized file, an
     *     unknown format or an invalid model
     */
    public static FloatNetwork load(Path file) {
        String name = String.valueOf(file);
        byte[] head = new byte[8];
        int read;
        try {
            if (Files.isDirectory(file)) {
                throw new OnnxImportException(name + ": is a folder: " + EXPECTED);
            }
            long size = Files.size(file);
            if (size == 0) {
                throw new OnnxImportException(name + ": the file is empty: " + EXPECTED);
            }
            if (size > OnnxImporter.MAX_FILE_BYTES) {
                throw new OnnxImportException(name + ": " + size + " bytes, above the limit of "
                        + OnnxImporter.MAX_FILE_BYTES + " bytes for a model file");
            }
            try (InputStream in = Files.newInputStream(file)) {
                read = in.readNBytes(head, 0, head.length);
            }
        } catch (NoSuchFileException e) {
            throw new OnnxImportException(name + ": no such file: " + EXPECTED, e);
        } catch (IOException e) {
            throw new OnnxImportException(name + ": cannot read the file (" + e + "): " + EXPECTED, e);
        }
        if (read == head.length
                && Arrays.equals(head, CryptoNetModel.MAGIC.getBytes(StandardCharsets.US_ASCII))) {
            try {
                return CryptoNetModel.load(file).toFloatNetwork();
            } catch (ModelFormatException e) {
                throw new OnnxImportException(e.getMessage(), e);
            }
        }
        if (read == head.length
                && Arrays.equals(head, NetworkFile.MAGIC.getBytes(StandardCharsets.US_ASCII))) {
            try {
                return NetworkFile.load(file).network();
            } catch (ModelFormatException e) {
                throw new OnnxImportException(e.getMessage(), e);
            }
        }
        if (name.toLowerCase(Locale.ROOT).endsWith(".onnx") || looksLikeOnnx(head, read)) {
            return OnnxImporter.load(file);
        }
        throw new OnnxImportException(name + ": unknown format (neither ONNX nor magic \"" + CryptoNetModel.MAGIC
                + "\" or \"" + NetworkFile.MAGIC + "\"): " + EXPECTED);
    }

    /**
     * Whether a file starts as serialized ONNX models do: field 1 of ModelProto (ir_version, a
     * small varint), which every protobuf writer puts first.
     */
    static boolean looksLikeOnnx(byte[] head, int length) {
        return length >= 2 && head[0] == 0x08 && head[1] >= 1 && head[1] <= 0x7F;
    }

    /**
     * The SHA-256 of the file's bytes, as 64 lower-case hex digits.
     *
     * @throws OnnxImportException if the file is missing, a folder or unreadable
     */
    public static String sha256(Path file) {
        String name = String.valueOf(file);
        if (Files.isDirectory(file)) {
            throw new OnnxImportException(name + ": is a folder: expected a file");
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (NoSuchFileException e) {
            throw new OnnxImportException(name + ": no such file", e);
        } catch (IOException e) {
            throw new OnnxImportException(name + ": cannot read the file: " + e, e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
