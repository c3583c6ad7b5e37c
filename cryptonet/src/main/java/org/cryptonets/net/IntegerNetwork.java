package org.cryptonets.net;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.data.TensorShape;

/**
 * The prediction form of a CryptoNet in exact integer arithmetic: what the encrypted evaluator
 * computes, slot by slot, modulo its plaintext primes. Layers alternate
 * <pre>
 *   Linear -> Square -> Linear -> ... -> Square -> Linear
 * </pre>
 * with any number of squares (the committed MNIST network has two: conv1 845x784, square, the
 * folded 845 -> 100 layer, square, 100 -> 10). Inputs are small non-negative integers from
 * {@link #quantizeInput(byte[])}. Every value is {@code round(scale * float value)} up to
 * accumulated rounding, with the scales in {@link #scales()}; biases are pre-multiplied by the
 * scale of their layer's accumulator, so they may be large (beyond 64 bits in deep networks).
 *
 * <p>Why the plaintext primes only need to hold the logits: squares and affine maps with integer
 * weights are ring operations, so computing the network modulo T gives the logits modulo T
 * exactly, even where an intermediate value wraps around; the centred CRT lift of a logit is the
 * true integer as long as |logit| &lt; T / 2. {@link Measurement#logitBits()} is that range.
 *
 * <p>Exact logits: {@link #forward(int[])} in 64-bit arithmetic ({@code Math.*Exact}, so it
 * throws {@link ArithmeticException} rather than wrap), and {@link #logits(int[])} for any depth,
 * computed modulo enough 31-bit primes to hold the worst-case bound and lifted by CRT.
 * {@link #forwardModulo(int[], long)} gives the residues a plaintext prime sees.
 *
 * <p>Immutable and thread-safe: layer records copy their arrays in and out. Methods throw
 * {@link IllegalArgumentException} for inputs of the wrong size or range.
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
     * sizes or weights beyond 16 bits.
     *
     * @param weights row-major, {@code outputs x inputs}, dense, zeros allowed, |w| &lt; 2^16
     * @param bias one per output, already at this layer's accumulator scale
     */
    public record Linear(String name, int outputs, int inputs, int[] weights, BigInteger[] bias) implements Layer {
        /** Checks the sizes and copies the arrays. */
        public Linear {
            Objects.requireNonNull(name, "name");
            if (outputs <= 0 || inputs <= 0 || weights.length != (long) outputs * inputs || bias.length != outputs) {
                throw new IllegalArgumentException(name + ": expected " + outputs + "x" + inputs
                        + " weights and " + outputs + " biases, found " + weights.length + " and " + bias.length);
            }
            for (int w : weights) {
                if (Math.abs(w) >= 1 << 16) {
                    throw new IllegalArgumentException(name + ": weight " + w + " has more than 16 bits");
                }
            }
            weights = weights.clone();
            bias = bias.clone();
            for (BigInteger b : bias) {
                Objects.requireNonNull(b, "bias");
            }
        }

        /** As above with biases that fit 64 bits. */
        public Linear(String name, int outputs, int inputs, int[] weights, long[] bias) {
            this(name, outputs, inputs, weights, Arrays.stream(bias).mapToObj(BigInteger::valueOf).toArray(BigInteger[]::new));
        }

        @Override
        public int[] weights() {
            return weights.clone();
        }

        @Override
        public BigInteger[] bias() {
            return bias.clone();
        }

        /** The biases reduced into [0, m). */
        public long[] biasModulo(long m) {
            BigInteger modulus = BigInteger.valueOf(m);
            long[] out = new long[outputs];
            for (int o = 0; o < outputs; o++) {
                out[o] = bias[o].mod(modulus).longValueExact();
            }
            return out;
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

    /**
     * Per-layer result of {@link #measure(LabeledImages)}: largest |value| (saturated at
     * {@code Long.MAX_VALUE}) and its bit length. Immutable.
     */
    public record LayerRange(String name, long maxAbs, int bits) {
    }

    /**
     * Result of {@link #measure(LabeledImages)}. Immutable.
     *
     * @param layers largest |value| after each layer over all images, with its bit length (exact
     *     when every value fits 64 bits, otherwise from double arithmetic)
     * @param correct images classified correctly (exact)
     * @param images images run
     * @param logitBits bits of the largest |logit| (exact)
     */
    public record Measurement(List<LayerRange> layers, int correct, int images, int logitBits) {
        /** Fraction classified correctly. */
        public double accuracy() {
            return images == 0 ? 0 : (double) correct / images;
        }

        /** Bits of the largest |value| anywhere in the network. */
        public int maxBits() {
            return layers.stream().mapToInt(LayerRange::bits).max().orElse(0);
        }
    }

    private final QuantizationSpec spec;
    private final TensorShape inputShape;
    private final List<Layer> layers;
    private final double[] scales;
    // Row-compressed copies of the Linear layers: conv1 is 97% zeros, and exact arithmetic over
    // the dense matrix would make measure() ten times slower.
    private final SparseRows[] sparse;
    // 31-bit primes whose product exceeds twice the worst-case |logit|: logits() is exact for
    // every input in range.
    private final long[] referencePrimes;

    /**
     * Checks that the layers chain from {@code inputShape} and alternate Linear and Square,
     * starting and ending with Linear.
     *
     * @throws IllegalArgumentException if they do not
     */
    public IntegerNetwork(QuantizationSpec spec, TensorShape inputShape, List<Layer> layers, double[] scales) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.inputShape = Objects.requireNonNull(inputShape, "inputShape");
        this.layers = List.copyOf(layers);
        this.scales = scales.clone();
        if (this.layers.isEmpty() || scales.length != this.layers.size()) {
            throw new IllegalArgumentException("expected one scale per layer and at least one layer, found "
                    + this.layers.size() + " layers and " + scales.length + " scales");
        }
        this.sparse = new SparseRows[this.layers.size()];
        int width = inputShape.size();
        for (int l = 0; l < this.layers.size(); l++) {
            Layer layer = this.layers.get(l);
            if ((l % 2 == 0) != (layer instanceof Linear)) {
                throw new IllegalArgumentException(layer.name() + ": expected layers to alternate linear and square,"
                        + " starting and ending with a linear layer");
            }
            if (layer instanceof Linear linear) {
                if (linear.inputs() != width) {
                    throw new IllegalArgumentException(linear.name() + ": expected " + width
                            + " inputs, found " + linear.inputs());
                }
                sparse[l] = new SparseRows(linear);
                width = linear.outputs();
            }
        }
        if (this.layers.size() % 2 == 0) {
            throw new IllegalArgumentException("the last layer must be linear");
        }
        this.referencePrimes = referencePrimes(worstCaseBits());
    }

    /** MNIST-shaped (1x28x28) network; for tests and the committed model. */
    IntegerNetwork(QuantizationSpec spec, List<Layer> layers, double[] scales) {
        this(spec, org.cryptonets.data.LabeledImages.MNIST_SHAPE, layers, scales);
    }

    /** The committed model, folded and quantized with {@link QuantizationSpec#DEFAULT}. */
    public static IntegerNetwork loadDefault() {
        return Quantizer.quantize(CryptoNetModel.loadDefault().fold().toFloatNetwork(), QuantizationSpec.DEFAULT);
    }

    /** Linear, square, linear, ..., linear. */
    public List<Layer> layers() {
        return layers;
    }

    /** The widths this network was quantized with. */
    public QuantizationSpec spec() {
        return spec;
    }

    /** Shape of one input image. */
    public TensorShape inputShape() {
        return inputShape;
    }

    /** Number of logits. */
    public int classes() {
        return ((Linear) layers.get(layers.size() - 1)).outputs();
    }

    /** Number of squares: the multiplicative depth. */
    public int depth() {
        return layers.size() / 2;
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
     * @throws IllegalArgumentException if {@code image} does not have the input shape's size
     */
    public int[] quantizeInput(byte[] image) {
        if (image.length != inputShape.size()) {
            throw new IllegalArgumentException("expected " + inputShape.size() + " pixels (" + inputShape
                    + "), found " + image.length);
        }
        int levels = spec.inputMax();
        int[] input = new int[image.length];
        for (int k = 0; k < input.length; k++) {
            // integer rounding, so every client quantizes identically
            input[k] = ((image[k] & 0xFF) * levels + 127) / 255;
        }
        return input;
    }

    /**
     * Exact logits for a quantized input in 64-bit arithmetic.
     *
     * @throws IllegalArgumentException if {@code input} has the wrong size or a value outside
     *     {@code [0, 2^inputBits)}
     * @throws ArithmeticException if a value leaves the 64-bit range (deep networks: use
     *     {@link #logits(int[])})
     */
    public long[] forward(int[] input) {
        return run(input, null);
    }

    /**
     * Exact logits for a quantized input, for a network of any depth: the network is computed
     * modulo 31-bit primes whose product exceeds twice the worst-case bound, and lifted by CRT.
     *
     * @throws IllegalArgumentException as for {@link #forward(int[])}
     */
    public BigInteger[] logits(int[] input) {
        checkInput(input);
        try {
            long[] small = run(input, null);
            BigInteger[] out = new BigInteger[small.length];
            for (int c = 0; c < small.length; c++) {
                out[c] = BigInteger.valueOf(small[c]);
            }
            return out;
        } catch (ArithmeticException beyond64Bits) {
            return liftByCrt(input);
        }
    }

    /**
     * The logits modulo {@code m} (in [0, m)), computed with every operation reduced modulo
     * {@code m}: what the encrypted evaluator computes for a plaintext prime {@code m}.
     *
     * @throws IllegalArgumentException as for {@link #forward(int[])}, or if m is not in [2, 2^31)
     */
    public long[] forwardModulo(int[] input, long m) {
        checkInput(input);
        if (m < 2 || m >= 1L << 31) {
            throw new IllegalArgumentException("modulus " + m + ": expected 2 to 2^31 - 1");
        }
        long[] values = new long[input.length];
        for (int k = 0; k < input.length; k++) {
            values[k] = input[k] % m;
        }
        for (int l = 0; l < layers.size(); l++) {
            if (sparse[l] != null) {
                values = sparse[l].applyModulo(values, m);
            } else {
                for (int k = 0; k < values.length; k++) {
                    values[k] = values[k] * values[k] % m;
                }
            }
        }
        return values;
    }

    private BigInteger[] liftByCrt(int[] input) {
        int k = referencePrimes.length;
        long[][] residues = new long[k][];
        for (int j = 0; j < k; j++) {
            residues[j] = forwardModulo(input, referencePrimes[j]);
        }
        BigInteger product = BigInteger.ONE;
        for (long p : referencePrimes) {
            product = product.multiply(BigInteger.valueOf(p));
        }
        BigInteger half = product.shiftRight(1);
        BigInteger[] out = new BigInteger[classes()];
        for (int c = 0; c < out.length; c++) {
            BigInteger value = BigInteger.ZERO;
            for (int j = 0; j < k; j++) {
                BigInteger p = BigInteger.valueOf(referencePrimes[j]);
                BigInteger rest = product.divide(p);
                BigInteger coefficient = rest.multiply(rest.mod(p).modInverse(p)).mod(product);
                value = value.add(coefficient.multiply(BigInteger.valueOf(residues[j][c])));
            }
            value = value.mod(product);
            out[c] = value.compareTo(half) > 0 ? value.subtract(product) : value;
        }
        return out;
    }

    private static long[] referencePrimes(double[] worstBits) {
        double bits = 0;
        for (double b : worstBits) {
            bits = Math.max(bits, b);
        }
        // product > 2^(bits + 2): the sign, and margin for the double-precision bound
        int count = (int) Math.ceil((bits + 3) / 30) + 1;
        if (count > 256) {
            throw new IllegalArgumentException("the worst-case logit bound has " + (int) bits
                    + " bits; expected at most 7,000 (a network this deep cannot be encrypted anyway)");
        }
        // the largest primes below 2^31 (any primes work here); the same list for every network
        long[] primes = new long[count];
        long candidate = (1L << 31) - 1;
        for (int j = 0; j < count; candidate -= 2) {
            if (BigInteger.valueOf(candidate).isProbablePrime(64)) {
                primes[j++] = candidate;
            }
        }
        return primes;
    }

    /** Predicted class for a raw image: the argmax of the exact logits. */
    public int predict(byte[] image) {
        return predict(logits(quantizeInput(image)));
    }

    /**
     * The index of the largest logit (the first on ties), which is the predicted class.
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
     * As {@link #predict(long[])} for logits of any size.
     *
     * @throws IllegalArgumentException if {@code logits} is empty
     */
    public static int predict(BigInteger[] logits) {
        if (logits.length == 0) {
            throw new IllegalArgumentException("no logits");
        }
        int best = 0;
        for (int c = 1; c < logits.length; c++) {
            if (logits[c].compareTo(logits[best]) > 0) {
                best = c;
            }
        }
        return best;
    }

    /** Bits of the largest |logit| in {@code logits}. */
    public static int bits(BigInteger[] logits) {
        int bits = 0;
        for (BigInteger v : logits) {
            bits = Math.max(bits, v.abs().bitLength());
        }
        return bits;
    }

    /**
     * Runs every image of {@code split} and records the largest |value| after each layer, the
     * exact logit range and the accuracy. Exact throughout when every value fits 64 bits;
     * otherwise the per-layer ranges come from double arithmetic and the logits stay exact.
     *
     * @throws IllegalArgumentException if the images do not have the network's input size
     */
    public Measurement measure(LabeledImages split) {
        if (split.imageSize() != inputShape.size()) {
            throw new IllegalArgumentException("the network expects " + inputShape + " images, found "
                    + split.shape());
        }
        int n = split.size();
        long[][] maxAbs = new long[n][];
        BigInteger[][] logits = new BigInteger[n][];
        boolean[] overflow = new boolean[1];
        IntStream.range(0, n).parallel().forEach(i -> {
            int[] input = quantizeInput(split.image(i));
            long[] ranges = new long[layers.size()];
            try {
                long[] small = run(input, ranges);
                maxAbs[i] = ranges;
                logits[i] = Arrays.stream(small).mapToObj(BigInteger::valueOf).toArray(BigInteger[]::new);
            } catch (ArithmeticException e) {
                overflow[0] = true;
                logits[i] = liftByCrt(input);
            }
        });
        int correct = 0;
        int logitBits = 0;
        for (int i = 0; i < n; i++) {
            correct += predict(logits[i]) == split.label(i) ? 1 : 0;
            logitBits = Math.max(logitBits, bits(logits[i]));
        }
        List<LayerRange> ranges;
        if (overflow[0]) {
            ranges = measureApproximately(split).layers();
        } else {
            long[] max = new long[layers.size()];
            for (long[] m : maxAbs) {
                for (int l = 0; l < max.length; l++) {
                    max[l] = Math.max(max[l], m[l]);
                }
            }
            ranges = new ArrayList<>();
            for (int l = 0; l < layers.size(); l++) {
                ranges.add(new LayerRange(layers.get(l).name(), max[l], 64 - Long.numberOfLeadingZeros(max[l])));
            }
        }
        return new Measurement(List.copyOf(ranges), correct, n, logitBits);
    }

    /**
     * For each layer, the bits of the largest |value| any input in range could produce, from
     * interval arithmetic: a safe but loose bound, useful to see how much the measured ranges of
     * {@link #measure(LabeledImages)} save. Doubles, since the bound may exceed 64 bits.
     */
    public double[] worstCaseBits() {
        double[] low = new double[inputShape.size()];
        double[] high = new double[inputShape.size()];
        Arrays.fill(high, spec.inputMax());
        double[] bits = new double[layers.size()];
        for (int l = 0; l < layers.size(); l++) {
            if (layers.get(l) instanceof Linear linear) {
                SparseRows rows = sparse[l];
                double[] newLow = new double[linear.outputs()];
                double[] newHigh = new double[linear.outputs()];
                for (int o = 0; o < linear.outputs(); o++) {
                    double lo = rows.bias[o].doubleValue();
                    double hi = lo;
                    for (int n = rows.rowStart[o]; n < rows.rowStart[o + 1]; n++) {
                        double weight = rows.weights[n];
                        int k = rows.columns[n];
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
     * {@link #measure(LabeledImages)} in double arithmetic, for widths whose values may exceed 64
     * bits: exact while values stay below 2^53 and within a relative 2^-52 after, which leaves the
     * argmax unchanged in practice. Used to search widths; the result is then measured exactly.
     */
    Measurement measureApproximately(LabeledImages split) {
        int n = split.size();
        double[][] maxAbs = new double[n][];
        boolean[] right = new boolean[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            int[] input = quantizeInput(split.image(i));
            double[] values = new double[input.length];
            for (int k = 0; k < input.length; k++) {
                values[k] = input[k];
            }
            double[] ranges = new double[layers.size()];
            for (int l = 0; l < layers.size(); l++) {
                values = sparse[l] != null ? sparse[l].apply(values) : squared(values);
                for (double value : values) {
                    ranges[l] = Math.max(ranges[l], Math.abs(value));
                }
            }
            int best = 0;
            for (int c = 1; c < values.length; c++) {
                if (values[c] > values[best]) {
                    best = c;
                }
            }
            maxAbs[i] = ranges;
            right[i] = best == split.label(i);
        });
        double[] max = new double[layers.size()];
        int correct = 0;
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < max.length; l++) {
                max[l] = Math.max(max[l], maxAbs[i][l]);
            }
            correct += right[i] ? 1 : 0;
        }
        List<LayerRange> ranges = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            int bits = max[l] < 1 ? 0 : Math.getExponent(max[l]) + 1;
            ranges.add(new LayerRange(layers.get(l).name(), max[l] < 0x1p63 ? (long) max[l] : Long.MAX_VALUE, bits));
        }
        return new Measurement(ranges, correct, n, ranges.get(ranges.size() - 1).bits());
    }

    private static double[] squared(double[] values) {
        double[] out = new double[values.length];
        for (int k = 0; k < values.length; k++) {
            out[k] = values[k] * values[k];
        }
        return out;
    }

    private void checkInput(int[] input) {
        if (input.length != inputShape.size()) {
            throw new IllegalArgumentException("expected " + inputShape.size() + " inputs, found " + input.length);
        }
        for (int k = 0; k < input.length; k++) {
            if (input[k] < 0 || input[k] > spec.inputMax()) {
                throw new IllegalArgumentException("input " + k + ": expected 0.." + spec.inputMax()
                        + ", found " + input[k]);
            }
        }
    }

    private long[] run(int[] input, long[] maxAbs) {
        checkInput(input);
        long[] values = new long[input.length];
        for (int k = 0; k < input.length; k++) {
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
        private final BigInteger[] bias;
        private final long[] smallBias; // bias as long, or null if some bias needs more than 62 bits
        private final java.util.concurrent.ConcurrentHashMap<Long, long[]> biasModulo = new java.util.concurrent.ConcurrentHashMap<>();

        SparseRows(Linear linear) {
            outputs = linear.outputs();
            bias = linear.bias;
            long[] small = new long[outputs];
            boolean fits = true;
            for (int o = 0; o < outputs; o++) {
                fits &= bias[o].bitLength() <= 62;
                small[o] = bias[o].longValue();
            }
            smallBias = fits ? small : null;
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
                double sum = bias[o].doubleValue();
                for (int n = rowStart[o]; n < rowStart[o + 1]; n++) {
                    sum += weights[n] * in[columns[n]];
                }
                out[o] = sum;
            }
            return out;
        }

        long[] apply(long[] in) {
            if (smallBias == null) {
                throw new ArithmeticException("a bias needs more than 62 bits");
            }
            long[] out = new long[outputs];
            for (int o = 0; o < outputs; o++) {
                long sum = smallBias[o];
                for (int n = rowStart[o]; n < rowStart[o + 1]; n++) {
                    sum = Math.addExact(sum, Math.multiplyExact(weights[n], in[columns[n]]));
                }
                out[o] = sum;
            }
            return out;
        }

        /** Inputs in [0, m) with m below 2^31; weights below 2^16 in magnitude. */
        long[] applyModulo(long[] in, long m) {
            // the biases reduced once per modulus, not once per image (they are BigIntegers)
            long[] reducedBias = biasModulo.computeIfAbsent(m, key -> {
                BigInteger modulus = BigInteger.valueOf(key);
                long[] r = new long[outputs];
                for (int o = 0; o < outputs; o++) {
                    r[o] = bias[o].mod(modulus).longValue();
                }
                return r;
            });
            long[] out = new long[outputs];
            for (int o = 0; o < outputs; o++) {
                // each term is below 2^47 in magnitude: reduce every 2^15 terms to stay below 2^62
                long sum = reducedBias[o];
                int since = 0;
                for (int n = rowStart[o]; n < rowStart[o + 1]; n++) {
                    sum += weights[n] * in[columns[n]];
                    if (++since == 1 << 15) {
                        sum %= m;
                        since = 0;
                    }
                }
                out[o] = Math.floorMod(sum, m);
            }
            return out;
        }
    }
}
