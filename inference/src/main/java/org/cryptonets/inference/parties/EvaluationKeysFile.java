package org.cryptonets.inference.parties;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.io.BfvFileReader;
import org.cryptonets.bfv.io.BfvFileWriter;
import org.cryptonets.bfv.io.ObjectType;
import org.cryptonets.engine.Backend;

/**
 * The evaluation-keys file: everything the cloud needs and nothing secret. Records: the parameters,
 * attributes (kind {@value #KIND} and the {@link TwoPartyPlan}), the relinearization keys and the
 * public key (for parties that may encrypt but not decrypt; the evaluator does not use it).
 *
 * <p>Stateless; thread-safe. Reading throws {@link org.cryptonets.bfv.io.SerializationException}
 * for any malformed, damaged or foreign file; writing throws it with IO_ERROR.
 */
public final class EvaluationKeysFile {
  static final String KIND = "evaluation-keys";

  /** What was read; close it to release the relinearization keys. Not thread-safe; throws nothing. */
  public static final class Contents implements AutoCloseable {
    private final BfvParameters params;
    private final TwoPartyPlan plan;
    private final RelinKeys relinKeys;

    Contents(BfvParameters params, TwoPartyPlan plan, RelinKeys relinKeys) {
      this.params = params;
      this.plan = plan;
      this.relinKeys = relinKeys;
    }

    public BfvParameters parameters() {
      return params;
    }

    public TwoPartyPlan plan() {
      return plan;
    }

    /** The relinearization keys, or null if they were only validated, not loaded. */
    public RelinKeys relinKeys() {
      return relinKeys;
    }

    @Override
    public void close() {
      if (relinKeys != null) {
        relinKeys.close();
      }
    }
  }

  private EvaluationKeysFile() {}

  /** Writes the file atomically; returns its size in bytes. */
  public static long write(Path file, BfvParameters params, TwoPartyPlan plan, RelinKeys relinKeys, PublicKey publicKey) {
    Map<String, String> attributes = new LinkedHashMap<>(plan.toAttributes());
    attributes.put(PartyFiles.KIND, KIND);
    try (BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC)) {
      w.writeParameters(params).writeAttributes(params, attributes).writeRelinKeys(relinKeys).writePublicKey(publicKey);
      w.commit();
      return w.bytesWritten();
    }
  }

  /**
   * Reads and validates the whole file; loads the relinearization keys onto {@code backend} only if
   * {@code loadRelinKeys} (the owner needs just the parameters and the plan).
   */
  public static Contents read(Path file, Backend backend, boolean loadRelinKeys) {
    try (BfvFileReader r = BfvFileReader.open(file)) {
      BfvParameters params = r.readParameters();
      Map<String, String> attributes = r.readAttributes(params);
      PartyFiles.expectKind(attributes, KIND, file.toString());
      TwoPartyPlan plan = TwoPartyPlan.fromAttributes(params, attributes, file.toString());
      RelinKeys rk = null;
      try {
        if (loadRelinKeys) {
          rk = r.readRelinKeys(params, backend);
        } else {
          r.skip(ObjectType.RELIN_KEYS, params);
        }
        r.skip(ObjectType.PUBLIC_KEY, params);
        r.finish();
        return new Contents(params, plan, rk);
      } catch (RuntimeException e) {
        if (rk != null) {
          rk.close();
        }
        throw e;
      }
    }
  }
}
