package org.cryptonets.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cryptonets.data.TensorShape;
import org.cryptonets.net.FloatNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Imports every PyTorch-exported fixture and compares with what PyTorch computed. */
class FixtureTest {
    /** Relative tolerance against PyTorch's float32 logits (the importer computes in double). */
    private static final double TOLERANCE = 1e-4;

    /** Fixture name, expected depth (square activations); the refusals have depth -1. */
    private static final List<Object[]> TABLE = List.of(
            new Object[] {"conv_square_pool", 1},
            new Object[] {"zeropad_conv", 1},
            new Object[] {"zeropad_conv_unfolded", 1},
            new Object[] {"zeropad_conv_opset9", 1},
            new Object[] {"batchnorm", 2},
            new Object[] {"matmul_add", 1},
            new Object[] {"pow_square", 1},
            new Object[] {"dropout_identity", 2},
            new Object[] {"final_softmax", 1},
            new Object[] {"final_logsoftmax", 1},
            new Object[] {"final_sigmoid", 1},
            new Object[] {"three_squares", 3},
            new Object[] {"scalar_affine", 1},
            new Object[] {"refuse_relu", -1},
            new Object[] {"refuse_maxpool", -1},
            new Object[] {"refuse_sigmoid_middle", -1},
            new Object[] {"refuse_dynamic_height", -1},
            new Object[] {"refuse_residual", -1},
            new Object[] {"refuse_group_conv", -1});

    static Stream<Object[]> accepted() {
        return TABLE.stream().filter(row -> (int) row[1] >= 0);
    }

    static Stream<String> refused() {
        return TABLE.stream().filter(row -> (int) row[1] < 0).map(row -> (String) row[0]);
    }

    @Test
    void everyFixtureOnDiskIsInTheTable() throws IOException {
        Path folder = Fixtures.resource("conv_square_pool.onnx").getParent();
        Set<String> onDisk;
        try (Stream<Path> files = Files.list(folder)) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx"))
                    .map(n -> n.substring(0, n.length() - ".onnx".length())).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> listed = TABLE.stream().map(row -> (String) row[0]).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(listed, onDisk);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void importedLogitsEqualPyTorchs(String name, int depth) {
        Fixtures.Expected expected = Fixtures.load(name);
        assertFalse(expected.refused(), name + " expects a refusal");
        assertEquals(3, expected.samples().size(), name + ": samples");
        FloatNetwork network = OnnxImporter.load(expected.model());
        int[] shape = expected.shape();
        TensorShape want = shape.length == 1 ? TensorShape.flat(shape[0]) : new TensorShape(shape[0], shape[1], shape[2]);
        assertEquals(want, network.inputShape(), name + ": input shape");
        assertEquals(depth, network.depth(), name + ": square activations");
        FloatNetwork folded = network.fold();
        assertTrue(folded.isFolded());
        assertEquals(depth, folded.depth());
        for (Fixtures.Sample sample : expected.samples()) {
            assertClose(name, sample.logits(), network.logits(sample.input()));
            assertClose(name + " folded", sample.logits(), folded.logits(sample.input()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusalNamesNodeOperatorAndAdvice(String name) {
        Fixtures.Expected expected = Fixtures.load(name);
        assertTrue(expected.refused(), name + " lists no expected error");
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.load(expected.model()));
        String message = e.getMessage();
        assertTrue(message.startsWith(expected.model().toString() + ": "), message);
        for (String part : expected.errors()) {
            assertTrue(message.contains(part), "expected \"" + part + "\" in: " + message);
        }
    }

    @Test
    void refusalMessagesReadAsDocumented() {
        Path relu = Fixtures.load("refuse_relu").model();
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.load(relu));
        assertEquals(relu + ": node \"/op/Relu\" (Relu) is not supported: a CryptoNet uses a polynomial activation "
                + "instead: replace ReLU or sigmoid by a square activation (x*x) and retrain", e.getMessage());
        Path maxPool = Fixtures.load("refuse_maxpool").model();
        e = assertThrows(OnnxImportException.class, () -> OnnxImporter.load(maxPool));
        assertTrue(e.getMessage().contains("node \"/op/MaxPool\" (MaxPool) is not supported")
                && e.getMessage().endsWith("use average pooling (the scaled mean pool) instead and retrain"), e.getMessage());
    }

    @Test
    void importerIsDeterministicAndSharedSafely() throws Exception {
        Path model = Fixtures.load("conv_square_pool").model();
        double[] input = Fixtures.load("conv_square_pool").samples().get(0).input();
        double[] reference = OnnxImporter.load(model).logits(input);
        List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    for (int k = 0; k < 5; k++) {
                        double[] again = OnnxImporter.load(model).logits(input);
                        if (!Arrays.equals(reference, again)) {
                            throw new AssertionError("different logits " + Arrays.toString(again));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertTrue(failures.isEmpty(), failures.toString());
    }

    static void assertClose(String what, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, what + ": number of logits");
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int k = 0; k < expected.length; k++) {
            double allowed = TOLERANCE * Math.max(Math.abs(expected[k]), Math.max(scale, 1e-3));
            assertTrue(Math.abs(expected[k] - actual[k]) <= allowed, what + ": logit " + k + ": expected " + expected[k]
                    + ", found " + actual[k] + " (all: " + Arrays.toString(actual) + " vs " + Arrays.toString(expected)
                    + ")");
        }
    }
}
