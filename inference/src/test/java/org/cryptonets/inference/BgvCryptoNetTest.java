package org.cryptonets.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.Test;

/**
 * The committed MNIST CryptoNet under BGV at real 128-bit parameters (the planner's BGV schedule,
 * n = 8192): one full batch of 8192 slots, ciphertexts in NTT form throughout, decrypts to exactly
 * the logits of the clear integer network for every checked image and class, with a positive noise
 * budget, and the step names the demo's tables use are the ones reported.
 */
class BgvCryptoNetTest {
  @Test
  void fullBatchUnderBgvDecryptsToTheClearIntegerLogits() {
    ImageDataset data = ImageDataset.obtain(null);
    IntegerNetwork net = IntegerNetwork.loadDefault();
    int logitBits = net.measure(data.test()).logitBits();
    ParameterPlanner.Choice choice = ParameterPlanner.choose(net, logitBits, ParameterPlanner.plainBitsFor(logitBits), Scheme.BGV);
    CryptoNetPlan plan = choice.plan();
    assertEquals(Scheme.BGV, plan.scheme());
    try (Backend cpu = Backends.open("cpu")) {
      EncryptedInference.Result r = EncryptedInference.run(cpu, net, plan, data.test(), 1000, (s, d, t) -> { });
      assertEquals(Scheme.BGV, r.scheme);
      assertEquals(0, r.mismatches, "images whose decrypted logits differ from the clear integer network");
      for (int i = 0; i < 1000; i++) {
        BigInteger[] expected = net.logits(net.quantizeInput(data.test().image(i)));
        assertArrayEquals(expected, r.logits[i], "image " + i);
      }
      assertTrue(r.noiseBudgetMinBits > 0, "noise budget after compression " + r.noiseBudgetMinBits);
      assertTrue(r.noiseBudgetBeforeCompressionBits >= choice.estimatedBudgetBits() - 4,
          "measured " + r.noiseBudgetBeforeCompressionBits + " bits, estimated " + choice.estimatedBudgetBits());
      assertTrue(r.stepSeconds.containsKey("modulus switch") && r.stepSeconds.containsKey("relinearize"), r.stepSeconds.toString());
      System.out.printf("BGV batch: network %.1f s (%s), encode+encrypt %.1f s, budget %d bits before compression (estimated %d)%n", r.networkSeconds,
          r.stepSeconds, r.encodeEncryptSeconds, r.noiseBudgetBeforeCompressionBits, choice.estimatedBudgetBits());
    }
  }
}
