package org.cryptonets.net;

import static org.cryptonets.net.CryptoNetLayers.*;

import java.util.Arrays;
import java.util.Objects;

/**
 * The prediction form of the network (paper, section 4.2): five layers, of which only two are
 * non-linear,
 * <pre>
 *   conv1 as an 845x784 linear map with bias -> square -> linear 845->100 -> square -> linear 100->10
 * </pre>
 * where the middle linear map is pool1, conv2, pool2 and fc1 composed, and the sigmoid is dropped.
 * Inputs are pixels scaled to [0,1]. Produced by {@link CryptoNetModel#fold()}; consumed by
 * {@link Quantizer}.
 *
 * <p>Immutable and thread-safe: accessors return copies. Methods throw
 * {@link IllegalArgumentException} for inputs of the wrong length.
 */
public final class FoldedNetwork {
    /** Inputs (28x28 pixels). */
    public static final int INPUTS = INPUT;
    /** Outputs of the first linear layer (5 maps of 13x13). */
    public static final int FIRST_OUTPUTS = CONV1_OUTPUTS;
    /** Outputs of the folded middle layer. */
    public static final int HIDDEN_OUTPUTS = HIDDEN;
    /** Logits. */
    public static final int CLASS_COUNT = CLASSES;

    private final double[] conv1Weights; // 845 x 784, row-major
    private final double[] conv1Bias;
    private final double[] middleWeights; // 100 x 845
    private final double[] middleBias;
    private final double[] outputWeights; // 10 x 100
    private final double[] outputBias;

    FoldedNetwork(double[] conv1Weights, double[] conv1Bias, double[] middleWeights,
            double[] middleBias, double[] outputWeights, double[] outputBias) {
        this.conv1Weights = check(conv1Weights, FIRST_OUTPUTS * INPUTS, "conv1 weights");
        this.conv1Bias = check(conv1Bias, FIRST_OUTPUTS, "conv1 bias");
        this.middleWeights = check(middleWeights, HIDDEN_OUTPUTS * FIRST_OUTPUTS, "middle weights");
        this.middleBias = check(middleBias, HIDDEN_OUTPUTS, "middle bias");
        this.outputWeights = check(outputWeights, CLASS_COUNT * HIDDEN_OUTPUTS, "output weights");
        this.outputBias = check(outputBias, CLASS_COUNT, "output bias");
    }

    /** Folds the training-form parameters (flat layout of {@link CryptoNetLayers}). */
    static FoldedNetwork fold(double[] p) {
        double[] c1 = new double[FIRST_OUTPUTS * INPUTS];
        double[] c1b = new double[FIRST_OUTPUTS];
        for (int m = 0; m < CONV1_MAPS; m++) {
            for (int i = 0; i < CONV1_SIDE; i++) {
                for (int j = 0; j < CONV1_SIDE; j++) {
                    int row = m * CONV1_AREA + i * CONV1_SIDE + j;
                    c1b[row] = p[CONV1_B + m];
                    for (int u = 0; u < KERNEL; u++) {
                        for (int v = 0; v < KERNEL; v++) {
                            int r = 2 * i + u - 1;
                            int c = 2 * j + v - 1;
                            if (r >= 0 && c >= 0) { // the top row and left column are padding
                                c1[row * INPUTS + r * SIDE + c] = p[CONV1_W + m * KERNEL_AREA + u * KERNEL + v];
                            }
                        }
                    }
                }
            }
        }
        // Column k of the composed linear part is its image of the k-th unit vector; pushing all
        // 845 unit vectors through as one batch reuses the training kernels, so fold() cannot
        // drift from the layers it folds.
        int n = FIRST_OUTPUTS;
        double[] basis = new double[n * n];
        for (int k = 0; k < n; k++) {
            basis[k * n + k] = 1;
        }
        double[] pooled1 = new double[n * n];
        sumPool3x3(basis, pooled1, n * CONV1_MAPS, CONV1_SIDE);
        double[] conv2 = new double[n * CONV2_OUTPUTS];
        conv2Forward(p, pooled1, conv2, n, false);
        double[] pooled2 = new double[n * CONV2_OUTPUTS];
        sumPool3x3(conv2, pooled2, n * CONV2_MAPS, CONV2_SIDE);
        double[] columns = new double[n * HIDDEN];
        denseForward(p, FC1_W, -1, pooled2, columns, CONV2_OUTPUTS, HIDDEN, n);
        double[] middle = new double[HIDDEN * n];
        for (int k = 0; k < n; k++) {
            for (int o = 0; o < HIDDEN; o++) {
                middle[o * n + k] = columns[k * HIDDEN + o];
            }
        }
        // The bias is the affine part's image of zero: conv2's bias pooled, then through fc1.
        double[] zero = new double[n];
        double[] biasConv2 = new double[CONV2_OUTPUTS];
        conv2Forward(p, zero, biasConv2, 1, true);
        double[] biasPooled2 = new double[CONV2_OUTPUTS];
        sumPool3x3(biasConv2, biasPooled2, CONV2_MAPS, CONV2_SIDE);
        double[] middleBias = new double[HIDDEN];
        denseForward(p, FC1_W, FC1_B, biasPooled2, middleBias, CONV2_OUTPUTS, HIDDEN, 1);
        return new FoldedNetwork(c1, c1b, middle, middleBias,
                Arrays.copyOfRange(p, FC2_W, FC2_W + CLASSES * HIDDEN),
                Arrays.copyOfRange(p, FC2_B, FC2_B + CLASSES));
    }

    /**
     * Logits for one image given as pixels scaled to [0,1].
     *
     * @throws IllegalArgumentException if {@code input} does not have 784 entries
     */
    public double[] logits(double[] input) {
        if (input.length != INPUTS) {
            throw new IllegalArgumentException("expected " + INPUTS + " inputs, found " + input.length);
        }
        double[] first = affine(conv1Weights, conv1Bias, input, FIRST_OUTPUTS, INPUTS);
        square(first, first, first.length);
        double[] hidden = affine(middleWeights, middleBias, first, HIDDEN_OUTPUTS, FIRST_OUTPUTS);
        square(hidden, hidden, hidden.length);
        return affine(outputWeights, outputBias, hidden, CLASS_COUNT, HIDDEN_OUTPUTS);
    }

    /**
     * Logits for one raw image (784 unsigned bytes, row-major), scaled by 1/255.
     *
     * @throws IllegalArgumentException if {@code image} does not have 784 entries
     */
    public double[] logits(byte[] image) {
        return logits(CryptoNetModel.scale(image));
    }

    /** The same three linear layers and two squares as a generic {@link FloatNetwork}. */
    public FloatNetwork toFloatNetwork() {
        org.cryptonets.data.TensorShape image = org.cryptonets.data.LabeledImages.MNIST_SHAPE;
        FloatNetwork.Affine conv1 = FloatNetwork.Affine.dense("conv1", image, FIRST_OUTPUTS, conv1Weights, conv1Bias);
        FloatNetwork.Affine middle = FloatNetwork.Affine.dense("middle", conv1.output(), HIDDEN_OUTPUTS, middleWeights,
                middleBias);
        FloatNetwork.Affine output = FloatNetwork.Affine.dense("output", middle.output(), CLASS_COUNT, outputWeights,
                outputBias);
        return new FloatNetwork(image, java.util.List.of(conv1, new FloatNetwork.Square("square1", conv1.output()),
                middle, new FloatNetwork.Square("square2", middle.output()), output));
    }

    /** conv1 as a dense 845x784 matrix, row-major (a copy). */
    public double[] conv1Weights() {
        return conv1Weights.clone();
    }

    /** conv1 bias, one per output (a copy). */
    public double[] conv1Bias() {
        return conv1Bias.clone();
    }

    /** The folded 845 -> 100 layer, 100x845 row-major (a copy). */
    public double[] middleWeights() {
        return middleWeights.clone();
    }

    /** Bias of the folded 845 -> 100 layer (a copy). */
    public double[] middleBias() {
        return middleBias.clone();
    }

    /** The output layer, 10x100 row-major (a copy). */
    public double[] outputWeights() {
        return outputWeights.clone();
    }

    /** Bias of the output layer (a copy). */
    public double[] outputBias() {
        return outputBias.clone();
    }

    private static double[] affine(double[] w, double[] bias, double[] in, int outputs, int inputs) {
        double[] out = new double[outputs];
        for (int o = 0; o < outputs; o++) {
            double sum = bias[o];
            int row = o * inputs;
            for (int k = 0; k < inputs; k++) {
                sum += w[row + k] * in[k];
            }
            out[o] = sum;
        }
        return out;
    }

    private static double[] check(double[] values, int length, String what) {
        Objects.requireNonNull(values, what);
        if (values.length != length) {
            throw new IllegalArgumentException(what + ": expected " + length + " values, found " + values.length);
        }
        return values;
    }
}
