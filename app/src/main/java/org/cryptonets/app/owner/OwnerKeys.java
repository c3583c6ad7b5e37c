package org.cryptonets.app.owner;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.cryptonets.inference.parties.EvaluationKeysFile;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.bfv.io.BfvFileReader;
import org.cryptonets.engine.Backend;

/**
 * The data owner's key folder as written by {@code keygen}: {@value PartyFiles#SECRET_KEY_FILE}
 * (parameters and the secret key) and {@value PartyFiles#EVALUATION_KEYS_FILE} (parameters, plan
 * and the public keys). Loading checks that both describe the same parameters and warns if the
 * secret key file is readable by anyone but its owner.
 *
 * <p>Not thread-safe. Close it to wipe the secret key. {@link #load} throws
 * {@link org.cryptonets.bfv.io.SerializationException} for missing, damaged or mismatched files.
 */
public final class OwnerKeys implements AutoCloseable {
  private final BfvParameters params;
  private final TwoPartyPlan plan;
  private final SecretKey secretKey;

  private OwnerKeys(BfvParameters params, TwoPartyPlan plan, SecretKey secretKey) {
    this.params = params;
    this.plan = plan;
    this.secretKey = secretKey;
  }

  /** Loads both files of {@code dir}; warnings (loose permissions, unlocked memory) go to {@code warnings}. */
  public static OwnerKeys load(Path dir, Backend backend, PrintStream warnings) {
    TwoPartyPlan plan;
    BfvParameters params;
    try (EvaluationKeysFile.Contents eval = EvaluationKeysFile.read(dir.resolve(PartyFiles.EVALUATION_KEYS_FILE), backend, false)) {
      params = eval.parameters();
      plan = eval.plan();
    }
    Path secretFile = dir.resolve(PartyFiles.SECRET_KEY_FILE);
    warnIfShared(secretFile, warnings);
    try (BfvFileReader r = BfvFileReader.open(secretFile)) {
      BfvParameters p = r.readParameters(params);
      SecretKey sk = r.readSecretKey(p, backend);
      try {
        r.finish();
      } catch (RuntimeException e) {
        sk.close();
        throw e;
      }
      if (!sk.isLocked()) {
        warnings.println("warning: the secret key is not locked in memory (mlock failed; see the log) and could be swapped to disk");
      }
      return new OwnerKeys(params, plan, sk);
    }
  }

  private static void warnIfShared(Path file, PrintStream warnings) {
    try {
      if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
        p.remove(PosixFilePermission.OWNER_READ);
        p.remove(PosixFilePermission.OWNER_WRITE);
        if (!p.isEmpty()) {
          warnings.println("warning: " + file + " is accessible to others (" + p + "); run chmod 600 on it");
        }
      }
    } catch (IOException e) {
      // A missing file is reported by the reader, with a better message.
    }
  }

  public BfvParameters parameters() {
    return params;
  }

  public TwoPartyPlan plan() {
    return plan;
  }

  public SecretKey secretKey() {
    return secretKey;
  }

  @Override
  public void close() {
    secretKey.close();
  }
}
