package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.data.TensorShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArchitectureTrainerTest {
    /** Every layer kind, odd sizes (not multiples of the kernels' unrolling), two channels in. */
    private static final String EVERY_KIND = "pad 1,0,0,1 | conv 3 3x3 s1 p1 | square | avgpool 2x2 s1 p1"
            + " | sumpool 3x3 s2 p1 | conv 2 2x2 s1 | flatten | dense 5 | square | dense";
    private static final TensorShape SMALL = new TensorShape(2, 6, 6);

    private static ArchitectureTrainer.Options quiet(int epochs, long seed) {
        return new ArchitectureTrainer.Options(epochs, seed, 8, 1e-2, 0, 0, 5.0, 0, 0, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        EVERY_KIND,
        "square | conv 2 3x3 s2 | dense 7 | conv 3 1x1 s1 | square | dense",
        "dense 9 | square | dense 6 | square | dense",
        "conv 4 3x2 s2 p1 | square | avgpool 3x3 s1 | dense",
    })
    void gradientMatchesFiniteDifferences(String description) {
        ArchitectureTrainer.Plan plan = ArchitectureTrainer.Plan.of(Architecture.parse(description), SMALL, 3);
        SplittableRandom random = new SplittableRandom(11);
        int n = 11; // two chunks, 8 and 3
        double[] x = new double[n * SMALL.size()];
        for (int k = 0; k < x.length; k++) {
            x[k] = random.nextDouble();
        }
        int[] labels = new int[n];
        for (int b = 0; b < n; b++) {
            labels[b] = random.nextInt(3);
        }
        double[] p = plan.initialParameters(new SplittableRandom(3), images(random, 40, SMALL, 3));
        for (int k = 0; k < p.length; k++) {
            p[k] += 0.1 * (random.nextDouble() - 0.5); // non-zero biases too
        }
        double[] gradient = new double[p.length];
        plan.meanLossAndGradient(p, x, labels, n, gradient);
        double h = 1e-5;
        double worst = 0;
        for (int k = 0; k < p.length; k++) {
            double saved = p[k];
            p[k] = saved + h;
            double up = plan.meanLossAndGradient(p, x, labels, n, new double[p.length]);
            p[k] = saved - h;
            double down = plan.meanLossAndGradient(p, x, labels, n, new double[p.length]);
            p[k] = saved;
            double numeric = (up - down) / (2 * h);
            double error = Math.abs(numeric - gradient[k]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(gradient[k]));
            worst = Math.max(worst, error);
            assertTrue(error < 1e-5, "parameter " + k + ": analytic " + gradient[k] + ", numeric " + numeric);
        }
        assertTrue(worst < 1e-5);
    }

    @Test
    void everyParameterOfEveryKindGetsAGradient() {
        ArchitectureTrainer.Plan plan = ArchitectureTrainer.Plan.of(Architecture.parse(EVERY_KIND), SMALL, 3);
        // conv1 3x2x3x3 + 3, conv2 2x3x2x2 + 2, fc1 18 -> 5, fc2 5 -> 3
        assertEquals(54 + 3 + 24 + 2 + 90 + 5 + 15 + 3, plan.parameters);
        SplittableRandom random = new SplittableRandom(5);
        LabeledImages data = images(random, 16, SMALL, 3);
        double[] p = plan.initialParameters(new SplittableRandom(1), data);
        double[] x = new double[16 * SMALL.size()];
        int[] labels = new int[16];
        for (int b = 0; b < 16; b++) {
            byte[] image = data.image(b);
            for (int k = 0; k < image.length; k++) {
                x[b * SMALL.size() + k] = (image[k] & 0xFF) / 255.0;
            }
            labels[b] = data.label(b);
        }
        double[] g = new double[p.length];
        plan.meanLossAndGradient(p, x, labels, 16, g);
        for (int k = 0; k < g.length; k++) {
            assertTrue(g[k] != 0 && Double.isFinite(g[k]), "parameter " + k + ": " + g[k]);
        }
    }

    @Test
    void initialLayersHaveUnitRms() {
        ArchitectureTrainer.Plan plan = ArchitectureTrainer.Plan.of(Architecture.parse("cryptonet3"),
                LabeledImages.MNIST_SHAPE, 10);
        LabeledImages data = TestNetworks.randomSplit(64, 9);
        double[] p = plan.initialParameters(new SplittableRandom(2), data);
        ArchitectureTrainer.Plan.Workspace ws = plan.workspace(ArchitectureTrainer.CHUNK);
        for (int b = 0; b < ArchitectureTrainer.CHUNK; b++) {
            plan.loadImage(data, b, 0, 0, ws, b);
        }
        plan.forward(p, ws, ArchitectureTrainer.CHUNK, plan.ops.length);
        for (int i = 0; i < plan.ops.length; i++) {
            if (plan.ops[i].count > 0) {
                double squares = 0;
                int size = ArchitectureTrainer.CHUNK * plan.shapes.get(i + 1).size();
                for (int k = 0; k < size; k++) {
                    squares += ws.act[i + 1][k] * ws.act[i + 1][k];
                }
                double rms = Math.sqrt(squares / size);
                assertTrue(rms > 0.5 && rms < 2, plan.ops[i].name + ": rms " + rms);
            }
        }
    }

    @Test
    void trainsAboveChanceAndReproducibly() {
        SplittableRandom random = new SplittableRandom(17);
        TensorShape shape = new TensorShape(1, 6, 6);
        LabeledImages train = bars(random, 400, shape);
        LabeledImages test = bars(random, 200, shape);
        Architecture architecture = Architecture.parse("conv 3 3x3 s1 | square | sumpool 2x2 s2 | dense");
        List<String> lines = new ArrayList<>();
        ArchitectureTrainer.Result first = ArchitectureTrainer.train(architecture, train, test,
                quiet(1, 42).withProgress(lines::add));
        assertTrue(first.testAccuracy() > 0.9, "accuracy " + first.testAccuracy());
        assertEquals(1, first.log().size());
        assertTrue(first.finalLoss() < Math.log(2), "loss " + first.finalLoss());
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).startsWith("epoch 1/1: loss "), lines.get(0));
        assertTrue(lines.get(1).contains("float test accuracy"), lines.get(1));
        assertEquals(first.testAccuracy(), first.network().accuracy(test), 0.0);
        assertEquals(2, first.network().classes());

        ArchitectureTrainer.Result again = ArchitectureTrainer.train(architecture, train, test, quiet(1, 42));
        assertSameWeights(first.network(), again.network());
        assertEquals(first.finalLoss(), again.finalLoss(), 0.0);
        ArchitectureTrainer.Result oneThread = ArchitectureTrainer.train(architecture, train, test,
                quiet(1, 42).withThreads(1));
        assertSameWeights(first.network(), oneThread.network());
        ArchitectureTrainer.Result otherSeed = ArchitectureTrainer.train(architecture, train, test, quiet(1, 43));
        assertNotEquals(first.finalLoss(), otherSeed.finalLoss());
    }

    @Test
    void aLastDenseLayerMayHaveMoreOutputsThanClasses() {
        SplittableRandom random = new SplittableRandom(19);
        TensorShape shape = new TensorShape(1, 6, 6);
        LabeledImages train = bars(random, 400, shape);
        LabeledImages test = bars(random, 100, shape);
        ArchitectureTrainer.Result result = ArchitectureTrainer.train(
                Architecture.parse("conv 3 3x3 s1 | square | sumpool 2x2 s2 | dense 5"), train, test, quiet(2, 3));
        assertEquals(5, result.network().classes());
        assertEquals(result.testAccuracy(), result.network().accuracy(test), 0.0);
        assertTrue(result.testAccuracy() > 0.75, "accuracy " + result.testAccuracy());
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        // a batch of 40 makes five chunks, more than there are threads
        SplittableRandom random = new SplittableRandom(8);
        LabeledImages train = images(random, 200, SMALL, 3);
        Architecture architecture = Architecture.parse(EVERY_KIND);
        ArchitectureTrainer.Options options = quiet(2, 7).withBatchSize(40).withMaxShift(1).withLearningRate(3e-3);
        ArchitectureTrainer.Trained one = ArchitectureTrainer.trainInternal(architecture, train, null,
                options.withThreads(1));
        ArchitectureTrainer.Trained all = ArchitectureTrainer.trainInternal(architecture, train, null,
                options.withThreads(0));
        assertArrayEquals(one.parameters(), all.parameters());
        assertTrue(Double.isNaN(one.result().testAccuracy()));
        assertEquals(2, one.result().log().size());
    }

    @Test
    void theTrainedNetworkComputesWhatTheTrainerComputes() {
        SplittableRandom random = new SplittableRandom(23);
        LabeledImages train = images(random, 64, SMALL, 3);
        ArchitectureTrainer.Trained trained = ArchitectureTrainer.trainInternal(Architecture.parse(EVERY_KIND), train,
                null, quiet(1, 5).withLearningRate(1e-3));
        FloatNetwork network = trained.result().network();
        assertEquals(List.of("pad1", "conv1", "square1", "pool1", "pool2", "conv2", "flatten1", "fc1", "square2", "fc2"),
                network.layers().stream().map(FloatNetwork.Layer::name).toList());
        assertEquals(2, network.depth());
        // as train would save it, with its description in the metadata
        NetworkFile.Model saved = NetworkFile.read(NetworkFile.toBytes(network,
                java.util.Map.of("architecture", EVERY_KIND)), "memory");
        assertEquals(EVERY_KIND, Architecture.parse(saved.metadata().get("architecture")).toString());
        for (int i = 0; i < 20; i++) {
            double[] x = new double[SMALL.size()];
            for (int k = 0; k < x.length; k++) {
                x[k] = random.nextInt(4) == 0 ? 0 : random.nextDouble();
            }
            double[] expected = trained.plan().logits(trained.parameters(), x);
            double[] actual = network.logits(x);
            // the same additions in the same order: equal, not merely close
            assertArrayEquals(expected, actual, 0.0, "image " + i);
            assertArrayEquals(actual, saved.network().logits(x), 0.0, "image " + i + " after saving");
        }
        // and the paper-shaped network exports to the same shapes as the committed model
        ArchitectureTrainer.Plan paper = ArchitectureTrainer.Plan.of(Architecture.parse("cryptonet"),
                LabeledImages.MNIST_SHAPE, 10);
        double[] p = paper.initialParameters(new SplittableRandom(4), TestNetworks.randomSplit(16, 4));
        FloatNetwork exported = paper.toFloatNetwork(p);
        FloatNetwork committed = CryptoNetModel.loadDefault().toFloatNetwork();
        assertEquals(committed.layers().stream().map(FloatNetwork.Layer::output).toList(),
                exported.layers().stream().map(FloatNetwork.Layer::output).toList());
        byte[] image = TestNetworks.randomSplit(1, 6).image(0);
        double[] x = FloatNetwork.scale(image);
        assertArrayEquals(paper.logits(p, x), exported.logits(image), 0.0);
    }

    @Test
    void badInputsAreRejected() {
        SplittableRandom random = new SplittableRandom(2);
        LabeledImages train = images(random, 20, SMALL, 3);
        ArchitectureTrainer.Options options = quiet(1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArchitectureTrainer.train(
                Architecture.parse("conv 2 7x7 s1 | dense"), train, null, options));
        assertTrue(e.getMessage().contains("layer 1 \"conv 2 7x7 s1\": expected a kernel that fits the input 2x6x6"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ArchitectureTrainer.train(Architecture.parse("dense"),
                train, images(random, 5, new TensorShape(1, 6, 6), 3), options));
        assertTrue(e.getMessage().contains("the test images are 1x6x6 but the training images are 2x6x6"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ArchitectureTrainer.train(Architecture.parse("dense"),
                train, images(random, 5, SMALL, 4), options));
        assertTrue(e.getMessage().contains("outputs 3 class scores but the test labels go up to 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ArchitectureTrainer.train(Architecture.parse("dense"),
                train.head(0), null, options));
        assertTrue(e.getMessage().contains("expected training images, found none"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ArchitectureTrainer.train(
                Architecture.parse("dense 50000 | dense"), TestNetworks.randomSplit(2, 1), null, options));
        assertTrue(e.getMessage().contains("layer 1 \"dense 50000\": as a linear map on 1x28x28 it holds 39200000"
                + " weights; expected at most 33554432"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> options.withEpochs(0));
        assertThrows(IllegalArgumentException.class, () -> options.withMaxShift(5));
        assertThrows(IllegalArgumentException.class, () -> options.withLearningRate(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> options.withThreads(-1));
    }

    @Test
    void divergenceIsReported() {
        SplittableRandom random = new SplittableRandom(3);
        LabeledImages train = images(random, 64, SMALL, 3);
        ArchitectureTrainer.Options wild = new ArchitectureTrainer.Options(3, 1, 8, 1e100, 0, 0, 1e300, 0, 1, null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ArchitectureTrainer.train(
                Architecture.parse("dense 6 | square | dense 6 | square | dense 6 | square | dense"), train, null, wild));
        assertTrue(e.getMessage().startsWith("training diverged at epoch "), e.getMessage());
    }

    private static void assertSameWeights(FloatNetwork a, FloatNetwork b) {
        assertEquals(a.layers().size(), b.layers().size());
        boolean anyWeights = false;
        for (int l = 0; l < a.layers().size(); l++) {
            if (a.layers().get(l) instanceof FloatNetwork.Affine x) {
                FloatNetwork.Affine y = (FloatNetwork.Affine) b.layers().get(l);
                assertArrayEquals(x.columns(), y.columns());
                assertArrayEquals(x.values(), y.values());
                assertArrayEquals(x.bias(), y.bias());
                anyWeights |= x.nonZeros() > 0;
            }
        }
        assertTrue(anyWeights);
    }

    /** Random images with random labels. */
    static LabeledImages images(SplittableRandom random, int count, TensorShape shape, int classes) {
        byte[] pixels = new byte[count * shape.size()];
        byte[] labels = new byte[count];
        for (int k = 0; k < pixels.length; k++) {
            pixels[k] = (byte) random.nextInt(256);
        }
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(classes);
        }
        return new LabeledImages(shape, pixels, labels, classes);
    }

    /** A horizontal (class 0) or vertical (class 1) bright bar at a random place, on noise. */
    static LabeledImages bars(SplittableRandom random, int count, TensorShape shape) {
        int side = shape.width();
        byte[] pixels = new byte[count * shape.size()];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int label = random.nextInt(2);
            int where = random.nextInt(side);
            int from = random.nextInt(2);
            labels[i] = (byte) label;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    boolean on = label == 0 ? y == where && x >= from && x < from + side - 1
                            : x == where && y >= from && y < from + side - 1;
                    pixels[i * shape.size() + y * side + x] = (byte) (on ? 200 + random.nextInt(56) : random.nextInt(60));
                }
            }
        }
        assertFalse(count == 0);
        return new LabeledImages(shape, pixels, labels, 2);
    }
}
