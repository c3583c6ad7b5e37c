package org.cryptonets.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.data.TensorShape;

/**
 * Any CryptoNet in float form: a chain of affine maps and element-wise squares over tensors of
 * known shape, ending in an affine map whose outputs are the class scores. This is what a model
 * file (ONNX or the project's own) becomes once it is read, and what
 * {@link #fold()} turns into the prediction form that {@link Quantizer} makes exact: linear layers
 * between two activations (convolutions, mean pools, padding, batch normalization, flattening,
 * dense layers) folded into one, as the paper folds its layers 3 to 6 (section 4.2).
 *
 * <p>Every linear layer, whatever its kind, is held as an {@link Affine} map on the flattened
 * tensor (channel, row, column, row-major) with a sparse weight matrix, so one composition rule
 * folds all of them and one evaluator runs them. Inputs are images scaled to [0, 1] (pixel / 255).
 *
 * <p>Immutable and thread-safe. Constructors and builders throw {@link IllegalArgumentException}
 * for inconsistent shapes, non-finite weights or matrices above {@link Affine#MAX_NONZEROS}.
 */
public final class FloatNetwork {
    /** One layer: an affine map or an element-wise square. */
    public sealed interface Layer permits Affine, Square {
        /** Name for messages and reports, e.g. the ONNX node it came from. */
        String name();

        /** Shape of the layer's input. */
        TensorShape input();

        /** Shape of the layer's output. */
        TensorShape output();
    }

    /** Element-wise square, the CryptoNets activation. Immutable. */
    public record Square(String name, TensorShape shape) implements Layer {
        /** Checks the fields. */
        public Square {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(shape, "shape");
        }

        @Override
        public TensorShape input() {
            return shape;
        }

        @Override
        public TensorShape output() {
            return shape;
        }
    }

    /**
     * {@code out[o] = bias[o] + sum_k W[o][k] in[k]} with W in compressed sparse rows (column
     * indices increasing within a row, no explicit zeros). Immutable: arrays are copied in and out.
     */
    public static final class Affine implements Layer {
        /** Largest number of non-zero weights one map may hold (256 MiB of doubles). */
        public static final int MAX_NONZEROS = 1 << 25;

        private final String name;
        private final TensorShape input;
        private final TensorShape output;
        private final int[] rowStart;
        private final int[] columns;
        private final double[] values;
        private final double[] bias;

        private Affine(String name, TensorShape input, TensorShape output, int[] rowStart, int[] columns,
                double[] values, double[] bias, boolean trusted) {
            this.name = Objects.requireNonNull(name, "name");
            this.input = Objects.requireNonNull(input, "input");
            this.output = Objects.requireNonNull(output, "output");
            int rows = output.size();
            if (rowStart.length != rows + 1 || bias.length != rows || rowStart[0] != 0
                    || rowStart[rows] != columns.length || columns.length != values.length) {
                throw new IllegalArgumentException(name + ": expected " + (rows + 1) + " row offsets and " + rows
                        + " biases with matching column and value arrays, found " + rowStart.length + ", "
                        + bias.length + ", " + columns.length + " and " + values.length);
            }
            if (!trusted) {
                for (int r = 0; r < rows; r++) {
                    if (rowStart[r + 1] < rowStart[r]) {
                        throw new IllegalArgumentException(name + ": row offsets decrease at row " + r);
                    }
                    for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                        if (columns[k] < 0 || columns[k] >= input.size()
                                || (k > rowStart[r] && columns[k] <= columns[k - 1])) {
                            throw new IllegalArgumentException(name + ": row " + r + ": expected increasing columns in [0, "
                                    + input.size() + "), found " + columns[k]);
                        }
                        if (!Double.isFinite(values[k])) {
                            throw new IllegalArgumentException(name + ": weight (" + r + ", " + columns[k]
                                    + ") is not finite: " + values[k]);
                        }
                    }
                    if (!Double.isFinite(bias[r])) {
                        throw new IllegalArgumentException(name + ": bias " + r + " is not finite: " + bias[r]);
                    }
                }
                rowStart = rowStart.clone();
                columns = columns.clone();
                values = values.clone();
                bias = bias.clone();
            }
            this.rowStart = rowStart;
            this.columns = columns;
            this.values = values;
            this.bias = bias;
        }

        /**
         * A map given in compressed sparse rows (validated and copied).
         *
         * @throws IllegalArgumentException for inconsistent arrays or non-finite values
         */
        public static Affine sparse(String name, TensorShape input, TensorShape output, int[] rowStart, int[] columns,
                double[] values, double[] bias) {
            return new Affine(name, input, output, rowStart, columns, values, bias, false);
        }

        /**
         * A dense layer (ONNX Gemm, or MatMul then Add): {@code outputs x input.size()} weights,
         * row-major; zeros are dropped. {@code bias} may be null (no bias).
         */
        public static Affine dense(String name, TensorShape input, int outputs, double[] weights, double[] bias) {
            int inputs = input.size();
            if (outputs < 1 || weights.length != (long) outputs * inputs || (bias != null && bias.length != outputs)) {
                throw new IllegalArgumentException(name + ": expected " + outputs + "x" + inputs + " weights and "
                        + outputs + " biases, found " + weights.length + " and " + (bias == null ? 0 : bias.length));
            }
            Builder b = new Builder(name, input, TensorShape.flat(outputs));
            for (int o = 0; o < outputs; o++) {
                for (int k = 0; k < inputs; k++) {
                    b.add(k, weights[o * inputs + k]);
                }
                b.endRow(bias == null ? 0 : bias[o]);
            }
            return b.build();
        }

        /**
         * A 2-d convolution (ONNX Conv with group 1 and dilation 1): weights
         * {@code [outChannels][inChannels][kernelH][kernelW]}, zero padding {@code pads = {top,
         * left, bottom, right}}; {@code bias} may be null.
         */
        public static Affine conv2d(String name, TensorShape input, int outChannels, int kernelH, int kernelW,
                int strideH, int strideW, int[] pads, double[] weights, double[] bias) {
            int inChannels = input.channels();
            checkWindow(name, input, kernelH, kernelW, strideH, strideW, pads);
            if (outChannels < 1 || weights.length != (long) outChannels * inChannels * kernelH * kernelW
                    || (bias != null && bias.length != outChannels)) {
                throw new IllegalArgumentException(name + ": expected " + outChannels + "x" + inChannels + "x" + kernelH
                        + "x" + kernelW + " weights and " + outChannels + " biases, found " + weights.length + " and "
                        + (bias == null ? 0 : bias.length));
            }
            int outH = (input.height() + pads[0] + pads[2] - kernelH) / strideH + 1;
            int outW = (input.width() + pads[1] + pads[3] - kernelW) / strideW + 1;
            TensorShape out = new TensorShape(outChannels, outH, outW);
            Builder b = new Builder(name, input, out);
            for (int oc = 0; oc < outChannels; oc++) {
                for (int oy = 0; oy < outH; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        for (int ic = 0; ic < inChannels; ic++) {
                            for (int ky = 0; ky < kernelH; ky++) {
                                int y = oy * strideH + ky - pads[0];
                                if (y < 0 || y >= input.height()) {
                                    continue;
                                }
                                for (int kx = 0; kx < kernelW; kx++) {
                                    int x = ox * strideW + kx - pads[1];
                                    if (x >= 0 && x < input.width()) {
                                        b.add(input.index(ic, y, x),
                                                weights[((oc * inChannels + ic) * kernelH + ky) * kernelW + kx]);
                                    }
                                }
                            }
                        }
                        b.endRowSorted(bias == null ? 0 : bias[oc]);
                    }
                }
            }
            return b.build();
        }

        /**
         * Mean pooling (ONNX AveragePool), each channel separately; with {@code countIncludePad}
         * every window divides by its full area, otherwise by the number of real (unpadded) inputs
         * it covers. Either way a linear map: the paper's scaled mean pool, once quantization has
         * absorbed the constant.
         */
        public static Affine averagePool(String name, TensorShape input, int kernelH, int kernelW, int strideH,
                int strideW, int[] pads, boolean countIncludePad) {
            checkWindow(name, input, kernelH, kernelW, strideH, strideW, pads);
            int outH = (input.height() + pads[0] + pads[2] - kernelH) / strideH + 1;
            int outW = (input.width() + pads[1] + pads[3] - kernelW) / strideW + 1;
            TensorShape out = new TensorShape(input.channels(), outH, outW);
            Builder b = new Builder(name, input, out);
            for (int c = 0; c < input.channels(); c++) {
                for (int oy = 0; oy < outH; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        int y0 = oy * strideH - pads[0];
                        int x0 = ox * strideW - pads[1];
                        int real = 0;
                        for (int ky = 0; ky < kernelH; ky++) {
                            for (int kx = 0; kx < kernelW; kx++) {
                                int y = y0 + ky;
                                int x = x0 + kx;
                                if (y >= 0 && y < input.height() && x >= 0 && x < input.width()) {
                                    real++;
                                }
                            }
                        }
                        double weight = 1.0 / (countIncludePad ? kernelH * kernelW : Math.max(real, 1));
                        for (int ky = 0; ky < kernelH; ky++) {
                            for (int kx = 0; kx < kernelW; kx++) {
                                int y = y0 + ky;
                                int x = x0 + kx;
                                if (y >= 0 && y < input.height() && x >= 0 && x < input.width()) {
                                    b.add(input.index(c, y, x), weight);
                                }
                            }
                        }
                        b.endRow(0);
                    }
                }
            }
            return b.build();
        }

        /** Zero padding of every channel: {@code pads = {top, left, bottom, right}}, each at least 0. */
        public static Affine pad(String name, TensorShape input, int[] pads) {
            if (pads.length != 4 || Arrays.stream(pads).anyMatch(p -> p < 0 || p > 4096)) {
                throw new IllegalArgumentException(name + ": expected four paddings in 0..4096, found " + Arrays.toString(pads));
            }
            TensorShape out = new TensorShape(input.channels(), input.height() + pads[0] + pads[2],
                    input.width() + pads[1] + pads[3]);
            Builder b = new Builder(name, input, out);
            for (int c = 0; c < out.channels(); c++) {
                for (int y = 0; y < out.height(); y++) {
                    for (int x = 0; x < out.width(); x++) {
                        int sy = y - pads[0];
                        int sx = x - pads[1];
                        if (sy >= 0 && sy < input.height() && sx >= 0 && sx < input.width()) {
                            b.add(input.index(c, sy, sx), 1);
                        }
                        b.endRow(0);
                    }
                }
            }
            return b.build();
        }

        /**
         * {@code out[c][y][x] = scale[c] in[c][y][x] + shift[c]}: an inference-mode batch
         * normalization, or a per-channel constant multiply and add.
         */
        public static Affine channelAffine(String name, TensorShape input, double[] scale, double[] shift) {
            if (scale.length != input.channels() || shift.length != input.channels()) {
                throw new IllegalArgumentException(name + ": expected " + input.channels() + " scales and shifts, found "
                        + scale.length + " and " + shift.length);
            }
            Builder b = new Builder(name, input, input);
            int area = input.height() * input.width();
            for (int k = 0; k < input.size(); k++) {
                b.add(k, scale[k / area]);
                b.endRow(shift[k / area]);
            }
            return b.build();
        }

        /** The identity with a new shape of the same size (Flatten, Reshape). */
        public static Affine reshape(String name, TensorShape input, TensorShape output) {
            if (input.size() != output.size()) {
                throw new IllegalArgumentException(name + ": cannot reshape " + input + " (" + input.size() + " values) to "
                        + output + " (" + output.size() + " values)");
            }
            Builder b = new Builder(name, input, output);
            for (int k = 0; k < input.size(); k++) {
                b.add(k, 1);
                b.endRow(0);
            }
            return b.build();
        }

        private static void checkWindow(String name, TensorShape input, int kernelH, int kernelW, int strideH,
                int strideW, int[] pads) {
            if (pads.length != 4 || Arrays.stream(pads).anyMatch(p -> p < 0 || p > 4096)) {
                throw new IllegalArgumentException(name + ": expected four paddings in 0..4096, found " + Arrays.toString(pads));
            }
            if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1
                    || kernelH > input.height() + pads[0] + pads[2] || kernelW > input.width() + pads[1] + pads[3]) {
                throw new IllegalArgumentException(name + ": kernel " + kernelH + "x" + kernelW + " with strides " + strideH
                        + "x" + strideW + " does not fit the padded input " + input + " (pads " + Arrays.toString(pads)
                        + ")");
            }
        }

        /** {@code second} applied after {@code first}: one map that folds both. */
        public static Affine compose(Affine first, Affine second, String name) {
            if (first.output.size() != second.input.size()) {
                throw new IllegalArgumentException("cannot fold " + first.name + " (" + first.output + ") into "
                        + second.name + " (expects " + second.input + ")");
            }
            int inputs = first.input.size();
            double[] row = new double[inputs];
            boolean[] used = new boolean[inputs];
            int[] touched = new int[inputs];
            Builder b = new Builder(name, first.input, second.output);
            for (int r = 0; r < second.output.size(); r++) {
                int count = 0;
                double biasValue = second.bias[r];
                for (int k = second.rowStart[r]; k < second.rowStart[r + 1]; k++) {
                    int mid = second.columns[k];
                    double w = second.values[k];
                    biasValue += w * first.bias[mid];
                    for (int j = first.rowStart[mid]; j < first.rowStart[mid + 1]; j++) {
                        int c = first.columns[j];
                        if (!used[c]) {
                            used[c] = true;
                            touched[count++] = c;
                        }
                        row[c] += w * first.values[j];
                    }
                }
                Arrays.sort(touched, 0, count);
                for (int t = 0; t < count; t++) {
                    int c = touched[t];
                    b.add(c, row[c]);
                    row[c] = 0;
                    used[c] = false;
                }
                b.endRowSorted(biasValue);
            }
            return b.build();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public TensorShape input() {
            return input;
        }

        @Override
        public TensorShape output() {
            return output;
        }

        /** Number of stored (non-zero) weights. */
        public int nonZeros() {
            return columns.length;
        }

        /** The bias, one per output (a copy). */
        public double[] bias() {
            return bias.clone();
        }

        /** Row offsets into {@link #columns()} and {@link #values()}, one more than the outputs (a copy). */
        public int[] rowStart() {
            return rowStart.clone();
        }

        /** Column of every stored weight, row after row (a copy). */
        public int[] columns() {
            return columns.clone();
        }

        /** Every stored weight, row after row (a copy). */
        public double[] values() {
            return values.clone();
        }

        /** The weights as a dense {@code outputs x inputs} matrix, row-major. */
        public double[] denseWeights() {
            int inputs = input.size();
            double[] dense = new double[Math.multiplyExact(output.size(), inputs)];
            for (int r = 0; r < output.size(); r++) {
                for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                    dense[r * inputs + columns[k]] = values[k];
                }
            }
            return dense;
        }

        /** Largest |weight| (0 for a map without weights). */
        public double maxAbsWeight() {
            double max = 0;
            for (double v : values) {
                max = Math.max(max, Math.abs(v));
            }
            return max;
        }

        /**
         * Applies the map.
         *
         * @throws IllegalArgumentException if {@code in} does not have {@code input().size()} values
         */
        public double[] apply(double[] in) {
            if (in.length != input.size()) {
                throw new IllegalArgumentException(name + ": expected " + input.size() + " inputs, found " + in.length);
            }
            double[] out = new double[output.size()];
            for (int r = 0; r < out.length; r++) {
                double sum = bias[r];
                for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                    sum += values[k] * in[columns[k]];
                }
                out[r] = sum;
            }
            return out;
        }

        @Override
        public String toString() {
            return "Affine[" + name + ", " + input + " -> " + output + ", " + nonZeros() + " weights]";
        }

        /** Builds CSR arrays row by row; drops explicit zeros. */
        private static final class Builder {
            private final String name;
            private final TensorShape input;
            private final TensorShape output;
            private final int[] rowStart;
            private int[] columns = new int[64];
            private double[] values = new double[64];
            private final double[] bias;
            private int rows;
            private int size;
            private int rowBegin;

            Builder(String name, TensorShape input, TensorShape output) {
                this.name = name;
                this.input = input;
                this.output = output;
                this.rowStart = new int[output.size() + 1];
                this.bias = new double[output.size()];
            }

            void add(int column, double value) {
                if (value == 0) {
                    return;
                }
                if (!Double.isFinite(value)) {
                    throw new IllegalArgumentException(name + ": weight (" + rows + ", " + column + ") is not finite: " + value);
                }
                if (size == columns.length) {
                    if (size >= MAX_NONZEROS) {
                        throw new IllegalArgumentException(name + ": more than " + MAX_NONZEROS + " non-zero weights ("
                                + input + " -> " + output + "); expected a smaller layer");
                    }
                    int grown = (int) Math.min(MAX_NONZEROS, 2L * size);
                    columns = Arrays.copyOf(columns, grown);
                    values = Arrays.copyOf(values, grown);
                }
                columns[size] = column;
                values[size] = value;
                size++;
            }

            /** Ends a row whose columns may repeat or come out of order (sums duplicates). */
            void endRow(double biasValue) {
                // Rows built in index order are already sorted and distinct; check cheaply.
                boolean sorted = true;
                for (int k = rowBegin + 1; k < size && sorted; k++) {
                    sorted = columns[k] > columns[k - 1];
                }
                if (!sorted) {
                    int n = size - rowBegin;
                    Integer[] order = new Integer[n];
                    for (int i = 0; i < n; i++) {
                        order[i] = rowBegin + i;
                    }
                    Arrays.sort(order, (a, b) -> Integer.compare(columns[a], columns[b]));
                    int[] c = new int[n];
                    double[] v = new double[n];
                    for (int i = 0; i < n; i++) {
                        c[i] = columns[order[i]];
                        v[i] = values[order[i]];
                    }
                    int out = rowBegin;
                    for (int i = 0; i < n; i++) {
                        if (out > rowBegin && columns[out - 1] == c[i]) {
                            values[out - 1] += v[i];
                        } else {
                            columns[out] = c[i];
                            values[out] = v[i];
                            out++;
                        }
                    }
                    size = out;
                }
                endRowSorted(biasValue);
            }

            /** Ends a row whose columns were added in increasing order, or are sorted by endRow. */
            void endRowSorted(double biasValue) {
                if (!Double.isFinite(biasValue)) {
                    throw new IllegalArgumentException(name + ": bias " + rows + " is not finite: " + biasValue);
                }
                boolean sorted = true;
                for (int k = rowBegin + 1; k < size && sorted; k++) {
                    sorted = columns[k] > columns[k - 1];
                }
                if (!sorted) {
                    endRow(biasValue);
                    return;
                }
                bias[rows] = biasValue;
                rows++;
                rowStart[rows] = size;
                rowBegin = size;
            }

            Affine build() {
                if (rows != output.size()) {
                    throw new IllegalStateException(name + ": built " + rows + " of " + output.size() + " rows");
                }
                return new Affine(name, input, output, rowStart, Arrays.copyOf(columns, size), Arrays.copyOf(values, size),
                        bias, true);
            }
        }
    }

    private final TensorShape input;
    private final List<Layer> layers;

    /**
     * A network over inputs of {@code input} shape.
     *
     * @throws IllegalArgumentException if there are no layers, a layer's input shape differs in
     *     size from its predecessor's output, or the last layer is not affine
     */
    public FloatNetwork(TensorShape input, List<Layer> layers) {
        this.input = Objects.requireNonNull(input, "input");
        this.layers = List.copyOf(layers);
        if (this.layers.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one layer");
        }
        TensorShape shape = input;
        for (Layer layer : this.layers) {
            if (layer.input().size() != shape.size()) {
                throw new IllegalArgumentException(layer.name() + ": expects " + layer.input() + " ("
                        + layer.input().size() + " values) but receives " + shape + " (" + shape.size() + " values)");
            }
            shape = layer.output();
        }
        if (!(this.layers.get(this.layers.size() - 1) instanceof Affine)) {
            throw new IllegalArgumentException("the last layer, " + this.layers.get(this.layers.size() - 1).name()
                    + ", is a square; a CryptoNet ends with a linear layer that gives the class scores");
        }
    }

    /** Shape of one input image. */
    public TensorShape inputShape() {
        return input;
    }

    /** The layers, first to last. */
    public List<Layer> layers() {
        return layers;
    }

    /** Number of class scores the network outputs. */
    public int classes() {
        return layers.get(layers.size() - 1).output().size();
    }

    /** Number of square activations: the network's multiplicative depth. */
    public int depth() {
        return (int) layers.stream().filter(l -> l instanceof Square).count();
    }

    /**
     * The prediction form: every run of consecutive affine layers composed into one, so the
     * network alternates affine maps and squares and starts and ends with an affine map.
     *
     * @throws IllegalArgumentException if a folded map would exceed {@link Affine#MAX_NONZEROS}
     */
    public FloatNetwork fold() {
        List<Layer> folded = new ArrayList<>();
        Affine pending = null;
        List<String> names = new ArrayList<>();
        TensorShape shape = input;
        for (Layer layer : layers) {
            if (layer instanceof Affine affine) {
                if (pending == null) {
                    pending = affine;
                } else {
                    pending = Affine.compose(pending, affine, pending.name());
                }
                names.add(affine.name());
            } else {
                if (pending == null) {
                    // a square straight after the input or after another square: an identity map
                    // keeps the alternation that the integer and encrypted evaluators expect
                    pending = Affine.reshape("identity", shape, shape);
                    names.add("identity");
                }
                folded.add(renamed(pending, names));
                folded.add(layer);
                pending = null;
                names.clear();
            }
            shape = layer.output();
        }
        folded.add(renamed(pending, names));
        return new FloatNetwork(input, folded);
    }

    private static Affine renamed(Affine affine, List<String> names) {
        String name = names.size() == 1 ? names.get(0) : names.get(0) + ".." + names.get(names.size() - 1);
        if (name.equals(affine.name())) {
            return affine;
        }
        return new Affine(name, affine.input, affine.output, affine.rowStart, affine.columns, affine.values,
                affine.bias, true);
    }

    /** Whether the network alternates affine maps and squares, starting and ending affine. */
    public boolean isFolded() {
        for (int l = 0; l < layers.size(); l++) {
            if ((l % 2 == 0) != (layers.get(l) instanceof Affine)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Class scores for one input scaled to [0, 1].
     *
     * @throws IllegalArgumentException if {@code in} does not match the input shape
     */
    public double[] logits(double[] in) {
        if (in.length != input.size()) {
            throw new IllegalArgumentException("expected " + input.size() + " inputs (" + input + "), found " + in.length);
        }
        double[] values = in;
        for (Layer layer : layers) {
            if (layer instanceof Affine affine) {
                values = affine.apply(values);
            } else {
                double[] squared = new double[values.length];
                for (int k = 0; k < values.length; k++) {
                    squared[k] = values[k] * values[k];
                }
                values = squared;
            }
        }
        return values;
    }

    /**
     * Class scores for one raw image (unsigned bytes, pixel / 255).
     *
     * @throws IllegalArgumentException if the image does not match the input shape
     */
    public double[] logits(byte[] image) {
        return logits(scale(image));
    }

    /** Pixels scaled to [0, 1]. */
    static double[] scale(byte[] image) {
        double[] x = new double[image.length];
        for (int k = 0; k < image.length; k++) {
            x[k] = (image[k] & 0xFF) / 255.0;
        }
        return x;
    }

    /** Index of the largest score, the first on ties. */
    static int argmax(double[] scores) {
        int best = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * Fraction of {@code images} classified correctly in double precision.
     *
     * @throws IllegalArgumentException if the images' shape or classes do not fit the network
     */
    public double accuracy(LabeledImages images) {
        checkData(images);
        long correct = java.util.stream.IntStream.range(0, images.size()).parallel()
                .filter(i -> argmax(logits(images.image(i))) == images.label(i)).count();
        return images.size() == 0 ? 0 : (double) correct / images.size();
    }

    /**
     * Checks that {@code images} fit this network: the same number of values per image, and no
     * label beyond the network's classes.
     *
     * @throws IllegalArgumentException naming both when they do not
     */
    public void checkData(LabeledImages images) {
        if (images.imageSize() != input.size()) {
            throw new IllegalArgumentException("the model expects " + input + " inputs (" + input.size()
                    + " values) but the images are " + images.shape() + " (" + images.imageSize() + " values)");
        }
        if (images.classes() > classes()) {
            throw new IllegalArgumentException("the model outputs " + classes() + " class scores but the labels go up to "
                    + (images.classes() - 1));
        }
    }

    /** One line per layer, for the command line. */
    public String describe() {
        StringBuilder text = new StringBuilder("input " + input);
        for (Layer layer : layers) {
            text.append(String.format(Locale.ROOT, "%n  %-24s %s -> %s", layer.name(), layer instanceof Square ? "square"
                    : "linear, " + ((Affine) layer).nonZeros() + " weights,", layer.output()));
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return "FloatNetwork(input " + input + ", " + layers.size() + " layers, depth " + depth() + ", " + classes()
                + " classes)";
    }
}
