package org.cryptonets.net;

import static org.cryptonets.net.CryptoNetLayers.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;

/**
 * Trains the CryptoNets network (training form, see {@link CryptoNetModel}) on MNIST with Adam,
 * softmax cross-entropy in place of the paper's sigmoid, a warm-up plus cosine learning-rate
 * schedule, gradient-norm clipping and random pixel shifts.
 *
 * <p>Square activations make the loss a degree-4 polynomial of the first-layer weights, so the
 * initial scale matters more than usual: weights start Gaussian and are then rescaled, layer by
 * layer on a fixed batch of images, so that each layer's output has unit root mean square (the
 * squares then neither vanish nor explode).
 *
 * <p>Deterministic and single-threaded. Stateless; concurrent calls are independent. Throws
 * {@link org.cryptonets.data.DatasetFormatException} or
 * {@link org.cryptonets.data.MnistFetchException} when MNIST cannot be loaded,
 * {@link UncheckedIOException} when the output cannot be written, and {@link IllegalStateException}
 * if training diverges (a non-finite loss).
 */
public final class Trainer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;
    private static final int INIT_BATCH = 500;

    /** Outcome of a run: the model, its float accuracy on the test split, wall time. Immutable. */
    public record TrainingResult(CryptoNetModel model, double testAccuracy, double seconds, double finalLoss) {
    }

    private Trainer() {
    }

    /** Loads MNIST as the options say (verified), trains, writes the model if asked, and reports. */
    public static TrainingResult train(TrainingOptions options) {
        return train(options, ImageDataset.obtain(options.dataDirectory()));
    }

    /** Trains on {@code data}'s training split and measures on its test split. */
    public static TrainingResult train(TrainingOptions options, ImageDataset data) {
        Consumer<String> progress = options.progressOrSilent();
        LabeledImages train = options.trainingLimit() > 0
                ? data.train().head(Math.min(options.trainingLimit(), data.train().size()))
                : data.train();
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(options.seed());
        double[] p = initialParameters(random, train);
        double[] gradient = new double[PARAMETERS];
        double[] m = new double[PARAMETERS];
        double[] v = new double[PARAMETERS];
        int batchSize = Math.min(options.batchSize(), train.size());
        BatchEvaluator evaluator = new BatchEvaluator(batchSize);
        double[] x = new double[batchSize * INPUT];
        int[] labels = new int[batchSize];
        int[] order = new int[train.size()];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        byte[] image = new byte[INPUT];
        int stepsPerEpoch = train.size() / batchSize;
        long totalSteps = (long) stepsPerEpoch * options.epochs();
        long step = 0;
        double loss = Double.NaN;
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            ArchitectureTrainer.shuffle(order, random);
            double epochLoss = 0;
            for (int s = 0; s < stepsPerEpoch; s++) {
                for (int b = 0; b < batchSize; b++) {
                    int index = order[s * batchSize + b];
                    train.copyImage(index, image, 0);
                    labels[b] = train.label(index);
                    int dx = options.maxShift() == 0 ? 0 : random.nextInt(-options.maxShift(), options.maxShift() + 1);
                    int dy = options.maxShift() == 0 ? 0 : random.nextInt(-options.maxShift(), options.maxShift() + 1);
                    writeShifted(image, dx, dy, x, b * INPUT);
                }
                BatchEvaluator.zero(gradient);
                double batchLoss = evaluator.lossAndGradient(p, x, labels, batchSize, gradient);
                if (!Double.isFinite(batchLoss)) {
                    throw new IllegalStateException("training diverged at epoch " + epoch + ", step " + s
                            + " (loss " + batchLoss + "); try a smaller learning rate");
                }
                epochLoss += batchLoss;
                step++;
                adamStep(p, gradient, m, v, step, learningRate(options, step, totalSteps), options);
            }
            loss = epochLoss / stepsPerEpoch;
            progress.accept(String.format(Locale.ROOT, "epoch %d/%d: loss %.5f, lr %.2e, %.0f s",
                    epoch, options.epochs(), loss, learningRate(options, step, totalSteps),
                    (System.nanoTime() - start) / 1e9));
        }
        CryptoNetModel model = CryptoNetModel.fromParameters(p);
        double seconds = (System.nanoTime() - start) / 1e9;
        double accuracy = model.accuracy(data.test());
        progress.accept(String.format(Locale.ROOT, "trained in %.0f s (%s); float test accuracy %.2f%%",
                seconds, options.describe(), 100 * accuracy));
        if (options.output() != null) {
            try {
                model.save(options.output());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write model to " + options.output(), e);
            }
            progress.accept("model written to " + options.output());
        }
        return new TrainingResult(model, accuracy, seconds, loss);
    }

    /**
     * Gaussian weights, zero biases, then a data-dependent rescaling of each weight layer so its
     * output has unit root mean square on the first images of {@code train}.
     */
    static double[] initialParameters(SplittableRandom random, LabeledImages train) {
        double[] p = new double[PARAMETERS];
        ArchitectureTrainer.gaussian(p, CONV1_W, CONV1_MAPS * KERNEL_AREA, 1 / Math.sqrt(KERNEL_AREA), random);
        ArchitectureTrainer.gaussian(p, CONV2_W, CONV2_MAPS * KERNEL_AREA, 1 / Math.sqrt(KERNEL_AREA), random);
        ArchitectureTrainer.gaussian(p, FC1_W, HIDDEN * CONV2_OUTPUTS, 1 / Math.sqrt(CONV2_OUTPUTS), random);
        ArchitectureTrainer.gaussian(p, FC2_W, CLASSES * HIDDEN, 1 / Math.sqrt(HIDDEN), random);
        int n = Math.min(INIT_BATCH, train.size());
        BatchEvaluator evaluator = new BatchEvaluator(n);
        double[] x = new double[n * INPUT];
        byte[] image = new byte[INPUT];
        for (int b = 0; b < n; b++) {
            train.copyImage(b, image, 0);
            writeShifted(image, 0, 0, x, b * INPUT);
        }
        String[] layers = {"conv1", "conv2", "fc1", "fc2"};
        int[][] ranges = {
            {CONV1_W, CONV1_MAPS * KERNEL_AREA}, {CONV2_W, CONV2_MAPS * KERNEL_AREA},
            {FC1_W, HIDDEN * CONV2_OUTPUTS}, {FC2_W, CLASSES * HIDDEN}};
        for (int l = 0; l < layers.length; l++) {
            evaluator.forward(p, x, n);
            double rms = evaluator.rms(layers[l], n);
            double factor = rms > 0 ? 1 / rms : 1;
            for (int k = ranges[l][0]; k < ranges[l][0] + ranges[l][1]; k++) {
                p[k] *= factor;
            }
        }
        return p;
    }

    static double learningRate(TrainingOptions options, long step, long totalSteps) {
        double peak = options.learningRate();
        if (step <= options.warmupSteps()) {
            return peak * step / Math.max(1, options.warmupSteps());
        }
        double progress = (double) (step - options.warmupSteps()) / Math.max(1, totalSteps - options.warmupSteps());
        double floor = 0.01 * peak;
        return floor + (peak - floor) * 0.5 * (1 + StrictMath.cos(Math.PI * Math.min(1, progress)));
    }

    private static void adamStep(double[] p, double[] g, double[] m, double[] v, long step, double rate,
            TrainingOptions options) {
        double norm = 0;
        for (double value : g) {
            norm += value * value;
        }
        norm = Math.sqrt(norm);
        double clip = norm > options.gradientClip() ? options.gradientClip() / norm : 1;
        double correction1 = 1 - StrictMath.pow(BETA1, step);
        double correction2 = 1 - StrictMath.pow(BETA2, step);
        double stepSize = rate * Math.sqrt(correction2) / correction1;
        double decay = 1 - rate * options.weightDecay();
        for (int k = 0; k < PARAMETERS; k++) {
            double gk = g[k] * clip;
            m[k] = BETA1 * m[k] + (1 - BETA1) * gk;
            v[k] = BETA2 * v[k] + (1 - BETA2) * gk * gk;
            p[k] = p[k] * decay - stepSize * m[k] / (Math.sqrt(v[k]) + EPSILON);
        }
    }

    /** Writes {@code image} translated by (dx, dy), scaled to [0,1], zeros where it moved away. */
    static void writeShifted(byte[] image, int dx, int dy, double[] x, int offset) {
        for (int r = 0; r < SIDE; r++) {
            int sourceRow = r - dy;
            for (int c = 0; c < SIDE; c++) {
                int sourceColumn = c - dx;
                double value = 0;
                if (sourceRow >= 0 && sourceRow < SIDE && sourceColumn >= 0 && sourceColumn < SIDE) {
                    value = (image[sourceRow * SIDE + sourceColumn] & 0xFF) / 255.0;
                }
                x[offset + r * SIDE + c] = value;
            }
        }
    }
}
