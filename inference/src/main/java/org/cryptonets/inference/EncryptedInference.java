package org.cryptonets.inference;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.CrtComposer;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.HomomorphicEvaluator;
import org.cryptonets.bfv.RelinearizationKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.engine.Backend;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.net.IntegerNetwork;

/**
 * One end-to-end encrypted evaluation, as the paper measures it: key generation, encode and
 * encrypt each batch of images on the data owner's side, the network on ciphertexts on the cloud
 * side, decrypt and decode back on the owner's side; then every decrypted logit is compared with
 * the integer network computed in the clear.
 *
 * <p>Out-of-range images (a clear logit beyond the plaintext range) are listed by index in the
 * result and counted as mismatches if their decryption differs: the CRT lift of such a logit is
 * not the true value, so it is never passed off as one.
 *
 * <p>Stateless; each call is independent. Throws what the layers below throw.
 */
public final class EncryptedInference {
  /** Progress callbacks for long steps. */
  public interface Progress {
    void stage(String stage, int done, int total);
  }

  /** What a run measured. Times in seconds. A value holder: not thread-safe. */
  public static final class Result {
    public String backend;
    public String device;
    /** The scheme the network ran under. */
    public Scheme scheme = Scheme.BFV;
    public BfvParameters parameters;
    public CryptoNetPlan plan;
    public int images;
    public int batches;
    public int correctPlain;
    public int correctEncrypted;
    /** Images whose decrypted residues or logits differ from the clear integer network's. */
    public int mismatches;
    /** Images whose clear logits leave the plaintext range (reported, never trusted). */
    public final List<Integer> outOfRange = new ArrayList<>();
    public double keygenSeconds;
    public double encodeEncryptSeconds;
    public double networkSeconds;
    public double decryptSeconds;
    /** The owner's untimed decryption warm-up before the first batch ({@link DataOwner#warmUpDecryption}). */
    public double decryptWarmUpSeconds;
    public final Map<String, Double> stepSeconds = new LinkedHashMap<>();
    public long uploadBytes;
    public long downloadBytes;
    public long relinKeyBytes;
    public int noiseBudgetMinBits = Integer.MAX_VALUE;
    /** Smallest noise budget of the relinearized results before the switch to 2^b (first batch). */
    public int noiseBudgetBeforeCompressionBits = Integer.MAX_VALUE;
    /** Bits of the largest |logit| over the evaluated images, in the clear. */
    public int logitBits;
    /** {@code logits[image][class]} as decrypted. */
    public BigInteger[][] logits;
    /** How many times each stage ran on the same batches; the seconds fields keep the minimum. */
    public int repeats = 1;
    /** Median over the repeats of encode + encrypt, network and decrypt + decode, by {@link #STAGES} name. */
    public final Map<String, Double> stageMedianSeconds = new LinkedHashMap<>();
    /** Median over the repeats of each network step, same keys as {@link #stepSeconds}. */
    public final Map<String, Double> stepMedianSeconds = new LinkedHashMap<>();

    public double accuracyPlain() {
      return images == 0 ? 0 : (double) correctPlain / images;
    }

    public double accuracyEncrypted() {
      return images == 0 ? 0 : (double) correctEncrypted / images;
    }
  }

  /** Names of the owner's and the cloud's stages in {@link Result#stageMedianSeconds}. */
  public static final List<String> STAGES = List.of("encode_encrypt", "network", "decrypt_decode");

  /** The cloud's last step: relinearize the results and switch them to 2^bits for sending. */
  public static final String RESULT_STEP = EncryptedCryptoNet.RESULT_STEP;

  /**
   * Warm-up decryptions before the timed ones: after 20, one call took 0.006-0.012 s on the 2-core
   * development machine, against 0.02-0.04 s for the first calls after 3 (BENCHMARKS.md).
   */
  public static final int DECRYPTION_WARM_UP_CALLS = 20;

  private EncryptedInference() {}

  /** Bits on the wire for a seeded batch: the c0 halves at the batch's level plus the seed. */
  static long seededBits(BfvParameters params, CiphertextBatch batch) {
    long bitsPerCoefficient = 0;
    for (int i = 0; i < batch.level(); i++) {
      bitsPerCoefficient += params.coeffBasis().modulus(i).bits();
    }
    return (long) batch.count() * params.n() * bitsPerCoefficient + 8L * 32;
  }

  /** Runs the first {@code images} images of {@code split} in batches of n, under the plan's 128-bit parameters. */
  public static Result run(Backend backend, IntegerNetwork network, CryptoNetPlan plan, LabeledImages split, int images, Progress progress) {
    return run(backend, network, plan, plan.parameters(), split, images, progress);
  }

  /**
   * As above with explicit parameters (tests use insecure toy ones to run the network on PoCL).
   *
   * @throws IllegalArgumentException if the images do not fit the network or the count is out of range
   */
  public static Result run(
      Backend backend, IntegerNetwork network, CryptoNetPlan plan, BfvParameters params, LabeledImages split, int images, Progress progress) {
    return run(backend, network, plan, params, split, images, 1, progress);
  }

  /**
   * As above, each stage run {@code repeats} times on the same batches: every encryption, every
   * network evaluation (on the same encrypted batch) and every decryption is repeated, the result
   * of the last one is kept and checked, and each stage's and step's seconds are the minimum over
   * the repeats, with the median beside it (one noisy run on a VM decides nothing).
   *
   * @throws IllegalArgumentException if the images do not fit the network, or a count is out of range
   */
  public static Result run(Backend backend, IntegerNetwork network, CryptoNetPlan plan, BfvParameters params, LabeledImages split, int images,
      int repeats, Progress progress) {
    if (repeats < 1) {
      throw new IllegalArgumentException(repeats + " repeats; at least 1");
    }
    if (images < 1 || images > split.size()) {
      throw new IllegalArgumentException(images + " images requested; the data set has " + split.size());
    }
    if (split.imageSize() != network.inputShape().size()) {
      throw new IllegalArgumentException("the model expects " + network.inputShape() + " inputs, the images are " + split.shape());
    }
    Result r = new Result();
    r.backend = backend.name();
    r.device = backend.device();
    r.plan = plan;
    r.images = images;
    r.parameters = params;
    int n = params.n();
    int k = params.plainModuli().size();
    // The clear-text reference: exact logits, the residues each plaintext prime must decrypt to,
    // and the range check that makes the CRT lift trustworthy.
    int[][] quantized = new int[images][];
    BigInteger[][] expected = new BigInteger[images][];
    long[][][] expectedResidues = new long[images][k][];
    IntStream.range(0, images).parallel().forEach(i -> {
      quantized[i] = network.quantizeInput(split.image(i));
      expected[i] = network.logits(quantized[i]);
      for (int j = 0; j < k; j++) {
        expectedResidues[i][j] = network.forwardModulo(quantized[i], params.plainModulus(j).value());
      }
    });
    int capacity = new CrtComposer(params).capacityBits();
    for (int i = 0; i < images; i++) {
      int bits = IntegerNetwork.bits(expected[i]);
      r.logitBits = Math.max(r.logitBits, bits);
      if (bits >= capacity) {
        r.outOfRange.add(i);
      }
      if (IntegerNetwork.predict(expected[i]) == split.label(i)) {
        r.correctPlain++;
      }
    }
    long t0 = System.nanoTime();
    Scheme scheme = plan.scheme();
    r.scheme = scheme;
    DataOwner owner = new DataOwner(params, scheme, backend, new SecureRandom());
    RelinearizationKeys relinKeys = owner.createRelinearizationKeys();
    r.keygenSeconds = (System.nanoTime() - t0) / 1e9;
    r.relinKeyBytes = relinKeys.serializedBytes();
    HomomorphicEvaluator cloudSide = scheme == Scheme.BGV ? new BgvEvaluator(params, backend) : new Evaluator(params, backend);
    EncryptedCryptoNet net = new EncryptedCryptoNet(params, cloudSide, relinKeys, network, plan);
    r.logits = new BigInteger[images][];
    r.repeats = repeats;
    double[] encryptRuns = new double[repeats];
    double[] networkRuns = new double[repeats];
    double[] decryptRuns = new double[repeats];
    Map<String, double[]> stepRuns = new LinkedHashMap<>();
    for (String s : net.stepNames()) {
      stepRuns.put(s, new double[repeats]);
    }
    int batches = (images + n - 1) / n;
    r.batches = batches;
    int resultBits = CryptoNetPlan.resultBits(maxPlainBits(params));
    try (owner; relinKeys; cloudSide) {
      // Untimed, reported apart: decryptions of random results of the real shape, so that the timed
      // decryptions below run compiled code rather than partly interpreted code (the backend's
      // kernels were warmed by the caller). Not for one-shot owners (see warmUpDecryption).
      long w0 = System.nanoTime();
      owner.warmUpDecryption(network.classes(), resultBits, DECRYPTION_WARM_UP_CALLS);
      r.decryptWarmUpSeconds = (System.nanoTime() - w0) / 1e9;
      for (int b = 0; b < batches; b++) {
        int first = b * n;
        int count = Math.min(n, images - first);
        int[][] batchImages = new int[count][];
        System.arraycopy(quantized, first, batchImages, 0, count);
        // Each plaintext prime's part is encrypted, sent and evaluated in turn, so only one part
        // of the upload is held at a time (the k parts are independent ciphertexts).
        List<CompressedResults> outputs = new ArrayList<>();
        int steps = net.stepNames().size();
        final int batchNumber = b + 1;
        for (int j = 0; j < k; j++) {
          CiphertextBatch input = null;
          for (int rep = 0; rep < repeats; rep++) {
            progress.stage("encode + encrypt", (b * k + j) * repeats + rep, batches * k * repeats);
            if (input != null) {
              input.close();
            }
            long e0 = System.nanoTime();
            // What the owner sends: the c0 halves switched down to the plan's input level, plus the
            // seed from which the cloud regenerates (and switches) the c1 halves.
            input = owner.encryptImages(batchImages, j, plan.inputLevel());
            backend.synchronize();
            encryptRuns[rep] += (System.nanoTime() - e0) / 1e9;
          }
          progress.stage("encode + encrypt", (b * k + j + 1) * repeats, batches * k * repeats);
          r.uploadBytes += (seededBits(params, input) + 7) / 8;
          final int jj = j;
          CompressedResults output = null;
          for (int rep = 0; rep < repeats; rep++) {
            final int run = rep;
            int[] done = {0};
            long n0 = System.nanoTime();
            output = net.evaluateForReturn(input, (name, plainIndex, seconds) -> {
              stepRuns.get(name)[run] += seconds;
              done[0]++;
              progress.stage("network, batch " + batchNumber + "/" + batches, (jj * repeats + run) * steps + done[0], k * steps * repeats);
            }, resultBits, b > 0 || rep > 0 ? null : relinearized -> r.noiseBudgetBeforeCompressionBits = Math.min(r.noiseBudgetBeforeCompressionBits,
                owner.minNoiseBudget(relinearized)));
            networkRuns[rep] += (System.nanoTime() - n0) / 1e9;
          }
          outputs.add(output);
          input.close();
        }
        for (CompressedResults out : outputs) {
          r.downloadBytes += ((long) out.count() * 2 * n * out.ciphertexts().bits() + 7) / 8;
        }
        DataOwner.Decryption d = null;
        for (int rep = 0; rep < repeats; rep++) {
          long d0 = System.nanoTime();
          d = owner.decryptResults(outputs, count, capacity - 1);
          decryptRuns[rep] += (System.nanoTime() - d0) / 1e9;
        }
        r.noiseBudgetMinBits = Math.min(r.noiseBudgetMinBits, d.minNoiseBudget());
        for (int s = 0; s < count; s++) {
          int i = first + s;
          r.logits[i] = d.logits()[s];
          boolean same = Arrays.equals(d.logits()[s], expected[i]);
          for (int j = 0; j < k; j++) {
            for (int c = 0; c < expectedResidues[i][j].length; c++) {
              same &= d.residues()[j][c][s] == expectedResidues[i][j][c];
            }
          }
          if (!same) {
            r.mismatches++;
          }
          if (IntegerNetwork.predict(d.logits()[s]) == split.label(i)) {
            r.correctEncrypted++;
          }
        }
        progress.stage("decrypt + decode", b + 1, batches);
      }
    }
    r.encodeEncryptSeconds = min(encryptRuns);
    r.networkSeconds = min(networkRuns);
    r.decryptSeconds = min(decryptRuns);
    r.stageMedianSeconds.put(STAGES.get(0), median(encryptRuns));
    r.stageMedianSeconds.put(STAGES.get(1), median(networkRuns));
    r.stageMedianSeconds.put(STAGES.get(2), median(decryptRuns));
    for (Map.Entry<String, double[]> e : stepRuns.entrySet()) {
      r.stepSeconds.put(e.getKey(), min(e.getValue()));
      r.stepMedianSeconds.put(e.getKey(), median(e.getValue()));
    }
    return r;
  }

  static double min(double[] v) {
    return Arrays.stream(v).min().orElseThrow();
  }

  /** The median (the mean of the two middle values for an even count). */
  static double median(double[] v) {
    double[] sorted = v.clone();
    Arrays.sort(sorted);
    int m = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }

  static int maxPlainBits(BfvParameters params) {
    int bits = 0;
    for (org.cryptonets.engine.Modulus t : params.plainModuli()) {
      bits = Math.max(bits, t.bits());
    }
    return bits;
  }
}
