package org.cryptonets.onnx;

import static org.cryptonets.onnx.Models.floats;
import static org.cryptonets.onnx.Models.integer;
import static org.cryptonets.onnx.Models.ints;
import static org.cryptonets.onnx.Models.real;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.onnx.proto.OnnxSubset.AttributeProto;
import org.junit.jupiter.api.Test;

/** Operator forms PyTorch does not write but other exporters do, built in the test. */
class BuiltModelTest {
    private static final double EPS = 1e-12;

    private static double[] random(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = r.nextDouble();
        }
        return v;
    }

    private static FloatNetwork read(Models.Graph g) {
        return OnnxImporter.read(g.bytes(), "built.onnx");
    }

    private static String refusal(Models.Graph g) {
        return assertThrows(OnnxImportException.class, () -> read(g)).getMessage();
    }

    @Test
    void gemmWithoutTransposeAndWithAlphaBeta() {
        double[] b = random(4 * 3, 1); // [K=4, M=3]
        double[] c = {0.1, 0.2, 0.3};
        Models.Graph g = new Models.Graph().input("x", 1, 4).output("y")
                .init(floats("B", new long[] {4, 3}, b)).init(floats("C", new long[] {1, 3}, c))
                .node("Gemm", "gemm", List.of("x", "B", "C"), "y", real("alpha", 2), real("beta", 0.5));
        double[] x = random(4, 2);
        double[] y = read(g).logits(x);
        for (int o = 0; o < 3; o++) {
            double want = 0.5 * c[o];
            for (int k = 0; k < 4; k++) {
                want += 2 * x[k] * (float) b[k * 3 + o];
            }
            assertEquals(want, y[o], 1e-6);
        }
        Models.Graph transA = new Models.Graph().input("x", 1, 4).output("y")
                .init(floats("B", new long[] {4, 3}, b))
                .node("Gemm", "gemm", List.of("x", "B"), "y", integer("transA", 1));
        assertTrue(refusal(transA).contains("node \"gemm\" (Gemm) is not supported: transA 1"));
    }

    /** input 1x1x5x5 -> pool -> Flatten -> Gemm(identity) so the pooled values are the logits. */
    private static Models.Graph pooled(int side, Models.Graph g, String pooledName) {
        int n = side * side;
        double[] identity = new double[n * n];
        for (int k = 0; k < n; k++) {
            identity[k * n + k] = 1;
        }
        return g.init(floats("I", new long[] {n, n}, identity))
                .node("Flatten", "flat", List.of(pooledName), "f")
                .node("Gemm", "out", List.of("f", "I"), "y").output("y");
    }

    @Test
    void averagePoolWithPadsCountingThemEqualsPadThenPool() {
        Models.Graph inPool = pooled(5, new Models.Graph().input("x", 1, 1, 5, 5)
                .node("AveragePool", "pool", List.of("x"), "p", ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1),
                        integer("count_include_pad", 1)), "p");
        Models.Graph padFirst = pooled(5, new Models.Graph().input("x", 1, 1, 5, 5)
                .init(ints("pads", new long[] {8}, 0, 0, 1, 1, 0, 0, 1, 1))
                .node("Pad", "pad", List.of("x", "pads"), "padded")
                .node("AveragePool", "pool", List.of("padded"), "p", ints("kernel_shape", 3, 3)), "p");
        Models.Graph excluding = pooled(5, new Models.Graph().input("x", 1, 1, 5, 5)
                .node("AveragePool", "pool", List.of("x"), "p", ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)),
                "p");
        double[] x = random(25, 3);
        double[] a = read(inPool).logits(x);
        assertArrayEquals(read(padFirst).logits(x), a, EPS);
        // corner: 4 real values of a 3x3 window; counted padding divides by 9, excluded by 4
        double corner = x[0] + x[1] + x[5] + x[6];
        assertEquals(corner / 9, a[0], EPS);
        assertEquals(corner / 4, read(excluding).logits(x)[0], EPS);
    }

    @Test
    void globalAveragePoolTransposeSqueezeUnsqueeze() {
        Models.Graph g = new Models.Graph().input("x", 1, 2, 3, 3)
                .init(ints("axes", new long[] {2}, 2, 3)).init(ints("axes0", new long[] {1}, 0))
                .node("GlobalAveragePool", "gap", List.of("x"), "g")            // [1, 2, 1, 1]
                .node("Squeeze", "sq", List.of("g", "axes"), "s")                // [1, 2]
                .node("Unsqueeze", "unsq", List.of("s", "axes0"), "u")           // [1, 1, 2]
                .node("Transpose", "tr", List.of("u"), "t", ints("perm", 0, 2, 1)) // [1, 2, 1]
                .node("Flatten", "flat", List.of("t"), "y").output("y");
        double[] x = random(18, 4);
        double[] y = read(g).logits(x);
        for (int c = 0; c < 2; c++) {
            double sum = 0;
            for (int k = 0; k < 9; k++) {
                sum += x[c * 9 + k];
            }
            assertEquals(sum / 9, y[c], EPS);
        }
    }

    @Test
    void transposeReordersValues() {
        // [1, 2, 3] -> [1, 3, 2]
        Models.Graph g = new Models.Graph().input("x", 1, 6).init(ints("shape", new long[] {3}, 1, 2, 3))
                .node("Reshape", "r", List.of("x", "shape"), "r3")
                .node("Transpose", "tr", List.of("r3"), "t", ints("perm", 0, 2, 1))
                .node("Flatten", "flat", List.of("t"), "y").output("y");
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, read(g).logits(new double[] {1, 2, 3, 4, 5, 6}), EPS);
    }

    @Test
    void unsupportedFormsNameTheNodeAndTheAlternative() {
        Models.Graph dilated = new Models.Graph().input("x", 1, 1, 6, 6).output("y")
                .init(floats("w", new long[] {1, 1, 2, 2}, 1, 1, 1, 1))
                .node("Conv", "c", List.of("x", "w"), "y", ints("dilations", 2, 2));
        assertTrue(refusal(dilated).contains("node \"c\" (Conv) is not supported: dilations [2, 2]"));
        Models.Graph same = new Models.Graph().input("x", 1, 1, 6, 6).output("y")
                .init(floats("w", new long[] {1, 1, 3, 3}, new double[9]))
                .node("Conv", "c", List.of("x", "w"), "y", AttributeProto.newBuilder().setName("auto_pad")
                        .setS(com.google.protobuf.ByteString.copyFromUtf8("SAME_UPPER")).build());
        assertTrue(refusal(same).contains("node \"c\" (Conv) is not supported: auto_pad SAME_UPPER"));
        Models.Graph ceil = new Models.Graph().input("x", 1, 1, 6, 6).output("y")
                .node("AveragePool", "p", List.of("x"), "y", ints("kernel_shape", 2, 2), integer("ceil_mode", 1));
        assertTrue(refusal(ceil).contains("node \"p\" (AveragePool) is not supported: ceil_mode 1"));
        Models.Graph cube = HostileInputTest.dense().init(floats("three", new long[0], 3))
                .node("Pow", "cube", List.of("y", "three"), "z").output("z");
        assertTrue(refusal(cube).contains("node \"cube\" (Pow) is not supported: exponent 3"));
        Models.Graph divideBy = HostileInputTest.dense().init(floats("one", new long[0], 1))
                .node("Div", "inv", List.of("one", "y"), "z").output("z");
        assertTrue(refusal(divideBy).contains("node \"inv\" (Div) is not supported: division by the image"));
        Models.Graph reflect = new Models.Graph().input("x", 1, 1, 4, 4).output("y")
                .init(ints("pads", new long[] {8}, 0, 0, 1, 1, 0, 0, 1, 1))
                .node("Pad", "pad", List.of("x", "pads"), "y", AttributeProto.newBuilder().setName("mode")
                        .setS(com.google.protobuf.ByteString.copyFromUtf8("reflect")).build());
        assertTrue(refusal(reflect).contains("node \"pad\" (Pad) is not supported: mode reflect"));
        Models.Graph middleSoftmax = HostileInputTest.dense().node("Softmax", "sm", List.of("y"), "s")
                .node("Neg", "neg", List.of("s"), "z").output("z");
        assertTrue(refusal(middleSoftmax).contains("node \"sm\" (Softmax) is not supported: a CryptoNet leaves Softmax "
                + "to the data owner"));
        Models.Graph layerNorm = HostileInputTest.dense().node("LayerNormalization", "ln", List.of("y"), "z").output("z");
        assertTrue(refusal(layerNorm).contains("node \"ln\" (LayerNormalization) is not supported"));
        Models.Graph unnamed = HostileInputTest.dense().node("Tanh", "", List.of("y"), "z").output("z");
        assertTrue(refusal(unnamed).contains("node \"Tanh#1\" (Tanh) is not supported: a CryptoNet uses a polynomial "
                + "activation instead"));
    }

    @Test
    void squareAsMulAndPowAndScalarArithmetic() {
        // y = Gemm(x); z = 3 - (y / 2) ; w = z * z; out = Gemm(w)
        Models.Graph g = HostileInputTest.dense().init(floats("two", new long[0], 2))
                .init(floats("three", new long[] {1}, 3)).init(floats("W", new long[] {1, 3}, 1, 1, 1))
                .node("Div", "half", List.of("y", "two"), "h")
                .node("Sub", "flip", List.of("three", "h"), "z")
                .node("Pow", "sq", List.of("z", "two"), "w")
                .node("Gemm", "sum", List.of("w", "W"), "out", integer("transB", 1)).output("out");
        FloatNetwork network = read(g);
        assertEquals(1, network.depth());
        double[] x = {1, 0, 0, 1};
        double[] y = {5.5, 12.5, 22.0};
        double want = 0;
        for (double v : y) {
            want += (3 - v / 2) * (3 - v / 2);
        }
        assertEquals(want, network.logits(x)[0], 1e-9);
        assertEquals(want, network.fold().logits(x)[0], 1e-9);
    }
}
