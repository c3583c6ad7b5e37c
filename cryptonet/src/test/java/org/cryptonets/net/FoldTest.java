package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cryptonets.data.LabeledImages;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The folded five-layer network must compute what the nine-layer training form computes. */
class FoldTest {
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void foldedNetworkMatchesTrainingForm(long seed) {
        CryptoNetModel model = TestNetworks.randomModel(seed);
        FoldedNetwork folded = model.fold();
        LabeledImages images = TestNetworks.randomSplit(8, seed + 100);
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

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void genericFoldMatchesTheTrainingFormAndTheFixedFold(long seed) {
        CryptoNetModel model = TestNetworks.randomModel(seed);
        FloatNetwork generic = model.toFloatNetwork();
        FloatNetwork folded = generic.fold();
        assertEquals(5, folded.layers().size());
        assertEquals(2, folded.depth());
        org.junit.jupiter.api.Assertions.assertTrue(folded.isFolded());
        FoldedNetwork fixed = model.fold();
        LabeledImages images = TestNetworks.randomSplit(8, seed + 200);
        for (int i = 0; i < images.size(); i++) {
            double[] expected = model.logits(images.image(i));
            double magnitude = 0;
            for (double v : expected) {
                magnitude = Math.max(magnitude, Math.abs(v));
            }
            double[][] candidates = {generic.logits(images.image(i)), folded.logits(images.image(i)),
                fixed.toFloatNetwork().logits(images.image(i))};
            for (double[] actual : candidates) {
                for (int c = 0; c < expected.length; c++) {
                    assertEquals(expected[c], actual[c], 1e-6 * magnitude, "image " + i + ", logit " + c);
                }
            }
        }
        // the folded conv1 keeps the convolution's sparsity: 845 rows of at most 25 weights
        FloatNetwork.Affine conv1 = (FloatNetwork.Affine) folded.layers().get(0);
        org.junit.jupiter.api.Assertions.assertTrue(conv1.nonZeros() <= 845 * 25, conv1.toString());
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
