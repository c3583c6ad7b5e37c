package org.cryptonets.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.cryptonets.data.TensorShape;

/**
 * The project's own file format for any {@link FloatNetwork}, as {@code train} writes it: the
 * layers unfolded, exactly as trained, with a few lines of metadata saying how the network was
 * made.
 *
 * <h2>File format, version 1</h2>
 * All integers little-endian and unsigned, floats IEEE 754 binary64 little-endian:
 * <pre>
 *   8 bytes  magic "CNETNETW"
 *   u32      format version (1)
 *   u32      total file length in bytes, checksum included
 *   u32      metadata entry count (at most {@value #MAX_METADATA_ENTRIES})
 *   per entry, keys in increasing order, each key once:
 *     u16 key length, key (ASCII letters, digits, '_', '.', '-'; 1..{@value #MAX_KEY_BYTES} bytes)
 *     u32 value length, value (UTF-8, at most {@value #MAX_VALUE_BYTES} bytes)
 *   u32 x 3  input shape: channels, height, width
 *   u32      layer count (1..{@value #MAX_LAYERS})
 *   per layer:
 *     u8       type: 1 affine, 2 square
 *     u16      name length, name (UTF-8, at most {@value #MAX_NAME_BYTES} bytes)
 *     u32 x 3  output shape: channels, height, width (a layer's input shape is its predecessor's
 *              output shape, the network's input shape for the first)
 *     affine only:
 *       u32      rows (= the output size)
 *       u32      nnz, the number of stored weights (at most {@link FloatNetwork.Affine#MAX_NONZEROS})
 *       u32      row offsets [rows + 1]: 0, non-decreasing, ending at nnz
 *       u32      column indices [nnz]: within the input size, increasing within each row
 *       f64      weights [nnz], finite
 *       f64      bias [rows], finite
 *   u32      CRC-32C of every preceding byte
 * </pre>
 * Loading checks, in this order and before allocating anything from a declared size: the minimum
 * length, the magic, the version, that the declared length is the file's length, the checksum;
 * then each count against the bytes left before the checksum, then the contents (offsets,
 * columns, finite values, shapes that chain), and finally that the last layer ends exactly at
 * the checksum. Files above {@value #MAX_FILE_BYTES} bytes are refused before they are read.
 *
 * <p>Stateless and thread-safe. Reading throws {@link ModelFormatException} with a message
 * {@code "<file>: expected ..., found ..."}; writing throws {@link IllegalArgumentException} for
 * metadata outside the bounds above or a network whose file would exceed
 * {@value #MAX_FILE_BYTES} bytes, and {@link IOException} when the file cannot be written; null
 * arguments throw {@link NullPointerException}.
 */
public final class NetworkFile {
    /** Magic bytes at the start of every network file. */
    public static final String MAGIC = "CNETNETW";
    /** The only format version this class reads and writes. */
    public static final int FORMAT_VERSION = 1;
    /** Largest file accepted or written, in bytes (512 MiB). */
    public static final long MAX_FILE_BYTES = 512L << 20;
    /** Largest number of metadata entries. */
    public static final int MAX_METADATA_ENTRIES = 256;
    /** Longest metadata key, in bytes. */
    public static final int MAX_KEY_BYTES = 64;
    /** Longest metadata value, in UTF-8 bytes. */
    public static final int MAX_VALUE_BYTES = 65536;
    /** Longest layer name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 1024;
    /** Largest number of layers. */
    public static final int MAX_LAYERS = 4096;

    static final byte AFFINE = 1;
    static final byte SQUARE = 2;
    private static final int HEADER_BYTES = 8 + 4 + 4;
    private static final int CHECKSUM_BYTES = 4;
    /** Header, empty metadata, input shape, layer count, checksum. */
    private static final int MINIMUM_BYTES = HEADER_BYTES + 4 + 12 + 4 + CHECKSUM_BYTES;
    /** The smallest layer: a square with an empty name. */
    private static final int MINIMUM_LAYER_BYTES = 1 + 2 + 12;
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1," + MAX_KEY_BYTES + "}");

    /**
     * A network read from a file, with its metadata (unmodifiable, sorted by key).
     *
     * @param network the network, layers as stored
     * @param metadata the key/value pairs stored with it
     */
    public record Model(FloatNetwork network, Map<String, String> metadata) {
        /** Copies the metadata into an unmodifiable sorted map. */
        public Model {
            Objects.requireNonNull(network, "network");
            metadata = Collections.unmodifiableSortedMap(new TreeMap<>(metadata));
        }
    }

    private NetworkFile() {
    }

    /**
     * Serialises {@code network} and {@code metadata} (null: none) in format version 1. Metadata
     * are written sorted by key, so equal inputs give identical bytes.
     *
     * @throws IllegalArgumentException if a key or value is outside the bounds of the format, or
     *     the file would exceed {@value #MAX_FILE_BYTES} bytes
     */
    public static byte[] toBytes(FloatNetwork network, Map<String, String> metadata) {
        Objects.requireNonNull(network, "network");
        TreeMap<String, String> sorted = new TreeMap<>();
        if (metadata != null) {
            if (metadata.size() > MAX_METADATA_ENTRIES) {
                throw new IllegalArgumentException("metadata: expected at most " + MAX_METADATA_ENTRIES
                        + " entries, found " + metadata.size());
            }
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                String key = Objects.requireNonNull(e.getKey(), "metadata key");
                String value = Objects.requireNonNull(e.getValue(), "metadata value of " + key);
                if (!KEY.matcher(key).matches()) {
                    throw new IllegalArgumentException("metadata key \"" + key + "\": expected 1.." + MAX_KEY_BYTES
                            + " ASCII letters, digits, '_', '.' or '-'");
                }
                if (utf8(value).length > MAX_VALUE_BYTES) {
                    throw new IllegalArgumentException("metadata " + key + ": expected at most " + MAX_VALUE_BYTES
                            + " bytes of UTF-8, found " + utf8(value).length);
                }
                sorted.put(key, value);
            }
        }
        if (network.layers().size() > MAX_LAYERS) {
            throw new IllegalArgumentException("expected at most " + MAX_LAYERS + " layers, found "
                    + network.layers().size());
        }
        long length = HEADER_BYTES + 4L + 12 + 4 + CHECKSUM_BYTES;
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            length += 2L + e.getKey().length() + 4 + utf8(e.getValue()).length;
        }
        List<byte[]> names = new ArrayList<>();
        for (FloatNetwork.Layer layer : network.layers()) {
            byte[] name = utf8(layer.name());
            if (name.length > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("layer name \"" + layer.name() + "\": expected at most "
                        + MAX_NAME_BYTES + " bytes of UTF-8, found " + name.length);
            }
            names.add(name);
            length += MINIMUM_LAYER_BYTES + name.length;
            if (layer instanceof FloatNetwork.Affine affine) {
                int rows = affine.output().size();
                length += 8 + 4L * (rows + 1) + 12L * affine.nonZeros() + 8L * rows;
            }
        }
        if (length > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("the network needs a file of " + length + " bytes; expected at most "
                    + MAX_FILE_BYTES);
        }
        ByteBuffer out = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC.getBytes(StandardCharsets.US_ASCII));
        out.putInt(FORMAT_VERSION);
        out.putInt((int) length);
        out.putInt(sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            byte[] key = e.getKey().getBytes(StandardCharsets.US_ASCII);
            byte[] value = utf8(e.getValue());
            out.putShort((short) key.length);
            out.put(key);
            out.putInt(value.length);
            out.put(value);
        }
        putShape(out, network.inputShape());
        out.putInt(network.layers().size());
        for (int l = 0; l < network.layers().size(); l++) {
            FloatNetwork.Layer layer = network.layers().get(l);
            out.put(layer instanceof FloatNetwork.Affine ? AFFINE : SQUARE);
            out.putShort((short) names.get(l).length);
            out.put(names.get(l));
            putShape(out, layer.output());
            if (layer instanceof FloatNetwork.Affine affine) {
                int[] rowStart = affine.rowStart();
                int[] columns = affine.columns();
                double[] values = affine.values();
                double[] bias = affine.bias();
                out.putInt(bias.length);
                out.putInt(columns.length);
                for (int r : rowStart) {
                    out.putInt(r);
                }
                for (int c : columns) {
                    out.putInt(c);
                }
                for (double v : values) {
                    out.putDouble(v);
                }
                for (double b : bias) {
                    out.putDouble(b);
                }
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, (int) length - CHECKSUM_BYTES);
        out.putInt((int) crc.getValue());
        return out.array();
    }

    /**
     * Writes {@code network} and {@code metadata} (null: none) to {@code file} atomically: a
     * temporary file in the same folder, then a move onto {@code file}. On any failure the
     * temporary file is deleted and an existing {@code file} is left as it was.
     *
     * @throws IllegalArgumentException as {@link #toBytes(FloatNetwork, Map)}, before anything is
     *     written
     * @throws IOException if {@code file} is a folder or cannot be written
     */
    public static void save(FloatNetwork network, Map<String, String> metadata, Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        byte[] bytes = toBytes(network, metadata);
        Path absolute = file.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            throw new IOException(file + ": expected a network file to write, found a folder");
        }
        Path directory = absolute.getParent();
        Files.createDirectories(directory);
        Path temporary = Files.createTempFile(directory, "." + absolute.getFileName(), ".part");
        try {
            Files.write(temporary, bytes);
            try {
                // temporary files are owner-only; a network file is meant to be shared
                Files.setPosixFilePermissions(temporary,
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep its defaults
            }
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                if (Files.isDirectory(absolute)) {
                    throw new IOException(file + ": expected a network file to write, found a folder");
                }
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Reads a network file; files above {@value #MAX_FILE_BYTES} bytes are refused unread.
     *
     * @throws ModelFormatException if the file is missing, a folder, too large, unreadable or invalid
     */
    public static Model load(Path file) {
        Objects.requireNonNull(file, "file");
        return read(ChecksummedFile.readFile(file, "network file", MAX_FILE_BYTES), file.toString());
    }

    /**
     * Parses the bytes of a network file; {@code name} is used only in error messages.
     *
     * @throws ModelFormatException if the bytes are not a valid version-1 network file
     */
    public static Model read(byte[] bytes, String name) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(name, "name");
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ModelFormatException(name + ": expected a network file of at most " + MAX_FILE_BYTES
                    + " bytes, found " + bytes.length + " bytes");
        }
        ByteBuffer in = ChecksummedFile.open(bytes, name, MAGIC, FORMAT_VERSION, "CryptoNet network file", MINIMUM_BYTES);
        return new Reader(in, name).model();
    }

    /** Reads the body after the checksum has been verified; every read is checked against the bytes left. */
    private static final class Reader {
        private final ByteBuffer in;
        private final String name;

        Reader(ByteBuffer in, String name) {
            this.in = in;
            this.name = name;
        }

        Model model() {
            Map<String, String> metadata = metadata();
            TensorShape input = shape("input shape");
            long layerCount = u32("layer count");
            if (layerCount < 1 || layerCount > MAX_LAYERS) {
                throw fail("expected 1.." + MAX_LAYERS + " layers, found " + layerCount);
            }
            need(layerCount * MINIMUM_LAYER_BYTES, layerCount + " layers of at least " + MINIMUM_LAYER_BYTES
                    + " bytes each");
            List<FloatNetwork.Layer> layers = new ArrayList<>();
            TensorShape shape = input;
            for (int l = 0; l < layerCount; l++) {
                FloatNetwork.Layer layer = layer(l, shape);
                layers.add(layer);
                shape = layer.output();
            }
            if (in.remaining() != 0) {
                throw fail("expected the checksum at byte " + in.position() + ", found it at byte " + in.limit()
                        + " (" + in.remaining() + " unread bytes)");
            }
            try {
                return new Model(new FloatNetwork(input, layers), metadata);
            } catch (IllegalArgumentException e) {
                throw fail("expected a valid network, found: " + e.getMessage(), e);
            }
        }

        private Map<String, String> metadata() {
            long count = u32("metadata entry count");
            if (count > MAX_METADATA_ENTRIES) {
                throw fail("expected at most " + MAX_METADATA_ENTRIES + " metadata entries, found " + count);
            }
            need(count * 7, count + " metadata entries of at least 7 bytes each");
            TreeMap<String, String> metadata = new TreeMap<>();
            String previous = null;
            for (int e = 0; e < count; e++) {
                int keyLength = u16("metadata key length");
                if (keyLength < 1 || keyLength > MAX_KEY_BYTES) {
                    throw fail("metadata entry " + e + ": expected a key of 1.." + MAX_KEY_BYTES + " bytes, found "
                            + keyLength + " bytes");
                }
                String key = text(keyLength, "metadata entry " + e + " key");
                if (!KEY.matcher(key).matches()) {
                    throw fail("metadata entry " + e + ": expected a key of ASCII letters, digits, '_', '.' or '-',"
                            + " found " + ChecksummedFile.printable(key.getBytes(StandardCharsets.UTF_8)));
                }
                if (previous != null && key.compareTo(previous) <= 0) {
                    throw fail("metadata entry " + e + ": expected keys in increasing order, each once, found \""
                            + key + "\" after \"" + previous + "\"");
                }
                long valueLength = u32("metadata " + key + " length");
                if (valueLength > MAX_VALUE_BYTES) {
                    throw fail("metadata " + key + ": expected a value of at most " + MAX_VALUE_BYTES
                            + " bytes, found " + valueLength + " bytes");
                }
                metadata.put(key, text((int) valueLength, "metadata " + key));
                previous = key;
            }
            return metadata;
        }

        private FloatNetwork.Layer layer(int index, TensorShape input) {
            String where = "layer " + index;
            int type = u8(where + " type");
            if (type != AFFINE && type != SQUARE) {
                throw fail(where + ": expected layer type " + AFFINE + " (affine) or " + SQUARE + " (square), found "
                        + type);
            }
            int nameLength = u16(where + " name length");
            if (nameLength > MAX_NAME_BYTES) {
                throw fail(where + ": expected a name of at most " + MAX_NAME_BYTES + " bytes, found " + nameLength
                        + " bytes");
            }
            String layerName = text(nameLength, where + " name");
            where = "layer " + index + " (" + layerName + ")";
            TensorShape output = shape(where + " output shape");
            if (type == SQUARE) {
                if (output.size() != input.size()) {
                    throw fail(where + ": expected a square of " + input + " (" + input.size() + " values), found "
                            + output + " (" + output.size() + " values)");
                }
                return new FloatNetwork.Square(layerName, output);
            }
            long rows = u32(where + " row count");
            if (rows != output.size()) {
                throw fail(where + ": expected " + output.size() + " rows (the output size " + output
                        + "), found " + rows);
            }
            long nnz = u32(where + " weight count");
            if (nnz > FloatNetwork.Affine.MAX_NONZEROS) {
                throw fail(where + ": expected at most " + FloatNetwork.Affine.MAX_NONZEROS + " weights, found "
                        + nnz);
            }
            need(4 * (rows + 1) + 12 * nnz + 8 * rows, where + ": " + rows + " rows and " + nnz + " weights");
            int[] rowStart = new int[(int) rows + 1];
            for (int r = 0; r <= rows; r++) {
                rowStart[r] = in.getInt();
                long previous = r == 0 ? 0 : rowStart[r - 1];
                if (Integer.toUnsignedLong(rowStart[r]) < previous || Integer.toUnsignedLong(rowStart[r]) > nnz
                        || (r == 0 && rowStart[r] != 0)) {
                    throw fail(where + ": expected row offset " + r + " in " + previous + ".." + (r == 0 ? 0 : nnz)
                            + " (non-decreasing from 0 to the weight count), found "
                            + Integer.toUnsignedString(rowStart[r]));
                }
            }
            if (rowStart[(int) rows] != nnz) {
                throw fail(where + ": expected the row offsets to end at the weight count " + nnz + ", found "
                        + rowStart[(int) rows]);
            }
            int[] columns = new int[(int) nnz];
            int inputs = input.size();
            for (int r = 0; r < rows; r++) {
                for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                    columns[k] = in.getInt();
                    long low = k > rowStart[r] ? columns[k - 1] + 1L : 0;
                    if (Integer.toUnsignedLong(columns[k]) < low || Integer.toUnsignedLong(columns[k]) >= inputs) {
                        throw fail(where + ": row " + r + ": expected a column in " + low + ".." + (inputs - 1)
                                + " (increasing, within the input size " + inputs + "), found "
                                + Integer.toUnsignedString(columns[k]));
                    }
                }
            }
            double[] values = new double[(int) nnz];
            for (int k = 0; k < nnz; k++) {
                values[k] = in.getDouble();
                if (!Double.isFinite(values[k])) {
                    throw fail(where + ": weight " + k + ": expected a finite value, found " + values[k]);
                }
            }
            double[] bias = new double[(int) rows];
            for (int r = 0; r < rows; r++) {
                bias[r] = in.getDouble();
                if (!Double.isFinite(bias[r])) {
                    throw fail(where + ": bias " + r + ": expected a finite value, found " + bias[r]);
                }
            }
            try {
                return FloatNetwork.Affine.sparse(layerName, input, output, rowStart, columns, values, bias);
            } catch (IllegalArgumentException e) {
                throw fail(where + ": expected a valid affine map, found: " + e.getMessage(), e);
            }
        }

        private TensorShape shape(String what) {
            long channels = u32(what + " channels");
            long height = u32(what + " height");
            long width = u32(what + " width");
            if (channels < 1 || height < 1 || width < 1 || channels * height * width > TensorShape.MAX_SIZE) {
                throw fail(what + ": expected positive dimensions with at most " + TensorShape.MAX_SIZE
                        + " values, found " + channels + "x" + height + "x" + width);
            }
            return new TensorShape((int) channels, (int) height, (int) width);
        }

        private String text(int length, String what) {
            need(length, what + " (" + length + " bytes)");
            ByteBuffer slice = in.slice().limit(length);
            in.position(in.position() + length);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw fail(what + ": expected UTF-8 text, found malformed bytes", e);
            }
        }

        private int u8(String what) {
            need(1, what);
            return in.get() & 0xFF;
        }

        private int u16(String what) {
            need(2, what);
            return in.getShort() & 0xFFFF;
        }

        private long u32(String what) {
            need(4, what);
            return Integer.toUnsignedLong(in.getInt());
        }

        /** Checks that {@code bytes} more bytes lie before the checksum. */
        private void need(long bytes, String what) {
            if (bytes > in.remaining()) {
                throw fail("expected " + bytes + " bytes for " + what + " at byte " + in.position() + ", found "
                        + in.remaining() + " bytes before the checksum");
            }
        }

        private ModelFormatException fail(String message) {
            return new ModelFormatException(name + ": " + message);
        }

        private ModelFormatException fail(String message, Throwable cause) {
            return new ModelFormatException(name + ": " + message, cause);
        }
    }

    private static void putShape(ByteBuffer out, TensorShape shape) {
        out.putInt(shape.channels());
        out.putInt(shape.height());
        out.putInt(shape.width());
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
