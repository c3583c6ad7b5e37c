package org.cryptonets.bench;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.DataOwner;

/**
 * The owner's decryption of one full batch of results, call by call, in a fresh JVM: what
 * {@code demo --repeat K} takes the minimum of, with each call's time shown. The owner decrypts once
 * per batch, so its host loops run while the JIT is still compiling them; the first calls show
 * that, the later ones the work itself.
 *
 * <p>The committed model's parameters (n = 8192, seven 31-bit primes, two 29-bit plaintext primes,
 * BGV). The results are real: 10 ciphertexts per plaintext prime holding signed 30-bit values for
 * 8192 images, encrypted at level 2 and converted and compressed to 2^40 as the cloud returns them.
 * Before the first call one full encryption of 784 ciphertexts at level 6 per plaintext prime runs;
 * without {@code --warm}, neither {@code Backend.warmUp} nor {@code DataOwner.warmUpDecryption} does, so the
 * calls show a cold owner; with it both run first (the owner's with the demo's number of calls), as in the demo before its timed stages.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * org.cryptonets.bench.ResultDecryptionRuns [calls] [--warm]} (calls 1 to 9999, default 8; anything else is refused
 * with exit code 2). Not a library class; throws whatever the engine throws.
 */
public final class ResultDecryptionRuns {
  private ResultDecryptionRuns() {}

  public static void main(String[] args) {
    int calls = 8;
    boolean warm = false;
    List<String> rest = new ArrayList<>(List.of(args));
    if (rest.remove("--warm")) {
      warm = true;
    }
    if (rest.size() > 1 || rest.size() == 1 && !rest.get(0).matches("[1-9][0-9]{0,3}")) {
      System.err.println("error: expected the number of calls (1 to 9999) and optionally --warm; got " + String.join(" ", args));
      System.exit(2);
    }
    if (rest.size() == 1) {
      calls = Integer.parseInt(rest.get(0));
    }
    BfvParameters params = BfvParameters.create(BfvParameterSpec.of(8192, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2));
    int n = params.n();
    int classes = 10;
    SplittableRandom r = new SplittableRandom(2026);
    try (Backend backend = Backends.open();
        DataOwner owner = new DataOwner(params, Scheme.BGV, backend, new SecureRandom());
        BgvEvaluator cloud = new BgvEvaluator(params, backend)) {
      int[][] images = new int[n][784];
      for (int[] image : images) {
        for (int p = 0; p < image.length; p++) {
          image[p] = r.nextInt(256);
        }
      }
      for (int j = 0; j < 2; j++) {
        owner.encryptImages(images, j, 6).close();
      }
      int[][] logits = new int[n][classes];
      for (int[] row : logits) {
        for (int c = 0; c < classes; c++) {
          row[c] = r.nextInt(-(1 << 30), 1 << 30);
        }
      }
      List<CompressedResults> results = new ArrayList<>();
      for (int j = 0; j < 2; j++) {
        try (CiphertextBatch c = owner.encryptImages(logits, j, 2)) {
          results.add(cloud.compressForReturn(c, CryptoNetPlan.resultBits(29)));
        }
      }
      if (warm) {
        backend.warmUp();
        owner.warmUpDecryption(classes, CryptoNetPlan.resultBits(29), org.cryptonets.inference.EncryptedInference.DECRYPTION_WARM_UP_CALLS);
      }
      System.out.println((warm ? "warm owner: " : "cold owner: ") + "decrypt + decode of " + classes + " results x 2 plaintext primes, " + n + " images, " + backend.device() + ", JDK "
          + Runtime.version());
      for (int k = 0; k < calls; k++) {
        long t0 = System.nanoTime();
        DataOwner.Decryption d = owner.decryptResults(results, n, 31);
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean exact = d.trustworthy();
        for (int s = 0; exact && s < n; s++) {
          for (int c = 0; c < classes; c++) {
            exact &= d.longLogits()[s][c] == logits[s][c];
          }
        }
        System.out.printf("call %d: %.4f s%s%n", k + 1, seconds, exact ? "" : "  WRONG RESULTS");
      }
    }
  }
}
