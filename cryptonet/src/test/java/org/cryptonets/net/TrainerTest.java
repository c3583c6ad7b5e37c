package org.cryptonets.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.RealMnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainerTest {
    @TempDir
    Path directory;

    private static TrainingOptions smoke(long seed) {
        return TrainingOptions.defaults().withEpochs(8).withSeed(seed).withTrainingLimit(400)
                .withOptimizer(32, 2e-3, 10, 5e-5, 5.0).withProgress(null);
    }

    @Test
    void smokeRunLearnsAndIsReproducible() {
        ImageDataset full = RealMnist.dataset();
        ImageDataset data = new ImageDataset(full.train().head(400), full.test().head(500));
        Path output = directory.resolve("smoke.bin");
        Trainer.TrainingResult first = Trainer.train(smoke(5).withOutput(output), data);
        Trainer.TrainingResult second = Trainer.train(smoke(5), data);
        assertArrayEquals(first.model().toBytes(), second.model().toBytes(), "same seed, same weights");
        assertArrayEquals(first.model().toBytes(), CryptoNetModel.load(output).toBytes());
        // 400 images, eight epochs: far from 99%, far above the 10% of guessing
        assertTrue(first.testAccuracy() > 0.5, "accuracy " + first.testAccuracy());
        Trainer.TrainingResult other = Trainer.train(smoke(6), data);
        assertTrue(!java.util.Arrays.equals(first.model().toBytes(), other.model().toBytes()), "another seed differs");
    }

    @Test
    void learningRateWarmsUpThenDecaysToOnePercent() {
        TrainingOptions options = TrainingOptions.defaults().withOptimizer(64, 1e-3, 100, 0, 1);
        assertEquals(0.5e-3, Trainer.learningRate(options, 50, 1000), 1e-15);
        assertEquals(1e-3, Trainer.learningRate(options, 100, 1000), 1e-15);
        assertEquals(0.505e-3, Trainer.learningRate(options, 550, 1000), 1e-12);
        assertEquals(1e-5, Trainer.learningRate(options, 1000, 1000), 1e-15);
    }

    @Test
    void shiftMovesPixelsAndFillsWithZeros() {
        byte[] image = new byte[784];
        image[0] = (byte) 255;
        image[28 * 27 + 27] = (byte) 255;
        double[] x = new double[784];
        Trainer.writeShifted(image, 1, 2, x, 0);
        assertEquals(1.0, x[2 * 28 + 1]);
        assertEquals(0.0, x[0]);
        double sum = 0;
        for (double v : x) {
            sum += v;
        }
        assertEquals(1.0, sum, "the bottom-right pixel moved out of the frame");
    }

    @ParameterizedTest(name = "epochs={0} batch={1} lr={2} shift={3}")
    @CsvSource({"0, 64, 1e-3, 1", "1, 0, 1e-3, 1", "1, 64, 0, 1", "1, 64, NaN, 1", "1, 64, 1e-3, 5", "1, 64, 1e-3, -1"})
    void invalidOptionsAreRejected(int epochs, int batch, double rate, int shift) {
        assertThrows(IllegalArgumentException.class, () -> new TrainingOptions(epochs, 1, null, null, batch, rate,
                0, shift, 0, 1, 0, null));
    }
}
