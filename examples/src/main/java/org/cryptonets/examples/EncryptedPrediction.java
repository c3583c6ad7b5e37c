package org.cryptonets.examples;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.RelinearizationKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.DataOwner;
import org.cryptonets.inference.EncryptedCryptoNet;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.net.Quantizer;
import org.cryptonets.onnx.ModelFiles;

/**
 * Encrypted predictions for a model exported to ONNX, with the library alone:
 * {@code EncryptedPrediction MODEL.onnx IDX_FOLDER [IMAGES]}.
 */
public final class EncryptedPrediction {
  public static void main(String[] args) {
    FloatNetwork model = ModelFiles.load(Path.of(args[0])).fold(); // linear layers between squares folded
    ImageDataset data = ImageDataset.load(Path.of(args[1])); // the four IDX files, gzip or not
    int count = args.length > 2 ? Integer.parseInt(args[2]) : 16;

    // Integer weights: the narrowest widths within half a point of the float accuracy.
    LabeledImages calibration = data.train().head(2000);
    IntegerNetwork network = Quantizer.findSmallest(model, calibration, model.accuracy(calibration), 0.005,
        QuantizationSpec.uniform(4, 8, model.depth() + 1), null).network();

    // Parameters for this model: the plaintext primes hold its logits; n, the ciphertext primes
    // and the level schedule follow from its depth and weights, at 128-bit security.
    int logitBits = network.measure(data.test()).logitBits();
    CryptoNetPlan plan = ParameterPlanner.choose(network, logitBits, ParameterPlanner.plainBitsFor(logitBits), Scheme.BGV).plan();
    BfvParameters params = plan.parameters();

    LabeledImages images = data.test().head(count);
    int[][] inputs = new int[count][];
    for (int i = 0; i < count; i++) {
      inputs[i] = network.quantizeInput(images.image(i)); // image i goes to slot i
    }
    try (Backend backend = Backends.open();
        DataOwner owner = new DataOwner(params, plan.scheme(), backend, new SecureRandom()); // holds the secret key
        RelinearizationKeys relinKeys = owner.createRelinearizationKeys();
        BgvEvaluator evaluator = new BgvEvaluator(params, backend)) {
      // The cloud's side sees the parameters, the relinearization keys and the model: no secret key.
      EncryptedCryptoNet cloud = new EncryptedCryptoNet(params, evaluator, relinKeys, network, plan);
      List<CompressedResults> results = new ArrayList<>();
      for (int j = 0; j < params.plainModuli().size(); j++) { // one pass per plaintext prime
        try (CiphertextBatch encrypted = owner.encryptImages(inputs, j, plan.inputLevel())) {
          results.add(cloud.evaluateForReturn(encrypted, (step, prime, seconds) -> { }, CryptoNetPlan.resultBits(plan.plainPrimeBits())));
        }
      }
      DataOwner.Decryption decrypted = owner.decryptResults(results, count, logitBits);
      int[] predictions = decrypted.predictions();
      for (int i = 0; i < count; i++) {
        BigInteger[] clear = network.logits(inputs[i]);
        System.out.printf("image %d: predicted %d, label %d, equal to the clear integer network: %s%n", i, predictions[i], images.label(i),
            Arrays.equals(clear, decrypted.logits()[i]) ? "yes" : "NO");
      }
      System.out.println("decryption check " + (decrypted.trustworthy() ? "passed" : "FAILED") + "; noise budget left "
          + decrypted.minNoiseBudget() + " bits");
    }
  }
}
