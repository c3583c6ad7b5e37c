package org.cryptonets.inference.parties;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.HomomorphicEvaluator;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;
import org.cryptonets.inference.EncryptedCryptoNet;
import org.cryptonets.net.IntegerNetwork;

/**
 * The cloud's whole job on files: an evaluation-keys file, an encrypted-images file and a model in,
 * an encrypted-results file out. The {@code infer} command, the service and the Spark job all run
 * a batch through {@link #run}. It holds the evaluation keys and the owner's ciphertexts and
 * nothing else: it references no secret-key type (a test reads the class files to keep it so).
 *
 * <p>The plan comes from the evaluation-keys file; each plaintext prime's batch is evaluated, its
 * logits relinearized at the output level and switched to the small result modulus, and the results
 * file is written (through a temporary file, moved into place) only once every batch has been
 * evaluated, so no partial result is ever visible.
 *
 * <p>Stateless; thread-safe for calls with distinct result files. Throws
 * {@link SerializationException} for malformed, damaged or mismatched input files (ciphertexts under
 * other parameters, a file of the wrong kind, ciphertexts at another level than the plan's).
 */
public final class CloudInference {
  private CloudInference() {}

  /** Sizes and time of one run. Immutable. */
  public record Result(int images, int first, int slots, long uploadBytes, long downloadBytes, double seconds, BfvParameters parameters) {}

  /**
   * Evaluates {@code network} on the images file with the keys file's evaluation keys and writes
   * the results file.
   *
   * @param network the integer network the keys were made for (see {@link org.cryptonets.inference.LoadedModel#forPlan})
   * @param progress receives one line per plaintext prime and warnings (test parameters)
   */
  public static Result run(Path keysFile, Path imagesFile, Path resultsFile, IntegerNetwork network, Backend backend, Consumer<String> progress) {
    long start = System.nanoTime();
    int images;
    int first;
    long uploadBytes;
    BfvParameters params;
    List<CompressedResults> results = new ArrayList<>();
    try (EvaluationKeysFile.Contents keys = EvaluationKeysFile.read(keysFile, backend, true);
        HomomorphicEvaluator evaluator = keys.plan().scheme() == Scheme.BGV ? new BgvEvaluator(keys.parameters(), backend)
            : new Evaluator(keys.parameters(), backend)) {
      params = keys.parameters();
      TwoPartyPlan plan = keys.plan();
      if (params.security().bits() < 128) {
        progress.accept("warning: the owner's parameters are not 128-bit secure (" + params.security() + "): test parameters");
      }
      int pixels = network.inputShape().size();
      EncryptedCryptoNet net = new EncryptedCryptoNet(params, evaluator, keys.relinKeys(), network, plan.toCryptoNetPlan(params));
      try (EncryptedImagesFile.Reader reader = new EncryptedImagesFile.Reader(imagesFile, params, pixels, plan.scheme())) {
        images = reader.images();
        first = reader.first();
        uploadBytes = reader.size();
        for (int j = 0; j < params.plainModuli().size(); j++) {
          long t0 = System.nanoTime();
          long read;
          try (CiphertextBatch input = reader.next(backend)) {
            read = System.nanoTime();
            if (input.level() != plan.inputLevel()) {
              throw new SerializationException(SerializationException.Code.INVALID_FIELD, imagesFile + ": ciphertexts at level " + input.level()
                  + "; the plan in " + keysFile + " expects level " + plan.inputLevel());
            }
            // The inputs arrive in NTT form, encrypted directly at the input level: the first layer
            // runs in NTT form and its outputs enter the squares' base extension, which keeps the
            // NTT form of the limbs it copies. Results leave relinearized (size 2) and switched to
            // the small modulus 2^b.
            results.add(net.evaluateForReturn(input, (name, index, seconds) -> { }, plan.resultBits()));
          }
          long done = System.nanoTime();
          progress.accept(String.format(Locale.ROOT, "plaintext prime %d of %d: ciphertexts read in %.2f s, network evaluated in %.2f s", j + 1,
              params.plainModuli().size(), (read - t0) / 1e9, (done - read) / 1e9));
        }
        reader.finish();
      }
    }
    long downloadBytes = EncryptedResultsFile.writeResults(resultsFile, params, images, first, results);
    return new Result(images, first, params.n(), uploadBytes, downloadBytes, (System.nanoTime() - start) / 1e9, params);
  }
}
