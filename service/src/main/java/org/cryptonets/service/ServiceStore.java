package org.cryptonets.service;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's folder: everything it accepted survives a restart, and nothing half-written is
 * ever taken for a finished file.
 * <pre>
 *   keys/ID/evaluation.keys   an owner's evaluation keys, moved in once validated
 *   keys/ID/key.json          who registered them, for which model (written last, atomically)
 *   jobs/ID/images.bin        the encrypted batch, moved in once validated
 *   jobs/ID/job.json          the job's state (written atomically: temporary file, ATOMIC_MOVE)
 *   jobs/ID/results.bin       the encrypted results (CloudInference writes them through a
 *                             temporary file it moves into place)
 *   tmp/                      uploads being received
 * </pre>
 * {@link #removeLeftovers} runs at start: it deletes everything in {@code tmp/}, every file in a
 * key or job folder that is not one of the names above (the temporary files of a run that was
 * killed), and key or job folders whose record was never written (a registration or submission
 * cut short before it was accepted).
 *
 * <p>Thread-safe: records are replaced atomically and each file has one writer. Methods throw
 * {@link UncheckedIOException} when the file system fails.
 */
public final class ServiceStore {
  static final String KEYS_FILE = "evaluation.keys";
  static final String KEY_RECORD = "key.json";
  static final String IMAGES_FILE = "images.bin";
  static final String JOB_RECORD = "job.json";
  static final String RESULTS_FILE = "results.bin";
  private static final Set<String> KEY_FILES = Set.of(KEYS_FILE, KEY_RECORD);
  private static final Set<String> JOB_FILES = Set.of(IMAGES_FILE, JOB_RECORD, RESULTS_FILE);
  private static final Logger LOG = LoggerFactory.getLogger(ServiceStore.class);

  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path root;
  private final Path keys;
  private final Path jobs;
  private final Path tmp;

  private ServiceStore(Path root) {
    this.root = root;
    this.keys = root.resolve("keys");
    this.jobs = root.resolve("jobs");
    this.tmp = root.resolve("tmp");
  }

  /** The store in {@code root}, its folders created if missing. */
  public static ServiceStore open(Path root) {
    ServiceStore s = new ServiceStore(root.toAbsolutePath().normalize());
    try {
      Files.createDirectories(s.keys);
      Files.createDirectories(s.jobs);
      Files.createDirectories(s.tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the store in " + root + ": " + e.getMessage(), e);
    }
    return s;
  }

  public Path root() {
    return root;
  }

  /** A random identifier: {@code prefix} and 24 hexadecimal digits (96 bits). */
  static String newId(String prefix) {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  /** Whether {@code id} can name a key or job folder (what {@link #newId} makes), so a path from a URL never leaves the store. */
  static boolean wellFormedId(String id) {
    return id != null && id.matches("[kj]-[0-9a-f]{24}");
  }

  /** A fresh file in {@code tmp/} for an upload being received. */
  Path newUpload() {
    try {
      return Files.createTempFile(tmp, "upload-", ".part");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a file in " + tmp + ": " + e.getMessage(), e);
    }
  }

  Path keysFile(String keyId) {
    return keys.resolve(keyId).resolve(KEYS_FILE);
  }

  Path imagesFile(String jobId) {
    return jobs.resolve(jobId).resolve(IMAGES_FILE);
  }

  Path resultsFile(String jobId) {
    return jobs.resolve(jobId).resolve(RESULTS_FILE);
  }

  /** Moves a validated keys upload into place and writes its record (last, so a cut registration leaves no record). */
  void addKeys(KeyRecord record, Path upload) {
    Path dir = keys.resolve(record.keyId());
    try {
      Files.createDirectories(dir);
      Files.move(upload, dir.resolve(KEYS_FILE), StandardCopyOption.ATOMIC_MOVE);
      writeJson(dir.resolve(KEY_RECORD), record);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store keys " + record.keyId() + ": " + e.getMessage(), e);
    }
  }

  /** Moves a validated images upload into place and writes the job's first record. */
  void addJob(JobRecord record, Path upload) {
    Path dir = jobs.resolve(record.jobId());
    try {
      Files.createDirectories(dir);
      Files.move(upload, dir.resolve(IMAGES_FILE), StandardCopyOption.ATOMIC_MOVE);
      writeJson(dir.resolve(JOB_RECORD), record);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store job " + record.jobId() + ": " + e.getMessage(), e);
    }
  }

  /** Replaces a job's record atomically. */
  void saveJob(JobRecord record) {
    try {
      writeJson(jobs.resolve(record.jobId()).resolve(JOB_RECORD), record);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save job " + record.jobId() + ": " + e.getMessage(), e);
    }
  }

  /** Deletes a job's results file if there is one (before a job runs again). */
  void deleteResults(String jobId) {
    try {
      Files.deleteIfExists(resultsFile(jobId));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the results of " + jobId + ": " + e.getMessage(), e);
    }
  }

  /** Every key record, in no particular order; unreadable records are logged and left out. */
  List<KeyRecord> keyRecords() {
    return records(keys, KEY_RECORD, KeyRecord.class);
  }

  /** Every job record, oldest submission first; unreadable records are logged and left out. */
  List<JobRecord> jobRecords() {
    List<JobRecord> all = records(jobs, JOB_RECORD, JobRecord.class);
    all.sort(Comparator.comparingLong(JobRecord::submittedAt).thenComparing(JobRecord::jobId));
    return all;
  }

  private static <T> List<T> records(Path folder, String name, Class<T> type) {
    List<T> out = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(folder, Files::isDirectory)) {
      for (Path dir : dirs) {
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file)) {
          try {
            out.add(JSON.readValue(file.toFile(), type));
          } catch (IOException e) {
            LOG.error("ignoring {}: unreadable record: {}", file, e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Deletes what a killed run leaves: uploads in {@code tmp/}, temporary files in key and job
   * folders, and folders whose record was never written. Returns the paths deleted.
   */
  List<Path> removeLeftovers() {
    List<Path> removed = new ArrayList<>();
    try {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
        for (Path f : files) {
          deleteTree(f, removed);
        }
      }
      sweep(keys, KEY_RECORD, KEY_FILES, removed);
      sweep(jobs, JOB_RECORD, JOB_FILES, removed);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean the store " + root + ": " + e.getMessage(), e);
    }
    return removed;
  }

  private static void sweep(Path folder, String record, Set<String> allowed, List<Path> removed) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
      for (Path entry : entries) {
        if (!Files.isDirectory(entry) || !Files.isRegularFile(entry.resolve(record))) {
          deleteTree(entry, removed);
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(entry)) {
          for (Path f : files) {
            if (!allowed.contains(f.getFileName().toString())) {
              deleteTree(f, removed);
            }
          }
        }
      }
    }
  }

  private static void deleteTree(Path p, List<Path> removed) throws IOException {
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(q);
        }
      }
    } else {
      Files.deleteIfExists(p);
    }
    removed.add(p);
  }

  /** Writes {@code value} as JSON to a temporary file beside {@code file}, forces it to disk and moves it into place atomically. */
  private static void writeJson(Path file, Object value) throws IOException {
    Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName() + "-", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
