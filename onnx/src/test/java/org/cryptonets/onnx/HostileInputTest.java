package org.cryptonets.onnx;

import static org.cryptonets.onnx.Models.floats;
import static org.cryptonets.onnx.Models.integer;
import static org.cryptonets.onnx.Models.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cryptonets.onnx.proto.OnnxSubset.AttributeProto;
import org.cryptonets.onnx.proto.OnnxSubset.ModelProto;
import org.cryptonets.onnx.proto.OnnxSubset.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed, oversized and malicious inputs: always an OnnxImportException with a clear message. */
class HostileInputTest {
    private static final String NAME = "hostile.onnx";

    private static OnnxImportException refused(byte[] bytes) {
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.read(bytes, NAME));
        assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
        return e;
    }

    private static void assertMessage(OnnxImportException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
        }
    }

    /** x [1, 4] -> Gemm(fc.weight [3, 4], fc.bias [3], transB 1) -> y. */
    static Models.Graph dense() {
        return new Models.Graph().input("x", "N", 4).output("y")
                .init(floats("fc.weight", new long[] {3, 4}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
                .init(floats("fc.bias", new long[] {3}, 0.5, -0.5, 1))
                .node("Gemm", "/fc/Gemm", List.of("x", "fc.weight", "fc.bias"), "y", integer("transB", 1));
    }

    @Test
    void theBaseModelImports() {
        double[] out = OnnxImporter.read(dense().bytes(), NAME).logits(new double[] {1, 0, 0, 1});
        assertEquals(List.of(5.5, 12.5, 22.0), Arrays.stream(out).boxed().toList());
    }

    @Test
    void truncatedFilesAreRefused() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.resource("conv_square_pool.onnx"));
        int wrapped = 0;
        for (int length = 1; length < whole.length; length += 37) {
            OnnxImportException e = refused(Arrays.copyOf(whole, length));
            if (e.getCause() instanceof InvalidProtocolBufferException) {
                wrapped++;
                assertMessage(e, "not a valid ONNX model");
            }
        }
        assertTrue(wrapped > 10, "most truncations should be protobuf errors, found " + wrapped);
    }

    @Test
    void randomBytesAreRefused() {
        Random random = new Random(20160619);
        for (int k = 0; k < 300; k++) {
            byte[] bytes = new byte[1 + random.nextInt(4000)];
            random.nextBytes(bytes);
            refused(bytes);
        }
    }

    @Test
    void protobufErrorsAreWrapped() {
        OnnxImportException e = refused(new byte[] {0x0a, 0x7f, 0x01});
        assertInstanceOf(InvalidProtocolBufferException.class, e.getCause());
        assertMessage(e, "not a valid ONNX model (protobuf ModelProto)");
    }

    @Test
    void aTensorDeclaringTwoToTheFortyValuesIsRefusedBeforeAllocation() {
        TensorProto huge = floats("huge", new long[] {1L << 20, 1L << 20});
        byte[] bytes = dense().init(huge).bytes();
        assertTrue(bytes.length < 1000);
        assertMessage(refused(bytes), "initializer \"huge\"", "[1048576, 1048576]", "67108864");
        // the same inside a Constant node, and as the shape a ConstantOfShape would fill
        Models.Graph constant = dense().node(Models.node("Constant", "/big", List.of(), "big",
                AttributeProto.newBuilder().setName("value").setT(huge).build()));
        assertMessage(refused(constant.bytes()), "node \"/big\" (Constant)", "67108864");
        Models.Graph filled = dense().init(ints("shape", new long[] {1}, 1L << 40))
                .node("ConstantOfShape", "/fill", List.of("shape"), "filled");
        assertMessage(refused(filled.bytes()), "node \"/fill\" (ConstantOfShape)", "[1099511627776]");
    }

    @Test
    void rawDataOfTheWrongLengthIsRefused() {
        TensorProto t = TensorProto.newBuilder().setName("w").setDataType(1).addDims(10)
                .setRawData(ByteString.copyFrom(new byte[8])).build();
        assertMessage(refused(dense().init(t).bytes()), "initializer \"w\"", "declares 10 float values (40 bytes)",
                "holds 8 bytes");
    }

    @Test
    void externalDataIsRefused() {
        TensorProto t = TensorProto.newBuilder().setName("w").setDataType(1).addDims(10)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL).build();
        assertMessage(refused(dense().init(t).bytes()), "initializer \"w\"", "external file");
    }

    @Test
    void emptyGraphAndMissingGraphAreRefused() {
        Models.Graph empty = new Models.Graph().input("x", 1, 4).output("x");
        assertMessage(refused(empty.bytes()), "the graph has no nodes");
        byte[] noGraph = ModelProto.newBuilder().setIrVersion(8).build().toByteArray();
        assertMessage(refused(noGraph), "no graph");
        assertMessage(refused(new byte[0]), "empty");
    }

    @Test
    void gemmWeightsOfTheWrongSizeAreRefused() {
        Models.Graph g = new Models.Graph().input("x", "N", 5).output("y")
                .init(floats("fc.weight", new long[] {3, 4}, new double[12]))
                .node("Gemm", "/fc/Gemm", List.of("x", "fc.weight"), "y", integer("transB", 1));
        assertMessage(refused(g.bytes()), "node \"/fc/Gemm\" (Gemm)", "weight \"fc.weight\" is 3x4", "input has 5 values");
        Models.Graph bias = dense();
        bias.initializers.set(1, floats("fc.bias", new long[] {2}, 1, 2));
        assertMessage(refused(bias.bytes()), "node \"/fc/Gemm\" (Gemm)", "bias \"fc.bias\"", "expected 3 values");
    }

    @Test
    void nonFiniteWeightsAreRefused() {
        Models.Graph g = dense();
        g.initializers.set(0, floats("fc.weight", new long[] {3, 4}, 1, 2, 3, 4, 5, Double.NaN, 7, 8, 9, 10, 11, 12));
        assertMessage(refused(g.bytes()), "node \"/fc/Gemm\" (Gemm)", "non-finite");
    }

    @Test
    void layersTooLargeAreRefusedBeforeTheyAreBuilt() {
        Models.Graph wide = new Models.Graph().input("x", 1, 1, 4096, 4096).output("y")
                .init(floats("w", new long[] {64, 1, 3, 3}, new double[64 * 9]))
                .node("Conv", "/conv", List.of("x", "w"), "y");
        assertMessage(refused(wide.bytes()), "node \"/conv\" (Conv)", "more than 16777216 values");
        Models.Graph dense = new Models.Graph().input("x", 1, 64, 64, 64).output("y")
                .init(floats("w", new long[] {64, 64, 5, 5}, new double[64 * 64 * 25]))
                .node("Conv", "/conv", List.of("x", "w"), "y");
        assertMessage(refused(dense.bytes()), "node \"/conv\" (Conv)", "above the limit of 33554432");
    }

    @Test
    void graphStructureErrorsAreRefused() {
        Models.Graph noOpset = dense();
        byte[] bytes = noOpset.model().toBuilder().clearOpsetImport().build().toByteArray();
        assertMessage(refused(bytes), "no opset");
        Models.Graph future = dense();
        future.opset = 99;
        assertMessage(refused(future.bytes()), "opset 99 is not supported");
        Models.Graph twoInputs = dense();
        byte[] two = twoInputs.model().toBuilder().setGraph(twoInputs.model().getGraph().toBuilder()
                .addInput(Models.value("z", 1, 4))).build().toByteArray();
        assertMessage(refused(two), "2 inputs", "\"x\"", "\"z\"");
        assertMessage(refused(dense().input("x", 1, 2, 2).bytes()), "rank 3");
        assertMessage(refused(dense().input("x", 8, 4).bytes()), "batch dimension 8");
        assertMessage(refused(dense().input("x", "N", "K").bytes()), "dynamic shapes", "\"K\"");
        Models.Graph undefined = dense().node("Mul", "/mul", List.of("y", "nowhere"), "z").output("z");
        assertMessage(refused(undefined.bytes()), "node \"/mul\" (Mul)", "\"nowhere\"");
        Models.Graph twice = dense().node("Neg", "/neg", List.of("y"), "y");
        assertMessage(refused(twice.bytes()), "node \"/neg\" (Neg)", "produced twice");
        Models.Graph wrongOutput = dense().output("elsewhere");
        assertMessage(refused(wrongOutput.bytes()), "\"elsewhere\"", "single chain");
        Models.Graph endsSquare = dense().node("Mul", "/sq", List.of("y", "y"), "z").output("z");
        assertMessage(refused(endsSquare.bytes()), "ends with the square activation \"/sq\"");
        Models.Graph custom = dense().node(Models.node("Foo", "/foo", List.of("y"), "z").toBuilder()
                .setDomain("com.example").build()).output("z");
        assertMessage(refused(custom.bytes()), "node \"/foo\" (Foo) is not supported", "com.example");
    }

    @Test
    void filesAreCheckedBeforeReading(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.onnx");
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.load(missing));
        assertTrue(e.getMessage().startsWith(missing + ": no such file"), e.getMessage());
        e = assertThrows(OnnxImportException.class, () -> OnnxImporter.load(dir));
        assertTrue(e.getMessage().startsWith(dir + ": is a folder"), e.getMessage());
        Path huge = dir.resolve("huge.onnx");
        try (java.io.RandomAccessFile sparse = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            sparse.setLength(OnnxImporter.MAX_FILE_BYTES + 1); // sparse: no disk space used
        }
        e = assertThrows(OnnxImportException.class, () -> OnnxImporter.load(huge));
        assertEquals(huge + ": 536870913 bytes, above the limit of 536870912 bytes for an ONNX model", e.getMessage());
        e = assertThrows(OnnxImportException.class, () -> ModelFiles.load(huge));
        assertTrue(e.getMessage().contains("above the limit of 536870912 bytes"), e.getMessage());
        Path good = dir.resolve("good.onnx");
        Files.write(good, dense().bytes());
        assertEquals(3, OnnxImporter.load(good).classes());
    }
}
