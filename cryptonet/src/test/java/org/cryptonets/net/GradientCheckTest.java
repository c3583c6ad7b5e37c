package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.cryptonets.data.LabeledImages;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Compares back-propagated gradients with central finite differences on a tiny batch, for sampled
 * entries of every parameter tensor (all entries of the small ones).
 */
class GradientCheckTest {
    private static final int BATCH = 3;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "conv1.weight, 125",
        "conv1.bias, 5",
        "conv2.weight, 60",
        "conv2.bias, 50",
        "fc1.weight, 60",
        "fc1.bias, 100",
        "fc2.weight, 60",
        "fc2.bias, 10"})
    void backpropagationMatchesFiniteDifferences(String tensor, int samples) {
        double[] p = TestNetworks.randomParameters(11);
        LabeledImages split = TestNetworks.randomSplit(BATCH, 12);
        double[] x = new double[BATCH * CryptoNetLayers.INPUT];
        int[] labels = new int[BATCH];
        for (int b = 0; b < BATCH; b++) {
            Trainer.writeShifted(split.image(b), 0, 0, x, b * CryptoNetLayers.INPUT);
            labels[b] = split.label(b);
        }
        BatchEvaluator evaluator = new BatchEvaluator(BATCH);
        double[] gradient = new double[CryptoNetLayers.PARAMETERS];
        evaluator.lossAndGradient(p, x, labels, BATCH, gradient);

        CryptoNetModel.TensorSpec spec = CryptoNetModel.TENSORS.stream()
                .filter(t -> t.name().equals(tensor)).findFirst().orElseThrow();
        SplittableRandom random = new SplittableRandom(tensor.hashCode());
        double worst = 0;
        for (int s = 0; s < samples; s++) {
            int k = spec.offset() + (samples >= spec.size() ? s : random.nextInt(spec.size()));
            double original = p[k];
            double h = 1e-5 * Math.max(1, Math.abs(original));
            p[k] = original + h;
            double plus = evaluator.lossAndGradient(p, x, labels, BATCH, new double[CryptoNetLayers.PARAMETERS]);
            p[k] = original - h;
            double minus = evaluator.lossAndGradient(p, x, labels, BATCH, new double[CryptoNetLayers.PARAMETERS]);
            p[k] = original;
            double numeric = (plus - minus) / (2 * h);
            double error = Math.abs(numeric - gradient[k]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(gradient[k]));
            worst = Math.max(worst, error);
        }
        assertTrue(worst < 1e-5, tensor + ": worst relative gradient error " + worst);
    }
}
