package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.EncryptedInference;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.net.Quantizer;
import org.cryptonets.onnx.ModelFiles;
import org.cryptonets.bfv.SecurityLevel;
import org.junit.jupiter.api.Test;

/** Stage progress: plain lines off a terminal, a line per live bar on one, every stage to 100%. */
class ProgressBarTest {
  private static final String ENCRYPT = "encode + encrypt";
  private static final String DECRYPT = "decrypt + decode";

  /**
   * The reports of a two-batch run with two plaintext primes and three network steps, as
   * {@link EncryptedInference} makes them; the clock moves 1 s per encryption, 2 s per network
   * step and 0.5 s per decryption.
   */
  private static void twoBatches(ProgressBar bars, AtomicLong clock) {
    int batches = 2;
    int k = 2;
    int steps = 3;
    for (int b = 0; b < batches; b++) {
      String network = "network, batch " + (b + 1) + "/" + batches;
      for (int j = 0; j < k; j++) {
        bars.stage(ENCRYPT, b * k + j, batches * k);
        clock.addAndGet(1_000_000_000L);
        bars.stage(ENCRYPT, b * k + j + 1, batches * k);
        for (int s = 1; s <= steps; s++) {
          clock.addAndGet(2_000_000_000L);
          bars.stage(network, j * steps + s, k * steps);
        }
      }
      clock.addAndGet(500_000_000L);
      bars.stage(DECRYPT, b + 1, batches);
    }
  }

  private static List<String> linesAt100(String text, String stage) {
    return Arrays.stream(text.split("\n")).filter(l -> l.startsWith(stage + ": 100%")).toList();
  }

  @Test
  void plainLinesShowEachStageOnceAt100PercentWithItsOwnTime() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong clock = new AtomicLong();
    ProgressBar bars = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 80, clock::get);
    twoBatches(bars, clock);
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertFalse(text.contains("\r") || text.contains("\u001b"), "plain lines only: " + text);
    // Encryption alternates with the network: its own 4 s, not the 28 s from its first report to its last.
    assertEquals(List.of(ENCRYPT + ": 100% (4/4, 4.00 s)"), linesAt100(text, ENCRYPT), text);
    assertEquals(List.of("network, batch 1/2: 100% (6/6, 12.00 s)"), linesAt100(text, "network, batch 1/2"), text);
    assertEquals(List.of("network, batch 2/2: 100% (6/6, 12.00 s)"), linesAt100(text, "network, batch 2/2"), text);
    assertEquals(List.of(DECRYPT + ": 100% (2/2, 1.00 s)"), linesAt100(text, DECRYPT), text);
    for (String line : text.split("\n")) {
      assertTrue(line.matches("(encode \\+ encrypt|network, batch \\d/2|decrypt \\+ decode): \\d+% \\(\\d+/\\d+, \\d+\\.\\d\\d s\\)"), line);
    }
  }

  @Test
  void liveBarsKeepALineEachAndEndAt100Percent() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong clock = new AtomicLong();
    ProgressBar bars = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 100, clock::get);
    twoBatches(bars, clock);
    String text = bytes.toString(StandardCharsets.UTF_8);
    // Four bars (encryption, two network batches, decryption), each opened on a new line; later
    // redraws move the cursor up to their own line and back down, never onto another bar's.
    assertEquals(4, text.chars().filter(c -> c == '\n').count(), text);
    assertTrue(text.contains("\u001b["), "cursor movement expected: " + text);
    for (String stage : List.of(ENCRYPT, "network, batch 1/2", "network, batch 2/2", DECRYPT)) {
      assertTrue(text.matches("(?s).*" + stage.replace("+", "\\+") + " +100%.*"), stage + " never drawn at 100%: " + text);
    }
  }

  /**
   * A real encrypted run of two batches (INSECURE toy ring n = 1024): every stage's last report
   * has done == total, and the plain lines show each stage at 100% exactly once.
   */
  @Test
  void anEncryptedRunTakesEveryStageTo100Percent() throws Exception {
    Path model = Path.of("..", "onnx", "src", "test", "resources", "org", "cryptonets", "onnx", "conv_square_pool.onnx");
    FloatNetwork folded = ModelFiles.load(model).fold();
    IntegerNetwork net = Quantizer.quantize(folded, QuantizationSpec.uniform(4, 8, folded.depth() + 1));
    int count = 1025;
    byte[] pixels = new byte[count * net.inputShape().size()];
    new java.util.Random(7).nextBytes(pixels);
    LabeledImages images = new LabeledImages(net.inputShape(), pixels, new byte[count], net.classes());
    int logitBits = net.measure(images).logitBits();
    CryptoNetPlan real = ParameterPlanner.choose(net, logitBits, ParameterPlanner.plainBitsFor(logitBits)).plan();
    CryptoNetPlan toy = CryptoNetPlan.of(1024, real.coeffPrimeBits(), real.plainPrimeBits(), real.plainPrimeCount(),
        java.util.stream.IntStream.range(0, net.depth()).map(real::levelAfterSquare).toArray(), real.outputLevel(), real.inputLevel());

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressBar bars = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 80, System::nanoTime);
    Map<String, int[]> last = new LinkedHashMap<>();
    try (Backend cpu = Backends.open("cpu")) {
      EncryptedInference.Result r = EncryptedInference.run(cpu, net, toy, toy.parameters(SecurityLevel.NONE), images, count, (stage, done, total) -> {
        last.put(stage, new int[] {done, total});
        bars.stage(stage, done, total);
      });
      assertEquals(2, r.batches);
    }
    assertEquals(List.of(ENCRYPT, "network, batch 1/2", "network, batch 2/2", DECRYPT).stream().sorted().toList(),
        last.keySet().stream().sorted().toList());
    String text = bytes.toString(StandardCharsets.UTF_8);
    for (Map.Entry<String, int[]> e : last.entrySet()) {
      assertEquals(e.getValue()[1], e.getValue()[0], e.getKey() + " ended at " + e.getValue()[0] + " of " + e.getValue()[1]);
      assertEquals(1, linesAt100(text, e.getKey()).size(), e.getKey() + " at 100% once:\n" + text);
    }
  }
}
