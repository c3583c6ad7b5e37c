package org.cryptonets.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ImageDatasetTest {
    /** Where the Debian package {@code dataset-fashion-mnist} installs the four gzip IDX files. */
    static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path directory;

    @Test
    void loadsAllFourFiles() throws IOException {
        IdxFixtures.writeDataset(directory, 5, 3);
        ImageDataset data = ImageDataset.load(directory);
        assertEquals(5, data.train().size());
        assertEquals(3, data.test().size());
        assertEquals(LabeledImages.MNIST_SHAPE, data.train().shape());
        byte[] raw = IdxFixtures.images(3, 3);
        assertArrayEquals(Arrays.copyOfRange(raw, 16 + 784, 16 + 2 * 784), data.test().image(1));
        assertEquals(IdxFixtures.labels(5, 2)[8 + 4], data.train().label(4));
        int largest = 0;
        for (byte[] labels : new byte[][] {IdxFixtures.labels(5, 2), IdxFixtures.labels(3, 4)}) {
            for (int i = 8; i < labels.length; i++) {
                largest = Math.max(largest, labels[i]);
            }
        }
        assertEquals(Math.max(2, largest + 1), data.train().classes());
        assertEquals(data.train().classes(), data.test().classes());
    }

    @Test
    void loadsImagesOfAnotherSize() throws IOException {
        byte[] train = IdxFixtures.images(4, IdxFile.IMAGE_MAGIC, 5, 7, 21);
        byte[] test = IdxFixtures.images(2, IdxFile.IMAGE_MAGIC, 5, 7, 22);
        write(train, IdxFixtures.labels(4, 3, 23), test, IdxFixtures.labels(2, 3, 24), false);
        ImageDataset data = ImageDataset.load(directory);
        assertEquals(new TensorShape(1, 5, 7), data.train().shape());
        assertEquals(new TensorShape(1, 5, 7), data.test().shape());
        assertEquals(35, data.test().imageSize());
        assertArrayEquals(Arrays.copyOfRange(test, 16 + 35, 16 + 70), data.test().image(1));
        assertArrayEquals(Arrays.copyOfRange(train, 16 + 3 * 35, 16 + 4 * 35), data.train().image(3));
    }

    /** train labels, test labels, expected classes. */
    static Stream<Arguments> classCounts() {
        return Stream.of(
                Arguments.of(new int[] {0, 1, 2}, new int[] {0, 1, 1}, 3),
                Arguments.of(new int[] {0, 41, 3}, new int[] {17, 2, 0}, 42),
                Arguments.of(new int[] {3, 1, 0}, new int[] {200, 5, 1}, 201),
                Arguments.of(new int[] {255, 0, 7}, new int[] {9, 9, 9}, 256),
                Arguments.of(new int[] {0, 0, 0}, new int[] {0, 0, 0}, 2),
                Arguments.of(new int[] {9, 0, 5}, new int[] {1, 8, 2}, 10));
    }

    @ParameterizedTest(name = "train {0}, test {1}: {2} classes")
    @MethodSource("classCounts")
    void classesAreTheLargestLabelPlusOne(int[] trainLabels, int[] testLabels, int classes) throws IOException {
        write(IdxFixtures.images(3, IdxFile.IMAGE_MAGIC, 2, 2, 31), IdxFixtures.labelsOf(trainLabels),
                IdxFixtures.images(3, IdxFile.IMAGE_MAGIC, 2, 2, 32), IdxFixtures.labelsOf(testLabels), true);
        ImageDataset data = ImageDataset.load(directory);
        assertEquals(classes, data.train().classes());
        assertEquals(classes, data.test().classes());
        for (int i = 0; i < 3; i++) {
            assertEquals(trainLabels[i], data.train().label(i));
            assertEquals(testLabels[i], data.test().label(i));
        }
    }

    @Test
    void gzipOnlyFolderLoadsLikeThePlainOne() throws IOException {
        Path plain = directory.resolve("plain");
        Path gzip = directory.resolve("gzip");
        byte[][] contents = {IdxFixtures.images(6, IdxFile.IMAGE_MAGIC, 3, 4, 41), IdxFixtures.labels(6, 12, 42),
            IdxFixtures.images(2, IdxFile.IMAGE_MAGIC, 3, 4, 43), IdxFixtures.labels(2, 12, 44)};
        MnistFile[] files = MnistFile.values();
        for (int i = 0; i < files.length; i++) {
            IdxFixtures.write(plain, files[i], contents[i], false);
            IdxFixtures.write(gzip, files[i], contents[i], true);
        }
        try (Stream<Path> listing = Files.list(gzip)) {
            assertTrue(listing.allMatch(p -> p.getFileName().toString().endsWith(".gz")));
        }
        assertSameData(ImageDataset.load(plain), ImageDataset.load(gzip));
    }

    @Test
    void plainFileIsPreferredOverItsGzipTwin() throws IOException {
        IdxFixtures.writeDataset(directory, 3, 2);
        ImageDataset expected = ImageDataset.load(directory);
        // Twins that would fail to load: if the loader picked them, the test would see an exception.
        for (MnistFile file : MnistFile.values()) {
            Files.write(directory.resolve(file.fileName() + ".gz"), new byte[] {0x1F, (byte) 0x8B, 1, 2, 3});
        }
        assertSameData(expected, ImageDataset.load(directory));
    }

    @Test
    void plainAndGzipFilesMayBeMixed() throws IOException {
        byte[] trainImages = IdxFixtures.images(3, 51);
        byte[] trainLabels = IdxFixtures.labels(3, 52);
        byte[] testImages = IdxFixtures.images(2, 53);
        byte[] testLabels = IdxFixtures.labels(2, 54);
        IdxFixtures.write(directory, MnistFile.TRAIN_IMAGES, trainImages, true);
        IdxFixtures.write(directory, MnistFile.TRAIN_LABELS, trainLabels, false);
        IdxFixtures.write(directory, MnistFile.TEST_IMAGES, testImages, false);
        IdxFixtures.write(directory, MnistFile.TEST_LABELS, testLabels, true);
        ImageDataset data = ImageDataset.load(directory);
        assertEquals(3, data.train().size());
        assertArrayEquals(Arrays.copyOfRange(testImages, 16, 16 + 784), data.test().image(0));
        assertEquals(testLabels[8 + 1], data.test().label(1));
    }

    @Test
    void rejectsTrainAndTestImagesOfDifferentShapes() throws IOException {
        write(IdxFixtures.images(2, IdxFile.IMAGE_MAGIC, 5, 7, 61), IdxFixtures.labels(2, 62),
                IdxFixtures.images(2, IdxFile.IMAGE_MAGIC, 7, 5, 63), IdxFixtures.labels(2, 64), false);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ImageDataset.load(directory));
        assertTrue(e.getMessage().startsWith(directory.resolve(MnistFile.TEST_IMAGES.fileName()) + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("expected images of the training images' shape 1x5x7"), e.getMessage());
        assertTrue(e.getMessage().contains("found 1x7x5"), e.getMessage());
    }

    @Test
    void rejectsImageAndLabelCountMismatch() throws IOException {
        IdxFixtures.writeDataset(directory, 5, 3);
        Files.write(directory.resolve(MnistFile.TEST_LABELS.fileName()), IdxFixtures.labels(4, 9));
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ImageDataset.load(directory));
        assertTrue(e.getMessage().contains(MnistFile.TEST_LABELS.fileName()), e.getMessage());
        assertTrue(e.getMessage().contains("expected 3 labels"), e.getMessage());
        assertTrue(e.getMessage().contains("found 4"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(MnistFile.class)
    void missingFileMessageListsBothNames(MnistFile missing) throws IOException {
        IdxFixtures.writeDataset(directory, 2, 2);
        Files.delete(directory.resolve(missing.fileName()));
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ImageDataset.load(directory));
        String kind = missing.isImages() ? "an IDX3 image file" : "an IDX1 label file";
        assertEquals(directory + ": expected " + kind + " named " + missing.fileName() + " or " + missing.fileName()
                + ".gz, found neither", e.getMessage());
    }

    @Test
    void rejectsAFolderThatIsNotThere() {
        Path absent = directory.resolve("absent");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ImageDataset.load(absent));
        assertTrue(e.getMessage().startsWith(absent + ": expected a folder holding the four IDX files"), e.getMessage());
        assertTrue(e.getMessage().endsWith("found nothing"), e.getMessage());
    }

    /** {@code --data DIR}: any well-formed IDX data set, no SHA-256 check (the files here are not MNIST). */
    @Test
    void obtainLoadsAnyDataSetFromAFolder() throws IOException {
        write(IdxFixtures.images(3, IdxFile.IMAGE_MAGIC, 9, 9, 71), IdxFixtures.labelsOf(0, 30, 2),
                IdxFixtures.images(1, IdxFile.IMAGE_MAGIC, 9, 9, 72), IdxFixtures.labelsOf(4), true);
        ImageDataset data = ImageDataset.obtain(directory);
        assertEquals(new TensorShape(1, 9, 9), data.train().shape());
        assertEquals(31, data.test().classes());
        assertThrows(DatasetFormatException.class, () -> ImageDataset.loadVerified(directory));
    }

    /** The real Fashion-MNIST, as the Debian package installs it (gzip files only); skipped without it. */
    @Test
    void loadsFashionMnist() {
        assumeTrue(Files.isDirectory(FASHION_MNIST), FASHION_MNIST + " is absent (apt install dataset-fashion-mnist)");
        ImageDataset data = ImageDataset.obtain(FASHION_MNIST);
        assertEquals(60_000, data.train().size());
        assertEquals(10_000, data.test().size());
        assertEquals(LabeledImages.MNIST_SHAPE, data.train().shape());
        assertEquals(LabeledImages.MNIST_SHAPE, data.test().shape());
        assertEquals(10, data.train().classes());
        assertEquals(10, data.test().classes());
        int[] trainPerClass = new int[10];
        int[] testPerClass = new int[10];
        for (int i = 0; i < data.train().size(); i++) {
            trainPerClass[data.train().label(i)]++;
        }
        for (int i = 0; i < data.test().size(); i++) {
            testPerClass[data.test().label(i)]++;
        }
        int[] sixThousand = new int[10];
        int[] oneThousand = new int[10];
        Arrays.fill(sixThousand, 6_000);
        Arrays.fill(oneThousand, 1_000);
        assertArrayEquals(sixThousand, trainPerClass, "Fashion-MNIST is balanced");
        assertArrayEquals(oneThousand, testPerClass, "Fashion-MNIST is balanced");
    }

    private void write(byte[] trainImages, byte[] trainLabels, byte[] testImages, byte[] testLabels, boolean gzip)
            throws IOException {
        IdxFixtures.write(directory, MnistFile.TRAIN_IMAGES, trainImages, gzip);
        IdxFixtures.write(directory, MnistFile.TRAIN_LABELS, trainLabels, gzip);
        IdxFixtures.write(directory, MnistFile.TEST_IMAGES, testImages, gzip);
        IdxFixtures.write(directory, MnistFile.TEST_LABELS, testLabels, gzip);
    }

    private static void assertSameData(ImageDataset expected, ImageDataset actual) {
        for (LabeledImages[] pair : new LabeledImages[][] {{expected.train(), actual.train()}, {expected.test(), actual.test()}}) {
            assertEquals(pair[0].shape(), pair[1].shape());
            assertEquals(pair[0].size(), pair[1].size());
            assertEquals(pair[0].classes(), pair[1].classes());
            for (int i = 0; i < pair[0].size(); i++) {
                assertArrayEquals(pair[0].image(i), pair[1].image(i));
                assertEquals(pair[0].label(i), pair[1].label(i));
            }
        }
    }
}
