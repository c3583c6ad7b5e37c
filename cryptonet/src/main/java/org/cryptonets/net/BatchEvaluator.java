package org.cryptonets.net;

import static org.cryptonets.net.CryptoNetLayers.*;

import java.util.Arrays;

/**
 * Forward and backward passes of the training-form network over mini-batches, with the activation
 * buffers allocated once per instance so training allocates nothing per step.
 *
 * <p>Not thread-safe: the buffers are instance state. Use one instance per thread. Throws
 * {@link IllegalArgumentException} for a batch larger than the capacity.
 */
final class BatchEvaluator {
    private final int capacity;
    private final double[] conv1;
    private final double[] squared1;
    private final double[] pooled1;
    private final double[] conv2;
    private final double[] pooled2;
    private final double[] hidden;
    private final double[] squared2;
    private final double[] logits;
    // gradient buffers, reused from the top of the network down
    private final double[] dLogits;
    private final double[] dSquared2;
    private final double[] dPooled2;
    private final double[] dConv2;
    private final double[] dPooled1;
    private final double[] dConv1;

    BatchEvaluator(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("batch capacity must be positive, found " + capacity);
        }
        this.capacity = capacity;
        conv1 = new double[capacity * CONV1_OUTPUTS];
        squared1 = new double[capacity * CONV1_OUTPUTS];
        pooled1 = new double[capacity * CONV1_OUTPUTS];
        conv2 = new double[capacity * CONV2_OUTPUTS];
        pooled2 = new double[capacity * CONV2_OUTPUTS];
        hidden = new double[capacity * HIDDEN];
        squared2 = new double[capacity * HIDDEN];
        logits = new double[capacity * CLASSES];
        dLogits = new double[capacity * CLASSES];
        dSquared2 = new double[capacity * HIDDEN];
        dPooled2 = new double[capacity * CONV2_OUTPUTS];
        dConv2 = new double[capacity * CONV2_OUTPUTS];
        dPooled1 = new double[capacity * CONV1_OUTPUTS];
        dConv1 = new double[capacity * CONV1_OUTPUTS];
    }

    /**
     * Runs the network on {@code batch} inputs (784 values each, pixels scaled to [0,1]).
     *
     * @return the logits buffer ({@code batch * 10} valid entries), overwritten by the next call
     */
    double[] forward(double[] p, double[] x, int batch) {
        checkBatch(batch);
        conv1Forward(p, x, conv1, batch);
        square(conv1, squared1, batch * CONV1_OUTPUTS);
        sumPool3x3(squared1, pooled1, batch * CONV1_MAPS, CONV1_SIDE);
        conv2Forward(p, pooled1, conv2, batch, true);
        sumPool3x3(conv2, pooled2, batch * CONV2_MAPS, CONV2_SIDE);
        denseForward(p, FC1_W, FC1_B, pooled2, hidden, CONV2_OUTPUTS, HIDDEN, batch);
        square(hidden, squared2, batch * HIDDEN);
        denseForward(p, FC2_W, FC2_B, squared2, logits, HIDDEN, CLASSES, batch);
        return logits;
    }

    /**
     * Mean softmax cross-entropy over the batch; adds its gradient with respect to every parameter
     * to {@code gradient} (which the caller zeroes).
     */
    double lossAndGradient(double[] p, double[] x, int[] labels, int batch, double[] gradient) {
        forward(p, x, batch);
        double loss = 0;
        double inverseBatch = 1.0 / batch;
        for (int b = 0; b < batch; b++) {
            int o = b * CLASSES;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CLASSES; c++) {
                max = Math.max(max, logits[o + c]);
            }
            double sum = 0;
            for (int c = 0; c < CLASSES; c++) {
                // StrictMath keeps training bit-reproducible across JVMs and CPUs
                dLogits[o + c] = StrictMath.exp(logits[o + c] - max);
                sum += dLogits[o + c];
            }
            loss += StrictMath.log(sum) + max - logits[o + labels[b]];
            for (int c = 0; c < CLASSES; c++) {
                dLogits[o + c] = (dLogits[o + c] / sum - (c == labels[b] ? 1 : 0)) * inverseBatch;
            }
        }
        denseBackward(p, FC2_W, FC2_B, squared2, dLogits, gradient, dSquared2, HIDDEN, CLASSES, batch);
        squareBackward(hidden, dSquared2, batch * HIDDEN);
        denseBackward(p, FC1_W, FC1_B, pooled2, dSquared2, gradient, dPooled2, CONV2_OUTPUTS, HIDDEN, batch);
        sumPool3x3(dPooled2, dConv2, batch * CONV2_MAPS, CONV2_SIDE);
        conv2Backward(p, pooled1, dConv2, gradient, dPooled1, batch);
        sumPool3x3(dPooled1, dConv1, batch * CONV1_MAPS, CONV1_SIDE);
        squareBackward(conv1, dConv1, batch * CONV1_OUTPUTS);
        conv1Backward(x, dConv1, gradient, batch);
        return loss * inverseBatch;
    }

    /** Root mean square of the named intermediate over the last forward batch (for initialisation). */
    double rms(String layer, int batch) {
        double[] values;
        int length;
        switch (layer) {
            case "conv1" -> { values = conv1; length = batch * CONV1_OUTPUTS; }
            case "conv2" -> { values = pooled2; length = batch * CONV2_OUTPUTS; }
            case "fc1" -> { values = hidden; length = batch * HIDDEN; }
            case "fc2" -> { values = logits; length = batch * CLASSES; }
            default -> throw new IllegalArgumentException("unknown layer " + layer);
        }
        double sum = 0;
        for (int k = 0; k < length; k++) {
            sum += values[k] * values[k];
        }
        return Math.sqrt(sum / length);
    }

    int capacity() {
        return capacity;
    }

    private void checkBatch(int batch) {
        if (batch <= 0 || batch > capacity) {
            throw new IllegalArgumentException("batch must be 1.." + capacity + ", found " + batch);
        }
    }

    static int argmax(double[] values, int offset, int length) {
        int best = 0;
        for (int c = 1; c < length; c++) {
            if (values[offset + c] > values[offset + best]) {
                best = c;
            }
        }
        return best;
    }

    static void zero(double[] values) {
        Arrays.fill(values, 0.0);
    }
}
