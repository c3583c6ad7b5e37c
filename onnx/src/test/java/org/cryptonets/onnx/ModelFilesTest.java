package org.cryptonets.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.cryptonets.net.CryptoNetModel;
import org.cryptonets.net.FloatNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
    private static final String EXPECTED = "expected .onnx (ONNX) or a model file written by `train`";

    private static String refusal(Path file) {
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> ModelFiles.load(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void onnxIsRecognizedByExtensionAndByContent(@TempDir Path dir) throws IOException {
        Fixtures.Expected fixture = Fixtures.load("conv_square_pool");
        double[] input = fixture.samples().get(0).input();
        double[] reference = OnnxImporter.load(fixture.model()).logits(input);
        FixtureTest.assertClose("by extension", reference, ModelFiles.load(fixture.model()).logits(input));
        Path renamed = dir.resolve("model.bin");
        Files.copy(fixture.model(), renamed);
        FixtureTest.assertClose("by content", reference, ModelFiles.load(renamed).logits(input));
    }

    @Test
    void projectModelFilesAreConverted(@TempDir Path dir) throws IOException {
        CryptoNetModel model = CryptoNetModel.loadDefault();
        Path file = dir.resolve("cryptonet.bin");
        model.save(file);
        FloatNetwork network = ModelFiles.load(file);
        assertEquals(10, network.classes());
        byte[] image = new byte[28 * 28];
        new Random(7).nextBytes(image);
        FixtureTest.assertClose("CryptoNetModel", model.logits(image), network.logits(image));

        byte[] corrupted = Files.readAllBytes(file);
        corrupted[40] ^= 1;
        Path broken = dir.resolve("broken.bin");
        Files.write(broken, corrupted);
        assertTrue(refusal(broken).contains("checksum"));
    }

    @Test
    void wrongFilesSayWhatWasExpected(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.onnx");
        assertEquals(missing + ": no such file: " + EXPECTED, refusal(missing));
        assertEquals(dir + ": is a folder: " + EXPECTED, refusal(dir));
        Path empty = Files.createFile(dir.resolve("empty.onnx"));
        assertEquals(empty + ": the file is empty: " + EXPECTED, refusal(empty));
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello, world", StandardCharsets.UTF_8);
        assertTrue(refusal(text).endsWith(EXPECTED));
        assertTrue(refusal(text).contains("unknown format"));
        Path garbage = Files.writeString(dir.resolve("garbage.onnx"), "hello, world", StandardCharsets.UTF_8);
        assertTrue(refusal(garbage).contains("not a valid ONNX model"));
    }

    @Test
    void sha256OfTheBytes(@TempDir Path dir) throws IOException {
        Path abc = Files.writeString(dir.resolve("abc"), "abc", StandardCharsets.US_ASCII);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ModelFiles.sha256(abc));
        Path empty = Files.createFile(dir.resolve("empty"));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ModelFiles.sha256(empty));
        assertThrows(OnnxImportException.class, () -> ModelFiles.sha256(dir.resolve("missing")));
        assertThrows(OnnxImportException.class, () -> ModelFiles.sha256(dir));
    }
}
