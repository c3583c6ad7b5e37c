package org.cryptonets.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.LoadedModel;
import org.cryptonets.inference.parties.EvaluationKeysFile;
import org.cryptonets.net.IntegerNetwork;

/**
 * What every task of one JVM (an executor, or the driver in {@code local[N]}) shares, made once:
 * <ul>
 *   <li>the broadcast keys and model as local regular files (the loaders read only those), under a
 *       folder of this JVM's temporary directory, one sub-folder per SHA-256 so a file keeps its
 *       name (the model's name tells ONNX from the other formats) and two jobs never mix files;
 *   <li>the integer network for a (keys, model) pair, checked against the plan in the keys by
 *       {@link LoadedModel#forPlan};
 *   <li>one compute backend, {@code -Dcryptonets.backend} (default cpu), opened on first use with
 *       {@code cryptonets.threads} taken from the job (the executor's cores) unless the JVM was
 *       given {@code -Dcryptonets.threads}; closed when the JVM exits. Backends are thread-safe for
 *       work on distinct buffers, so the tasks running side by side in one executor share it (and
 *       the CPU backend's one thread pool).
 * </ul>
 *
 * <p>Thread-safe (one lock; the first task of a JVM does the work, the others wait for it). Throws
 * {@link UncheckedIOException} when a local file cannot be written, {@link IllegalStateException}
 * when broadcast bytes do not match their SHA-256, and what the loaders and
 * {@link Backends#open(String)} throw.
 */
final class ExecutorCache {
  /** The CPU backend's thread-count property (backend-cpu's CpuBackend.THREADS_PROPERTY). */
  static final String THREADS_PROPERTY = "cryptonets.threads";

  private static final Object LOCK = new Object();
  private static final Map<String, Path> FILES = new HashMap<>();
  private static final Map<String, IntegerNetwork> NETWORKS = new HashMap<>();
  private static Path folder;
  private static Backend backend;

  private ExecutorCache() {}

  /**
   * The local copy of a broadcast file, written on first use.
   *
   * @param sha256 the SHA-256 of {@code bytes}, as the driver computed it
   * @param name the file name to keep
   */
  static Path localFile(String sha256, String name, java.util.function.Supplier<byte[]> bytes) {
    synchronized (LOCK) {
      Path cached = FILES.get(sha256);
      if (cached != null && Files.isRegularFile(cached)) {
        return cached;
      }
      try {
        byte[] content = bytes.get();
        String found = sha256(content);
        if (!found.equals(sha256)) {
          throw new IllegalStateException("broadcast " + name + " has SHA-256 " + found + ", expected " + sha256);
        }
        Path dir = Files.createDirectories(folder().resolve(sha256));
        Path file = dir.resolve(name);
        Path temp = Files.createTempFile(dir, name, ".tmp");
        Files.write(temp, content);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FILES.put(sha256, file);
        return file;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the local copy of " + name + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The integer network the keys were made for, from the model file ({@code null}: the committed
   * model), checked against the keys' plan.
   *
   * @throws IllegalArgumentException naming both models if the keys were made for another one
   */
  static IntegerNetwork network(Path keysFile, String keysSha256, Path modelFile, String modelSha256, String keysName) {
    String key = keysSha256 + "/" + (modelSha256 == null ? "committed" : modelSha256);
    synchronized (LOCK) {
      IntegerNetwork network = NETWORKS.get(key);
      if (network == null) {
        // Only the parameters and the plan: no relinearization keys are loaded, so no backend is used.
        EvaluationKeysFile.Contents keys = EvaluationKeysFile.read(keysFile, null, false);
        network = LoadedModel.forPlan(modelFile, keys.plan(), keysName);
        NETWORKS.put(key, network);
      }
      return network;
    }
  }

  /**
   * This JVM's backend, opened on first use.
   *
   * @param threads the CPU backend's threads when {@code -Dcryptonets.threads} is not set; null for
   *     the backend's default (every core)
   */
  static Backend backend(Integer threads) {
    synchronized (LOCK) {
      if (backend == null) {
        String name = System.getProperty(Backends.PROPERTY, Backends.DEFAULT);
        boolean setThreads = threads != null && System.getProperty(THREADS_PROPERTY) == null;
        if (setThreads) {
          System.setProperty(THREADS_PROPERTY, Integer.toString(threads));
        }
        try {
          backend = Backends.open(name);
        } finally {
          if (setThreads) {
            System.clearProperty(THREADS_PROPERTY);
          }
        }
        // An executor evaluates networks task after task: compile the backend's code once.
        backend.warmUp();
        Backend opened = backend;
        Runtime.getRuntime().addShutdownHook(new Thread(opened::close, "cryptonets-spark-backend-close"));
      }
      return backend;
    }
  }

  private static Path folder() throws IOException {
    if (folder == null) {
      Path dir = Files.createTempDirectory("cryptonets-spark-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "cryptonets-spark-files-cleanup"));
      folder = dir;
    }
    return folder;
  }

  /** Deletes a folder and what it holds, as far as it can. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException leftBehind) {
          // Temporary files; the operating system's clean-up takes what remains.
        }
      });
    } catch (IOException leftBehind) {
      // As above.
    }
  }

  /** SHA-256 of {@code bytes}, lower-case hex. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
