package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cryptonets.mnist.MnistSplit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The folded five-layer network must compute what the nine-layer training form computes. */
class FoldTest {
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void foldedNetworkMatchesTrainingForm(long seed) {
        CryptoNetModel model = TestNetworks.randomModel(seed);
        FoldedNetwork folded = model.fold();
        MnistSplit images = TestNetworks.randomSplit(8, seed + 100);
        for (int i = 0; i < images.size(); i++) {
            double[] expected = model.logits(images.image(i));
            double[] actual = folded.logits(images.image(i));
            double magnitude = 0;
            for (double v : expected) {
                magnitude = Math.max(magnitude, Math.abs(v));
            }
            for (int c = 0; c < expected.length; c++) {
                // float-level tolerance relative to the logits' magnitude: the two forms sum in
                // different orders
                assertEquals(expected[c], actual[c], 1e-6 * magnitude, "image " + i + ", logit " + c);
            }
            assertEquals(model.predict(images.image(i)), argmax(actual));
        }
    }

    @org.junit.jupiter.api.Test
    void conv1RowsHaveAtMostTwentyFiveWeightsAndHonourThePadding() {
        FoldedNetwork folded = TestNetworks.randomModel(4).fold();
        double[] w = folded.conv1Weights();
        for (int row = 0; row < FoldedNetwork.FIRST_OUTPUTS; row++) {
            int nonzero = 0;
            for (int k = 0; k < FoldedNetwork.INPUTS; k++) {
                if (w[row * FoldedNetwork.INPUTS + k] != 0) {
                    nonzero++;
                }
            }
            int i = (row % 169) / 13;
            int j = row % 13;
            // the window of output (0, j) overlaps the padding row, that of (i, 0) the padding column
            int expected = (i == 0 ? 4 : 5) * (j == 0 ? 4 : 5);
            assertEquals(expected, nonzero, "row " + row);
        }
    }

    private static int argmax(double[] values) {
        int best = 0;
        for (int c = 1; c < values.length; c++) {
            if (values[c] > values[best]) {
                best = c;
            }
        }
        return best;
    }
}
