package org.cryptonets.net;

import java.util.SplittableRandom;
import org.cryptonets.data.LabeledImages;

/** Deterministic synthetic models and images for tests that must not depend on training. */
final class TestNetworks {
    private TestNetworks() {
    }

    /** A split of random sparse "digits" with random labels. */
    static LabeledImages randomSplit(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[count * CryptoNetLayers.INPUT];
        byte[] labels = new byte[count];
        for (int i = 0; i < pixels.length; i++) {
            // MNIST-like: mostly background, some saturated strokes, a few grey edges
            int roll = random.nextInt(10);
            pixels[i] = (byte) (roll < 7 ? 0 : roll < 9 ? 255 : random.nextInt(256));
        }
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        return new LabeledImages(pixels, labels);
    }

    /** Parameters as the trainer initialises them, plus random biases so that folding them is tested. */
    static double[] randomParameters(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] p = Trainer.initialParameters(random, randomSplit(64, seed + 1));
        int[][] biases = {
            {CryptoNetLayers.CONV1_B, CryptoNetLayers.CONV1_MAPS},
            {CryptoNetLayers.CONV2_B, CryptoNetLayers.CONV2_MAPS},
            {CryptoNetLayers.FC1_B, CryptoNetLayers.HIDDEN},
            {CryptoNetLayers.FC2_B, CryptoNetLayers.CLASSES}};
        for (int[] range : biases) {
            for (int k = range[0]; k < range[0] + range[1]; k++) {
                p[k] = random.nextDouble(-0.5, 0.5);
            }
        }
        return p;
    }

    static CryptoNetModel randomModel(long seed) {
        return CryptoNetModel.fromParameters(randomParameters(seed));
    }
}
