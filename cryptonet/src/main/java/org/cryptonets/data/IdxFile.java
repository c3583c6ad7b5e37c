package org.cryptonets.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the two IDX variants that labelled image data sets (MNIST, Fashion-MNIST, EMNIST, ...)
 * use: {@code idx3-ubyte} images (magic {@code 0x00000803}: a count, then rows and columns, then
 * unsigned bytes, read as {@code 1 x rows x columns} images of any size up to
 * {@value #MAX_DIMENSION}x{@value #MAX_DIMENSION}) and {@code idx1-ubyte} labels (magic
 * {@code 0x00000801}: a count, then one unsigned byte label per record). Either file may be
 * gzip-compressed; that is recognized by its first two bytes ({@code 1F 8B}), whatever its name.
 *
 * <p>Every structural property is checked before a single record is returned: magic number,
 * image dimensions, and that the header's count matches the exact data length. Nothing is
 * allocated from an unchecked header: for an uncompressed file the announced length is compared
 * with the real file length first; a gzip stream is decompressed with {@link GZIPInputStream} into
 * storage that grows only with the bytes actually decompressed, never past what the header
 * announces, and no header may announce more than {@value #MAX_DECOMPRESSED_BYTES} bytes, so a
 * lying header or a gzip bomb fails with a {@link DatasetFormatException} instead of an
 * {@link OutOfMemoryError}. A file that passes is well-formed IDX data; whether it is the genuine
 * MNIST is the business of {@link MnistFetcher#verify(Path)}.
 *
 * <p>Stateless; all methods are thread-safe. Every method throws {@link DatasetFormatException}
 * (naming the file, with expected versus found) for a missing, unreadable, truncated, oversized,
 * corrupt (gzip) or foreign file, and {@link NullPointerException} for a null argument.
 */
public final class IdxFile {
    /** Magic number of an IDX file holding unsigned bytes in three dimensions (images). */
    public static final int IMAGE_MAGIC = 0x00000803;
    /** Magic number of an IDX file holding unsigned bytes in one dimension (labels). */
    public static final int LABEL_MAGIC = 0x00000801;
    /** Image height of MNIST (and Fashion-MNIST, EMNIST) in pixels. */
    public static final int ROWS = 28;
    /** Image width of MNIST (and Fashion-MNIST, EMNIST) in pixels. */
    public static final int COLUMNS = 28;
    /** Pixels per MNIST image. */
    public static final int PIXELS = ROWS * COLUMNS;
    /** Largest number of rows or columns an image file may announce. */
    public static final int MAX_DIMENSION = 4096;
    /**
     * Largest length, header included, that a file may have or announce once decompressed: 2 GiB.
     * (Java arrays end just below it anyway.)
     */
    public static final long MAX_DECOMPRESSED_BYTES = 1L << 31;

    private static final int IMAGE_HEADER_BYTES = 16;
    private static final int LABEL_HEADER_BYTES = 8;
    private static final int BUFFER_BYTES = 1 << 16;

    private IdxFile() {
    }

    /**
     * The content of an image file: the shape of every image ({@code 1 x rows x columns}) and all
     * pixels, image after image, each image row-major ({@code count() * shape.size()} unsigned
     * bytes; read them with {@code & 0xFF}).
     *
     * <p>The array is neither copied in nor out (data sets are large): the record is immutable and
     * thread-safe only as long as nobody writes to {@link #pixels()}, which callers must treat as
     * read-only. {@code equals} compares the array by identity, as records do. The constructor
     * throws {@link NullPointerException} for a null component and {@link IllegalArgumentException}
     * when the pixel count is not a whole number of images.
     *
     * @param shape the shape of every image
     * @param pixels the pixels, image after image
     */
    public record Images(TensorShape shape, byte[] pixels) {
        /** Checks that {@code pixels} holds a whole number of images. */
        public Images {
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(pixels, "pixels");
            if (pixels.length % shape.size() != 0) {
                throw new IllegalArgumentException("expected a multiple of " + shape.size() + " pixels for "
                        + shape + " images, found " + pixels.length);
            }
        }

        /** Number of images. */
        public int count() {
            return pixels.length / shape.size();
        }
    }

    /**
     * Reads an image file, plain or gzip-compressed.
     *
     * @return the image shape and all pixels
     * @throws DatasetFormatException if the file is missing, unreadable, not an IDX3 file of
     *     unsigned bytes with 1..{@value #MAX_DIMENSION} rows and columns, not exactly the length
     *     its header announces (after decompression), larger than
     *     {@value #MAX_DECOMPRESSED_BYTES} bytes, or a corrupt or truncated gzip stream
     */
    public static Images readImages(Path file) {
        Parsed parsed = read(file, Kind.IMAGES);
        return new Images(parsed.shape, parsed.data);
    }

    /**
     * Reads a label file, plain or gzip-compressed. Every unsigned byte is a valid label; whether
     * the labels suit a data set is the caller's business.
     *
     * @return one label (0..255 as an unsigned byte) per record
     * @throws DatasetFormatException if the file is missing, unreadable, not an IDX1 file of
     *     unsigned bytes, not exactly the length its header announces (after decompression), larger
     *     than {@value #MAX_DECOMPRESSED_BYTES} bytes, or a corrupt or truncated gzip stream
     */
    public static byte[] readLabels(Path file) {
        return read(file, Kind.LABELS).data;
    }

    /**
     * Parses the content of an image file, plain or gzip-compressed; {@code name} is only used in
     * error messages.
     *
     * @throws DatasetFormatException as for {@link #readImages(Path)}
     */
    public static Images parseImages(byte[] content, String name) {
        Parsed parsed = parse(content, name, Kind.IMAGES);
        return new Images(parsed.shape, parsed.data);
    }

    /**
     * Parses the content of a label file, plain or gzip-compressed; {@code name} is only used in
     * error messages.
     *
     * @throws DatasetFormatException as for {@link #readLabels(Path)}
     */
    public static byte[] parseLabels(byte[] content, String name) {
        return parse(content, name, Kind.LABELS).data;
    }

    /** What a file should hold. */
    private enum Kind {
        IMAGES(IMAGE_MAGIC, IMAGE_HEADER_BYTES, "IDX3", "image file", "images"),
        LABELS(LABEL_MAGIC, LABEL_HEADER_BYTES, "IDX1", "label file", "labels");

        final int magic;
        final int headerBytes;
        final String format;
        final String file;
        final String records;

        Kind(int magic, int headerBytes, String format, String file, String records) {
            this.magic = magic;
            this.headerBytes = headerBytes;
            this.format = format;
            this.file = file;
            this.records = records;
        }

        /** E.g. "IDX3 image file". */
        String description() {
            return format + " " + file;
        }
    }

    /** Shape (null for labels) and the records' bytes. */
    private record Parsed(TensorShape shape, byte[] data) {
    }

    private static Parsed read(Path file, Kind kind) {
        Objects.requireNonNull(file, "file");
        String name = file.toString();
        try (SeekableByteChannel channel = Files.newByteChannel(file)) {
            return parse(Channels.newInputStream(channel), channel.size(), name, kind);
        } catch (NoSuchFileException e) {
            throw new DatasetFormatException(name + ": expected an " + kind.description()
                    + ", found no such file", e);
        } catch (IOException e) {
            throw new DatasetFormatException(name + ": expected a readable " + kind.description()
                    + ", found an I/O error: " + e, e);
        }
    }

    private static Parsed parse(byte[] content, String name, Kind kind) {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(name, "name");
        try {
            return parse(new ByteArrayInputStream(content), content.length, name, kind);
        } catch (IOException e) {
            throw new DatasetFormatException(name + ": expected a readable " + kind.description()
                    + ", found an I/O error: " + e, e);
        }
    }

    /**
     * Parses a plain or gzip stream of {@code length} raw bytes.
     *
     * @throws IOException only for I/O errors of a plain stream; gzip errors become
     *     {@link DatasetFormatException}s
     */
    private static Parsed parse(InputStream raw, long length, String name, Kind kind) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, BUFFER_BYTES);
        in.mark(2);
        boolean gzip = in.read() == 0x1F && in.read() == 0x8B;
        in.reset();
        if (!gzip) {
            return parseStream(in, length, name, kind, "");
        }
        try {
            return parseStream(new GZIPInputStream(in, BUFFER_BYTES), -1, name, kind, " after decompression");
        } catch (EOFException e) {
            throw new DatasetFormatException(name + ": expected a complete gzip stream holding an "
                    + kind.description() + ", found a truncated one (" + e.getMessage() + ")", e);
        } catch (IOException e) { // ZipException for corrupt data, or a real I/O error
            throw new DatasetFormatException(name + ": expected a valid gzip stream holding an "
                    + kind.description() + ", found " + e, e);
        }
    }

    /**
     * Parses the (decompressed) IDX bytes.
     *
     * @param length the exact length of {@code in} if known (a plain file), -1 otherwise (gzip)
     * @param where appended to lengths in messages (" after decompression" for gzip)
     */
    private static Parsed parseStream(InputStream in, long length, String name, Kind kind, String where)
            throws IOException {
        byte[] headerBytes = in.readNBytes(kind.headerBytes);
        if (headerBytes.length < kind.headerBytes) {
            throw new DatasetFormatException(name + ": truncated " + kind.format + " header: expected at least "
                    + kind.headerBytes + " bytes" + where + ", found " + headerBytes.length);
        }
        ByteBuffer header = ByteBuffer.wrap(headerBytes).order(ByteOrder.BIG_ENDIAN);
        int magic = header.getInt();
        if (magic != kind.magic) {
            throw new DatasetFormatException(name + ": not an IDX " + kind.file + ": expected magic "
                    + hex(kind.magic) + " (" + kind.format + ", unsigned bytes), found " + hex(magic)
                    + describeMagic(magic));
        }
        int count = header.getInt();
        if (count < 0) {
            throw new DatasetFormatException(name + ": expected a non-negative count of " + kind.records
                    + ", found " + Integer.toUnsignedString(count));
        }
        TensorShape shape = null;
        String announced = count + " " + kind.records;
        long recordBytes = 1;
        if (kind == Kind.IMAGES) {
            int rows = header.getInt();
            int columns = header.getInt();
            if (rows < 1 || rows > MAX_DIMENSION || columns < 1 || columns > MAX_DIMENSION) {
                throw new DatasetFormatException(name + ": expected images of 1.." + MAX_DIMENSION
                        + " rows and columns, found " + Integer.toUnsignedString(rows) + "x"
                        + Integer.toUnsignedString(columns));
            }
            shape = new TensorShape(1, rows, columns);
            announced += " of " + rows + "x" + columns;
            recordBytes = (long) rows * columns;
        }
        long dataBytes = count * recordBytes;
        long expected = kind.headerBytes + dataBytes;
        if (length >= 0 && length != expected) {
            throw new DatasetFormatException(name + ": header announces " + announced + ", so expected exactly "
                    + expected + " bytes, found " + length + (length < expected ? " (truncated)" : " (trailing data)"));
        }
        if (expected > MAX_DECOMPRESSED_BYTES) {
            throw new DatasetFormatException(name + ": expected at most " + MAX_DECOMPRESSED_BYTES
                    + " bytes (2 GiB)" + where + ", found a header announcing " + announced + ", which is "
                    + expected + " bytes");
        }
        byte[] data;
        if (length >= 0) {
            // The file's real length matches the header, so this allocation is backed by real bytes.
            data = new byte[(int) dataBytes];
            int read = in.readNBytes(data, 0, data.length);
            if (read < data.length) { // the file shrank while being read
                throw truncated(name, announced, expected, kind.headerBytes + (long) read, where);
            }
        } else {
            // Unknown length: readNBytes grows its storage with the bytes actually decompressed.
            data = in.readNBytes((int) dataBytes);
            if (data.length < dataBytes) {
                throw truncated(name, announced, expected, kind.headerBytes + (long) data.length, where);
            }
        }
        if (in.read() >= 0) {
            throw new DatasetFormatException(name + ": header announces " + announced + ", so expected exactly "
                    + expected + " bytes" + where + ", found more (trailing data)");
        }
        return new Parsed(shape, data);
    }

    private static DatasetFormatException truncated(String name, String announced, long expected, long found,
            String where) {
        return new DatasetFormatException(name + ": header announces " + announced + ", so expected exactly "
                + expected + " bytes" + where + ", found " + found + " (truncated)");
    }

    private static String hex(int value) {
        return String.format("0x%08X", value);
    }

    private static String describeMagic(int magic) {
        if (magic == IMAGE_MAGIC) {
            return " (an IDX image file)";
        }
        if (magic == LABEL_MAGIC) {
            return " (an IDX label file)";
        }
        if ((magic >>> 16) == 0x1F8B) {
            return " (gzip inside gzip; decompress the outer layer first)";
        }
        int type = (magic >>> 8) & 0xFF;
        if ((magic >>> 16) == 0 && (type == 0x08 || type == 0x09 || (type >= 0x0B && type <= 0x0E))) {
            return type == 0x08
                    ? " (an IDX file of unsigned bytes in " + (magic & 0xFF) + " dimensions)"
                    : " (an IDX file of element type " + String.format("0x%02X", type) + ", not unsigned bytes)";
        }
        return "";
    }
}
