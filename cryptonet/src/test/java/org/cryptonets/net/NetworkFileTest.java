package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.cryptonets.data.TensorShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NetworkFileTest {
    private static final FloatNetwork PAPER = CryptoNetModel.loadDefault().toFloatNetwork();
    private static final Map<String, String> METADATA = metadata();
    private static final byte[] BYTES = NetworkFile.toBytes(PAPER, METADATA);
    private static final Layout LAYOUT = Layout.of(BYTES);

    @TempDir
    Path directory;

    private static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("seed", "20160620");
        m.put("architecture", "cryptonet");
        m.put("command", "cryptonets train --epochs 25 --data ~/mnist");
        m.put("dataset", "MNIST (60,000 training images)");
        m.put("float_accuracy", "0.9917");
        m.put("created_by", "CryptoNets for the JVM \u2013 NetworkFileTest");
        return m;
    }

    @Test
    void paperNetworkRoundTripsWithBitIdenticalLogits() throws IOException {
        Path file = directory.resolve("paper.cnet");
        NetworkFile.save(PAPER, METADATA, file);
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(List.of(file), files.toList(), "the temporary file must be gone");
        }
        NetworkFile.Model model = NetworkFile.load(file);
        assertEquals(METADATA, model.metadata());
        assertEquals(List.copyOf(new java.util.TreeMap<>(METADATA).keySet()), List.copyOf(model.metadata().keySet()));
        FloatNetwork loaded = model.network();
        assertEquals(PAPER.inputShape(), loaded.inputShape());
        assertEquals(PAPER.layers().size(), loaded.layers().size());
        for (int l = 0; l < PAPER.layers().size(); l++) {
            FloatNetwork.Layer a = PAPER.layers().get(l);
            FloatNetwork.Layer b = loaded.layers().get(l);
            assertEquals(a.name(), b.name());
            assertEquals(a.output(), b.output());
            assertEquals(a.getClass(), b.getClass());
            if (a instanceof FloatNetwork.Affine x && b instanceof FloatNetwork.Affine y) {
                assertArrayEquals(x.rowStart(), y.rowStart(), a.name());
                assertArrayEquals(x.columns(), y.columns(), a.name());
                assertArrayEquals(x.values(), y.values(), a.name());
                assertArrayEquals(x.bias(), y.bias(), a.name());
            }
        }
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < 20; i++) {
            byte[] image = new byte[PAPER.inputShape().size()];
            for (int k = 0; k < image.length; k++) {
                image[k] = (byte) random.nextInt(256);
            }
            double[] expected = PAPER.logits(image);
            double[] actual = loaded.logits(image);
            for (int c = 0; c < expected.length; c++) {
                assertEquals(Double.doubleToRawLongBits(expected[c]), Double.doubleToRawLongBits(actual[c]),
                        "image " + i + " class " + c);
            }
        }
        assertArrayEquals(BYTES, NetworkFile.toBytes(loaded, model.metadata()), "re-serialisation is byte-identical");
        assertArrayEquals(BYTES, Files.readAllBytes(file));
    }

    @Test
    void layoutIsFrozen() {
        ByteBuffer le = ByteBuffer.wrap(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("CNETNETW", new String(BYTES, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(1, le.getInt(8));
        assertEquals(BYTES.length, le.getInt(12));
        assertEquals(METADATA.size(), le.getInt(16));
        // keys sorted: "architecture" first
        assertEquals(12, le.getShort(20));
        assertEquals("architecture", new String(BYTES, 22, 12, StandardCharsets.US_ASCII));
        assertEquals(PAPER.layers().size(), le.getInt(LAYOUT.layerCount));
        assertEquals(1, le.getInt(LAYOUT.layerCount - 12));
        assertEquals(28, le.getInt(LAYOUT.layerCount - 8));
        long expected = 16 + 4 + 12 + 4 + 4;
        for (Map.Entry<String, String> e : METADATA.entrySet()) {
            expected += 2 + e.getKey().length() + 4 + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        for (FloatNetwork.Layer layer : PAPER.layers()) {
            expected += 1 + 2 + layer.name().length() + 12;
            if (layer instanceof FloatNetwork.Affine a) {
                expected += 8 + 4L * (a.output().size() + 1) + 12L * a.nonZeros() + 8L * a.output().size();
            }
        }
        assertEquals(expected, BYTES.length);
    }

    static Stream<Arguments> damagedFiles() {
        int fc1 = LAYOUT.index("fc1");
        int fc2 = LAYOUT.index("fc2");
        int pad = LAYOUT.index("pad");
        return Stream.of(
                // truncation, unsealed: the header's length notices
                damaged("shorter than the minimum", b -> Arrays.copyOf(b, 10),
                        "truncated: expected at least 40 bytes, found 10"),
                damaged("cut in the metadata", b -> Arrays.copyOf(b, 60), "bytes, found 60 (truncated)"),
                damaged("cut in the weights", b -> Arrays.copyOf(b, b.length - 1000), "(truncated)"),
                damaged("trailing data", b -> Arrays.copyOf(b, b.length + 3), "(trailing data)"),
                // truncation at each kind of field, resealed (length and checksum fixed)
                damaged("resealed cut in a metadata value", b -> sealed(withInt(cut(b, 40), 16, 1)),
                        "expected 9 bytes for metadata architecture (9 bytes) at byte 38, found 2 bytes before the checksum"),
                damaged("resealed cut in the input shape", b -> cut(b, LAYOUT.layerCount - 6),
                        "bytes for input shape height"),
                damaged("resealed cut before the layer count", b -> cut(b, LAYOUT.layerCount),
                        "bytes for layer count"),
                damaged("resealed cut in a layer name", b -> cut(b, LAYOUT.start[pad] + 4),
                        "bytes for 9 layers of at least 15 bytes each"),
                damaged("resealed cut in a layer's name", b -> cut(b, LAYOUT.start[fc2] + 4),
                        "bytes for layer 8 name (3 bytes)"),
                damaged("resealed cut in the row offsets", b -> cut(b, LAYOUT.rowStart[fc2] + 8),
                        "bytes for layer 8 (fc2): 10 rows and 1000 weights"),
                damaged("resealed cut in the weights", b -> cut(b, LAYOUT.values[fc1] + 800),
                        "bytes for layer 6 (fc1): 100 rows and 125000 weights"),
                damaged("resealed cut after the layers", b -> cut(b, LAYOUT.start[fc2]), "bytes for layer 8 type"),
                // corruption caught by the header and checksum
                damaged("flipped weight byte", b -> flip(b, LAYOUT.values[fc1] + 100), "checksum mismatch"),
                damaged("flipped checksum byte", b -> flip(b, b.length - 1), "checksum mismatch"),
                damaged("wrong magic", b -> flip(b, 4), "not a CryptoNet network file: expected magic \"CNETNETW\","
                        + " found \"CNETOETW\""),
                damaged("CryptoNetModel magic", b -> ascii(b, 0, "CNETMODL"), "expected magic \"CNETNETW\""),
                damaged("version 2", b -> withInt(b, 8, 2), "unsupported format version: expected 1, found 2"),
                damaged("declared length lies", b -> withInt(b, 12, b.length + 8),
                        "header declares " + (BYTES.length + 8) + " bytes, found " + BYTES.length + " (truncated)"),
                // well sealed, but lying about counts or contents
                damaged("layer count 2^31-1", b -> sealed(withInt(b, LAYOUT.layerCount, Integer.MAX_VALUE)),
                        "expected 1..4096 layers, found 2147483647"),
                damaged("layer count 2^32-1", b -> sealed(withInt(b, LAYOUT.layerCount, -1)),
                        "expected 1..4096 layers, found 4294967295"),
                damaged("layer count beyond the layers", b -> sealed(withInt(b, LAYOUT.layerCount, 4000)),
                        "expected 1 bytes for layer 9 type at byte " + (BYTES.length - 4) + ", found 0 bytes"),
                damaged("layer count beyond the bytes", b -> sealed(withInt(cut(b, LAYOUT.layerCount + 100),
                        LAYOUT.layerCount, 4000)), "expected 60000 bytes for 4000 layers of at least 15 bytes each at"
                        + " byte " + (LAYOUT.layerCount + 4) + ", found 96 bytes before the checksum"),
                damaged("metadata count 2^31-1", b -> sealed(withInt(b, 16, Integer.MAX_VALUE)),
                        "expected at most 256 metadata entries, found 2147483647"),
                damaged("metadata count beyond the bytes", b -> sealed(withInt(cut(b, 60), 16, 250)),
                        "expected 1750 bytes for 250 metadata entries of at least 7 bytes each at byte 20, found 40"),
                damaged("nnz beyond the bytes", b -> sealed(withInt(b, LAYOUT.nnz[fc1], 30_000_000)),
                        "layer 6 (fc1): 100 rows and 30000000 weights at byte"),
                damaged("nnz 2^31-1", b -> sealed(withInt(b, LAYOUT.nnz[fc1], Integer.MAX_VALUE)),
                        "layer 6 (fc1): expected at most 33554432 weights, found 2147483647"),
                damaged("rows differ from the output", b -> sealed(withInt(b, LAYOUT.nnz[fc2] - 4, 11)),
                        "layer 8 (fc2): expected 10 rows (the output size 10x1x1), found 11"),
                damaged("huge output shape", b -> sealed(withInt(b, LAYOUT.nnz[fc2] - 16, 1 << 30)),
                        "layer 8 (fc2) output shape: expected positive dimensions with at most 268435456 values,"
                        + " found 1073741824x1x1"),
                damaged("decreasing row offsets", b -> sealed(withInt(b, LAYOUT.rowStart[fc2] + 8, 0)),
                        "layer 8 (fc2): expected row offset 2 in 100..1000"),
                damaged("row offsets miss nnz", b -> sealed(withInt(b, LAYOUT.rowStart[fc2] + 40, 999)),
                        "layer 8 (fc2): expected the row offsets to end at the weight count 1000, found 999"),
                damaged("column out of range", b -> sealed(withInt(b, LAYOUT.columns[fc2] + 4 * 99, 100)),
                        "layer 8 (fc2): row 0: expected a column in 99..99 (increasing, within the input size 100),"
                        + " found 100"),
                damaged("column 2^32-1", b -> sealed(withInt(b, LAYOUT.columns[fc2], -1)),
                        "layer 8 (fc2): row 0: expected a column in 0..99 (increasing, within the input size 100),"
                        + " found 4294967295"),
                damaged("repeated column", b -> sealed(withInt(b, LAYOUT.columns[fc2] + 4, 0)),
                        "row 0: expected a column in 1..99"),
                damaged("NaN weight", b -> sealed(withLong(b, LAYOUT.values[fc1] + 8 * 7, 0x7FF8000000000000L)),
                        "layer 6 (fc1): weight 7: expected a finite value, found NaN"),
                damaged("infinite bias", b -> sealed(withLong(b, LAYOUT.values[fc2] + 8 * 1000,
                        Double.doubleToLongBits(Double.NEGATIVE_INFINITY))),
                        "layer 8 (fc2): bias 0: expected a finite value, found -Infinity"),
                damaged("unknown layer type", b -> sealed(withByte(b, LAYOUT.start[fc2], 7)),
                        "layer 8: expected layer type 1 (affine) or 2 (square), found 7"),
                damaged("last layer a square", b -> sealed(withByte(b, LAYOUT.start[fc2], 2)),
                        "layer 8 (fc2): expected a square of 100x1x1 (100 values), found 10x1x1 (10 values)"),
                damaged("metadata keys out of order", b -> sealed(ascii(b, 22, "zrchitecture")),
                        "metadata entry 1: expected keys in increasing order, each once, found \"command\" after"
                        + " \"zrchitecture\""),
                damaged("metadata key not ASCII", b -> sealed(withByte(b, 22, 0xC3)),
                        "metadata entry 0 key: expected UTF-8 text, found malformed bytes"),
                damaged("input shape of zero channels", b -> sealed(withInt(b, LAYOUT.layerCount - 12, 0)),
                        "input shape: expected positive dimensions"),
                damaged("input shape that does not chain", b -> sealed(withInt(b, LAYOUT.layerCount - 4, 27)),
                        "layer 0 (pad): row 813: expected a column in 0..755 (increasing, within the input size 756),"
                        + " found 756"),
                damaged("unread bytes before the checksum", b -> sealed(withInt(insert(b, b.length - 4, 4), 12,
                        b.length + 4)), "expected the checksum at byte " + (BYTES.length - 4) + ", found it at byte "
                        + BYTES.length + " (4 unread bytes)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damagedFiles")
    void damagedFilesAreRejectedWithAClearMessage(String caseName, UnaryOperator<byte[]> damage, String expected)
            throws IOException {
        Path file = directory.resolve(caseName.replace(' ', '-') + ".cnet");
        Files.write(file, damage.apply(BYTES.clone()));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> NetworkFile.load(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void missingFilesFoldersAndHugeFilesAreFormatErrors() throws IOException {
        Path absent = directory.resolve("absent.cnet");
        assertTrue(assertThrows(ModelFormatException.class, () -> NetworkFile.load(absent)).getMessage()
                .contains("expected a network file, found no such file"));
        assertTrue(assertThrows(ModelFormatException.class, () -> NetworkFile.load(directory)).getMessage()
                .contains("expected a network file, found a folder"));
        Path huge = directory.resolve("huge.cnet");
        try (RandomAccessFile sparse = new RandomAccessFile(huge.toFile(), "rw")) {
            sparse.setLength(NetworkFile.MAX_FILE_BYTES + 1);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> NetworkFile.load(huge));
        assertEquals(huge + ": expected a network file of at most 536870912 bytes, found 536870913 bytes",
                e.getMessage());
    }

    @Test
    void saveIntoAFolderLeavesNoTemporaryFile() throws IOException {
        Path target = Files.createDirectory(directory.resolve("model.cnet"));
        IOException e = assertThrows(IOException.class, () -> NetworkFile.save(PAPER, METADATA, target));
        assertTrue(e.getMessage().contains("found a folder"), e.getMessage());
        Path full = Files.createDirectory(directory.resolve("full.cnet"));
        Files.writeString(full.resolve("inside"), "x");
        assertThrows(IOException.class, () -> NetworkFile.save(PAPER, METADATA, full));
        assertTrue(Files.isDirectory(target));
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(2, files.count(), "only the two folders");
        }
        try (Stream<Path> files = Files.list(target)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void saveUnderAFileOrWithBadMetadataWritesNothing() throws IOException {
        Path plain = Files.writeString(directory.resolve("plain"), "x");
        assertThrows(IOException.class, () -> NetworkFile.save(PAPER, METADATA, plain.resolve("model.cnet")));
        Path target = directory.resolve("model.cnet");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkFile.save(PAPER, Map.of("bad key", "v"), target));
        assertTrue(e.getMessage().contains("metadata key \"bad key\""), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> NetworkFile.save(PAPER, Map.of("k", "v".repeat(NetworkFile.MAX_VALUE_BYTES + 1)), target));
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(List.of(plain), files.toList());
        }
    }

    @Test
    void saveIntoAReadOnlyFolderLeavesNothing() throws IOException {
        Path folder = Files.createDirectory(directory.resolve("readonly"));
        Path target = folder.resolve("model.cnet");
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(folder), "running with privileges that ignore folder permissions");
            assertThrows(IOException.class, () -> NetworkFile.save(PAPER, METADATA, target));
            try (Stream<Path> files = Files.list(folder)) {
                assertEquals(0, files.count());
            }
        } finally {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void saveReplacesAnExistingFile() throws IOException {
        Path file = directory.resolve("model.cnet");
        Files.writeString(file, "old");
        NetworkFile.save(PAPER, null, file);
        NetworkFile.Model model = NetworkFile.load(file);
        assertTrue(model.metadata().isEmpty());
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void smallNetworksWithSquaresFirstAndEmptyNamesRoundTrip() {
        TensorShape in = new TensorShape(2, 3, 3);
        double[] w = new double[4 * 18];
        for (int k = 0; k < w.length; k++) {
            w[k] = k % 3 == 0 ? 0 : k * 0.25 - 3;
        }
        FloatNetwork net = new FloatNetwork(in, List.of(new FloatNetwork.Square("", in),
                FloatNetwork.Affine.dense("d\u00e9nse", in, 4, w, new double[] {1, 2, 3, 4})));
        NetworkFile.Model model = NetworkFile.read(NetworkFile.toBytes(net, Map.of()), "mem");
        assertEquals("", model.network().layers().get(0).name());
        assertEquals("d\u00e9nse", model.network().layers().get(1).name());
        double[] x = new double[18];
        Arrays.fill(x, 0.5);
        assertArrayEquals(net.logits(x), model.network().logits(x));
        assertThrows(UnsupportedOperationException.class, () -> model.metadata().put("a", "b"));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static Arguments damaged(String name, UnaryOperator<byte[]> damage, String expected) {
        return Arguments.of(name, damage, expected);
    }

    /** The offsets of every field of interest, found by walking the format as documented. */
    private static final class Layout {
        int layerCount;
        final List<String> names = new ArrayList<>();
        int[] start;
        int[] nnz;
        int[] rowStart;
        int[] columns;
        int[] values;

        int index(String name) {
            return names.indexOf(name);
        }

        static Layout of(byte[] bytes) {
            ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            Layout layout = new Layout();
            in.position(16);
            int entries = in.getInt();
            for (int e = 0; e < entries; e++) {
                int keyLength = in.getShort() & 0xFFFF;
                in.position(in.position() + keyLength);
                int valueLength = in.getInt();
                in.position(in.position() + valueLength);
            }
            in.position(in.position() + 12);
            layout.layerCount = in.position();
            int layers = in.getInt();
            layout.start = new int[layers];
            layout.nnz = new int[layers];
            layout.rowStart = new int[layers];
            layout.columns = new int[layers];
            layout.values = new int[layers];
            for (int l = 0; l < layers; l++) {
                layout.start[l] = in.position();
                byte type = in.get();
                byte[] name = new byte[in.getShort()];
                in.get(name);
                layout.names.add(new String(name, StandardCharsets.UTF_8));
                in.position(in.position() + 12);
                if (type == 1) {
                    int rows = in.getInt();
                    layout.nnz[l] = in.position();
                    int count = in.getInt();
                    layout.rowStart[l] = in.position();
                    layout.columns[l] = layout.rowStart[l] + 4 * (rows + 1);
                    layout.values[l] = layout.columns[l] + 4 * count;
                    in.position(layout.values[l] + 8 * count + 8 * rows);
                }
            }
            return layout;
        }
    }

    private static byte[] flip(byte[] bytes, int index) {
        bytes[index] ^= 0x01;
        return bytes;
    }

    private static byte[] withByte(byte[] bytes, int offset, int value) {
        bytes[offset] = (byte) value;
        return bytes;
    }

    private static byte[] withInt(byte[] bytes, int offset, int value) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return bytes;
    }

    private static byte[] withLong(byte[] bytes, int offset, long value) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
        return bytes;
    }

    private static byte[] ascii(byte[] bytes, int offset, String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, bytes, offset, t.length);
        return bytes;
    }

    private static byte[] insert(byte[] bytes, int offset, int count) {
        byte[] longer = new byte[bytes.length + count];
        System.arraycopy(bytes, 0, longer, 0, offset);
        System.arraycopy(bytes, offset, longer, offset + count, bytes.length - offset);
        return longer;
    }

    /** The first {@code length} bytes with a correct declared length and checksum appended. */
    private static byte[] cut(byte[] bytes, int length) {
        byte[] shorter = Arrays.copyOf(bytes, length + 4);
        withInt(shorter, 12, shorter.length);
        return sealed(shorter);
    }

    /** Recomputes the checksum, to reach the checks behind it. */
    private static byte[] sealed(byte[] bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        return withInt(bytes, bytes.length - 4, (int) crc.getValue());
    }

    @Test
    void helpersFindTheDocumentedFields() {
        assertEquals(List.of("pad", "conv1", "square1", "pool1", "conv2", "pool2", "fc1", "square2", "fc2"),
                LAYOUT.names);
        assertFalse(LAYOUT.values[LAYOUT.index("fc1")] == 0);
    }
}
