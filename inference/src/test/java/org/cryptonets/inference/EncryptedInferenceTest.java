package org.cryptonets.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.Test;

/**
 * The main job's correctness claim: a full batch of 8192 real MNIST test images, encrypted under
 * 128-bit parameters and run through the CryptoNet on ciphertexts, decrypts to exactly the logits
 * of the integer network computed in the clear, for every image and class.
 */
class EncryptedInferenceTest {
  @Test
  void fullBatchDecryptsToTheClearIntegerLogits() {
    ImageDataset data = ImageDataset.obtain(null);
    IntegerNetwork net = IntegerNetwork.loadDefault();
    int valueBits = net.measure(data.test()).maxBits();
    CryptoNetPlan plan = CryptoNetPlan.forValueBits(valueBits, 29);
    try (Backend backend = Backends.open("cpu")) {
      EncryptedInference.Result r = EncryptedInference.run(backend, net, plan, data.test(), 8192, (s, d, t) -> { });
      assertEquals(8192, r.images);
      assertEquals(1, r.batches);
      assertEquals(0, r.mismatches, "images whose decrypted logits differ from the clear integer network");
      for (int i = 0; i < 8192; i++) {
        java.math.BigInteger[] expected = net.logits(net.quantizeInput(data.test().image(i)));
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, r.logits[i], "image " + i);
      }
      assertEquals(r.correctPlain, r.correctEncrypted);
      assertTrue(r.accuracyEncrypted() >= 0.985, "accuracy " + r.accuracyEncrypted());
      assertTrue(r.noiseBudgetMinBits > 0, "noise budget " + r.noiseBudgetMinBits);
      assertTrue(r.parameters.coeffBasis().productBits() <= 218, "log2 Q within the 128-bit bound");
      assertTrue(r.uploadBytes > 0 && r.downloadBytes > 0);
      System.out.printf("full batch: network %.1f s, encode+encrypt %.1f s, noise budget %d bits%n", r.networkSeconds, r.encodeEncryptSeconds,
          r.noiseBudgetMinBits);
    }
  }
}
