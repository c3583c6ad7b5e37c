package org.cryptonets.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.Backends;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The same CryptoNet code on the OpenCL backend: a full batch of real MNIST images through the
 * whole network (every layer, relinearization and modulus switching) decrypts to exactly the clear
 * integer logits, image by image (the CPU backend's runs are checked against the same logits). It
 * runs the default scheme, BGV, with its schedule (squares at the input's level, t-corrected
 * switches in the device's own kernels); BFV's operations are
 * compared across backends one by one in bfv's CrossBackendBfvTest. To fit CI on PoCL (OpenCL on
 * the CPU) it uses INSECURE toy parameters, n = 1024 with the production prime chain
 * (SecurityLevel.NONE); the 128-bit runs are the CPU tests EncryptedInferenceTest (BFV) and
 * BgvCryptoNetTest. Fails rather than skips under CI when OpenCL is missing.
 */
class CrossBackendCryptoNetTest {
  @Test
  void insecureToyBatchIsExactOnOpenClAndCpu() {
    BackendProvider opencl = Backends.providers().stream().filter(p -> p.name().equals("opencl")).findFirst().orElse(null);
    String why = opencl == null ? "no opencl provider on the class path" : opencl.unavailableReason();
    if (why != null) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("OpenCL is required in CI: " + why);
      }
      Assumptions.abort("SKIPPING OpenCL CryptoNet test: " + why);
    }
    ImageDataset data = ImageDataset.obtain(null);
    IntegerNetwork net = IntegerNetwork.loadDefault();
    int valueBits = net.measure(data.test()).maxBits();
    CryptoNetPlan plan = CryptoNetPlan.of(1024, List.of(31, 31, 31, 31, 31, 31, 31), 29, (valueBits + 2 + 27) / 28, new int[] {4, 2}, 2, 6)
        .withScheme(org.cryptonets.bfv.Scheme.BGV);
    BfvParameters toy = plan.parameters(SecurityLevel.NONE);
    try (Backend gpu = Backends.open("opencl")) {
      long start = System.nanoTime();
      EncryptedInference.Result r = EncryptedInference.run(gpu, net, plan, toy, data.test(), 1024, (s, d, t) -> { });
      assertEquals(org.cryptonets.bfv.Scheme.BGV, r.scheme);
      assertEquals(0, r.mismatches, "images whose OpenCL logits differ from the clear integer network");
      for (int i = 0; i < 1024; i++) {
        assertArrayEquals(net.logits(net.quantizeInput(data.test().image(i))), r.logits[i], "image " + i);
      }
      assertEquals(r.correctPlain, r.correctEncrypted);
      assertTrue(r.noiseBudgetMinBits > 0);
      System.out.printf("OpenCL toy batch: network %.1f s (%.1f s total)%n", r.networkSeconds, (System.nanoTime() - start) / 1e9);
    }
  }
}
