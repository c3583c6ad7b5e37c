package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelFileTest {
    private static final CryptoNetModel MODEL = TestNetworks.randomModel(21);

    @TempDir
    Path directory;

    @Test
    void roundTripPreservesEveryWeight() throws IOException {
        Path file = directory.resolve("m.bin");
        MODEL.save(file);
        CryptoNetModel loaded = CryptoNetModel.load(file);
        for (CryptoNetModel.TensorSpec spec : CryptoNetModel.TENSORS) {
            assertArrayEquals(MODEL.tensor(spec.name()), loaded.tensor(spec.name()), spec.name());
        }
        assertArrayEquals(MODEL.toBytes(), loaded.toBytes());
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(1, files.count(), "the temporary file must be gone");
        }
    }

    @Test
    void layoutIsFrozen() throws Exception {
        byte[] bytes = MODEL.toBytes();
        // 20-byte header; per tensor two length bytes, the name (80 bytes in all) and the shape
        // (16 dimensions in all); 127,540 floats; a 4-byte checksum
        assertEquals(20 + 8 * 2 + 80 + 4 * 16 + 4 * CryptoNetLayers.PARAMETERS + 4, bytes.length);
        assertEquals("CNETMODL", new String(bytes, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, le.getInt(8));
        assertEquals(bytes.length, le.getInt(12));
        assertEquals(8, le.getInt(16));
        assertEquals("conv1.weight", new String(bytes, 21, 12, java.nio.charset.StandardCharsets.US_ASCII));
        // the first weight follows the name, the rank byte and four dimensions
        assertEquals(MODEL.tensor("conv1.weight")[0], le.getFloat(21 + 12 + 1 + 16));
    }

    static Stream<Arguments> corruptions() {
        return Stream.<Arguments>of(
                Arguments.of("flipped weight byte", (UnaryOperator<byte[]>) b -> flip(b, 5000), "checksum mismatch"),
                Arguments.of("flipped checksum byte", (UnaryOperator<byte[]>) b -> flip(b, b.length - 1), "checksum mismatch"),
                Arguments.of("truncated", (UnaryOperator<byte[]>) b -> Arrays.copyOf(b, b.length - 100),
                        "(truncated)"),
                Arguments.of("trailing bytes", (UnaryOperator<byte[]>) b -> Arrays.copyOf(b, b.length + 1),
                        "(trailing data)"),
                Arguments.of("header only", (UnaryOperator<byte[]>) b -> Arrays.copyOf(b, 10),
                        "truncated: expected at least 24 bytes, found 10"),
                Arguments.of("wrong magic", (UnaryOperator<byte[]>) b -> flip(b, 0), "expected magic \"CNETMODL\""),
                Arguments.of("version 2", (UnaryOperator<byte[]>) b -> withInt(b, 8, 2),
                        "unsupported format version: expected 1, found 2"),
                Arguments.of("renamed tensor", (UnaryOperator<byte[]>) b -> resealed(flip(b, 22)),
                        "expected tensor conv1.weight[5, 1, 5, 5], found c"),
                Arguments.of("NaN weight", (UnaryOperator<byte[]>) b -> resealed(withInt(b, 21 + 12 + 1 + 16, 0x7FC00000)),
                        "conv1.weight[0]: expected a finite weight, found NaN"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptions")
    void corruptFilesAreRejectedWithAClearMessage(String caseName, UnaryOperator<byte[]> corrupt, String expected)
            throws IOException {
        Path file = directory.resolve(caseName.replace(' ', '-') + ".bin");
        Files.write(file, corrupt.apply(MODEL.toBytes()));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CryptoNetModel.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void missingFileIsAFormatError() {
        Path file = directory.resolve("absent.bin");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CryptoNetModel.load(file));
        assertTrue(e.getMessage().contains("found no such file"), e.getMessage());
    }

    @Test
    void committedModelLoadsAndMatchesItsDescription() throws Exception {
        CryptoNetModel model = CryptoNetModel.loadDefault();
        byte[] bytes;
        try (var in = CryptoNetModel.class.getResourceAsStream(CryptoNetModel.DEFAULT_RESOURCE)) {
            bytes = in.readAllBytes();
        }
        assertArrayEquals(bytes, model.toBytes());
        String description;
        try (var in = CryptoNetModel.class.getResourceAsStream("/org/cryptonets/net/cryptonet-mnist-v1.txt")) {
            description = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertTrue(description.contains(sha256), "the description must name the model's SHA-256 " + sha256);
    }

    private static byte[] flip(byte[] bytes, int index) {
        byte[] copy = bytes.clone();
        copy[index] ^= 0x01;
        return copy;
    }

    private static byte[] withInt(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return copy;
    }

    /** Recomputes the checksum, to reach the checks behind it. */
    private static byte[] resealed(byte[] bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        return withInt(bytes, bytes.length - 4, (int) crc.getValue());
    }
}
