package org.cryptonets.inference.parties;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.RelinearizationKeys;
import org.cryptonets.bfv.Scheme;
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
    private final RelinearizationKeys relinKeys;

    Contents(BfvParameters params, TwoPartyPlan plan, RelinearizationKeys relinKeys) {
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

    /** The relinearization keys of the plan's scheme, or null if they were only validated, not loaded. */
    public RelinearizationKeys relinKeys() {
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

  /**
   * Writes the file of a BFV plan atomically; returns its size in bytes.
   *
   * @throws IllegalArgumentException if the plan is not BFV
   */
  public static long write(Path file, BfvParameters params, TwoPartyPlan plan, RelinKeys relinKeys, PublicKey publicKey) {
    requireScheme(plan, Scheme.BFV);
    try (BfvFileWriter w = begin(file, params, plan)) {
      w.writeRelinKeys(relinKeys).writePublicKey(publicKey);
      w.commit();
      return w.bytesWritten();
    }
  }

  /**
   * Writes the file of a BGV plan atomically (BGV keys, one set per plaintext prime); returns its
   * size in bytes.
   *
   * @throws IllegalArgumentException if the plan is not BGV
   */
  public static long write(Path file, BfvParameters params, TwoPartyPlan plan, BgvRelinKeys relinKeys, BgvPublicKey publicKey) {
    requireScheme(plan, Scheme.BGV);
    try (BfvFileWriter w = begin(file, params, plan)) {
      w.writeBgvRelinKeys(relinKeys).writeBgvPublicKey(publicKey);
      w.commit();
      return w.bytesWritten();
    }
  }

  private static void requireScheme(TwoPartyPlan plan, Scheme scheme) {
    if (plan.scheme() != scheme) {
      throw new IllegalArgumentException(scheme + " keys for a " + plan.scheme() + " plan");
    }
  }

  private static BfvFileWriter begin(Path file, BfvParameters params, TwoPartyPlan plan) {
    Map<String, String> attributes = new LinkedHashMap<>(plan.toAttributes());
    attributes.put(PartyFiles.KIND, KIND);
    BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC);
    try {
      w.writeParameters(params).writeAttributes(params, attributes);
      return w;
    } catch (RuntimeException e) {
      w.close();
      throw e;
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
      RelinearizationKeys rk = null;
      boolean bgv = plan.scheme() == Scheme.BGV;
      try {
        if (loadRelinKeys) {
          rk = bgv ? r.readBgvRelinKeys(params, backend) : r.readRelinKeys(params, backend);
        } else {
          r.skip(bgv ? ObjectType.BGV_RELIN_KEYS : ObjectType.RELIN_KEYS, params);
        }
        r.skip(bgv ? ObjectType.BGV_PUBLIC_KEY : ObjectType.PUBLIC_KEY, params);
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
