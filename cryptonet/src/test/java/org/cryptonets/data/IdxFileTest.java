package org.cryptonets.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IdxFileTest {
    private static final int HUGE = Integer.MAX_VALUE; // 2^31 - 1 records

    @TempDir
    Path directory;

    @Test
    void readsWellFormedImagesAndLabels() throws IOException {
        byte[] images = IdxFixtures.images(3, 7);
        byte[] labels = IdxFixtures.labels(3, 8);
        Files.write(directory.resolve("i"), images);
        Files.write(directory.resolve("l"), labels);
        IdxFile.Images read = IdxFile.readImages(directory.resolve("i"));
        assertEquals(LabeledImages.MNIST_SHAPE, read.shape());
        assertEquals(3, read.count());
        assertArrayEquals(Arrays.copyOfRange(images, 16, images.length), read.pixels());
        assertArrayEquals(Arrays.copyOfRange(labels, 8, labels.length), IdxFile.readLabels(directory.resolve("l")));
    }

    @Test
    void readsAnEmptyFile() throws IOException {
        assertEquals(0, IdxFile.parseImages(IdxFixtures.images(0, 1), "x").count());
        assertEquals(0, IdxFile.parseLabels(IdxFixtures.labels(0, 1), "x").length);
        assertEquals(0, IdxFile.parseImages(IdxFixtures.gzip(IdxFixtures.images(0, 1)), "x").count());
        assertEquals(0, IdxFile.parseLabels(IdxFixtures.gzip(IdxFixtures.labels(0, 1)), "x").length);
    }

    /** rows, columns, count; each shape is read plain and gzip-compressed. */
    static Stream<Arguments> imageShapes() {
        int[][] shapes = {{5, 7, 3}, {1, 1, 4}, {28, 28, 2}, {1, 4096, 2}, {4096, 1, 2}, {64, 48, 0}, {7, 5, 1}};
        List<Arguments> cases = new ArrayList<>();
        for (int[] s : shapes) {
            for (boolean gzip : new boolean[] {false, true}) {
                cases.add(Arguments.of(s[0], s[1], s[2], gzip));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{2} images of {0}x{1}, gzip {3}")
    @MethodSource("imageShapes")
    void imagesOfAnySizeRoundTrip(int rows, int columns, int count, boolean gzip) throws IOException {
        byte[] content = IdxFixtures.images(count, IdxFile.IMAGE_MAGIC, rows, columns, 31L * rows + columns);
        Path file = directory.resolve("images");
        Files.write(file, gzip ? IdxFixtures.gzip(content) : content);
        IdxFile.Images read = IdxFile.readImages(file);
        assertEquals(new TensorShape(1, rows, columns), read.shape());
        assertEquals(count, read.count());
        assertArrayEquals(Arrays.copyOfRange(content, 16, content.length), read.pixels());
    }

    /** Compression is recognized by the first two bytes, not the name: the names here lie on purpose. */
    @Test
    void gzipAndPlainGiveIdenticalDataWhateverTheName() throws IOException {
        byte[] images = IdxFixtures.images(4, IdxFile.IMAGE_MAGIC, 5, 7, 11);
        byte[] labels = IdxFixtures.labels(4, 200, 12);
        Path plainImages = directory.resolve("images.gz");
        Path gzipImages = directory.resolve("images-idx3-ubyte");
        Path plainLabels = directory.resolve("labels.gz");
        Path gzipLabels = directory.resolve("labels-idx1-ubyte");
        Files.write(plainImages, images);
        Files.write(gzipImages, IdxFixtures.gzip(images));
        Files.write(plainLabels, labels);
        Files.write(gzipLabels, IdxFixtures.gzip(labels));
        IdxFile.Images fromPlain = IdxFile.readImages(plainImages);
        IdxFile.Images fromGzip = IdxFile.readImages(gzipImages);
        assertEquals(fromPlain.shape(), fromGzip.shape());
        assertArrayEquals(fromPlain.pixels(), fromGzip.pixels());
        assertArrayEquals(IdxFile.readLabels(plainLabels), IdxFile.readLabels(gzipLabels));
        assertArrayEquals(IdxFile.parseImages(images, "p").pixels(), IdxFile.parseImages(IdxFixtures.gzip(images), "g").pixels());
    }

    @Test
    void everyUnsignedByteIsALabel() throws IOException {
        int[] all = IntStream.range(0, 256).toArray();
        byte[] content = IdxFixtures.labelsOf(all);
        for (boolean gzip : new boolean[] {false, true}) {
            Path file = directory.resolve("labels-" + gzip);
            Files.write(file, gzip ? IdxFixtures.gzip(content) : content);
            byte[] labels = IdxFile.readLabels(file);
            assertArrayEquals(all, IntStream.range(0, labels.length).map(i -> labels[i] & 0xFF).toArray());
        }
    }

    static Stream<Arguments> brokenImageFiles() throws IOException {
        byte[] valid = IdxFixtures.images(2, 5);
        byte[] gz = IdxFixtures.gzip(valid);
        return Stream.of(
                Arguments.of("empty", new byte[0], "truncated IDX3 header: expected at least 16 bytes, found 0"),
                Arguments.of("short header", Arrays.copyOf(valid, 15), "expected at least 16 bytes, found 15"),
                Arguments.of("label magic", withInt(valid, 0, IdxFile.LABEL_MAGIC),
                        "expected magic 0x00000803 (IDX3, unsigned bytes), found 0x00000801 (an IDX label file)"),
                Arguments.of("float IDX", withInt(valid, 0, 0x00000D03),
                        "found 0x00000D03 (an IDX file of element type 0x0D, not unsigned bytes)"),
                Arguments.of("zero rows", IdxFixtures.images(2, IdxFile.IMAGE_MAGIC, 0, 28, 5),
                        "expected images of 1..4096 rows and columns, found 0x28"),
                Arguments.of("zero columns", IdxFixtures.images(2, IdxFile.IMAGE_MAGIC, 28, 0, 5),
                        "expected images of 1..4096 rows and columns, found 28x0"),
                Arguments.of("4097 columns", IdxFixtures.imageHeader(1, 1, 4097), "rows and columns, found 1x4097"),
                Arguments.of("negative rows", IdxFixtures.imageHeader(1, -1, 28),
                        "rows and columns, found 4294967295x28"),
                Arguments.of("truncated", Arrays.copyOf(valid, valid.length - 1),
                        "header announces 2 images of 28x28, so expected exactly 1584 bytes, found 1583 (truncated)"),
                Arguments.of("trailing", Arrays.copyOf(valid, valid.length + 3),
                        "expected exactly 1584 bytes, found 1587 (trailing data)"),
                Arguments.of("count too large", withInt(valid, 4, 3), "header announces 3 images"),
                Arguments.of("negative count", withInt(valid, 4, -1),
                        "expected a non-negative count of images, found 4294967295"),
                Arguments.of("gzip magic, then no gzip", withInt(valid, 0, 0x1F8B0808),
                        "gzip stream holding an IDX3 image file"),
                Arguments.of("gzip, short header", IdxFixtures.gzip(Arrays.copyOf(valid, 15)),
                        "truncated IDX3 header: expected at least 16 bytes after decompression, found 15"),
                Arguments.of("gzip, shorter than its header says", IdxFixtures.gzip(withInt(valid, 4, 3)),
                        "header announces 3 images of 28x28, so expected exactly 2368 bytes after decompression, "
                                + "found 1584 (truncated)"),
                Arguments.of("gzip, longer than its header says", IdxFixtures.gzip(Arrays.copyOf(valid, valid.length + 3)),
                        "so expected exactly 1584 bytes after decompression, found more (trailing data)"),
                Arguments.of("gzip stream cut in half", Arrays.copyOf(gz, gz.length / 2),
                        "expected a complete gzip stream holding an IDX3 image file, found a truncated one"),
                Arguments.of("gzip stream without its trailer", Arrays.copyOf(gz, gz.length - 4),
                        "expected a complete gzip stream holding an IDX3 image file, found a truncated one"),
                Arguments.of("gzip with a wrong CRC", withByte(gz, gz.length - 8, gz[gz.length - 8] ^ 0x55),
                        "expected a valid gzip stream holding an IDX3 image file, found java.util.zip.ZipException"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenImageFiles")
    void rejectsBrokenImageFiles(String caseName, byte[] content, String expected) throws IOException {
        Path file = directory.resolve("images-" + caseName);
        Files.write(file, content);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> IdxFile.readImages(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        DatasetFormatException parsed = assertThrows(DatasetFormatException.class, () -> IdxFile.parseImages(content, "n"));
        assertTrue(parsed.getMessage().startsWith("n: "), parsed.getMessage());
    }

    static Stream<Arguments> brokenLabelFiles() throws IOException {
        byte[] valid = IdxFixtures.labels(4, 5);
        byte[] gz = IdxFixtures.gzip(valid);
        return Stream.of(
                Arguments.of("short header", Arrays.copyOf(valid, 7), "expected at least 8 bytes, found 7"),
                Arguments.of("image magic", withInt(valid, 0, IdxFile.IMAGE_MAGIC),
                        "expected magic 0x00000801 (IDX1, unsigned bytes), found 0x00000803 (an IDX image file)"),
                Arguments.of("truncated", Arrays.copyOf(valid, 11),
                        "header announces 4 labels, so expected exactly 12 bytes, found 11 (truncated)"),
                Arguments.of("negative count", withInt(valid, 4, -2),
                        "expected a non-negative count of labels, found 4294967294"),
                Arguments.of("gzip, shorter than its header says", IdxFixtures.gzip(Arrays.copyOf(valid, 11)),
                        "header announces 4 labels, so expected exactly 12 bytes after decompression, found 11 (truncated)"),
                Arguments.of("gzip, longer than its header says", IdxFixtures.gzip(Arrays.copyOf(valid, 20)),
                        "so expected exactly 12 bytes after decompression, found more (trailing data)"),
                Arguments.of("gzip stream cut short", Arrays.copyOf(gz, gz.length - 9),
                        "expected a complete gzip stream holding an IDX1 label file, found a truncated one"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenLabelFiles")
    void rejectsBrokenLabelFiles(String caseName, byte[] content, String expected) throws IOException {
        Path file = directory.resolve("labels-" + caseName);
        Files.write(file, content);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> IdxFile.readLabels(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /**
     * Headers that announce far more than the file holds, and a gzip bomb, fail before anything of
     * the announced size is allocated: the reading thread allocates less than {@link #ALLOCATION_LIMIT}.
     */
    static Stream<Arguments> lyingHeaders() throws IOException {
        String cap = "expected at most 2147483648 bytes (2 GiB) after decompression, found a header announcing ";
        return Stream.of(
                Arguments.of("plain, 2^31-1 images of 28x28", true, concat(IdxFixtures.imageHeader(HUGE, 28, 28), new byte[784]),
                        "header announces 2147483647 images of 28x28, so expected exactly 1683627179264 bytes, found 800 (truncated)"),
                Arguments.of("plain, 2^31-1 images of 1x1", true, IdxFixtures.imageHeader(HUGE, 1, 1),
                        "so expected exactly 2147483663 bytes, found 16 (truncated)"),
                Arguments.of("gzip, 2^31-1 images of 28x28", true, IdxFixtures.gzip(IdxFixtures.imageHeader(HUGE, 28, 28)),
                        cap + "2147483647 images of 28x28, which is 1683627179264 bytes"),
                Arguments.of("gzip, 2^31-1 images of 1x1", true, IdxFixtures.gzip(IdxFixtures.imageHeader(HUGE, 1, 1)),
                        cap + "2147483647 images of 1x1, which is 2147483663 bytes"),
                Arguments.of("plain, 2^31-1 labels", false, concat(IdxFixtures.labelHeader(HUGE), new byte[100]),
                        "header announces 2147483647 labels, so expected exactly 2147483655 bytes, found 108 (truncated)"),
                Arguments.of("gzip, 2^31-1 labels", false, IdxFixtures.gzip(IdxFixtures.labelHeader(HUGE)),
                        cap + "2147483647 labels, which is 2147483655 bytes"),
                Arguments.of("gzip, 2^31-9 labels (just under the cap), 100 present", false,
                        IdxFixtures.gzip(concat(IdxFixtures.labelHeader(HUGE - 8), new byte[100])),
                        "header announces 2147483639 labels, so expected exactly 2147483647 bytes after decompression, "
                                + "found 108 (truncated)"),
                Arguments.of("gzip bomb: 10 labels announced, 64 MiB inflated", false,
                        gzipBomb(IdxFixtures.labelHeader(10), 64 << 20),
                        "so expected exactly 18 bytes after decompression, found more (trailing data)"));
    }

    private static final long ALLOCATION_LIMIT = 16L << 20;

    @ParameterizedTest(name = "{0}")
    @MethodSource("lyingHeaders")
    void lyingHeadersFailBeforeAllocating(String caseName, boolean images, byte[] content, String expected)
            throws IOException {
        Path file = directory.resolve("lying");
        Files.write(file, content);
        Function<Path, Object> reader = images ? IdxFile::readImages : IdxFile::readLabels;
        long before = allocatedBytes();
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> reader.apply(file));
        long allocated = allocatedBytes() - before;
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        if (before >= 0) {
            assertTrue(allocated < ALLOCATION_LIMIT, "allocated " + allocated + " bytes");
        }
    }

    @Test
    void missingFileIsAFormatErrorNamingTheFile() {
        Path file = directory.resolve("nothing-here");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> IdxFile.readImages(file));
        assertTrue(e.getMessage().contains(file + ": expected an IDX3 image file, found no such file"), e.getMessage());
        DatasetFormatException l = assertThrows(DatasetFormatException.class, () -> IdxFile.readLabels(file));
        assertTrue(l.getMessage().contains(file + ": expected an IDX1 label file, found no such file"), l.getMessage());
    }

    @Test
    void imagesRecordRejectsAPartialImage() {
        TensorShape shape = new TensorShape(1, 2, 3);
        assertEquals(2, new IdxFile.Images(shape, new byte[12]).count());
        assertThrows(IllegalArgumentException.class, () -> new IdxFile.Images(shape, new byte[13]));
    }

    /** Bytes allocated so far by this thread, or -1 where the JVM cannot tell. */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled()) {
            return bean.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }

    /** {@code header}, then {@code zeros} zero bytes, gzip-compressed without holding the zeros in memory. */
    private static byte[] gzipBomb(byte[] header, int zeros) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(header);
            byte[] block = new byte[1 << 20];
            for (int written = 0; written < zeros; written += block.length) {
                gz.write(block, 0, Math.min(block.length, zeros - written));
            }
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    private static byte[] withInt(byte[] content, int offset, int value) {
        byte[] copy = content.clone();
        ByteBuffer.wrap(copy).putInt(offset, value);
        return copy;
    }

    private static byte[] withByte(byte[] content, int offset, int value) {
        byte[] copy = content.clone();
        copy[offset] = (byte) value;
        return copy;
    }
}
