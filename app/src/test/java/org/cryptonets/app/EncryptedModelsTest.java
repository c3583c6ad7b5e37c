package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.EncryptedInference;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.onnx.ModelFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Models exported from PyTorch, through the whole encrypted pipeline: the committed Fashion-MNIST
 * CryptoNets with two and three squares, quantized, given parameters by the planner, and run on
 * real Fashion-MNIST test images, the two-square one under BFV, the three-square one (five
 * plaintext primes) under BGV. Every decrypted residue and logit must equal the integer network in
 * the clear. To fit CI these use INSECURE toy parameters (n = 1024, SecurityLevel.NONE) with the
 * prime chain, plaintext primes and level schedule the planner chose for the real ring; the 128-bit
 * runs are {@code ./cryptonets demo --model ...} (figures in BENCHMARKS.md).
 */
class EncryptedModelsTest {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

  @ParameterizedTest(name = "{0}: depth {1}, {3}")
  @CsvSource({"fashion-cryptonet.onnx, 2, 3/6/5/6, BFV", "fashion-cryptonet3.onnx, 3, 3/7/7/6/8, BGV"})
  void exportedModelsAreExactUnderEncryption(String file, int depth, String widths, org.cryptonets.bfv.Scheme scheme) throws Exception {
    if (!Files.isDirectory(FASHION)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI installs dataset-fashion-mnist; " + FASHION + " is missing");
      }
      Assumptions.abort("SKIPPING: " + FASHION + " is missing (Debian package dataset-fashion-mnist)");
    }
    Path model = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "models", file);
    if (!Files.isRegularFile(model)) {
      model = Path.of("..", "models", file);
    }
    IntegerNetwork net = org.cryptonets.net.Quantizer.quantize(ModelFiles.load(model).fold(), QuantizationSpec.parse(widths));
    assertEquals(depth, net.depth());
    LabeledImages test = ImageDataset.load(FASHION).test();
    int logitBits = net.measure(test.head(1024)).logitBits();
    ParameterPlanner.Choice choice = ParameterPlanner.choose(net, logitBits, 29, scheme);
    CryptoNetPlan real = choice.plan();
    CryptoNetPlan toy = CryptoNetPlan.of(1024, real.coeffPrimeBits(), real.plainPrimeBits(), real.plainPrimeCount(),
        java.util.stream.IntStream.range(0, depth).map(real::levelAfterSquare).toArray(), real.outputLevel(), real.inputLevel()).withScheme(scheme);
    BfvParameters params = toy.parameters(SecurityLevel.NONE);
    try (Backend cpu = Backends.open("cpu")) {
      EncryptedInference.Result r = EncryptedInference.run(cpu, net, toy, params, test, 1024, (s, d, t) -> { });
      assertEquals(0, r.mismatches, "images whose decrypted residues or logits differ from the clear integer network");
      assertEquals(List.of(), r.outOfRange);
      for (int i = 0; i < 1024; i += 97) {
        assertArrayEquals(net.logits(net.quantizeInput(test.image(i))), r.logits[i], "image " + i);
      }
      assertEquals(r.correctPlain, r.correctEncrypted);
      assertTrue(r.noiseBudgetMinBits > 0, "noise budget " + r.noiseBudgetMinBits);
      assertTrue(r.logitBits > 62 == (depth == 3), "depth 3 logits need more than 64 bits: " + r.logitBits);
      assertEquals(scheme, r.scheme);
      System.out.printf("%s: %d plaintext primes, network %.1f s, noise budget %d bits (estimated %d at n = %d)%n", file, real.plainPrimeCount(),
          r.networkSeconds, r.noiseBudgetMinBits, choice.estimatedBudgetBits(), real.n());
    }
  }

  /**
   * Small exported fixtures of one and three squares (random weights, so accuracy means nothing)
   * on random images: the integer network and its encryption agree exactly at any depth, with
   * parameters the planner chose. INSECURE toy ring n = 1024.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"conv_square_pool.onnx, 1", "pow_square.onnx, 1", "zeropad_conv.onnx, 1", "three_squares.onnx, 3"})
  void fixturesOfEveryDepthAreExactUnderEncryption(String file, int depth) throws Exception {
    Path model = Path.of("..", "onnx", "src", "test", "resources", "org", "cryptonets", "onnx", file);
    org.cryptonets.net.FloatNetwork folded = ModelFiles.load(model).fold();
    IntegerNetwork net = org.cryptonets.net.Quantizer.quantize(folded, QuantizationSpec.uniform(4, 8, folded.depth() + 1));
    assertEquals(depth, net.depth());
    java.util.Random random = new java.util.Random(depth * 31L + file.length());
    int count = 300;
    byte[] pixels = new byte[count * net.inputShape().size()];
    random.nextBytes(pixels);
    byte[] labels = new byte[count];
    LabeledImages images = new LabeledImages(net.inputShape(), pixels, labels, net.classes());
    int logitBits = net.measure(images).logitBits();
    ParameterPlanner.Choice choice = ParameterPlanner.choose(net, logitBits, ParameterPlanner.plainBitsFor(logitBits));
    CryptoNetPlan real = choice.plan();
    CryptoNetPlan toy = CryptoNetPlan.of(1024, real.coeffPrimeBits(), real.plainPrimeBits(), real.plainPrimeCount(),
        java.util.stream.IntStream.range(0, depth).map(real::levelAfterSquare).toArray(), real.outputLevel(), real.inputLevel());
    try (Backend cpu = Backends.open("cpu")) {
      EncryptedInference.Result r = EncryptedInference.run(cpu, net, toy, toy.parameters(SecurityLevel.NONE), images, count, (s, d, t) -> { });
      assertEquals(0, r.mismatches, choice.reasons().toString());
      for (int i = 0; i < count; i++) {
        assertArrayEquals(net.logits(net.quantizeInput(images.image(i))), r.logits[i], "image " + i);
      }
      assertTrue(r.noiseBudgetMinBits > 0);
    }
  }

  /**
   * A three-square network whose weights are too wide for n = 8192: the planner moves to
   * n = 16384 (14 primes, 128-bit secure, real parameters, not a toy) and the batch decrypts exactly.
   */
  @org.junit.jupiter.api.Test
  void deepWideNetworkGetsTheLargerRingAndIsExact() throws Exception {
    Path model = Path.of("..", "onnx", "src", "test", "resources", "org", "cryptonets", "onnx", "three_squares.onnx");
    IntegerNetwork net = org.cryptonets.net.Quantizer.quantize(ModelFiles.load(model).fold(), QuantizationSpec.uniform(8, 10, 4));
    java.util.Random random = new java.util.Random(5);
    int count = 300;
    byte[] pixels = new byte[count * net.inputShape().size()];
    random.nextBytes(pixels);
    LabeledImages images = new LabeledImages(net.inputShape(), pixels, new byte[count], net.classes());
    int logitBits = net.measure(images).logitBits();
    ParameterPlanner.Choice choice = ParameterPlanner.choose(net, logitBits, ParameterPlanner.plainBitsFor(logitBits));
    assertEquals(16384, choice.plan().n(), choice.reasons().toString());
    assertTrue(choice.reasons().stream().anyMatch(r -> r.contains("n = 8192") && r.contains("do not fit")), choice.reasons().toString());
    try (Backend cpu = Backends.open("cpu")) {
      EncryptedInference.Result r = EncryptedInference.run(cpu, net, choice.plan(), images, count, (s, d, t) -> { });
      assertEquals(128, r.parameters.security().bits());
      assertEquals(0, r.mismatches);
      assertTrue(r.noiseBudgetBeforeCompressionBits >= choice.estimatedBudgetBits(),
          "the estimate must be conservative: " + r.noiseBudgetBeforeCompressionBits + " < " + choice.estimatedBudgetBits());
    }
  }
}
