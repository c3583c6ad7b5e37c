package org.cryptonets.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.data.TensorShape;

/**
 * Trains any {@link Architecture} on labelled images of any shape and class count: mini-batch
 * Adam on the softmax cross-entropy, a linear warm-up then a cosine decay of the step size to 1%
 * of its peak, decoupled weight decay, clipping of the gradient's global L2 norm (square
 * activations make rare huge gradients that would otherwise wreck the weights), and optional random
 * shifts of the images by a few pixels.
 *
 * <h2>Initialisation</h2>
 * Weights start Gaussian with standard deviation {@code 1/sqrt(fan-in)} (Kaiming's without the
 * factor 2), biases at zero; then, layer by layer on the first {@value #INIT_IMAGES} training
 * images, each convolution's and dense layer's weights are rescaled so that its output has unit root
 * mean square. With squares between the layers a plain Kaiming start makes the activations grow
 * or vanish doubly exponentially with depth; this keeps every layer near 1.
 *
 * <h2>Reproducibility</h2>
 * All randomness (initial weights, shuffling, shifts) comes from one {@link SplittableRandom}
 * seeded with {@link Options#seed()} and drawn on the calling thread. A mini-batch is cut into
 * chunks of {@value #CHUNK} images whose gradients are computed in parallel, each into its own
 * buffer, and then added up in chunk order, so the weights are bit-identical for every thread
 * count. Floating point is plain Java arithmetic (which is strict since Java 17); the only
 * transcendental functions, {@code exp} and {@code log} of the loss and {@code cos} and
 * {@code pow} of the schedule, are {@link StrictMath}'s, so results also agree across JVMs and
 * machines.
 *
 * <h2>Cost</h2>
 * The {@code cryptonet} preset (its conv2 a full 5-to-50-channel convolution: 132,540 parameters,
 * about 0.32 million multiply-adds per image forward and 0.6 million backward) took, for one epoch
 * of 60,000 MNIST images (OpenJDK 17, the project's 2-core build machine, shared with other builds
 * at a load average of about 7): 52 s of wall time with 2 threads and 62 s with one, both about
 * 45 s of CPU time (0.75 ms per image), so roughly 25 s an epoch on two otherwise idle cores.
 * Evaluating 10,000 test images adds a few seconds. Convolutions run as long vector updates over
 * a chunk's receptive fields (im2col), dense layers as vector updates over rows of the weights;
 * the JIT vectorises both.
 *
 * <p>Stateless and thread-safe: concurrent calls are independent (each uses its own worker
 * threads, at most {@link Runtime#availableProcessors()}). {@link #train} throws
 * {@link IllegalArgumentException} when the architecture does not fit the images (a kernel larger
 * than its input, a last dense layer with fewer outputs than classes, an unfolded layer above
 * {@link FloatNetwork.Affine#MAX_NONZEROS} weights), when the test images differ in shape from the
 * training images or have more classes, or when the training split is empty;
 * {@link IllegalStateException} if training diverges (a non-finite loss); and
 * {@link NullPointerException} for null arguments other than the test split.
 */
public final class ArchitectureTrainer {
    /** Images per chunk: the unit of parallel work, fixed so results do not depend on threads. */
    static final int CHUNK = 8;
    /** Training images on which the initial weights are rescaled. */
    static final int INIT_IMAGES = 256;
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;
    /** Parameters per block of the parallel gradient reduction and update. */
    private static final int BLOCK = 16384;

    /**
     * Settings of one run. Equal options, architecture and data give bit-identical weights,
     * whatever {@code threads} is.
     *
     * @param epochs passes over the training images (at least 1)
     * @param seed seed of the one random stream (initialisation, shuffling, shifts)
     * @param batchSize images per Adam step (1..65536; the images left over after the last full
     *     batch of an epoch are skipped that epoch, and a batch larger than the training split is
     *     cut to its size)
     * @param learningRate peak Adam step size, warmed up linearly over {@code warmupSteps} and
     *     then decayed along a cosine to 1% of the peak by the last step
     * @param warmupSteps length of the warm-up
     * @param weightDecay decoupled weight decay per step, relative to the step size (AdamW)
     * @param gradientClip global L2 norm above which a step's gradient is scaled down
     * @param maxShift images are translated by a random whole number of pixels in
     *     {@code [-maxShift, maxShift]} along each axis (0..4; 0 disables augmentation)
     * @param threads worker threads (0: {@link Runtime#availableProcessors()}); never more than
     *     the available processors; does not change the results
     * @param progress receives one line per epoch and a summary; {@code null} discards them
     *
     * <p>Immutable and thread-safe (if {@code progress} is). The canonical constructor throws
     * {@link IllegalArgumentException} for out-of-range values.
     */
    public record Options(int epochs, long seed, int batchSize, double learningRate, int warmupSteps,
            double weightDecay, double gradientClip, int maxShift, int threads, Consumer<String> progress) {
        /** Validates the settings. */
        public Options {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs: expected at least 1, found " + epochs);
            }
            if (batchSize < 1 || batchSize > 65536) {
                throw new IllegalArgumentException("batch size: expected 1..65536, found " + batchSize);
            }
            if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
                throw new IllegalArgumentException("learning rate: expected a positive number, found " + learningRate);
            }
            if (warmupSteps < 0 || maxShift < 0 || maxShift > 4 || threads < 0) {
                throw new IllegalArgumentException("expected warmupSteps >= 0, maxShift 0..4 and threads >= 0, found "
                        + warmupSteps + ", " + maxShift + " and " + threads);
            }
            if (!(weightDecay >= 0) || !Double.isFinite(weightDecay) || !(gradientClip > 0)) {
                throw new IllegalArgumentException("expected weightDecay >= 0 and gradientClip > 0, found "
                        + weightDecay + " and " + gradientClip);
            }
        }

        /**
         * The settings of the committed MNIST model's {@link Trainer} run (25 epochs, seed
         * {@link TrainingOptions#DEFAULT_SEED}, batch 64, step 2e-3, 300 warm-up steps, weight decay
         * 5e-5, clip 5, shifts of one pixel), all threads, progress to standard output.
         */
        public static Options defaults() {
            return new Options(TrainingOptions.DEFAULT_EPOCHS, TrainingOptions.DEFAULT_SEED, 64, 2e-3, 300, 5e-5, 5.0,
                    1, 0, System.out::println);
        }

        /** A copy with another number of epochs. */
        public Options withEpochs(int value) {
            return new Options(value, seed, batchSize, learningRate, warmupSteps, weightDecay, gradientClip, maxShift,
                    threads, progress);
        }

        /** A copy with another seed. */
        public Options withSeed(long value) {
            return new Options(epochs, value, batchSize, learningRate, warmupSteps, weightDecay, gradientClip,
                    maxShift, threads, progress);
        }

        /** A copy with another batch size. */
        public Options withBatchSize(int value) {
            return new Options(epochs, seed, value, learningRate, warmupSteps, weightDecay, gradientClip, maxShift,
                    threads, progress);
        }

        /** A copy with another peak learning rate. */
        public Options withLearningRate(double value) {
            return new Options(epochs, seed, batchSize, value, warmupSteps, weightDecay, gradientClip, maxShift,
                    threads, progress);
        }

        /** A copy with another warm-up length. */
        public Options withWarmupSteps(int value) {
            return new Options(epochs, seed, batchSize, learningRate, value, weightDecay, gradientClip, maxShift,
                    threads, progress);
        }

        /** A copy with another shift range (0 disables augmentation). */
        public Options withMaxShift(int value) {
            return new Options(epochs, seed, batchSize, learningRate, warmupSteps, weightDecay, gradientClip, value,
                    threads, progress);
        }

        /** A copy with another thread count (0: all available). */
        public Options withThreads(int value) {
            return new Options(epochs, seed, batchSize, learningRate, warmupSteps, weightDecay, gradientClip, maxShift,
                    value, progress);
        }

        /** A copy reporting progress to {@code sink} ({@code null}: silent). */
        public Options withProgress(Consumer<String> sink) {
            return new Options(epochs, seed, batchSize, learningRate, warmupSteps, weightDecay, gradientClip, maxShift,
                    threads, sink);
        }

        /** One-line summary of the settings that determine the weights (not the thread count). */
        public String describe() {
            return "epochs=" + epochs + " seed=" + seed + " batch=" + batchSize + " lr=" + learningRate + " warmup="
                    + warmupSteps + " weightDecay=" + weightDecay + " clip=" + gradientClip + " maxShift=" + maxShift;
        }

        int effectiveThreads() {
            int available = Math.max(1, Runtime.getRuntime().availableProcessors());
            return threads == 0 ? available : Math.min(threads, available);
        }
    }

    /**
     * One epoch of training.
     *
     * @param epoch 1 for the first
     * @param loss mean cross-entropy over the epoch's batches (on shifted images)
     * @param trainingAccuracy fraction of the epoch's images classified correctly while training
     * @param learningRate the step size at the end of the epoch
     * @param seconds wall time since training started
     */
    public record EpochLog(int epoch, double loss, double trainingAccuracy, double learningRate, double seconds) {
    }

    /**
     * Outcome of a run. Immutable.
     *
     * @param network the trained network, unfolded: one layer per architecture layer (a dense
     *     layer's flattening is implicit), in double precision
     * @param architecture what was trained
     * @param log one entry per epoch
     * @param testAccuracy fraction of the test images classified correctly in double precision, or
     *     NaN when no test images were given
     * @param seconds wall time of the training, without the test evaluation
     */
    public record Result(FloatNetwork network, Architecture architecture, List<EpochLog> log, double testAccuracy,
            double seconds) {
        /** Copies the log. */
        public Result {
            Objects.requireNonNull(network, "network");
            Objects.requireNonNull(architecture, "architecture");
            log = List.copyOf(log);
        }

        /** Mean loss of the last epoch. */
        public double finalLoss() {
            return log.get(log.size() - 1).loss();
        }
    }

    /** The result with the raw parameters and the plan that produced it, for tests. */
    record Trained(Result result, Plan plan, double[] parameters) {
    }

    private ArchitectureTrainer() {
    }

    /**
     * Trains {@code architecture} on {@code train} and, when {@code test} is not null, measures
     * the float accuracy on it.
     *
     * @throws IllegalArgumentException if the architecture does not fit the images, the training
     *     split is empty, or the test split differs in shape or has more classes
     * @throws IllegalStateException if training diverges
     */
    public static Result train(Architecture architecture, LabeledImages train, LabeledImages test, Options options) {
        return trainInternal(architecture, train, test, options).result();
    }

    static Trained trainInternal(Architecture architecture, LabeledImages train, LabeledImages test,
            Options options) {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(options, "options");
        if (train.size() == 0) {
            throw new IllegalArgumentException("expected training images, found none");
        }
        Plan plan = Plan.of(architecture, train.shape(), train.classes());
        if (test != null && !test.shape().equals(train.shape())) {
            throw new IllegalArgumentException("the test images are " + test.shape() + " but the training images are "
                    + train.shape() + "; expected the same shape");
        }
        if (test != null && test.classes() > plan.classes) {
            throw new IllegalArgumentException("the network outputs " + plan.classes + " class scores but the test"
                    + " labels go up to " + (test.classes() - 1));
        }
        Consumer<String> progress = Objects.requireNonNullElse(options.progress(), line -> { });
        int threads = options.effectiveThreads();
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "cryptonets-trainer");
            thread.setDaemon(true);
            return thread;
        }) : null;
        try {
            return new Run(plan, architecture, train, test, options, progress, pool).run();
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    /** One training run: its buffers and its random stream. Confined to the calling thread. */
    private static final class Run {
        private final Plan plan;
        private final Architecture architecture;
        private final LabeledImages train;
        private final LabeledImages test;
        private final Options options;
        private final Consumer<String> progress;
        private final ExecutorService pool;

        Run(Plan plan, Architecture architecture, LabeledImages train, LabeledImages test, Options options,
                Consumer<String> progress, ExecutorService pool) {
            this.plan = plan;
            this.architecture = architecture;
            this.train = train;
            this.test = test;
            this.options = options;
            this.progress = progress;
            this.pool = pool;
        }

        Trained run() {
            long start = System.nanoTime();
            SplittableRandom random = new SplittableRandom(options.seed());
            double[] p = plan.initialParameters(random, train);
            int parameters = p.length;
            int batch = Math.min(options.batchSize(), train.size());
            int chunks = (batch + CHUNK - 1) / CHUNK;
            Plan.Workspace[] workspaces = new Plan.Workspace[chunks];
            double[][] chunkGradients = new double[chunks][];
            double[] shared = new double[plan.sharedSize];
            for (int c = 0; c < chunks; c++) {
                workspaces[c] = plan.workspace(CHUNK, shared);
                chunkGradients[c] = new double[parameters];
            }
            double[] gradient = new double[parameters];
            double[] m = new double[parameters];
            double[] v = new double[parameters];
            int blocks = (parameters + BLOCK - 1) / BLOCK;
            double[] blockSquares = new double[blocks];
            int[] order = new int[train.size()];
            for (int k = 0; k < order.length; k++) {
                order[k] = k;
            }
            int[] shiftX = new int[batch];
            int[] shiftY = new int[batch];
            double[] chunkLoss = new double[chunks];
            int[] chunkCorrect = new int[chunks];
            int stepsPerEpoch = train.size() / batch;
            long totalSteps = (long) stepsPerEpoch * options.epochs();
            long step = 0;
            List<EpochLog> log = new ArrayList<>();
            int shift = options.maxShift();
            for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                shuffle(order, random);
                double epochLoss = 0;
                long epochCorrect = 0;
                for (int s = 0; s < stepsPerEpoch; s++) {
                    for (int b = 0; b < batch; b++) {
                        shiftX[b] = shift == 0 ? 0 : random.nextInt(-shift, shift + 1);
                        shiftY[b] = shift == 0 ? 0 : random.nextInt(-shift, shift + 1);
                    }
                    final int first = s * batch;
                    plan.prepare(p, shared);
                    List<Callable<Void>> tasks = new ArrayList<>(chunks);
                    for (int c = 0; c < chunks; c++) {
                        final int chunk = c;
                        tasks.add(() -> {
                            int from = chunk * CHUNK;
                            int n = Math.min(CHUNK, batch - from);
                            Plan.Workspace ws = workspaces[chunk];
                            for (int b = 0; b < n; b++) {
                                int index = order[first + from + b];
                                ws.labels[b] = train.label(index);
                                plan.loadImage(train, index, shiftX[from + b], shiftY[from + b], ws, b);
                            }
                            Arrays.fill(chunkGradients[chunk], 0.0);
                            chunkLoss[chunk] = plan.lossAndGradient(p, ws, n, 1.0 / batch, chunkGradients[chunk]);
                            chunkCorrect[chunk] = ws.correct;
                            return null;
                        });
                    }
                    runAll(tasks);
                    double batchLoss = 0;
                    for (int c = 0; c < chunks; c++) {
                        batchLoss += chunkLoss[c];
                        epochCorrect += chunkCorrect[c];
                    }
                    batchLoss /= batch;
                    if (!Double.isFinite(batchLoss)) {
                        throw new IllegalStateException("training diverged at epoch " + epoch + ", step " + (s + 1)
                                + " (loss " + batchLoss + "); try a smaller learning rate or a larger gradient clip");
                    }
                    epochLoss += batchLoss;
                    step++;
                    reduce(chunkGradients, gradient, blockSquares);
                    double norm = 0;
                    for (double squares : blockSquares) {
                        norm += squares;
                    }
                    norm = Math.sqrt(norm);
                    adam(p, gradient, m, v, step, learningRate(step, totalSteps), norm);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                EpochLog entry = new EpochLog(epoch, epochLoss / stepsPerEpoch,
                        (double) epochCorrect / ((long) stepsPerEpoch * batch), learningRate(step, totalSteps), seconds);
                log.add(entry);
                progress.accept(String.format(Locale.ROOT, "epoch %d/%d: loss %.5f, training accuracy %.2f%%, lr %.2e,"
                        + " %.0f s", epoch, options.epochs(), entry.loss(), 100 * entry.trainingAccuracy(),
                        entry.learningRate(), seconds));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            FloatNetwork network = plan.toFloatNetwork(p);
            double accuracy = Double.NaN;
            if (test != null && test.size() > 0) {
                accuracy = (double) correct(p, test) / test.size();
            }
            progress.accept(String.format(Locale.ROOT, "trained %s in %.0f s (%s); float test accuracy %s",
                    architecture, seconds, options.describe(), Double.isNaN(accuracy) ? "not measured (no test images)"
                    : String.format(Locale.ROOT, "%.2f%% of %d", 100 * accuracy, test.size())));
            return new Trained(new Result(network, architecture, log, accuracy, seconds), plan, p);
        }

        /** Images of {@code split} classified correctly by the parameters, in parallel chunks. */
        private long correct(double[] p, LabeledImages split) {
            int chunks = (split.size() + CHUNK - 1) / CHUNK;
            int parts = pool == null ? 1 : options.effectiveThreads() * 4;
            long[] correct = new long[parts];
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < parts; t++) {
                final int part = t;
                tasks.add(() -> {
                    Plan.Workspace ws = plan.workspace(CHUNK);
                    for (int c = part; c < chunks; c += parts) {
                        int n = Math.min(CHUNK, split.size() - c * CHUNK);
                        for (int b = 0; b < n; b++) {
                            ws.labels[b] = split.label(c * CHUNK + b);
                            plan.loadImage(split, c * CHUNK + b, 0, 0, ws, b);
                        }
                        plan.lossAndGradient(p, ws, n, 0, null);
                        correct[part] += ws.correct;
                    }
                    return null;
                });
            }
            runAll(tasks);
            return Arrays.stream(correct).sum();
        }

        /** Sums the chunk gradients in chunk order and the squares of each block, block by block. */
        private void reduce(double[][] chunkGradients, double[] gradient, double[] blockSquares) {
            List<Callable<Void>> tasks = new ArrayList<>(blockSquares.length);
            for (int k = 0; k < blockSquares.length; k++) {
                final int block = k;
                tasks.add(() -> {
                    int from = block * BLOCK;
                    int to = Math.min(gradient.length, from + BLOCK);
                    System.arraycopy(chunkGradients[0], from, gradient, from, to - from);
                    for (int c = 1; c < chunkGradients.length; c++) {
                        double[] g = chunkGradients[c];
                        for (int i = from; i < to; i++) {
                            gradient[i] += g[i];
                        }
                    }
                    double squares = 0;
                    for (int i = from; i < to; i++) {
                        squares += gradient[i] * gradient[i];
                    }
                    blockSquares[block] = squares;
                    return null;
                });
            }
            runAll(tasks);
        }

        private void adam(double[] p, double[] g, double[] m, double[] v, long step, double rate, double norm) {
            double clip = norm > options.gradientClip() ? options.gradientClip() / norm : 1;
            double correction1 = 1 - StrictMath.pow(BETA1, step);
            double correction2 = 1 - StrictMath.pow(BETA2, step);
            double stepSize = rate * Math.sqrt(correction2) / correction1;
            double decay = 1 - rate * options.weightDecay();
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int from = 0; from < p.length; from += BLOCK) {
                final int begin = from;
                final int end = Math.min(p.length, from + BLOCK);
                tasks.add(() -> {
                    for (int k = begin; k < end; k++) {
                        double gk = g[k] * clip;
                        m[k] = BETA1 * m[k] + (1 - BETA1) * gk;
                        v[k] = BETA2 * v[k] + (1 - BETA2) * gk * gk;
                        p[k] = p[k] * decay - stepSize * m[k] / (Math.sqrt(v[k]) + EPSILON);
                    }
                    return null;
                });
            }
            runAll(tasks);
        }

        private double learningRate(long step, long totalSteps) {
            double peak = options.learningRate();
            int warmup = options.warmupSteps();
            if (step <= warmup) {
                return peak * step / Math.max(1, warmup);
            }
            double done = (double) (step - warmup) / Math.max(1, totalSteps - warmup);
            double floor = 0.01 * peak;
            return floor + (peak - floor) * 0.5 * (1 + StrictMath.cos(Math.PI * Math.min(1, done)));
        }

        private void runAll(List<Callable<Void>> tasks) {
            try {
                if (pool == null || tasks.size() == 1) {
                    for (Callable<Void> task : tasks) {
                        task.call();
                    }
                    return;
                }
                for (Future<Void> future : pool.invokeAll(tasks)) {
                    future.get();
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException(cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("training interrupted", e);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Fisher-Yates with the trainer's seeded stream (also used by {@link Trainer}). */
    static void shuffle(int[] order, SplittableRandom random) {
        for (int k = order.length - 1; k > 0; k--) {
            int j = random.nextInt(k + 1);
            int t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
    }

    /**
     * An architecture compiled for one input shape and class count: the layers as batched double
     * kernels over one flat parameter vector. Immutable; every mutable buffer lives in a
     * {@link Workspace}, one per thread at a time.
     */
    static final class Plan {
        final TensorShape input;
        /** Number of class scores the network outputs. */
        final int classes;
        final List<TensorShape> shapes; // input, then every layer's output
        final Op[] ops;
        final int parameters;
        /** Index of the first op with parameters; earlier ops need no backward pass. */
        final int firstParametric;
        /** Size of the per-step copy of the weights that {@link #prepare} writes. */
        final int sharedSize;

        private Plan(TensorShape input, int classes, List<TensorShape> shapes, Op[] ops, int parameters,
                int firstParametric, int sharedSize) {
            this.input = input;
            this.classes = classes;
            this.shapes = shapes;
            this.ops = ops;
            this.parameters = parameters;
            this.firstParametric = firstParametric;
            this.sharedSize = sharedSize;
        }

        /**
         * Compiles {@code architecture} for images of {@code input} shape and {@code classes} classes.
         *
         * @throws IllegalArgumentException as {@link Architecture#shapes(TensorShape, int)}, or when
         *     an unfolded layer would exceed {@link FloatNetwork.Affine#MAX_NONZEROS} weights or the
         *     parameters exceed 2^27
         */
        static Plan of(Architecture architecture, TensorShape input, int classes) {
            List<TensorShape> outputs = architecture.shapes(input, classes);
            List<TensorShape> shapes = new ArrayList<>();
            shapes.add(input);
            shapes.addAll(outputs);
            Op[] ops = new Op[outputs.size()];
            int first = 0;
            while (!(architecture.layers().get(first) instanceof Architecture.Conv
                    || architecture.layers().get(first) instanceof Architecture.Dense)) {
                first++;
            }
            long offset = 0;
            long shared = 0;
            int convs = 0;
            int pools = 0;
            int denses = 0;
            int squares = 0;
            int pads = 0;
            int flattens = 0;
            for (int i = 0; i < ops.length; i++) {
                Architecture.Layer layer = architecture.layers().get(i);
                TensorShape in = shapes.get(i);
                TensorShape out = shapes.get(i + 1);
                Op op;
                if (layer instanceof Architecture.Pad pad) {
                    op = new PadOp("pad" + ++pads, in, out, pad);
                } else if (layer instanceof Architecture.Conv conv) {
                    op = new ConvOp("conv" + ++convs, in, out, (int) offset, conv);
                } else if (layer instanceof Architecture.AvgPool pool) {
                    op = new PoolOp("pool" + ++pools, in, out, pool.kernelH(), pool.kernelW(), pool.stride(),
                            pool.padding(), true);
                } else if (layer instanceof Architecture.SumPool pool) {
                    op = new PoolOp("pool" + ++pools, in, out, pool.kernelH(), pool.kernelW(), pool.stride(),
                            pool.padding(), false);
                } else if (layer instanceof Architecture.Dense) {
                    // a dense layer that passes gradients back reads its weights transposed
                    op = new DenseOp("fc" + ++denses, in, out, (int) offset, i > first ? (int) shared : -1);
                    shared += i > first ? (long) in.size() * out.size() : 0;
                } else if (layer instanceof Architecture.Square) {
                    op = new SquareOp("square" + ++squares, in);
                } else {
                    op = new FlattenOp("flatten" + ++flattens, in, out);
                }
                long unfolded = op.unfoldedWeights();
                if (unfolded > FloatNetwork.Affine.MAX_NONZEROS) {
                    throw new IllegalArgumentException("layer " + (i + 1) + " \"" + layer.describe() + "\": as a linear"
                            + " map on " + in + " it holds " + unfolded + " weights; expected at most "
                            + FloatNetwork.Affine.MAX_NONZEROS);
                }
                offset += op.count;
                if (offset > 1 << 27 || shared > 1 << 27) {
                    throw new IllegalArgumentException("the architecture has more than " + (1 << 27)
                            + " parameters; expected fewer");
                }
                ops[i] = op;
            }
            // a last dense layer may have more outputs than the data has classes
            int scores = outputs.get(outputs.size() - 1).size();
            return new Plan(input, scores, List.copyOf(shapes), ops, (int) offset, first, (int) shared);
        }

        /** Buffers for {@code capacity} images at a time, forward passes only. */
        Workspace workspace(int capacity) {
            return new Workspace(this, capacity, null);
        }

        /**
         * Buffers for {@code capacity} images at a time that read {@code shared} (of
         * {@link #sharedSize} values, written by {@link #prepare}) in backward passes.
         */
        Workspace workspace(int capacity, double[] shared) {
            return new Workspace(this, capacity, shared);
        }

        /** Writes what backward passes with parameters {@code p} read besides p: transposed dense weights. */
        void prepare(double[] p, double[] shared) {
            for (Op op : ops) {
                if (op instanceof DenseOp dense) {
                    dense.prepare(p, shared);
                }
            }
        }

        /**
         * The gradient of the mean loss over n images (scaled to [0, 1], image after image in
         * {@code x}) added to {@code g}, chunk after chunk as in training; returns the mean loss.
         */
        double meanLossAndGradient(double[] p, double[] x, int[] labels, int n, double[] g) {
            double[] shared = new double[sharedSize];
            prepare(p, shared);
            Workspace ws = workspace(CHUNK, shared);
            double[] chunkGradient = new double[parameters];
            double loss = 0;
            int size = input.size();
            for (int from = 0; from < n; from += CHUNK) {
                int count = Math.min(CHUNK, n - from);
                System.arraycopy(x, from * size, ws.act[0], 0, count * size);
                System.arraycopy(labels, from, ws.labels, 0, count);
                Arrays.fill(chunkGradient, 0.0);
                loss += lossAndGradient(p, ws, count, 1.0 / n, chunkGradient);
                for (int k = 0; k < parameters; k++) {
                    g[k] += chunkGradient[k];
                }
            }
            return loss / n;
        }

        /**
         * Gaussian weights of deviation 1/sqrt(fan-in), zero biases, then each weight layer
         * rescaled, first to last, so that its output has unit RMS on the first
         * {@value #INIT_IMAGES} images of {@code train} (unshifted).
         */
        double[] initialParameters(SplittableRandom random, LabeledImages train) {
            double[] p = new double[parameters];
            for (Op op : ops) {
                op.initialise(p, random);
            }
            int n = Math.min(INIT_IMAGES, train.size());
            Workspace ws = workspace(CHUNK);
            for (int i = 0; i < ops.length; i++) {
                Op op = ops[i];
                if (op.count == 0) {
                    continue;
                }
                double squares = 0;
                long values = 0;
                for (int from = 0; from < n; from += CHUNK) {
                    int count = Math.min(CHUNK, n - from);
                    for (int b = 0; b < count; b++) {
                        loadImage(train, from + b, 0, 0, ws, b);
                    }
                    forward(p, ws, count, i + 1);
                    double[] out = ws.act[i + 1];
                    int size = count * shapes.get(i + 1).size();
                    for (int k = 0; k < size; k++) {
                        squares += out[k] * out[k];
                    }
                    values += size;
                }
                double rms = Math.sqrt(squares / values);
                if (rms > 0 && Double.isFinite(rms)) {
                    op.scale(p, 1 / rms);
                }
            }
            return p;
        }

        /** Writes image {@code index} shifted by (dx, dy), scaled to [0, 1], as image {@code b} of the workspace. */
        void loadImage(LabeledImages split, int index, int dx, int dy, Workspace ws, int b) {
            split.copyImage(index, ws.pixels, 0);
            int size = input.size();
            double[] x = ws.act[0];
            int offset = b * size;
            if (dx == 0 && dy == 0) {
                for (int k = 0; k < size; k++) {
                    x[offset + k] = (ws.pixels[k] & 0xFF) / 255.0;
                }
                return;
            }
            int height = input.height();
            int width = input.width();
            for (int c = 0; c < input.channels(); c++) {
                for (int r = 0; r < height; r++) {
                    int sourceRow = r - dy;
                    for (int col = 0; col < width; col++) {
                        int sourceColumn = col - dx;
                        double value = 0;
                        if (sourceRow >= 0 && sourceRow < height && sourceColumn >= 0 && sourceColumn < width) {
                            value = (ws.pixels[(c * height + sourceRow) * width + sourceColumn] & 0xFF) / 255.0;
                        }
                        x[offset + (c * height + r) * width + col] = value;
                    }
                }
            }
        }

        /** Runs ops {@code 0..end-1} on the {@code n} images in {@code ws.act[0]}. */
        void forward(double[] p, Workspace ws, int n, int end) {
            for (int i = 0; i < end; i++) {
                ops[i].forward(p, ws.act[i], ws.act[i + 1], n, ws.scratch[i]);
            }
        }

        /**
         * Forward pass, softmax cross-entropy against {@code ws.labels}, and, when {@code g} is not
         * null, the backward pass adding {@code scale} times the gradient of the summed loss to
         * {@code g}. Sets {@code ws.correct}; returns the summed (unscaled) loss of the n images.
         */
        double lossAndGradient(double[] p, Workspace ws, int n, double scale, double[] g) {
            forward(p, ws, n, ops.length);
            double[] logits = ws.act[ops.length];
            double[] delta = ws.delta[ops.length];
            double loss = 0;
            int correct = 0;
            int k = classes;
            for (int b = 0; b < n; b++) {
                int o = b * k;
                int label = ws.labels[b];
                int best = 0;
                double max = logits[o];
                for (int c = 1; c < k; c++) {
                    if (logits[o + c] > max) {
                        max = logits[o + c];
                        best = c;
                    }
                }
                if (best == label) {
                    correct++;
                }
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    double e = StrictMath.exp(logits[o + c] - max);
                    delta[o + c] = e;
                    sum += e;
                }
                loss += StrictMath.log(sum) + max - logits[o + label];
                for (int c = 0; c < k; c++) {
                    delta[o + c] = (delta[o + c] / sum - (c == label ? 1 : 0)) * scale;
                }
            }
            ws.correct = correct;
            if (g != null) {
                for (int i = ops.length - 1; i >= firstParametric; i--) {
                    ops[i].backward(p, ws.act[i], ws.delta[i + 1], i > firstParametric ? ws.delta[i] : null, g, n,
                            ws.scratch[i], ws.shared);
                }
            }
            return loss;
        }

        /** The class scores for one image scaled to [0, 1], by this plan's own kernels. */
        double[] logits(double[] p, double[] image) {
            Workspace ws = workspace(1);
            System.arraycopy(image, 0, ws.act[0], 0, input.size());
            forward(p, ws, 1, ops.length);
            return Arrays.copyOf(ws.act[ops.length], classes);
        }

        /** The network with these parameters, one {@link FloatNetwork} layer per op. */
        FloatNetwork toFloatNetwork(double[] p) {
            List<FloatNetwork.Layer> layers = new ArrayList<>();
            for (Op op : ops) {
                layers.add(op.export(p));
            }
            return new FloatNetwork(input, layers);
        }

        /** Mutable buffers for one chunk of images. Use from one thread at a time. */
        static final class Workspace {
            final double[][] act;
            final double[][] delta;
            final Object[] scratch;
            final int[] labels;
            final byte[] pixels;
            final double[] shared;
            int correct;

            Workspace(Plan plan, int capacity, double[] shared) {
                this.shared = shared;
                int count = plan.ops.length;
                act = new double[count + 1][];
                delta = new double[count + 1][];
                scratch = new Object[count];
                for (int i = 0; i <= count; i++) {
                    int size = Math.multiplyExact(capacity, plan.shapes.get(i).size());
                    act[i] = new double[size];
                    delta[i] = i > plan.firstParametric ? new double[size] : null;
                }
                for (int i = 0; i < count; i++) {
                    scratch[i] = plan.ops[i].scratch(capacity);
                }
                labels = new int[capacity];
                pixels = new byte[plan.input.size()];
            }
        }
    }

    /** One layer: parameters at {@code offset..offset+count-1} of the flat vector. */
    abstract static class Op {
        final String name;
        final TensorShape in;
        final TensorShape out;
        final int offset;
        final int count;

        Op(String name, TensorShape in, TensorShape out, int offset, int count) {
            this.name = name;
            this.in = in;
            this.out = out;
            this.offset = offset;
            this.count = count;
        }

        /** {@code y = op(x)} for n images, image-major. */
        abstract void forward(double[] p, double[] x, double[] y, int n, Object scratch);

        /**
         * Adds the parameter gradient to {@code g} and, when {@code dx} is not null, writes the
         * input gradient, given the output gradient {@code dy}; may use what forward left in
         * {@code scratch}.
         */
        abstract void backward(double[] p, double[] x, double[] dy, double[] dx, double[] g, int n, Object scratch,
                double[] shared);

        abstract FloatNetwork.Layer export(double[] p);

        /** Non-zero entries of the layer as a sparse matrix (an upper bound for weight layers). */
        abstract long unfoldedWeights();

        Object scratch(int capacity) {
            return null;
        }

        void initialise(double[] p, SplittableRandom random) {
        }

        void scale(double[] p, double factor) {
            for (int k = offset; k < offset + count; k++) {
                p[k] *= factor;
            }
        }
    }

    /** Zero padding. */
    static final class PadOp extends Op {
        private final int top;
        private final int left;
        private final int[] pads;

        PadOp(String name, TensorShape in, TensorShape out, Architecture.Pad pad) {
            super(name, in, out, 0, 0);
            this.top = pad.top();
            this.left = pad.left();
            this.pads = new int[] {pad.top(), pad.left(), pad.bottom(), pad.right()};
        }

        @Override
        void forward(double[] p, double[] x, double[] y, int n, Object scratch) {
            int inSize = in.size();
            int outSize = out.size();
            Arrays.fill(y, 0, n * outSize, 0.0);
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int r = 0; r < in.height(); r++) {
                        System.arraycopy(x, b * inSize + in.index(c, r, 0), y, b * outSize + out.index(c, r + top, left),
                                in.width());
                    }
                }
            }
        }

        @Override
        void backward(double[] p, double[] x, double[] dy, double[] dx, double[] g, int n, Object scratch,
                double[] shared) {
            int inSize = in.size();
            int outSize = out.size();
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < in.channels(); c++) {
                    for (int r = 0; r < in.height(); r++) {
                        System.arraycopy(dy, b * outSize + out.index(c, r + top, left), dx, b * inSize + in.index(c, r, 0),
                                in.width());
                    }
                }
            }
        }

        @Override
        FloatNetwork.Layer export(double[] p) {
            return FloatNetwork.Affine.pad(name, in, pads);
        }

        @Override
        long unfoldedWeights() {
            return in.size();
        }
    }

    /** Element-wise square. */
    static final class SquareOp extends Op {
        SquareOp(String name, TensorShape shape) {
            super(name, shape, shape, 0, 0);
        }

        @Override
        void forward(double[] p, double[] x, double[] y, int n, Object scratch) {
            int size = n * in.size();
            for (int k = 0; k < size; k++) {
                y[k] = x[k] * x[k];
            }
        }

        @Override
        void backward(double[] p, double[] x, double[] dy, double[] dx, double[] g, int n, Object scratch,
                double[] shared) {
            int size = n * in.size();
            for (int k = 0; k < size; k++) {
                dx[k] = 2 * x[k] * dy[k];
            }
        }

        @Override
        FloatNetwork.Layer export(double[] p) {
            return new FloatNetwork.Square(name, in);
        }

        @Override
        long unfoldedWeights() {
            return 0;
        }
    }

    /** The identity onto a vector. */
    static final class FlattenOp extends Op {
        FlattenOp(String name, TensorShape in, TensorShape out) {
            super(name, in, out, 0, 0);
        }

        @Override
        void forward(double[] p, double[] x, double[] y, int n, Object scratch) {
            System.arraycopy(x, 0, y, 0, n * in.size());
        }

        @Override
        void backward(double[] p, double[] x, double[] dy, double[] dx, double[] g, int n, Object scratch,
                double[] shared) {
            System.arraycopy(dy, 0, dx, 0, n * in.size());
        }

        @Override
        FloatNetwork.Layer export(double[] p) {
            return FloatNetwork.Affine.reshape(name, in, out);
        }

        @Override
        long unfoldedWeights() {
            return in.size();
        }
    }

    /**
     * Mean pool with count_include_pad (weight 1/area) or the sum pool (weight 1), each channel on
     * its own, zero padding on every side. Each output adds {@code weight * input} over its window,
     * rows then columns, as {@link FloatNetwork.Affine#averagePool} evaluates it.
     */
    static final class PoolOp extends Op {
        private final int kernelH;
        private final int kernelW;
        private final int stride;
        private final int padding;
        private final boolean mean;
        private final double weight;

        PoolOp(String name, TensorShape in, TensorShape out, int kernelH, int kernelW, int stride, int padding,
                boolean mean) {
            super(name, in, out, 0, 0);
            this.kernelH = kernelH;
            this.kernelW = kernelW;
            this.stride = stride;
            this.padding = padding;
            this.mean = mean;
            this.weight = mean ? 1.0 / (kernelH * kernelW) : 1.0;
        }

        @Override
        void forward(double[] p, double[] x, double[] y, int n, Object scratch) {
            Arrays.fill(y, 0, n * out.size(), 0.0);
            window(x, y, n, true);
        }

        @Override
        void backward(double[] p, double[] x, double[] dy, double[] dx, double[] g, int n, Object scratch,
                double[] shared) {
            Arrays.fill(dx, 0, n * in.size(), 0.0);
            window(dx, dy, n, false);
        }

        /**
         * Forward: {@code y += weight * x} over every window tap, taps in row-major order for each
         * output. Backward: the transpose, {@code x += weight * y}. Image b's channel c is plane
         * {@code b * channels + c} of both tensors.
         */
        private void window(double[] x, double[] y, int n, boolean forward) {
            int height = in.height();
            int width = in.width();
            int outH = out.height();
            int outW = out.width();
            int planes = n * in.channels();
            for (int plane = 0; plane < planes; plane++) {
                int xb = plane * height * width;
                int yb = plane * outH * outW;
                for (int ky = 0; ky < kernelH; ky++) {
                    for (int kx = 0; kx < kernelW; kx++) {
                        int shift = kx - padding;
                        int lo = shift < 0 ? (-shift + stride - 1) / stride : 0;
                        int hi = width - 1 - shift < 0 ? -1 : Math.min(outW - 1, (width - 1 - shift) / stride);
                        for (int oy = 0; oy < outH; oy++) {
                            int yy = oy * stride + ky - padding;
                            if (yy < 0 || yy >= height) {
                                continue;
                            }
                            int yRow = yb + oy * outW;
                            int xRow = xb + yy * width + shift;
                            if (forward) {
                                for (int ox = lo; ox <= hi; ox++) {
                                    y[yRow + ox] += weight * x[xRow + ox * stride];
                                }
                            } else {
                                for (int ox = lo; ox <= hi; ox++) {
                                    x[xRow + ox * stride] += weight * y[yRow + ox];
                                }
                            }
                        }
                    }
                }
            }
        }

        @Override
        FloatNetwork.Layer export(double[] p) {
            int[] pads = {padding, padding, padding, padding};
            if (mean) {
                return FloatNetwork.Affine.averagePool(name, in, kernelH, kernelW, stride, stride, pads, true);
            }
            // the sum: the same windows with weight 1 (1/area * area is not always exactly 1)
            int rows = out.size();
            int[] rowStart = new int[rows + 1];
            int[] columns = new int[(int) unfoldedWeights()];
            int nnz = 0;
            for (int c = 0; c < out.channels(); c++) {
                for (int oy = 0; oy < out.height(); oy++) {
                    int y0 = oy * stride - padding;
                    for (int ox = 0; ox < out.width(); ox++) {
                        int x0 = ox * stride - padding;
                        for (int ky = Math.max(0, -y0); ky < kernelH && y0 + ky < in.height(); ky++) {
                            for (int kx = Math.max(0, -x0); kx < kernelW && x0 + kx < in.width(); kx++) {
                                columns[nnz++] = in.index(c, y0 + ky, x0 + kx);
                            }
                        }
                        rowStart[out.index(c, oy, ox) + 1] = nnz;
                    }
                }
            }
            double[] values = new double[nnz];
            Arrays.fill(values, 1.0);
            return FloatNetwork.Affine.sparse(name, in, out, rowStart, Arrays.copyOf(columns, nnz), values,
                    new double[rows]);
        }

        @Override
        long unfoldedWeights() {
            return (long) out.channels() * validTaps(out.height(), in.height(), kernelH, stride, padding)
                    * validTaps(out.width(), in.width(), kernelW, stride, padding);
        }

    }

    /** Input positions a window of {@code kernel} sees along one side, summed over the outputs (padding excluded). */
    static long validTaps(int outSide, int inSide, int kernel, int stride, int padding) {
        long taps = 0;
        for (int o = 0; o < outSide; o++) {
            int start = o * stride - padding;
            taps += Math.max(0, Math.min(inSide, start + kernel) - Math.max(0, start));
        }
        return taps;
    }

    /**
     * Convolution over all input channels, by columns: the receptive fields of a chunk are laid
     * out as a {@code (channels * kernelH * kernelW) x (images * outputPositions)} matrix, so
     * the forward pass is a sequence of long vector updates. Each output adds its bias, then
     * {@code weight * input} in increasing input order, as {@link FloatNetwork.Affine#conv2d}
     * evaluates it. Weights {@code [out][in][kernelH][kernelW]}, then the bias.
     */
    static final class ConvOp extends Op {
        private final int outChannels;
        private final int kernelH;
        private final int kernelW;
        private final int stride;
        private final int padding;
        private final int taps; // in.channels * kernelH * kernelW
        private final int positions; // out.height * out.width

        ConvOp(String name, TensorShape in, TensorShape out, int offset, Architecture.Conv conv) {
            super(name, in, out, offset, Math.addExact(Math.multiplyExact(conv.outChannels(),
                    Math.multiplyExact(in.channels(), conv.kernelH() * conv.kernelW())), conv.outChannels()));
            this.outChannels = conv.outChannels();
            this.kernelH = conv.kernelH();
            this.kernelW = conv.kernelW();
            this.stride = conv.stride();
            this.padding = conv.padding();
            this.taps = in.channels() * kernelH * kernelW;
            this.positions = out.height() * out.width();
        }

        /** Column matrix, output in channel-major order, their gradients. */
        private record Scratch(double[] columns, double[] outputs, double[] outputGradient, double[] columnGradient,
                double[] fields) {
        }

        @Override
        Object scratch(int capacity) {
            int width = Math.multiplyExact(capacity, positions);
            return new Scratch(new double[Math.multiplyExact(taps, width)],
                    new double[Math.multiplyExact(outChannels, width)], new double[Math.multiplyExact(outChannels, width)],
                    new double[Math.multiplyExact(taps, width)], new double[Math.multiplyExact(taps, width)]);
        }

        @Override
        void initialise(double[] p, SplittableRandom random) {
            gaussian(p, offset, outChannels * taps, 1 / Math.sqrt(taps), random);
        }

        @Override
        void forward(double[] p, double[] x, double[] y, int n, Object scratch) {
            Scratch s = (Scratch) scratch;
            int width = n * positions;
            double[] col = s.columns();
            double[] tmp = s.outputs();
            int inSize = in.size();
            int outSize = out.size();
            int height = in.height();
            int inWidth = in.width();
            int outH = out.height();
            int outW = out.width();
            for (int c = 0; c < in.channels(); c++) {
                for (int ky = 0; ky < kernelH; ky++) {
                    for (int kx = 0; kx < kernelW; kx++) {
                        int row = ((c * kernelH + ky) * kernelW + kx) * width;
                        for (int b = 0; b < n; b++) {
                            int base = b * inSize + c * height * inWidth;
                            int target = row + b * positions;
                            for (int oy = 0; oy < outH; oy++) {
                                int yy = oy * stride + ky - padding;
                                int t = target + oy * outW;
                                if (yy < 0 || yy >= height) {
                                    Arrays.fill(col, t, t + outW, 0.0);
                                    continue;
                                }
                                int source = base + yy * inWidth;
                                for (int ox = 0; ox < outW; ox++) {
                                    int xx = ox * stride + kx - padding;
                                    col[t + ox] = xx >= 0 && xx < inWidth ? x[source + xx] : 0.0;
                                }
                            }
                        }
                    }
                }
            }
            int weights = offset;
            int biases = offset + outChannels * taps;
            for (int o = 0; o < outChannels; o++) {
                int t = o * width;
                Arrays.fill(tmp, t, t + width, p[biases + o]);
                int w = weights + o * taps;
                int k = 0;
                for (; k + 3 < taps; k += 4) {
                    axpy4(tmp, t, col, k * width, (k + 1) * width, (k + 2) * width, (k + 3) * width, p[w + k],
                            p[w + k + 1], p[w + k + 2], p[w + k + 3], width);
                }
                for (; k < taps; k++) {
                    axpy(tmp, t, col, k * width, p[w + k], width);
                }
            }
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < outChannels; o++) {
                    System.arraycopy(tmp, o * width + b * positions, y, b * outSize + o * positions, positions);
                }
            }
        }

        @Override
        void backward(double[] p, double[] x, double[] dy, double[] dx, double[] g, int n, Object scratch,
                double[] shared) {
            Scratch s = (Scratch) scratch;
            int width = n * positions;
            double[] col = s.columns();
            double[] d = s.outputGradient();
            int outSize = out.size();
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < outChannels; o++) {
                    System.arraycopy(dy, b * outSize + o * positions, d, o * width + b * positions, positions);
                }
            }
            int weights = offset;
            int biases = offset + outChannels * taps;
            // the columns transposed, one receptive field per row, so that weight gradients are
            // long vector updates too
            double[] fields = s.fields();
            for (int k = 0; k < taps; k++) {
                int row = k * width;
                for (int j = 0; j < width; j++) {
                    fields[j * taps + k] = col[row + j];
                }
            }
            for (int o = 0; o < outChannels; o++) {
                int t = o * width;
                double sum = 0;
                for (int j = 0; j < width; j++) {
                    sum += d[t + j];
                }
                g[biases + o] += sum;
                int w = weights + o * taps;
                int j = 0;
                for (; j + 3 < width; j += 4) {
                    axpy4(g, w, fields, j * taps, (j + 1) * taps, (j + 2) * taps, (j + 3) * taps, d[t + j],
                            d[t + j + 1], d[t + j + 2], d[t + j + 3], taps);
                }
                for (; j < width; j++) {
                    axpy(g, w, fields, j * taps, d[t + j], taps);
                }
            }
            if (dx == null) {
                return;
            }
            double[] dcol = s.columnGradient();
            for (int k = 0; k < taps; k++) {
                int row = k * width;
                Arrays.fill(dcol, row, row + width, 0.0);
                int w = weights + k;
                int o = 0;
                for (; o + 3 < outChannels; o += 4) {
                    axpy4(dcol, row, d, o * width, (o + 1) * width, (o + 2) * width, (o + 3) * width, p[w + o * taps],
                            p[w + (o + 1) * taps], p[w + (o + 2) * taps], p[w + (o + 3) * taps], width);
                }
                for (; o < outChannels; o++) {
                    axpy(dcol, row, d, o * width, p[w + o * taps], width);
                }
            }
            int inSize = in.size();
            int height = in.height();
            int inWidth = in.width();
            int outH = out.height();
            int outW = out.width();
            Arrays.fill(dx, 0, n * inSize, 0.0);
            for (int c = 0; c < in.channels(); c++) {
                for (int ky = 0; ky < kernelH; ky++) {
                    for (int kx = 0; kx < kernelW; kx++) {
                        int row = ((c * kernelH + ky) * kernelW + kx) * width;
                        for (int b = 0; b < n; b++) {
                            int base = b * inSize + c * height * inWidth;
                            int source = row + b * positions;
                            for (int oy = 0; oy < outH; oy++) {
                                int yy = oy * stride + ky - padding;
                                if (yy < 0 || yy >= height) {
                                    continue;
                                }
                                int target = base + yy * inWidth;
                                int t = source + oy * outW;
                                for (int ox = 0; ox < outW; ox++) {
                                    int xx = ox * stride + kx - padding;
                                    if (xx >= 0 && xx < inWidth) {
                                        dx[target + xx] += dcol[t + ox];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        @Override
        FloatNetwork.Layer export(double[] p) {
            int weights = outChannels * taps;
            return FloatNetwork.Affine.conv2d(name, in, outChannels, kernelH, kernelW, stride, stride,
                    new int[] {padding, padding, padding, padding}, Arrays.copyOfRange(p, offset, offset + weights),
                    Arrays.copyOfRange(p, offset + weights, offset + weights + outChannels));
        }

        @Override
        long unfoldedWeights() {
            return (long) outChannels * in.channels() * validTaps(out.height(), in.height(), kernelH, stride, padding)
                    * validTaps(out.width(), in.width(), kernelW, stride, padding);
        }

    }

    /**
     * Fully connected layer on the flattened input. Weights stored transposed,
     * {@code [input][output]}, then the bias, so that the forward pass adds {@code weight * input}
     * in increasing input order, as {@link FloatNetwork.Affine#dense} evaluates it.
     */
    static final class DenseOp extends Op {
        private final int inputs;
        private final int outputs;
        /** Where {@link #prepare} puts the weights as {@code [output][input]}; -1: not needed. */
        private final int sharedOffset;

        DenseOp(String name, TensorShape in, TensorShape out, int offset, int sharedOffset) {
            super(name, in, out, offset, Math.addExact(Math.multiplyExact(in.size(), out.size()), out.size()));
            this.inputs = in.size();
            this.outputs = out.size();
            this.sharedOffset = sharedOffset;
        }

        /** Copies the weights, transposed, to {@code shared}, in 32 x 32 tiles. */
        void prepare(double[] p, double[] shared) {
            if (sharedOffset < 0) {
                return;
            }
            for (int k0 = 0; k0 < inputs; k0 += 32) {
                for (int o0 = 0; o0 < outputs; o0 += 32) {
                    for (int k = k0; k < Math.min(inputs, k0 + 32); k++) {
                        for (int o = o0; o < Math.min(outputs, o0 + 32); o++) {
                            shared[sharedOffset + o * inputs + k] = p[offset + k * outputs + o];
                        }
                    }
                }
            }
        }

        @Override
        void initialise(double[] p, SplittableRandom random) {
            gaussian(p, offset, inputs * outputs, 1 / Math.sqrt(inputs), random);
        }

        @Override
        void forward(double[] p, double[] x, double[] y, int n, Object scratch) {
            int biases = offset + inputs * outputs;
            for (int b = 0; b < n; b++) {
                System.arraycopy(p, biases, y, b * outputs, outputs);
            }
            int k = 0;
            for (; k + 3 < inputs; k += 4) {
                int row = offset + k * outputs;
                for (int b = 0; b < n; b++) {
                    int i = b * inputs + k;
                    double a0 = x[i];
                    double a1 = x[i + 1];
                    double a2 = x[i + 2];
                    double a3 = x[i + 3];
                    if (a0 != 0 || a1 != 0 || a2 != 0 || a3 != 0) {
                        axpy4(y, b * outputs, p, row, row + outputs, row + 2 * outputs, row + 3 * outputs, a0, a1, a2, a3,
                                outputs);
                    }
                }
            }
            for (; k < inputs; k++) {
                int row = offset + k * outputs;
                for (int b = 0; b < n; b++) {
                    double a = x[b * inputs + k];
                    if (a != 0) {
                        axpy(y, b * outputs, p, row, a, outputs);
                    }
                }
            }
        }

        @Override
        void backward(double[] p, double[] x, double[] dy, double[] dx, double[] g, int n, Object scratch,
                double[] shared) {
            int biases = offset + inputs * outputs;
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < outputs; o++) {
                    g[biases + o] += dy[b * outputs + o];
                }
            }
            for (int k = 0; k < inputs; k++) {
                int row = offset + k * outputs;
                int b = 0;
                for (; b + 3 < n; b += 4) {
                    double a0 = x[b * inputs + k];
                    double a1 = x[(b + 1) * inputs + k];
                    double a2 = x[(b + 2) * inputs + k];
                    double a3 = x[(b + 3) * inputs + k];
                    if (a0 != 0 || a1 != 0 || a2 != 0 || a3 != 0) {
                        axpy4(g, row, dy, b * outputs, (b + 1) * outputs, (b + 2) * outputs, (b + 3) * outputs, a0, a1, a2,
                                a3, outputs);
                    }
                }
                for (; b < n; b++) {
                    double a = x[b * inputs + k];
                    if (a != 0) {
                        axpy(g, row, dy, b * outputs, a, outputs);
                    }
                }
            }
            if (dx == null) {
                return;
            }
            // dx = W^T dy from the transposed copy: long vector updates instead of dot products
            for (int b = 0; b < n; b++) {
                int target = b * inputs;
                int source = b * outputs;
                Arrays.fill(dx, target, target + inputs, 0.0);
                int o = 0;
                for (; o + 3 < outputs; o += 4) {
                    int w = sharedOffset + o * inputs;
                    axpy4(dx, target, shared, w, w + inputs, w + 2 * inputs, w + 3 * inputs, dy[source + o],
                            dy[source + o + 1], dy[source + o + 2], dy[source + o + 3], inputs);
                }
                for (; o < outputs; o++) {
                    axpy(dx, target, shared, sharedOffset + o * inputs, dy[source + o], inputs);
                }
            }
        }

        @Override
        FloatNetwork.Layer export(double[] p) {
            double[] weights = new double[inputs * outputs];
            for (int k = 0; k < inputs; k++) {
                for (int o = 0; o < outputs; o++) {
                    weights[o * inputs + k] = p[offset + k * outputs + o];
                }
            }
            int biases = offset + inputs * outputs;
            return FloatNetwork.Affine.dense(name, in, outputs, weights, Arrays.copyOfRange(p, biases, biases + outputs));
        }

        @Override
        long unfoldedWeights() {
            return (long) inputs * outputs;
        }
    }

    /** {@code y[yo + i] += a * x[xo + i]} for i below n. */
    static void axpy(double[] y, int yo, double[] x, int xo, double a, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += a * x[xo + i];
        }
    }

    /**
     * {@code y[yo + i] += a0 * x[x0 + i]}, then {@code + a1 * x[x1 + i]} and so on: four
     * {@link #axpy} calls in one pass, the same additions in the same order.
     */
    static void axpy4(double[] y, int yo, double[] x, int x0, int x1, int x2, int x3, double a0, double a1,
            double a2, double a3, int n) {
        for (int i = 0; i < n; i++) {
            double v = y[yo + i];
            v += a0 * x[x0 + i];
            v += a1 * x[x1 + i];
            v += a2 * x[x2 + i];
            v += a3 * x[x3 + i];
            y[yo + i] = v;
        }
    }

    /** The dot product of n values, in four interleaved partial sums (a fixed order). */
    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[ao + i] * b[bo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Gaussian values by Box-Muller from nextDouble, so the stream does not depend on a JDK's nextGaussian. */
    static void gaussian(double[] p, int offset, int length, double deviation, SplittableRandom random) {
        for (int k = offset; k < offset + length; k += 2) {
            double u1 = 1 - random.nextDouble();
            double u2 = random.nextDouble();
            double radius = Math.sqrt(-2 * StrictMath.log(u1)) * deviation;
            p[k] = radius * StrictMath.cos(2 * Math.PI * u2);
            if (k + 1 < offset + length) {
                p[k + 1] = radius * StrictMath.sin(2 * Math.PI * u2);
            }
        }
    }
}
