package org.cryptonets.mnist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reader for the two IDX variants that MNIST uses: {@code idx3-ubyte} images (28x28 unsigned
 * bytes) and {@code idx1-ubyte} labels (unsigned bytes 0..9).
 *
 * <p>Every structural property is checked before a single record is returned: magic number,
 * image dimensions, that the header's count matches the exact file length, and the label range.
 * A file that passes is well-formed MNIST-shaped data; whether it is the genuine MNIST is the
 * business of {@link MnistFetcher#verify(Path)}.
 *
 * <p>Stateless; all methods are thread-safe. Every method throws {@link MnistFormatException}
 * (naming the file, with expected versus found) for a missing, unreadable, truncated, oversized or
 * foreign file.
 */
public final class IdxFile {
    /** Magic number of an IDX file holding unsigned bytes in three dimensions (images). */
    public static final int IMAGE_MAGIC = 0x00000803;
    /** Magic number of an IDX file holding unsigned bytes in one dimension (labels). */
    public static final int LABEL_MAGIC = 0x00000801;
    /** Image height in pixels. */
    public static final int ROWS = 28;
    /** Image width in pixels. */
    public static final int COLUMNS = 28;
    /** Pixels per image. */
    public static final int PIXELS = ROWS * COLUMNS;

    private static final int IMAGE_HEADER_BYTES = 16;
    private static final int LABEL_HEADER_BYTES = 8;

    private IdxFile() {
    }

    /**
     * Reads an image file.
     *
     * @return all pixels, image after image, each image row-major ({@code count * 784} bytes; read
     *     them unsigned with {@code & 0xFF})
     * @throws MnistFormatException if the file is missing, unreadable or not a 28x28 IDX3 file of
     *     exactly the length its header announces
     */
    public static byte[] readImages(Path file) {
        return parseImages(readAll(file, "IDX3 image file"), file.toString());
    }

    /**
     * Reads a label file.
     *
     * @return one label (0..9) per record
     * @throws MnistFormatException if the file is missing, unreadable, not an IDX1 file of exactly
     *     the announced length, or holds a label outside 0..9
     */
    public static byte[] readLabels(Path file) {
        return parseLabels(readAll(file, "IDX1 label file"), file.toString());
    }

    /**
     * Parses the content of an image file; {@code name} is only used in error messages.
     *
     * @throws MnistFormatException as for {@link #readImages(Path)}
     */
    public static byte[] parseImages(byte[] content, String name) {
        if (content.length < IMAGE_HEADER_BYTES) {
            throw new MnistFormatException(name + ": truncated IDX3 header: expected at least "
                    + IMAGE_HEADER_BYTES + " bytes, found " + content.length);
        }
        ByteBuffer header = ByteBuffer.wrap(content).order(ByteOrder.BIG_ENDIAN);
        int magic = header.getInt();
        if (magic != IMAGE_MAGIC) {
            throw new MnistFormatException(name + ": not an MNIST image file: expected magic "
                    + hex(IMAGE_MAGIC) + " (IDX3, unsigned bytes), found " + hex(magic)
                    + describeMagic(magic));
        }
        int count = header.getInt();
        int rows = header.getInt();
        int columns = header.getInt();
        if (rows != ROWS || columns != COLUMNS) {
            throw new MnistFormatException(name + ": expected " + ROWS + "x" + COLUMNS
                    + " images, found " + rows + "x" + columns);
        }
        checkLength(name, content.length, count, IMAGE_HEADER_BYTES, PIXELS, "images");
        byte[] pixels = new byte[count * PIXELS];
        System.arraycopy(content, IMAGE_HEADER_BYTES, pixels, 0, pixels.length);
        return pixels;
    }

    /**
     * Parses the content of a label file; {@code name} is only used in error messages.
     *
     * @throws MnistFormatException as for {@link #readLabels(Path)}
     */
    public static byte[] parseLabels(byte[] content, String name) {
        if (content.length < LABEL_HEADER_BYTES) {
            throw new MnistFormatException(name + ": truncated IDX1 header: expected at least "
                    + LABEL_HEADER_BYTES + " bytes, found " + content.length);
        }
        ByteBuffer header = ByteBuffer.wrap(content).order(ByteOrder.BIG_ENDIAN);
        int magic = header.getInt();
        if (magic != LABEL_MAGIC) {
            throw new MnistFormatException(name + ": not an MNIST label file: expected magic "
                    + hex(LABEL_MAGIC) + " (IDX1, unsigned bytes), found " + hex(magic)
                    + describeMagic(magic));
        }
        int count = header.getInt();
        checkLength(name, content.length, count, LABEL_HEADER_BYTES, 1, "labels");
        byte[] labels = new byte[count];
        System.arraycopy(content, LABEL_HEADER_BYTES, labels, 0, count);
        for (int i = 0; i < count; i++) {
            if (labels[i] < 0 || labels[i] > 9) {
                throw new MnistFormatException(name + ": label " + i + ": expected 0..9, found "
                        + (labels[i] & 0xFF));
            }
        }
        return labels;
    }

    private static void checkLength(String name, long actual, int count, int headerBytes,
            int recordBytes, String what) {
        if (count < 0) {
            throw new MnistFormatException(name + ": expected a non-negative count of " + what
                    + ", found " + Integer.toUnsignedString(count));
        }
        long expected = headerBytes + (long) count * recordBytes;
        if (actual != expected) {
            throw new MnistFormatException(name + ": header announces " + count + " " + what
                    + ", so expected exactly " + expected + " bytes, found " + actual
                    + (actual < expected ? " (truncated)" : " (trailing data)"));
        }
    }

    private static byte[] readAll(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new MnistFormatException(file + ": expected an " + what + ", found no such file", e);
        } catch (IOException e) {
            throw new MnistFormatException(file + ": expected a readable " + what
                    + ", found an I/O error: " + e, e);
        }
    }

    private static String hex(int value) {
        return String.format("0x%08X", value);
    }

    private static String describeMagic(int magic) {
        // gzip's first two bytes are the commonest mistake: the compressed files from LeCun's site.
        if ((magic >>> 16) == 0x1F8B) {
            return " (a gzip-compressed file; decompress it first)";
        }
        return "";
    }
}
