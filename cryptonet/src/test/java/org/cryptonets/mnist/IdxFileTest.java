package org.cryptonets.mnist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IdxFileTest {
    @TempDir
    Path directory;

    @Test
    void readsWellFormedImagesAndLabels() throws IOException {
        byte[] images = IdxFixtures.images(3, 7);
        byte[] labels = IdxFixtures.labels(3, 8);
        Files.write(directory.resolve("i"), images);
        Files.write(directory.resolve("l"), labels);
        assertArrayEquals(Arrays.copyOfRange(images, 16, images.length), IdxFile.readImages(directory.resolve("i")));
        assertArrayEquals(Arrays.copyOfRange(labels, 8, labels.length), IdxFile.readLabels(directory.resolve("l")));
    }

    @Test
    void readsAnEmptyFile() {
        assertEquals(0, IdxFile.parseImages(IdxFixtures.images(0, 1), "x").length);
        assertEquals(0, IdxFile.parseLabels(IdxFixtures.labels(0, 1), "x").length);
    }

    static Stream<Arguments> brokenImageFiles() {
        byte[] valid = IdxFixtures.images(2, 5);
        return Stream.of(
                Arguments.of("empty", new byte[0], "truncated IDX3 header: expected at least 16 bytes, found 0"),
                Arguments.of("short header", Arrays.copyOf(valid, 15), "expected at least 16 bytes, found 15"),
                Arguments.of("label magic", withInt(valid, 0, IdxFile.LABEL_MAGIC),
                        "expected magic 0x00000803 (IDX3, unsigned bytes), found 0x00000801"),
                Arguments.of("gzip", withInt(valid, 0, 0x1F8B0808), "gzip-compressed"),
                Arguments.of("28x27", IdxFixtures.images(2, IdxFile.IMAGE_MAGIC, 28, 27, 5),
                        "expected 28x28 images, found 28x27"),
                Arguments.of("truncated", Arrays.copyOf(valid, valid.length - 1),
                        "expected exactly 1584 bytes, found 1583 (truncated)"),
                Arguments.of("trailing", Arrays.copyOf(valid, valid.length + 3),
                        "expected exactly 1584 bytes, found 1587 (trailing data)"),
                Arguments.of("count too large", withInt(valid, 4, 3), "header announces 3 images"),
                Arguments.of("negative count", withInt(valid, 4, -1), "non-negative count"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenImageFiles")
    void rejectsBrokenImageFiles(String caseName, byte[] content, String expected) throws IOException {
        Path file = directory.resolve("images-" + caseName);
        Files.write(file, content);
        MnistFormatException e = assertThrows(MnistFormatException.class, () -> IdxFile.readImages(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    static Stream<Arguments> brokenLabelFiles() {
        byte[] valid = IdxFixtures.labels(4, 5);
        byte[] outOfRange = valid.clone();
        outOfRange[8 + 2] = 10;
        byte[] negative = valid.clone();
        negative[8 + 3] = (byte) 200;
        return Stream.of(
                Arguments.of("short header", Arrays.copyOf(valid, 7), "expected at least 8 bytes, found 7"),
                Arguments.of("image magic", withInt(valid, 0, IdxFile.IMAGE_MAGIC),
                        "expected magic 0x00000801 (IDX1, unsigned bytes), found 0x00000803"),
                Arguments.of("truncated", Arrays.copyOf(valid, 11), "expected exactly 12 bytes, found 11"),
                Arguments.of("label 10", outOfRange, "label 2: expected 0..9, found 10"),
                Arguments.of("label 200", negative, "label 3: expected 0..9, found 200"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenLabelFiles")
    void rejectsBrokenLabelFiles(String caseName, byte[] content, String expected) throws IOException {
        Path file = directory.resolve("labels-" + caseName);
        Files.write(file, content);
        MnistFormatException e = assertThrows(MnistFormatException.class, () -> IdxFile.readLabels(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void missingFileIsAFormatErrorNamingTheFile() {
        Path file = directory.resolve("nothing-here");
        MnistFormatException e = assertThrows(MnistFormatException.class, () -> IdxFile.readImages(file));
        assertTrue(e.getMessage().contains(file + ": expected an IDX3 image file, found no such file"), e.getMessage());
    }

    @Test
    void datasetLoadsAllFourFiles() throws IOException {
        IdxFixtures.writeDataset(directory, 5, 3);
        MnistDataset data = MnistDataset.load(directory);
        assertEquals(5, data.train().size());
        assertEquals(3, data.test().size());
        byte[] raw = IdxFixtures.images(3, 3);
        assertArrayEquals(Arrays.copyOfRange(raw, 16 + 784, 16 + 2 * 784), data.test().image(1));
        assertEquals(IdxFixtures.labels(5, 2)[8 + 4], data.train().label(4));
    }

    @Test
    void datasetRejectsImageAndLabelCountMismatch() throws IOException {
        IdxFixtures.writeDataset(directory, 5, 3);
        Files.write(directory.resolve(MnistFile.TEST_LABELS.fileName()), IdxFixtures.labels(4, 9));
        MnistFormatException e = assertThrows(MnistFormatException.class, () -> MnistDataset.load(directory));
        assertTrue(e.getMessage().contains(MnistFile.TEST_LABELS.fileName()), e.getMessage());
        assertTrue(e.getMessage().contains("expected 3 labels"), e.getMessage());
        assertTrue(e.getMessage().contains("found 4"), e.getMessage());
    }

    @Test
    void datasetReportsTheMissingFile() throws IOException {
        IdxFixtures.writeDataset(directory, 2, 2);
        Files.delete(directory.resolve(MnistFile.TRAIN_LABELS.fileName()));
        MnistFormatException e = assertThrows(MnistFormatException.class, () -> MnistDataset.load(directory));
        assertTrue(e.getMessage().contains(MnistFile.TRAIN_LABELS.fileName() + ": expected an IDX1 label file, found no such file"),
                e.getMessage());
    }

    private static byte[] withInt(byte[] content, int offset, int value) {
        byte[] copy = content.clone();
        ByteBuffer.wrap(copy).putInt(offset, value);
        return copy;
    }
}
