package org.cryptonets.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code demo --repeat K}: every stage runs K times on the same batches, the last results are
 * decrypted and checked, and each stage reports its minimum and median. INSECURE toy parameters
 * (n = 1024, SecurityLevel.NONE) keep it fast; the scheme (BGV, the default) and the arithmetic are the
 * production schedule's.
 */
class RepeatedRunTest {
  @Test
  void twoRunsAreExactAndReportMinimumAtMostMedian() {
    ImageDataset data = ImageDataset.obtain(null);
    IntegerNetwork net = IntegerNetwork.loadDefault();
    int valueBits = net.measure(data.test()).maxBits();
    CryptoNetPlan plan = CryptoNetPlan.of(1024, List.of(31, 31, 31, 31, 31, 31, 31), 29, (valueBits + 2 + 27) / 28, new int[] {4, 2}, 2, 6)
        .withScheme(org.cryptonets.bfv.Scheme.BGV);
    BfvParameters toy = plan.parameters(SecurityLevel.NONE);
    try (Backend cpu = Backends.open("cpu")) {
      EncryptedInference.Result r = EncryptedInference.run(cpu, net, plan, toy, data.test(), 300, 2, (s, d, t) -> { });
      assertEquals(0, r.mismatches, "images whose decrypted logits differ from the clear integer network");
      assertEquals(2, r.repeats);
      assertEquals(r.correctPlain, r.correctEncrypted);
      assertEquals(EncryptedInference.STAGES, List.copyOf(r.stageMedianSeconds.keySet()));
      assertTrue(r.encodeEncryptSeconds > 0 && r.encodeEncryptSeconds <= r.stageMedianSeconds.get("encode_encrypt"));
      assertTrue(r.networkSeconds > 0 && r.networkSeconds <= r.stageMedianSeconds.get("network"));
      assertTrue(r.decryptSeconds > 0 && r.decryptSeconds <= r.stageMedianSeconds.get("decrypt_decode"));
      assertEquals(r.stepSeconds.keySet(), r.stepMedianSeconds.keySet());
      for (Map.Entry<String, Double> e : r.stepSeconds.entrySet()) {
        assertTrue(e.getValue() >= 0 && e.getValue() <= r.stepMedianSeconds.get(e.getKey()), e.getKey());
      }
      // the upload is counted once per batch, not once per repeat
      long perPrime = (long) toy.n() * 784 * 31 * plan.inputLevel() / 8 + 32;
      assertEquals(toy.plainModuli().size() * perPrime, r.uploadBytes);
      assertThrows(IllegalArgumentException.class, () -> EncryptedInference.run(cpu, net, plan, toy, data.test(), 300, 0, (s, d, t) -> { }));
    }
  }

  @ParameterizedTest
  @CsvSource({"'5', 5, 5", "'3 1 2', 1, 2", "'4 1 3 2', 1, 2.5", "'2 2 9', 2, 2"})
  void minimumAndMedian(String values, double min, double median) {
    double[] v = java.util.Arrays.stream(values.split(" ")).mapToDouble(Double::parseDouble).toArray();
    assertEquals(min, EncryptedInference.min(v));
    assertEquals(median, EncryptedInference.median(v));
  }
}
