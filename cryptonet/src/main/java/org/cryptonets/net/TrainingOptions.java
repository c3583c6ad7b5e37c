package org.cryptonets.net;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Settings of one {@link Trainer} run. Every run with the same options and the same data produces
 * bit-identical weights: all randomness comes from {@code seed}, training is single-threaded, and
 * the only transcendental functions are {@link StrictMath}'s.
 *
 * @param epochs passes over the training images (at least 1)
 * @param seed seed of the one random stream (initialisation, shuffling, augmentation)
 * @param dataDirectory directory holding the four MNIST files, or {@code null} for the fetcher's
 *     cache (downloaded on demand)
 * @param output where to write the model file, or {@code null} to keep it in memory only
 * @param batchSize images per Adam step
 * @param learningRate peak Adam step size; warmed up linearly over the first
 *     {@code warmupSteps}, then decayed along a cosine to 1% of its peak by the last step
 * @param warmupSteps length of the linear warm-up
 * @param maxShift images are translated by a random whole number of pixels in
 *     {@code [-maxShift, maxShift]} along each axis (0 disables augmentation)
 * @param weightDecay decoupled weight decay per step, relative to the step size (AdamW)
 * @param gradientClip global L2 norm above which a step's gradient is scaled down; square
 *     activations make rare huge gradients, which this keeps from wrecking the weights
 * @param trainingLimit use only the first this many training images (0 for all), for smoke tests
 * @param progress receives one line per epoch; {@code null} discards them
 *
 * <p>Immutable and thread-safe (if {@code progress} is). The canonical constructor throws
 * {@link IllegalArgumentException} for out-of-range values.
 */
public record TrainingOptions(int epochs, long seed, Path dataDirectory, Path output, int batchSize,
        double learningRate, int warmupSteps, int maxShift, double weightDecay, double gradientClip,
        int trainingLimit, Consumer<String> progress) {

    /** Seed of the committed model. */
    public static final long DEFAULT_SEED = 20160620L;
    /** Epochs of the committed model. */
    public static final int DEFAULT_EPOCHS = 25;

    /** Validates the settings. */
    public TrainingOptions {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, found " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive, found " + learningRate);
        }
        if (warmupSteps < 0 || maxShift < 0 || maxShift > 4 || trainingLimit < 0) {
            throw new IllegalArgumentException("expected warmupSteps >= 0, maxShift 0..4, trainingLimit >= 0;"
                    + " found " + warmupSteps + ", " + maxShift + ", " + trainingLimit);
        }
        if (!(weightDecay >= 0) || !(gradientClip > 0)) {
            throw new IllegalArgumentException("expected weightDecay >= 0 and gradientClip > 0, found "
                    + weightDecay + ", " + gradientClip);
        }
    }

    /** The settings that produced the committed model, reading MNIST from the default cache. */
    public static TrainingOptions defaults() {
        return new TrainingOptions(DEFAULT_EPOCHS, DEFAULT_SEED, null, null, 64, 2e-3, 300, 1,
                5e-5, 5.0, 0, System.out::println);
    }

    /** A copy with another number of epochs. */
    public TrainingOptions withEpochs(int newEpochs) {
        return new TrainingOptions(newEpochs, seed, dataDirectory, output, batchSize, learningRate,
                warmupSteps, maxShift, weightDecay, gradientClip, trainingLimit, progress);
    }

    /** A copy with another seed. */
    public TrainingOptions withSeed(long newSeed) {
        return new TrainingOptions(epochs, newSeed, dataDirectory, output, batchSize, learningRate,
                warmupSteps, maxShift, weightDecay, gradientClip, trainingLimit, progress);
    }

    /** A copy reading MNIST from {@code directory} ({@code null}: the fetcher's cache). */
    public TrainingOptions withDataDirectory(Path directory) {
        return new TrainingOptions(epochs, seed, directory, output, batchSize, learningRate,
                warmupSteps, maxShift, weightDecay, gradientClip, trainingLimit, progress);
    }

    /** A copy writing the model to {@code file} ({@code null}: do not write). */
    public TrainingOptions withOutput(Path file) {
        return new TrainingOptions(epochs, seed, dataDirectory, file, batchSize, learningRate,
                warmupSteps, maxShift, weightDecay, gradientClip, trainingLimit, progress);
    }

    /** A copy with other optimiser settings. */
    public TrainingOptions withOptimizer(int newBatchSize, double newLearningRate, int newWarmupSteps,
            double newWeightDecay, double newGradientClip) {
        return new TrainingOptions(epochs, seed, dataDirectory, output, newBatchSize, newLearningRate,
                newWarmupSteps, maxShift, newWeightDecay, newGradientClip, trainingLimit, progress);
    }

    /** A copy with another augmentation range. */
    public TrainingOptions withMaxShift(int newMaxShift) {
        return new TrainingOptions(epochs, seed, dataDirectory, output, batchSize, learningRate,
                warmupSteps, newMaxShift, weightDecay, gradientClip, trainingLimit, progress);
    }

    /** A copy that trains on the first {@code limit} images only (0: all). */
    public TrainingOptions withTrainingLimit(int limit) {
        return new TrainingOptions(epochs, seed, dataDirectory, output, batchSize, learningRate,
                warmupSteps, maxShift, weightDecay, gradientClip, limit, progress);
    }

    /** A copy reporting progress to {@code sink} ({@code null}: silent). */
    public TrainingOptions withProgress(Consumer<String> sink) {
        return new TrainingOptions(epochs, seed, dataDirectory, output, batchSize, learningRate,
                warmupSteps, maxShift, weightDecay, gradientClip, trainingLimit, sink);
    }

    /** Human-readable summary, for logs and the model's description file. */
    public String describe() {
        return "epochs=" + epochs + " seed=" + seed + " batch=" + batchSize + " lr=" + learningRate
                + " warmup=" + warmupSteps + " maxShift=" + maxShift + " weightDecay=" + weightDecay
                + " clip=" + gradientClip + (trainingLimit > 0 ? " limit=" + trainingLimit : "");
    }

    Consumer<String> progressOrSilent() {
        return Objects.requireNonNullElse(progress, line -> { });
    }
}
