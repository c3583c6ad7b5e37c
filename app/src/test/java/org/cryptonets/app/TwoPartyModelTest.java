package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cryptonets.app.owner.DecryptCommand;
import org.cryptonets.app.owner.KeygenCommand;
import org.cryptonets.app.owner.OwnerKeys;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.net.Quantizer;
import org.cryptonets.onnx.ModelFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-party commands with {@code --model}: an ONNX model exported from PyTorch and
 * Fashion-MNIST, through encrypt, infer and decrypt as a user runs them; every decrypted logit must
 * equal the integer network's in the clear. Keys come from KeygenCommand.generate with INSECURE
 * toy parameters (n = 1024, SecurityLevel.NONE) carrying the planner's prime chain and schedule for
 * the real ring, so the test fits CI. Also: another model than the keys' is refused by name.
 */
class TwoPartyModelTest {
  static final Path FASHION = EncryptedModelsTest.FASHION;
  static final Path MODEL = Path.of("..", "models", "fashion-cryptonet.onnx");
  static final String WIDTHS = "3/6/5/6";

  @TempDir
  Path tmp;

  @Test
  void fashionModelThroughTheFilesIsExactAndOtherModelsAreRefused() throws Exception {
    if (!Files.isDirectory(FASHION)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI installs dataset-fashion-mnist; " + FASHION + " is missing");
      }
      Assumptions.abort("SKIPPING: " + FASHION + " is missing (Debian package dataset-fashion-mnist)");
    }
    IntegerNetwork network = Quantizer.quantize(ModelFiles.load(MODEL).fold(), QuantizationSpec.parse(WIDTHS));
    LabeledImages test = ImageDataset.load(FASHION).test();
    int logitBits = network.measure(test).logitBits();
    CryptoNetPlan real = ParameterPlanner.choose(network, logitBits, ParameterPlanner.plainBitsFor(logitBits)).plan();
    CryptoNetPlan toy = CryptoNetPlan.of(1024, real.coeffPrimeBits(), real.plainPrimeBits(), real.plainPrimeCount(),
        new int[] {real.levelAfterSquare(0), real.levelAfterSquare(1)}, real.outputLevel(), real.inputLevel());
    BfvParameters params = toy.parameters(SecurityLevel.NONE);
    Path keys = tmp.resolve("keys");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    try (Backend backend = Backends.open("cpu")) {
      KeygenCommand.generate(keys, params, TwoPartyPlan.of(params, toy, logitBits, MODEL.getFileName().toString(), ModelFiles.sha256(MODEL),
          QuantizationSpec.parse(WIDTHS)), backend, false, quiet);
    }
    Path images = tmp.resolve("images.bin");
    Path results = tmp.resolve("results.bin");
    Path csv = tmp.resolve("predictions.csv");
    String evaluationKeys = keys.resolve(PartyFiles.EVALUATION_KEYS_FILE).toString();
    List<String> model = List.of("--model", MODEL.toString());
    List<String> data = List.of("--data", FASHION.toString());

    // the committed model (no --model) is not the one these keys were made for
    for (List<String> args : List.of(
        List.of("encrypt", "--keys", keys.toString(), "--data", FASHION.toString(), "--images", "10", "--out", images.toString()),
        List.of("infer", "--keys", evaluationKeys, "--in", evaluationKeys, "--out", results.toString()),
        List.of("decrypt", "--keys", keys.toString(), "--in", evaluationKeys, "--no-labels"))) {
      UsageError e = assertThrows(UsageError.class, () -> Main.run(args), args.toString());
      assertTrue(e.getMessage().contains("fashion-cryptonet.onnx") && e.getMessage().contains(ModelOption.COMMITTED), e.getMessage());
      assertTrue(Files.notExists(images) && Files.notExists(results), "nothing written");
    }

    assertEquals(0, Main.run(concat(List.of("encrypt", "--keys", keys.toString(), "--images", "1024", "--out", images.toString()), model, data)));
    assertEquals(0, Main.run(concat(List.of("infer", "--keys", evaluationKeys, "--in", images.toString(), "--out", results.toString()), model, List.of())));
    assertEquals(0, Main.run(concat(List.of("decrypt", "--keys", keys.toString(), "--in", results.toString(), "--out", csv.toString()), model, data)));
    try (Backend backend = Backends.open("cpu"); OwnerKeys owner = OwnerKeys.load(keys, backend, quiet)) {
      DecryptCommand.Decryption d = DecryptCommand.decrypt(owner, backend, results);
      assertTrue(d.trustworthy(), "noise budget " + d.minNoiseBudget);
      for (int s = 0; s < 1024; s++) {
        assertArrayEquals(network.logits(network.quantizeInput(test.image(s))), d.logits[s], "image " + s);
      }
    }
    List<String> lines = Files.readAllLines(csv);
    assertEquals(1025, lines.size());
    assertTrue(lines.get(0).startsWith("image,prediction,label,logit0"), lines.get(0));
  }

  private static List<String> concat(List<String> a, List<String> b, List<String> c) {
    List<String> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    all.addAll(c);
    return all;
  }
}
