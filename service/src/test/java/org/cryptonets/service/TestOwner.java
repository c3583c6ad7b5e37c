package org.cryptonets.service;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.DataOwner;
import org.cryptonets.inference.parties.EncryptedImagesFile;
import org.cryptonets.inference.parties.EncryptedResultsFile;
import org.cryptonets.inference.parties.EvaluationKeysFile;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.IntegerNetwork;

/**
 * A data owner for the service's tests, on INSECURE toy parameters (n = 1024 or 2048 with the real
 * seven 31-bit primes and two 29-bit plaintext primes, SecurityLevel.NONE), as the app's
 * TwoPartyFlowTest uses: keys for the {@link TinyModel} (or another plan), encrypted images,
 * decryption.
 *
 * <p>Not thread-safe; one per thread.
 */
final class TestOwner implements AutoCloseable {
  final BfvParameters params;
  final TwoPartyPlan plan;
  final IntegerNetwork network;
  final Path evaluationKeys;
  private final KeyGenerator keys;
  private final Backend backend;

  static BfvParameters toyParameters(int n) {
    BfvParameterSpec s = BfvParameterSpec.of(n, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2);
    s.security = SecurityLevel.NONE;
    return BfvParameters.create(s);
  }

  /** The tiny model's plan under {@code params}, recording {@code modelSha256} as the keys' model. */
  static TwoPartyPlan plan(BfvParameters params, String modelSha256) {
    CryptoNetPlan schedule = CryptoNetPlan.of(params.n(), List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, new int[] {5}, 3);
    return TwoPartyPlan.of(params, schedule, TinyModel.VALUE_BITS, TinyModel.FILE_NAME, modelSha256, TinyModel.WIDTHS);
  }

  /** An owner of keys for {@code model}, written to {@code dir}/evaluation.keys. */
  TestOwner(Path dir, Backend backend, int n, TinyModel model) throws Exception {
    this.backend = backend;
    this.params = toyParameters(n);
    this.plan = plan(params, model.sha256);
    this.network = model.network;
    this.keys = new KeyGenerator(params, backend);
    Files.createDirectories(dir);
    this.evaluationKeys = dir.resolve("evaluation.keys");
    writeKeys(evaluationKeys, plan);
  }

  /** The evaluation keys again, with another plan (another model, say). */
  void writeKeys(Path file, TwoPartyPlan otherPlan) {
    try (RelinKeys rk = keys.createRelinKeys(); PublicKey pk = keys.createPublicKey()) {
      EvaluationKeysFile.write(file, params, otherPlan, rk, pk);
    }
  }

  /** Encrypts the images into an upload file. */
  Path encrypt(int[][] images, int first, Path file) {
    try (EncryptedImagesFile.Writer w = new EncryptedImagesFile.Writer(file, params, images.length, images[0].length, first);
        DataOwner owner = new DataOwner(params, backend, keys.secretKey())) {
      for (int j = 0; j < params.plainModuli().size(); j++) {
        try (CiphertextBatch b = owner.encryptImages(images, j, plan.inputLevel())) {
          w.write(b, b.seed());
        }
      }
      w.commit();
    }
    return file;
  }

  /** Decrypted logits of a results file; fails unless the decryption checks pass. */
  BigInteger[][] decrypt(Path results) {
    EncryptedResultsFile.Contents c = EncryptedResultsFile.read(results, params);
    try (DataOwner owner = new DataOwner(params, backend, keys.secretKey())) {
      DataOwner.Decryption d = owner.decryptResults(c.results(), c.images(), plan.valueBits());
      if (!d.trustworthy()) {
        throw new AssertionError("decryption check failed: noise budget " + d.minNoiseBudget() + ", out of range " + d.outOfRange());
      }
      return d.logits();
    }
  }

  /** Number of images whose decrypted logits differ from the clear integer network's. */
  int mismatches(BigInteger[][] logits, int[][] images) {
    int bad = 0;
    for (int s = 0; s < Math.min(images.length, logits.length); s++) {
      if (!java.util.Arrays.equals(network.logits(images[s]), logits[s])) {
        bad++;
      }
    }
    return bad + Math.abs(logits.length - images.length);
  }

  @Override
  public void close() {
    keys.secretKey().close();
  }
}
