package org.cryptonets.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Builds small, well-formed or deliberately broken IDX files for tests. */
final class IdxFixtures {
    private IdxFixtures() {
    }

    static byte[] images(int count, long seed) {
        return images(count, IdxFile.IMAGE_MAGIC, IdxFile.ROWS, IdxFile.COLUMNS, seed);
    }

    static byte[] images(int count, int magic, int rows, int columns, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buffer = ByteBuffer.allocate(16 + count * rows * columns);
        buffer.putInt(magic).putInt(count).putInt(rows).putInt(columns);
        while (buffer.hasRemaining()) {
            buffer.put((byte) random.nextInt(256));
        }
        return buffer.array();
    }

    static byte[] labels(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buffer = ByteBuffer.allocate(8 + count);
        buffer.putInt(IdxFile.LABEL_MAGIC).putInt(count);
        while (buffer.hasRemaining()) {
            buffer.put((byte) random.nextInt(10));
        }
        return buffer.array();
    }

    /** A label file holding exactly {@code values}. */
    static byte[] labelsOf(int... values) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + values.length);
        buffer.putInt(IdxFile.LABEL_MAGIC).putInt(values.length);
        for (int value : values) {
            buffer.put((byte) value);
        }
        return buffer.array();
    }

    /** Labels drawn uniformly from 0..classes - 1. */
    static byte[] labels(int count, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextInt(classes);
        }
        return labelsOf(values);
    }

    /** Just the 16-byte header of an image file, announcing whatever it is told. */
    static byte[] imageHeader(int count, int rows, int columns) {
        return ByteBuffer.allocate(16).putInt(IdxFile.IMAGE_MAGIC).putInt(count).putInt(rows).putInt(columns).array();
    }

    /** Just the 8-byte header of a label file, announcing whatever it is told. */
    static byte[] labelHeader(int count) {
        return ByteBuffer.allocate(8).putInt(IdxFile.LABEL_MAGIC).putInt(count).array();
    }

    /** Writes one of the four files into {@code directory}, gzip-compressed under {@code name.gz} if asked. */
    static Path write(Path directory, MnistFile file, byte[] content, boolean gzip) throws IOException {
        Files.createDirectories(directory);
        Path path = directory.resolve(file.fileName() + (gzip ? ".gz" : ""));
        Files.write(path, gzip ? gzip(content) : content);
        return path;
    }

    /** Writes a complete, structurally valid (but not genuine) MNIST directory. */
    static void writeDataset(Path directory, int trainCount, int testCount) throws IOException {
        Files.createDirectories(directory);
        Files.write(directory.resolve(MnistFile.TRAIN_IMAGES.fileName()), images(trainCount, 1));
        Files.write(directory.resolve(MnistFile.TRAIN_LABELS.fileName()), labels(trainCount, 2));
        Files.write(directory.resolve(MnistFile.TEST_IMAGES.fileName()), images(testCount, 3));
        Files.write(directory.resolve(MnistFile.TEST_LABELS.fileName()), labels(testCount, 4));
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
