package org.cryptonets.net;

/**
 * The training-form layers of the CryptoNets MNIST network (paper, section 4.2) as batched double
 * kernels over one flat parameter vector, shared by the trainer and by {@link CryptoNetModel}'s
 * reference forward pass so that what is trained is exactly what is evaluated and folded.
 *
 * <p>Shapes, per image:
 * <ol>
 *   <li>input 28x28, padded with one zero row on top and one zero column on the left (29x29);</li>
 *   <li>conv1: 5 maps, 5x5 kernels, stride 2, with bias: 5x13x13 = 845;</li>
 *   <li>square;</li>
 *   <li>pool1: scaled mean pool, i.e. the plain sum over a 3x3 window, stride 1, zero padding 1,
 *       so the output stays 5x13x13 as the paper states;</li>
 *   <li>conv2: each of the 5 maps convolved separately with 10 kernels 5x5, stride 2, no padding,
 *       with bias: 50x5x5 = 1250 (output map {@code o} reads input map {@code o / 10});</li>
 *   <li>pool2: sum over 3x3, stride 1, zero padding 1: 50x5x5;</li>
 *   <li>fc1: 1250 -> 100 with bias;</li>
 *   <li>square;</li>
 *   <li>fc2: 100 -> 10 with bias (the paper's sigmoid is replaced by softmax cross-entropy during
 *       training and dropped for prediction; both are monotone so the argmax is unchanged).</li>
 * </ol>
 * Activations are laid out image-major, then map, then row, then column.
 *
 * <p>Stateless; thread-safe as long as callers do not share output arrays. Methods throw only
 * {@link ArrayIndexOutOfBoundsException} when handed arrays that are too small.
 */
final class CryptoNetLayers {
    static final int SIDE = 28;
    static final int INPUT = SIDE * SIDE;
    static final int KERNEL = 5;
    static final int KERNEL_AREA = KERNEL * KERNEL;
    static final int CONV1_MAPS = 5;
    static final int CONV1_SIDE = 13;
    static final int CONV1_AREA = CONV1_SIDE * CONV1_SIDE;
    static final int CONV1_OUTPUTS = CONV1_MAPS * CONV1_AREA; // 845
    static final int CONV2_KERNELS_PER_MAP = 10;
    static final int CONV2_MAPS = CONV1_MAPS * CONV2_KERNELS_PER_MAP; // 50
    static final int CONV2_SIDE = 5;
    static final int CONV2_AREA = CONV2_SIDE * CONV2_SIDE;
    static final int CONV2_OUTPUTS = CONV2_MAPS * CONV2_AREA; // 1250
    static final int HIDDEN = 100;
    static final int CLASSES = 10;

    // Offsets into the flat parameter vector; tensors in CryptoNetModel.TENSORS order.
    static final int CONV1_W = 0;
    static final int CONV1_B = CONV1_W + CONV1_MAPS * KERNEL_AREA;
    static final int CONV2_W = CONV1_B + CONV1_MAPS;
    static final int CONV2_B = CONV2_W + CONV2_MAPS * KERNEL_AREA;
    static final int FC1_W = CONV2_B + CONV2_MAPS;
    static final int FC1_B = FC1_W + HIDDEN * CONV2_OUTPUTS;
    static final int FC2_W = FC1_B + HIDDEN;
    static final int FC2_B = FC2_W + CLASSES * HIDDEN;
    static final int PARAMETERS = FC2_B + CLASSES;

    private CryptoNetLayers() {
    }

    /** conv1 on {@code batch} images of 784 values each; writes 845 values per image. */
    static void conv1Forward(double[] p, double[] x, double[] out, int batch) {
        for (int b = 0; b < batch; b++) {
            int xo = b * INPUT;
            int oo = b * CONV1_OUTPUTS;
            for (int m = 0; m < CONV1_MAPS; m++) {
                int w = CONV1_W + m * KERNEL_AREA;
                double bias = p[CONV1_B + m];
                for (int i = 0; i < CONV1_SIDE; i++) {
                    for (int j = 0; j < CONV1_SIDE; j++) {
                        double sum = bias;
                        for (int u = 0; u < KERNEL; u++) {
                            // padded row 2i+u is image row 2i+u-1; row -1 is the zero padding
                            int r = 2 * i + u - 1;
                            if (r < 0) {
                                continue;
                            }
                            int rowBase = xo + r * SIDE;
                            int wRow = w + u * KERNEL;
                            for (int v = 0; v < KERNEL; v++) {
                                int c = 2 * j + v - 1;
                                if (c >= 0) {
                                    sum += p[wRow + v] * x[rowBase + c];
                                }
                            }
                        }
                        out[oo + m * CONV1_AREA + i * CONV1_SIDE + j] = sum;
                    }
                }
            }
        }
    }

    /** Accumulates conv1 weight and bias gradients from the gradient {@code d} of its output. */
    static void conv1Backward(double[] x, double[] d, double[] g, int batch) {
        for (int b = 0; b < batch; b++) {
            int xo = b * INPUT;
            int dox = b * CONV1_OUTPUTS;
            for (int m = 0; m < CONV1_MAPS; m++) {
                int w = CONV1_W + m * KERNEL_AREA;
                double biasGradient = 0;
                for (int i = 0; i < CONV1_SIDE; i++) {
                    for (int j = 0; j < CONV1_SIDE; j++) {
                        double delta = d[dox + m * CONV1_AREA + i * CONV1_SIDE + j];
                        biasGradient += delta;
                        for (int u = 0; u < KERNEL; u++) {
                            int r = 2 * i + u - 1;
                            if (r < 0) {
                                continue;
                            }
                            int rowBase = xo + r * SIDE;
                            int wRow = w + u * KERNEL;
                            for (int v = 0; v < KERNEL; v++) {
                                int c = 2 * j + v - 1;
                                if (c >= 0) {
                                    g[wRow + v] += delta * x[rowBase + c];
                                }
                            }
                        }
                    }
                }
                g[CONV1_B + m] += biasGradient;
            }
        }
    }

    /** Element-wise square. */
    static void square(double[] in, double[] out, int length) {
        for (int k = 0; k < length; k++) {
            out[k] = in[k] * in[k];
        }
    }

    /** Gradient of the square: {@code d[k] *= 2 in[k]}, in place. */
    static void squareBackward(double[] in, double[] d, int length) {
        for (int k = 0; k < length; k++) {
            d[k] *= 2 * in[k];
        }
    }

    /**
     * Scaled mean pool: each output is the sum of the 3x3 window centred on it, zeros outside the
     * map. The operator is symmetric, so the same call also propagates gradients backwards.
     */
    static void sumPool3x3(double[] in, double[] out, int maps, int side) {
        int area = side * side;
        for (int m = 0; m < maps; m++) {
            int base = m * area;
            for (int i = 0; i < side; i++) {
                int r0 = Math.max(0, i - 1);
                int r1 = Math.min(side - 1, i + 1);
                for (int j = 0; j < side; j++) {
                    int c0 = Math.max(0, j - 1);
                    int c1 = Math.min(side - 1, j + 1);
                    double sum = 0;
                    for (int r = r0; r <= r1; r++) {
                        for (int c = c0; c <= c1; c++) {
                            sum += in[base + r * side + c];
                        }
                    }
                    out[base + i * side + j] = sum;
                }
            }
        }
    }

    /** conv2: 10 kernels per input map, stride 2, no padding; 845 -> 1250 per image. */
    static void conv2Forward(double[] p, double[] in, double[] out, int batch, boolean withBias) {
        for (int b = 0; b < batch; b++) {
            int io = b * CONV1_OUTPUTS;
            int oo = b * CONV2_OUTPUTS;
            for (int o = 0; o < CONV2_MAPS; o++) {
                int inMap = io + (o / CONV2_KERNELS_PER_MAP) * CONV1_AREA;
                int w = CONV2_W + o * KERNEL_AREA;
                double bias = withBias ? p[CONV2_B + o] : 0;
                for (int i = 0; i < CONV2_SIDE; i++) {
                    for (int j = 0; j < CONV2_SIDE; j++) {
                        double sum = bias;
                        for (int u = 0; u < KERNEL; u++) {
                            int rowBase = inMap + (2 * i + u) * CONV1_SIDE + 2 * j;
                            int wRow = w + u * KERNEL;
                            for (int v = 0; v < KERNEL; v++) {
                                sum += p[wRow + v] * in[rowBase + v];
                            }
                        }
                        out[oo + o * CONV2_AREA + i * CONV2_SIDE + j] = sum;
                    }
                }
            }
        }
    }

    /** conv2 gradients: accumulates into {@code g} and writes the input gradient {@code dIn}. */
    static void conv2Backward(double[] p, double[] in, double[] d, double[] g, double[] dIn, int batch) {
        java.util.Arrays.fill(dIn, 0, batch * CONV1_OUTPUTS, 0.0);
        for (int b = 0; b < batch; b++) {
            int io = b * CONV1_OUTPUTS;
            int dox = b * CONV2_OUTPUTS;
            for (int o = 0; o < CONV2_MAPS; o++) {
                int inMap = io + (o / CONV2_KERNELS_PER_MAP) * CONV1_AREA;
                int w = CONV2_W + o * KERNEL_AREA;
                double biasGradient = 0;
                for (int i = 0; i < CONV2_SIDE; i++) {
                    for (int j = 0; j < CONV2_SIDE; j++) {
                        double delta = d[dox + o * CONV2_AREA + i * CONV2_SIDE + j];
                        biasGradient += delta;
                        for (int u = 0; u < KERNEL; u++) {
                            int rowBase = inMap + (2 * i + u) * CONV1_SIDE + 2 * j;
                            int wRow = w + u * KERNEL;
                            for (int v = 0; v < KERNEL; v++) {
                                g[wRow + v] += delta * in[rowBase + v];
                                dIn[rowBase + v] += delta * p[wRow + v];
                            }
                        }
                    }
                }
                g[CONV2_B + o] += biasGradient;
            }
        }
    }

    /**
     * Dense layer {@code out[b][o] = bias[o] + sum_k w[o][k] in[b][k]} with the weights row-major at
     * {@code wOffset} and the bias at {@code bOffset} (ignored when negative).
     */
    static void denseForward(double[] p, int wOffset, int bOffset, double[] in, double[] out,
            int inputs, int outputs, int batch) {
        for (int b = 0; b < batch; b++) {
            int io = b * inputs;
            for (int o = 0; o < outputs; o++) {
                int w = wOffset + o * inputs;
                // four partial sums break the add dependency chain the JIT cannot reorder itself
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int k = 0;
                for (; k + 3 < inputs; k += 4) {
                    s0 += p[w + k] * in[io + k];
                    s1 += p[w + k + 1] * in[io + k + 1];
                    s2 += p[w + k + 2] * in[io + k + 2];
                    s3 += p[w + k + 3] * in[io + k + 3];
                }
                for (; k < inputs; k++) {
                    s0 += p[w + k] * in[io + k];
                }
                out[b * outputs + o] = (bOffset >= 0 ? p[bOffset + o] : 0) + ((s0 + s1) + (s2 + s3));
            }
        }
    }

    /**
     * Dense layer gradients: accumulates weight and bias gradients into {@code g} and, when
     * {@code dIn} is not null, writes the input gradient.
     */
    static void denseBackward(double[] p, int wOffset, int bOffset, double[] in, double[] d,
            double[] g, double[] dIn, int inputs, int outputs, int batch) {
        if (dIn != null) {
            java.util.Arrays.fill(dIn, 0, batch * inputs, 0.0);
        }
        for (int b = 0; b < batch; b++) {
            int io = b * inputs;
            for (int o = 0; o < outputs; o++) {
                double delta = d[b * outputs + o];
                if (delta == 0) {
                    continue;
                }
                g[bOffset + o] += delta;
                int w = wOffset + o * inputs;
                for (int k = 0; k < inputs; k++) {
                    g[w + k] += delta * in[io + k];
                }
                if (dIn != null) {
                    for (int k = 0; k < inputs; k++) {
                        dIn[io + k] += delta * p[w + k];
                    }
                }
            }
        }
    }
}
