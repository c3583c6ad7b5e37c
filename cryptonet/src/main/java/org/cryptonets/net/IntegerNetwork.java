package org.cryptonets.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.cryptonets.mnist.MnistSplit;

/**
 * The prediction form of the CryptoNet in exact integer arithmetic: what the encrypted evaluator
 * computes, slot by slot, modulo its plaintext modulus. Layers are
 * <pre>
 *   conv1 (Linear 845x784) -> square -> middle (Linear 100x845) -> square -> output (Linear 10x100)
 * </pre>
 * Inputs are small non-negative integers from {@link #quantizeInput(byte[])}. Every value is
 * {@code round(scale * float value)} up to accumulated rounding, with the scales in
 * {@link #scales()}; biases are pre-multiplied by the scale of their layer's accumulator, so they
 * may be large.
 *
 * <p>Immutable and thread-safe: layer records copy their arrays in and out. {@link #forward(int[])}
 * uses {@code Math.*Exact}, so it throws {@link ArithmeticException} rather than wrap around;
 * other methods throw {@link IllegalArgumentException} for inputs of the wrong size or range.
 */
public final class IntegerNetwork {
    /** One layer: an affine map with integer weights, or an element-wise square. */
    public sealed interface Layer permits Linear, Square {
        /** Layer name, e.g. {@code conv1}. */
        String name();
    }

    /**
     * {@code out[o] = bias[o] + sum_k weights[o * inputs + k] * in[k]}.
     *
     * <p>Immutable: arrays are copied on construction and on access (call the accessors once,
     * not per element). The constructor throws {@link IllegalArgumentException} for inconsistent
     * sizes.
     *
     * @param weights row-major, {@code outputs x inputs}, dense, zeros allowed
     * @param bias one per output, already at this layer's accumulator scale
     */
    public record Linear(String name, int outputs, int inputs, int[] weights, long[] bias) implements Layer {
        /** Checks the sizes and copies the arrays. */
        public Linear {
            Objects.requireNonNull(name, "name");
            if (outputs <= 0 || inputs <= 0 || weights.length != (long) outputs * inputs || bias.length != outputs) {
                throw new IllegalArgumentException(name + ": expected " + outputs + "x" + inputs
                        + " weights and " + outputs + " biases, found " + weights.length + " and " + bias.length);
            }
            weights = weights.clone();
            bias = bias.clone();
        }

        @Override
        public int[] weights() {
            return weights.clone();
        }

        @Override
        public long[] bias() {
            return bias.clone();
        }

        /**
         * The largest L1 norm of a weight row, {@code max_o sum_k |w[o][k]|}: the factor by which
         * this layer can grow a value, and roughly its cost in noise budget.
         */
        public long maxRowL1Norm() {
            long max = 0;
            for (int o = 0; o < outputs; o++) {
                long sum = 0;
                for (int k = 0; k < inputs; k++) {
                    sum += Math.abs((long) weights[o * inputs + k]);
                }
                max = Math.max(max, sum);
            }
            return max;
        }

        /** Largest |weight|. */
        public int maxAbsWeight() {
            int max = 0;
            for (int w : weights) {
                max = Math.max(max, Math.abs(w));
            }
            return max;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Linear l && l.name.equals(name) && l.outputs == outputs && l.inputs == inputs
                    && Arrays.equals(l.weights, weights) && Arrays.equals(l.bias, bias);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, outputs, inputs, Arrays.hashCode(weights), Arrays.hashCode(bias));
        }

        @Override
        public String toString() {
            return "Linear[" + name + ", " + outputs + "x" + inputs + "]";
        }
    }

    /** Element-wise square. Immutable. */
    public record Square(String name) implements Layer {
        /** Checks the name. */
        public Square {
            Objects.requireNonNull(name, "name");
        }
    }

    /** Per-layer result of {@link #measure(MnistSplit)}: largest |value| and its bit length. Immutable. */
    public record LayerRange(String name, long maxAbs, int bits) {
    }

    /**
     * Result of {@link #measure(MnistSplit)}. Immutable.
     *
     * @param layers largest |value| after each layer over all images, with its bit length
     * @param correct images classified correctly
     * @param images images run
     */
    public record Measurement(List<LayerRange> layers, int correct, int images) {
        /** Fraction classified correctly. */
        public double accuracy() {
            return images == 0 ? 0 : (double) correct / images;
        }

        /** Bits of the largest |logit|: the plaintext range (plus a sign bit) the evaluator needs. */
        public int logitBits() {
            return layers.get(layers.size() - 1).bits();
        }

        /** Bits of the largest |value| anywhere in the network. */
        public int maxBits() {
            return layers.stream().mapToInt(LayerRange::bits).max().orElse(0);
        }
    }

    private final QuantizationSpec spec;
    private final List<Layer> layers;
    private final double[] scales;
    // Row-compressed copies of the Linear layers: conv1 is 97% zeros, and exact long arithmetic
    // over the dense matrix would make measure() ten times slower.
    private final SparseRows[] sparse;

    IntegerNetwork(QuantizationSpec spec, List<Layer> layers, double[] scales) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.layers = List.copyOf(layers);
        this.scales = scales.clone();
        this.sparse = new SparseRows[this.layers.size()];
        int width = FoldedNetwork.INPUTS;
        for (int l = 0; l < this.layers.size(); l++) {
            if (this.layers.get(l) instanceof Linear linear) {
                if (linear.inputs() != width) {
                    throw new IllegalArgumentException(linear.name() + ": expected " + width
                            + " inputs, found " + linear.inputs());
                }
                sparse[l] = new SparseRows(linear);
                width = linear.outputs();
            }
        }
    }

    /** The committed model, folded and quantized with {@link QuantizationSpec#DEFAULT}. */
    public static IntegerNetwork loadDefault() {
        return Quantizer.quantize(CryptoNetModel.loadDefault().fold(), QuantizationSpec.DEFAULT);
    }

    /** conv1, square, middle, square, output. */
    public List<Layer> layers() {
        return layers;
    }

    /** The widths this network was quantized with. */
    public QuantizationSpec spec() {
        return spec;
    }

    /**
     * For each layer, the factor between its integer outputs and the float network's values
     * (approximately; rounding of weights makes it inexact). The last entry converts logits back.
     */
    public double[] scales() {
        return scales.clone();
    }

    /**
     * Quantizes raw pixels to {@code round(p (2^b - 1) / 255)} with {@code b} input bits.
     *
     * @throws IllegalArgumentException if {@code image} is not 784 bytes
     */
    public int[] quantizeInput(byte[] image784) {
        if (image784.length != FoldedNetwork.INPUTS) {
            throw new IllegalArgumentException("expected " + FoldedNetwork.INPUTS + " pixels, found " + image784.length);
        }
        int levels = spec.inputMax();
        int[] input = new int[image784.length];
        for (int k = 0; k < input.length; k++) {
            // integer rounding, so every client quantizes identically
            input[k] = ((image784[k] & 0xFF) * levels + 127) / 255;
        }
        return input;
    }

    /**
     * Exact logits for a quantized input.
     *
     * @throws IllegalArgumentException if {@code input} does not have 784 entries in
     *     {@code [0, 2^inputBits)}
     * @throws ArithmeticException if a value leaves the 64-bit range (it never does for the default
     *     network on MNIST-like inputs)
     */
    public long[] forward(int[] input) {
        return run(input, null);
    }

    /** Predicted digit for a raw image: the argmax of the exact logits. */
    public int predict(byte[] image784) {
        return predict(forward(quantizeInput(image784)));
    }

    /**
     * The index of the largest logit (the first on ties), which is the predicted digit.
     *
     * @throws IllegalArgumentException if {@code logits} is empty
     */
    public static int predict(long[] logits) {
        if (logits.length == 0) {
            throw new IllegalArgumentException("no logits");
        }
        int best = 0;
        for (int c = 1; c < logits.length; c++) {
            if (logits[c] > logits[best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * Runs every image of {@code split} (normally the 10,000 test images) and records the largest
     * |value| after each layer and the accuracy.
     *
     * @throws ArithmeticException if some value leaves the 64-bit range
     */
    public Measurement measure(MnistSplit split) {
        long[] maxAbs = new long[layers.size()];
        byte[] image = new byte[FoldedNetwork.INPUTS];
        int correct = 0;
        for (int i = 0; i < split.size(); i++) {
            split.copyImage(i, image, 0);
            long[] logits = run(quantizeInput(image), maxAbs);
            if (predict(logits) == split.label(i)) {
                correct++;
            }
        }
        List<LayerRange> ranges = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            ranges.add(new LayerRange(layers.get(l).name(), maxAbs[l], 64 - Long.numberOfLeadingZeros(maxAbs[l])));
        }
        return new Measurement(ranges, correct, split.size());
    }

    /**
     * For each layer, the bits of the largest |value| any input in range could produce, from
     * interval arithmetic: a safe but loose bound, useful to see how much the measured ranges of
     * {@link #measure(MnistSplit)} save. Doubles, since the bound may exceed 64 bits.
     */
    public double[] worstCaseBits() {
        double[] low = new double[FoldedNetwork.INPUTS];
        double[] high = new double[FoldedNetwork.INPUTS];
        Arrays.fill(high, spec.inputMax());
        double[] bits = new double[layers.size()];
        for (int l = 0; l < layers.size(); l++) {
            if (layers.get(l) instanceof Linear linear) {
                int[] w = linear.weights;
                double[] newLow = new double[linear.outputs()];
                double[] newHigh = new double[linear.outputs()];
                for (int o = 0; o < linear.outputs(); o++) {
                    double lo = linear.bias[o];
                    double hi = linear.bias[o];
                    for (int k = 0; k < linear.inputs(); k++) {
                        double weight = w[o * linear.inputs() + k];
                        lo += Math.min(weight * low[k], weight * high[k]);
                        hi += Math.max(weight * low[k], weight * high[k]);
                    }
                    newLow[o] = lo;
                    newHigh[o] = hi;
                }
                low = newLow;
                high = newHigh;
            } else {
                for (int k = 0; k < low.length; k++) {
                    double a = low[k] * low[k];
                    double b = high[k] * high[k];
                    double lo = (low[k] <= 0 && high[k] >= 0) ? 0 : Math.min(a, b);
                    high[k] = Math.max(a, b);
                    low[k] = lo;
                }
            }
            double max = 0;
            for (int k = 0; k < low.length; k++) {
                max = Math.max(max, Math.max(Math.abs(low[k]), Math.abs(high[k])));
            }
            bits[l] = max == 0 ? 0 : Math.log(max) / Math.log(2);
        }
        return bits;
    }

    /**
     * {@link #measure(MnistSplit)} in double arithmetic, for widths whose values may exceed 64
     * bits: exact while values stay below 2^53 and within a relative 2^-52 after, which leaves the
     * argmax unchanged in practice. Used to search widths; the result is then measured exactly.
     */
    Measurement measureApproximately(MnistSplit split) {
        double[] maxAbs = new double[layers.size()];
        byte[] image = new byte[FoldedNetwork.INPUTS];
        int correct = 0;
        for (int i = 0; i < split.size(); i++) {
            split.copyImage(i, image, 0);
            int[] input = quantizeInput(image);
            double[] values = new double[input.length];
            for (int k = 0; k < input.length; k++) {
                values[k] = input[k];
            }
            for (int l = 0; l < layers.size(); l++) {
                values = sparse[l] != null ? sparse[l].apply(values) : squared(values);
                for (double value : values) {
                    maxAbs[l] = Math.max(maxAbs[l], Math.abs(value));
                }
            }
            int best = 0;
            for (int c = 1; c < values.length; c++) {
                if (values[c] > values[best]) {
                    best = c;
                }
            }
            if (best == split.label(i)) {
                correct++;
            }
        }
        List<LayerRange> ranges = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            int bits = maxAbs[l] < 1 ? 0 : Math.getExponent(maxAbs[l]) + 1;
            ranges.add(new LayerRange(layers.get(l).name(), maxAbs[l] < 0x1p63 ? (long) maxAbs[l] : Long.MAX_VALUE, bits));
        }
        return new Measurement(ranges, correct, split.size());
    }

    private static double[] squared(double[] values) {
        double[] out = new double[values.length];
        for (int k = 0; k < values.length; k++) {
            out[k] = values[k] * values[k];
        }
        return out;
    }

    private long[] run(int[] input, long[] maxAbs) {
        if (input.length != FoldedNetwork.INPUTS) {
            throw new IllegalArgumentException("expected " + FoldedNetwork.INPUTS + " inputs, found " + input.length);
        }
        long[] values = new long[input.length];
        for (int k = 0; k < input.length; k++) {
            if (input[k] < 0 || input[k] > spec.inputMax()) {
                throw new IllegalArgumentException("input " + k + ": expected 0.." + spec.inputMax()
                        + ", found " + input[k]);
            }
            values[k] = input[k];
        }
        for (int l = 0; l < layers.size(); l++) {
            if (sparse[l] != null) {
                values = sparse[l].apply(values);
            } else {
                for (int k = 0; k < values.length; k++) {
                    values[k] = Math.multiplyExact(values[k], values[k]);
                }
            }
            if (maxAbs != null) {
                for (long value : values) {
                    // values never reach Long.MIN_VALUE: every operation is exact and symmetric
                    maxAbs[l] = Math.max(maxAbs[l], Math.abs(value));
                }
            }
        }
        return values;
    }

    /** Nonzero weights of a Linear layer, row by row. */
    private static final class SparseRows {
        private final int outputs;
        private final int[] rowStart;
        private final int[] columns;
        private final long[] weights;
        private final long[] bias;

        SparseRows(Linear linear) {
            outputs = linear.outputs();
            bias = linear.bias;
            int[] dense = linear.weights;
            int nonzero = 0;
            for (int w : dense) {
                if (w != 0) {
                    nonzero++;
                }
            }
            rowStart = new int[outputs + 1];
            columns = new int[nonzero];
            weights = new long[nonzero];
            int n = 0;
            for (int o = 0; o < outputs; o++) {
                rowStart[o] = n;
                for (int k = 0; k < linear.inputs(); k++) {
                    int w = dense[o * linear.inputs() + k];
                    if (w != 0) {
                        columns[n] = k;
                        weights[n++] = w;
                    }
                }
            }
            rowStart[outputs] = n;
        }

        double[] apply(double[] in) {
            double[] out = new double[outputs];
            for (int o = 0; o < outputs; o++) {
                double sum = bias[o];
                for (int n = rowStart[o]; n < rowStart[o + 1]; n++) {
                    sum += weights[n] * in[columns[n]];
                }
                out[o] = sum;
            }
            return out;
        }

        long[] apply(long[] in) {
            long[] out = new long[outputs];
            for (int o = 0; o < outputs; o++) {
                long sum = bias[o];
                for (int n = rowStart[o]; n < rowStart[o + 1]; n++) {
                    sum = Math.addExact(sum, Math.multiplyExact(weights[n], in[columns[n]]));
                }
                out[o] = sum;
            }
            return out;
        }
    }
}
