package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.RealMnist;
import org.junit.jupiter.api.Test;

/** The committed model on the genuine MNIST test set: the figures its description file states. */
class CommittedModelTest {
    @Test
    void floatAndIntegerAccuracyAndRanges() {
        ImageDataset data = RealMnist.dataset();
        CryptoNetModel model = CryptoNetModel.loadDefault();
        double floatAccuracy = model.accuracy(data.test());
        assertTrue(floatAccuracy >= 0.990, "float accuracy " + floatAccuracy);
        IntegerNetwork network = IntegerNetwork.loadDefault();
        IntegerNetwork.Measurement m = network.measure(data.test());
        assertTrue(m.accuracy() >= floatAccuracy - 0.001, "integer accuracy " + m.accuracy() + " vs " + floatAccuracy);
        assertEquals(CommittedFigures.LOGIT_BITS, m.logitBits(), "final logit bits");
        assertEquals(CommittedFigures.INTEGER_CORRECT, m.correct(), "integer correct");
    }
}
