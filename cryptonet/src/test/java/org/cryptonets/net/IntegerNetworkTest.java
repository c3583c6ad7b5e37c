package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import org.cryptonets.data.LabeledImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IntegerNetworkTest {
    private static final IntegerNetwork NETWORK = IntegerNetwork.loadDefault();

    @Test
    void hasTheFiveLayersTheEvaluatorExpects() {
        List<IntegerNetwork.Layer> layers = NETWORK.layers();
        assertEquals(5, layers.size());
        IntegerNetwork.Linear conv1 = assertInstanceOf(IntegerNetwork.Linear.class, layers.get(0));
        assertEquals(845, conv1.outputs());
        assertEquals(784, conv1.inputs());
        assertInstanceOf(IntegerNetwork.Square.class, layers.get(1));
        IntegerNetwork.Linear middle = assertInstanceOf(IntegerNetwork.Linear.class, layers.get(2));
        assertEquals(100, middle.outputs());
        assertEquals(845, middle.inputs());
        assertInstanceOf(IntegerNetwork.Square.class, layers.get(3));
        IntegerNetwork.Linear output = assertInstanceOf(IntegerNetwork.Linear.class, layers.get(4));
        assertEquals(10, output.outputs());
        assertEquals(100, output.inputs());
        // b bits: the largest weight of each layer maps to 2^(b-1) - 1
        QuantizationSpec spec = NETWORK.spec();
        assertEquals((1 << (spec.weightBits().get(0) - 1)) - 1, conv1.maxAbsWeight());
        assertEquals((1 << (spec.weightBits().get(1) - 1)) - 1, middle.maxAbsWeight());
        assertEquals((1 << (spec.weightBits().get(2) - 1)) - 1, output.maxAbsWeight());
    }

    @Test
    void forwardIsExactAgainstBigIntegerArithmetic() {
        LabeledImages images = TestNetworks.randomSplit(4, 32);
        for (int i = 0; i < images.size(); i++) {
            int[] input = NETWORK.quantizeInput(images.image(i));
            assertArrayEquals(reference(NETWORK, input), toBig(NETWORK.forward(input)), "image " + i);
        }
    }

    @ParameterizedTest(name = "{0} bits: pixel {1} -> {2}")
    @CsvSource({
        "8, 0, 0", "8, 255, 255", "8, 77, 77",
        "4, 0, 0", "4, 255, 15", "4, 8, 0", "4, 9, 1", "4, 128, 8", "4, 127, 7",
        "1, 127, 0", "1, 128, 1", "1, 255, 1",
        "2, 42, 0", "2, 43, 1", "2, 212, 2", "2, 213, 3"})
    void inputsAreRoundedToTheNearestLevel(int bits, int pixel, int expected) {
        IntegerNetwork.Linear identity = new IntegerNetwork.Linear("identity", 1, 784, new int[784], new long[1]);
        IntegerNetwork network = new IntegerNetwork(QuantizationSpec.of(bits, 6), List.of(identity), new double[] {1});
        byte[] image = new byte[784];
        image[100] = (byte) pixel;
        assertEquals(expected, network.quantizeInput(image)[100]);
    }

    @Test
    void overflowThrowsInsteadOfWrapping() {
        // floor(sqrt(2^63 - 1)) = 3,037,000,499: its square fits, the next one's does not
        int[] weights = new int[784];
        weights[0] = 1;
        IntegerNetwork.Linear linear = new IntegerNetwork.Linear("edge", 1, 784, weights, new long[] {3_037_000_499L});
        IntegerNetwork.Linear last = new IntegerNetwork.Linear("last", 1, 1, new int[] {1}, new long[1]);
        IntegerNetwork network = new IntegerNetwork(QuantizationSpec.of(8, 8, 8),
                List.of(linear, new IntegerNetwork.Square("square"), last), new double[] {1, 1, 1});
        assertEquals(3_037_000_499L * 3_037_000_499L, network.forward(new int[784])[0]);
        int[] one = new int[784];
        one[0] = 1;
        assertThrows(ArithmeticException.class, () -> network.forward(one));
        // logits() has no such limit
        assertEquals(BigInteger.valueOf(3_037_000_500L).pow(2), network.logits(one)[0]);
    }

    @ParameterizedTest(name = "seed {0}, {1} squares")
    @CsvSource({"1, 1", "2, 2", "3, 3", "4, 4"})
    void deepNetworksAreExactAgainstBigIntegerArithmetic(long seed, int squares) {
        IntegerNetwork network = randomNetwork(seed, squares);
        java.util.Random random = new java.util.Random(seed);
        for (int image = 0; image < 5; image++) {
            int[] input = new int[network.inputShape().size()];
            for (int k = 0; k < input.length; k++) {
                input[k] = random.nextInt(network.spec().inputMax() + 1);
            }
            BigInteger[] expected = reference(network, input);
            assertArrayEquals(expected, network.logits(input), "image " + image);
            for (long m : new long[] {65537, 2147483647L, 1032193}) {
                long[] residues = network.forwardModulo(input, m);
                for (int c = 0; c < expected.length; c++) {
                    assertEquals(expected[c].mod(BigInteger.valueOf(m)).longValueExact(), residues[c], "class " + c + " mod " + m);
                }
            }
        }
    }

    /** A random network of {@code squares} squares on 1x4x4 inputs, 3 classes, large biases. */
    static IntegerNetwork randomNetwork(long seed, int squares) {
        java.util.Random random = new java.util.Random(seed);
        List<IntegerNetwork.Layer> layers = new java.util.ArrayList<>();
        int width = 16;
        double[] scales = new double[2 * squares + 1];
        java.util.Arrays.fill(scales, 1);
        for (int l = 0; l <= squares; l++) {
            int outputs = l == squares ? 3 : 2 + random.nextInt(6);
            int[] weights = new int[outputs * width];
            for (int k = 0; k < weights.length; k++) {
                weights[k] = random.nextInt(63) - 31;
            }
            BigInteger[] bias = new BigInteger[outputs];
            for (int o = 0; o < outputs; o++) {
                bias[o] = new BigInteger(20 + 30 * l, random).subtract(BigInteger.ONE.shiftLeft(19 + 30 * l));
            }
            layers.add(new IntegerNetwork.Linear("linear" + l, outputs, width, weights, bias));
            if (l < squares) {
                layers.add(new IntegerNetwork.Square("square" + l));
            }
            width = outputs;
        }
        return new IntegerNetwork(QuantizationSpec.uniform(4, 6, squares + 1), new org.cryptonets.data.TensorShape(1, 4, 4),
                layers, scales);
    }

    @Test
    void rejectsInputsOutOfRange() {
        int[] input = new int[784];
        int max = NETWORK.spec().inputMax();
        input[3] = max + 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NETWORK.forward(input));
        assertTrue(e.getMessage().contains("input 3: expected 0.." + max + ", found " + (max + 1)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NETWORK.forward(new int[783]));
        assertThrows(IllegalArgumentException.class, () -> NETWORK.quantizeInput(new byte[785]));
    }

    @Test
    void layerRecordsAreImmutable() {
        IntegerNetwork.Linear output = (IntegerNetwork.Linear) NETWORK.layers().get(4);
        int[] weights = output.weights();
        weights[0] += 1000;
        assertTrue(output.weights()[0] != weights[0]);
    }

    @Test
    void measuredRangesStayWithinTheWorstCaseBound() {
        LabeledImages images = TestNetworks.randomSplit(50, 34);
        IntegerNetwork.Measurement m = NETWORK.measure(images);
        double[] bound = NETWORK.worstCaseBits();
        for (int l = 0; l < bound.length; l++) {
            assertTrue(m.layers().get(l).bits() <= Math.ceil(bound[l]) + 1e-9, m.layers().get(l) + " vs " + bound[l]);
        }
        assertEquals(50, m.images());
    }

    @ParameterizedTest(name = "{0},{1},{2},{3}")
    @CsvSource({"0, 6, 6, 6", "9, 6, 6, 6", "4, 1, 6, 6", "4, 6, 17, 6", "4, 6, 6, 0"})
    void invalidWidthsAreRejected(int input, int conv1, int middle, int output) {
        assertThrows(IllegalArgumentException.class, () -> QuantizationSpec.of(input, conv1, middle, output));
    }

    /** Recomputes the network in unbounded integers, straight from the dense layer records. */
    static BigInteger[] reference(IntegerNetwork network, int[] input) {
        BigInteger[] values = new BigInteger[input.length];
        for (int k = 0; k < input.length; k++) {
            values[k] = BigInteger.valueOf(input[k]);
        }
        for (IntegerNetwork.Layer layer : network.layers()) {
            if (layer instanceof IntegerNetwork.Linear linear) {
                int[] w = linear.weights();
                BigInteger[] bias = linear.bias();
                BigInteger[] next = new BigInteger[linear.outputs()];
                for (int o = 0; o < linear.outputs(); o++) {
                    BigInteger sum = bias[o];
                    for (int k = 0; k < linear.inputs(); k++) {
                        sum = sum.add(BigInteger.valueOf(w[o * linear.inputs() + k]).multiply(values[k]));
                    }
                    next[o] = sum;
                }
                values = next;
            } else {
                for (int k = 0; k < values.length; k++) {
                    values[k] = values[k].multiply(values[k]);
                }
            }
        }
        return values;
    }

    private static BigInteger[] toBig(long[] values) {
        BigInteger[] big = new BigInteger[values.length];
        for (int k = 0; k < values.length; k++) {
            big[k] = BigInteger.valueOf(values[k]);
        }
        return big;
    }
}
