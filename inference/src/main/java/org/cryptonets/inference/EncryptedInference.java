package org.cryptonets.inference;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.engine.Backend;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.net.IntegerNetwork;

/**
 * One end-to-end encrypted evaluation, as the paper measures it: key generation, encode and
 * encrypt each batch of images on the data owner's side, the network on ciphertexts on the cloud
 * side, decrypt and decode back on the owner's side; then every decrypted logit is compared with
 * the integer network computed in the clear.
 *
 * <p>Stateless; each call is independent. Throws what the layers below throw.
 */
public final class EncryptedInference {
  /** Progress callbacks for long steps. */
  public interface Progress {
    void stage(String stage, int done, int total);
  }

  /** What a run measured. Times in seconds. */
  public static final class Result {
    public String backend;
    public String device;
    public BfvParameters parameters;
    public CryptoNetPlan plan;
    public int images;
    public int batches;
    public int correctPlain;
    public int correctEncrypted;
    public int mismatches;
    public double keygenSeconds;
    public double encodeEncryptSeconds;
    public double networkSeconds;
    public double decryptSeconds;
    public final Map<String, Double> stepSeconds = new LinkedHashMap<>();
    public long uploadBytes;
    public long downloadBytes;
    public long relinKeyBytes;
    public int noiseBudgetMinBits = Integer.MAX_VALUE;
    public int maxValueBits;
    public long[][] logits;

    public double accuracyPlain() {
      return images == 0 ? 0 : (double) correctPlain / images;
    }

    public double accuracyEncrypted() {
      return images == 0 ? 0 : (double) correctEncrypted / images;
    }
  }

  /** The cloud's last step: relinearize the results and switch them to 2^bits for sending. */
  public static final String RESULT_STEP = "relinearize + compress results";

  private EncryptedInference() {}

  /** Bits on the wire for a seeded batch: the c0 halves at the batch's level plus the seed. */
  static long seededBits(BfvParameters params, CiphertextBatch batch) {
    long bitsPerCoefficient = 0;
    for (int i = 0; i < batch.level(); i++) {
      bitsPerCoefficient += params.coeffBasis().modulus(i).bits();
    }
    return (long) batch.count() * params.n() * bitsPerCoefficient + 8L * 32;
  }

  /**
   * Runs {@code images} test images (the first ones of {@code split}) in batches of n.
   *
   * @throws IllegalStateException if the plan's plaintext range cannot hold an intermediate value
   *     of these images (the CRT would wrap and results would be wrong)
   */
  public static Result run(Backend backend, IntegerNetwork network, CryptoNetPlan plan, LabeledImages split, int images, Progress progress) {
    return run(backend, network, plan, plan.parameters(), split, images, progress);
  }

  /** As above with explicit parameters (tests use insecure toy ones to run the network on PoCL). */
  public static Result run(
      Backend backend, IntegerNetwork network, CryptoNetPlan plan, BfvParameters params, LabeledImages split, int images, Progress progress) {
    if (images < 1 || images > split.size()) {
      throw new IllegalArgumentException(images + " images requested; the data set has " + split.size());
    }
    Result r = new Result();
    r.backend = backend.name();
    r.device = backend.device();
    r.plan = plan;
    r.images = images;
    r.parameters = params;
    int n = params.n();
    // The clear-text reference, and the range check that makes the CRT result trustworthy.
    int[][] quantized = new int[images][];
    long[][] expected = new long[images][];
    long[] maxAbs = new long[1];
    IntStream.range(0, images).parallel().forEach(i -> quantized[i] = network.quantizeInput(split.image(i)));
    IntStream.range(0, images).parallel().forEach(i -> expected[i] = network.forward(quantized[i]));
    IntegerNetwork.Measurement m = network.measure(split.head(images));
    r.maxValueBits = m.maxBits();
    int capacity = new org.cryptonets.bfv.CrtComposer(params).capacityBits();
    if (r.maxValueBits >= capacity) {
      throw new IllegalStateException("intermediate values need " + r.maxValueBits + " bits but the plaintext primes hold " + (capacity - 1)
          + "; use more or larger plaintext primes");
    }
    for (int i = 0; i < images; i++) {
      if (IntegerNetwork.predict(expected[i]) == split.label(i)) {
        r.correctPlain++;
      }
    }
    long t0 = System.nanoTime();
    DataOwner owner = new DataOwner(params, backend, new SecureRandom());
    RelinKeys relinKeys = owner.createRelinKeys();
    r.keygenSeconds = (System.nanoTime() - t0) / 1e9;
    r.relinKeyBytes = relinKeys.serializedBytes();
    Evaluator cloudSide = new Evaluator(params, backend);
    EncryptedCryptoNet net = new EncryptedCryptoNet(params, cloudSide, relinKeys, network, plan);
    for (String s : net.stepNames()) {
      r.stepSeconds.put(s, 0.0);
    }
    r.stepSeconds.put(RESULT_STEP, 0.0);
    r.logits = new long[images][];
    int batches = (images + n - 1) / n;
    r.batches = batches;
    try (owner; relinKeys; cloudSide) {
      for (int b = 0; b < batches; b++) {
        int first = b * n;
        int count = Math.min(n, images - first);
        int[][] batchImages = new int[count][];
        System.arraycopy(quantized, first, batchImages, 0, count);
        // Each plaintext prime's part is encrypted, sent and evaluated in turn, so only one part
        // of the upload is held at a time (the k parts are independent ciphertexts).
        List<CompressedCiphertexts> outputs = new ArrayList<>();
        int k = params.plainModuli().size();
        int steps = net.stepNames().size();
        final int batchNumber = b + 1;
        for (int j = 0; j < k; j++) {
          progress.stage("encode + encrypt", b * k + j, batches * k);
          long e0 = System.nanoTime();
          // What the owner sends: the c0 halves switched down to the plan's input level, plus the
          // seed from which the cloud regenerates (and switches) the c1 halves.
          CiphertextBatch input = owner.encryptImages(batchImages, j, plan.inputLevel());
          backend.synchronize();
          r.encodeEncryptSeconds += (System.nanoTime() - e0) / 1e9;
          r.uploadBytes += (seededBits(params, input) + 7) / 8;
          final int jj = j;
          int[] done = {0};
          long n0 = System.nanoTime();
          try (CiphertextBatch logits = net.evaluate(input, (name, plainIndex, seconds) -> {
            r.stepSeconds.merge(name, seconds, Double::sum);
            done[0]++;
            progress.stage("network, batch " + batchNumber + "/" + batches, jj * steps + done[0], k * steps);
          })) {
            // The trip back: relinearize the results where the noise allows, then switch them to
            // a small power-of-two modulus.
            long c0 = System.nanoTime();
            try (CiphertextBatch relinearized = cloudSide.relinearize(logits, relinKeys)) {
              outputs.add(CompressedCiphertexts.compress(relinearized, CryptoNetPlan.resultBits(params.plainModulus(j).bits())));
            }
            r.stepSeconds.merge(RESULT_STEP, (System.nanoTime() - c0) / 1e9, Double::sum);
          }
          r.networkSeconds += (System.nanoTime() - n0) / 1e9;
          input.close();
        }
        for (CompressedCiphertexts out : outputs) {
          r.downloadBytes += ((long) out.count() * 2 * n * out.bits() + 7) / 8;
        }
        long d0 = System.nanoTime();
        long[][] logits = owner.decryptCompressedLogits(outputs, count);
        r.decryptSeconds += (System.nanoTime() - d0) / 1e9;
        r.noiseBudgetMinBits = Math.min(r.noiseBudgetMinBits, owner.minCompressedNoiseBudget(outputs));
        for (int s = 0; s < count; s++) {
          r.logits[first + s] = logits[s];
          if (!java.util.Arrays.equals(logits[s], expected[first + s])) {
            r.mismatches++;
          }
          if (IntegerNetwork.predict(logits[s]) == split.label(first + s)) {
            r.correctEncrypted++;
          }
        }
        progress.stage("decrypt + decode", b + 1, batches);
      }
    }
    return r;
  }
}
