package org.cryptonets.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.data.TensorShape;
import org.cryptonets.net.FloatNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two Fashion-MNIST models of {@code models/} (written by {@code models/train_fashion.py}):
 * imported, their float accuracy on the first 1,000 test images is what PyTorch printed, within
 * one point. Skipped where the data set is not installed.
 */
class FashionModelsTest {
    private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
    private static final Path MODELS = Path.of(System.getProperty("basedir", ".")).resolve("../models").normalize();

    private static LabeledImages firstThousand;

    private static synchronized LabeledImages testImages() {
        if (firstThousand == null) {
            firstThousand = ImageDataset.load(DATA).test().head(1000);
        }
        return firstThousand;
    }

    // accuracy on the first 1,000 test images as train_fashion.py printed it (models/README.md)
    @ParameterizedTest(name = "{0}")
    @CsvSource({"fashion-cryptonet.onnx, 2, 0.881", "fashion-cryptonet3.onnx, 3, 0.882"})
    void floatAccuracyMatchesPyTorch(String file, int depth, double pytorchAccuracy) throws IOException {
        Path model = MODELS.resolve(file);
        assertTrue(Files.isRegularFile(model), model + " is missing (run models/train_fashion.py)");
        assertTrue(Files.size(model) < 1_500_000, model + " is " + Files.size(model) + " bytes");
        String readme = Files.readString(MODELS.resolve("README.md"), StandardCharsets.UTF_8);
        assertTrue(readme.contains(ModelFiles.sha256(model)), "models/README.md does not list the SHA-256 of " + file);

        FloatNetwork network = OnnxImporter.load(model);
        assertEquals(new TensorShape(1, 28, 28), network.inputShape());
        assertEquals(depth, network.depth());
        assertEquals(10, network.classes());
        FloatNetwork folded = network.fold();
        assertEquals(2 * depth + 1, folded.layers().size());

        assumeTrue(Files.isDirectory(DATA), DATA + " is not installed");
        LabeledImages images = testImages();
        double accuracy = network.accuracy(images);
        assertEquals(pytorchAccuracy, accuracy, 0.01, file + ": float accuracy on the first 1,000 test images");
        assertEquals(accuracy, folded.accuracy(images), 0.002, file + ": folded");
    }
}
