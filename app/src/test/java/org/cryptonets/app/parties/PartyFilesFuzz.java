package org.cryptonets.app.parties;

import org.cryptonets.inference.parties.*;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.cryptonets.app.owner.OwnerKeys;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.bfv.io.BfvFileFormat;
import org.cryptonets.bfv.io.BfvFileReader;
import org.cryptonets.bfv.io.BfvFileWriter;
import org.cryptonets.bfv.io.ObjectType;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.net.QuantizationSpec;

/**
 * The seeded fuzz of the application's loaders on real files, run by {@link PartyFilesFuzzTest} in
 * a JVM of its own with {@code -Xmx512m}: {@link EvaluationKeysFile#read} (as the cloud and as the
 * owner), {@link OwnerKeys#load} (the secret key), {@link EncryptedImagesFile.Reader} and {@link
 * EncryptedResultsFile#read}. Each iteration takes one valid file (toy parameters: n = 1024, three
 * 31-bit primes), mutates its bytes, a header (version, type, length), a descriptor (counts above
 * all, the length then set to what they imply, the zeros of a large payload left as a hole of a
 * sparse file) or an attribute (images, pixels, classes, the plan), recomputes the checksums most
 * of the time, writes it and loads it. A load must succeed or throw {@link
 * SerializationException}; anything else, or an iteration longer than {@value #HANG_SECONDS} s,
 * fails with the seed and the iteration ({@code --iteration I} replays it alone).
 *
 * <p>Usage: {@code PartyFilesFuzz [--seed S] [--seconds T] [--iteration I]}: at least {@value
 * #MIN_ITERATIONS} iterations, then more until T seconds have passed; prints {@code RESULT
 * iterations=... accepted=... huge=... CODE=count ...} and exits 0, else prints the failure and
 * exits 1 (2 for a hang). Not thread-safe; one run per JVM.
 */
final class PartyFilesFuzz {
  static final long DEFAULT_SEED = 20240611L;
  static final int HANG_SECONDS = 10;
  /** Iterations run however slow the machine, so the coverage a test asserts does not depend on its speed. */
  static final int MIN_ITERATIONS = 200;
  static final int PIXELS = 4;
  static final int CLASSES = 10;
  private static final long[] COUNTS = {0, 1, 3, 4, 5, 9, 10, 11, 784, 8192, 65_536, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 0x7FFFFFFFL, 0xFFFFFFFFL};
  private static final String[] VALUES = {"0", "1", "4", "10", "-1", "784", "1024", "8192", "65536", "65537", "2147483648", "99999999999999999999", "", "x",
      "1e3", "7,7", "3,1", "3:6,6,6", "3:6,6", "62", "63", "encrypted-images", "encrypted-results", "evaluation-keys"};

  private PartyFilesFuzz() {}

  /** A valid file, where a mutant of it goes, and how the application loads it. */
  record Target(String name, byte[] content, String fileName, Loader load) {}

  interface Loader {
    void load(Path file);
  }

  static BfvParameters params;
  static Backend backend;
  static Path dir;
  static List<Target> corpus = new ArrayList<>();
  private static final PrintStream NOWHERE = new PrintStream(OutputStream.nullOutputStream());

  static void setUp() throws IOException {
    BfvParameterSpec s = BfvParameterSpec.of(1024, List.of(31, 31, 31), 20, 2);
    s.security = SecurityLevel.NONE;
    params = BfvParameters.create(s);
    backend = Backends.open("cpu");
    dir = Files.createTempDirectory("party-files-fuzz");
    CryptoNetPlan schedule = CryptoNetPlan.of(params.n(), List.of(31, 31, 31), params.plainModulus(0).bits(), 2, new int[] {2, 1}, 1);
    TwoPartyPlan plan = TwoPartyPlan.of(params, schedule, 16, "fuzz.onnx", "ab".repeat(32), QuantizationSpec.DEFAULT);
    KeyGenerator keys = new KeyGenerator(params, backend, new java.security.SecureRandom(new byte[] {1}));
    Path eval = dir.resolve(PartyFiles.EVALUATION_KEYS_FILE);
    try (RelinKeys rk = keys.createRelinKeys(); PublicKey pk = keys.createPublicKey()) {
      EvaluationKeysFile.write(eval, params, plan, rk, pk);
    }
    Path secret = dir.resolve("secret.source");
    try (BfvFileWriter w = BfvFileWriter.create(secret, BfvFileWriter.Access.OWNER_ONLY)) {
      w.writeParameters(params).writeSecretKey(keys.secretKey());
      w.commit();
    }
    keys.secretKey().close();
    Path images = dir.resolve("images.source");
    try (EncryptedImagesFile.Writer w = new EncryptedImagesFile.Writer(images, params, 5, PIXELS); Evaluator ev = new Evaluator(params, backend)) {
      for (int j = 0; j < params.plainModuli().size(); j++) {
        try (CiphertextBatch b = ev.allocate(j, plan.inputLevel(), 2, PIXELS, false)) {
          backend.upload(residues(params.basisAt(plan.inputLevel()), 2 * PIXELS, 10 + j), b.buffer().all());
          byte[] seed = new byte[32];
          new SplittableRandom(20 + j).nextBytes(seed);
          w.write(b, seed);
        }
      }
      w.commit();
    }
    Path results = dir.resolve("results.source");
    List<CompressedCiphertexts> r = new ArrayList<>();
    for (int j = 0; j < params.plainModuli().size(); j++) {
      SplittableRandom random = new SplittableRandom(30 + j);
      long[] v = new long[2 * CLASSES * params.n()];
      for (int k = 0; k < v.length; k++) {
        v[k] = random.nextLong(1L << plan.resultBits());
      }
      r.add(CompressedCiphertexts.of(params, j, plan.resultBits(), CLASSES, v));
    }
    EncryptedResultsFile.write(results, params, 5, r);

    byte[] evalBytes = Files.readAllBytes(eval);
    corpus = new ArrayList<>();
    corpus.add(new Target("evaluation keys (cloud)", evalBytes, "evaluation.mutant", f -> EvaluationKeysFile.read(f, backend, true).close()));
    corpus.add(new Target("evaluation keys (owner)", evalBytes, "evaluation.mutant", f -> EvaluationKeysFile.read(f, backend, false).close()));
    // OwnerKeys reads the valid evaluation keys of the folder, then the mutated secret key.
    corpus.add(new Target("secret key", Files.readAllBytes(secret), PartyFiles.SECRET_KEY_FILE, f -> OwnerKeys.load(f.getParent(), backend, NOWHERE).close()));
    corpus.add(new Target("encrypted images", Files.readAllBytes(images), "images.mutant", f -> {
      try (EncryptedImagesFile.Reader in = new EncryptedImagesFile.Reader(f, params, PIXELS)) {
        for (int j = 0; j < params.plainModuli().size(); j++) {
          in.next(backend).close();
        }
        in.finish();
      }
    }));
    corpus.add(new Target("encrypted results", Files.readAllBytes(results), "results.mutant", f -> EncryptedResultsFile.read(f, params)));
  }

  static void tearDown() throws IOException {
    backend.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static long[] residues(org.cryptonets.engine.RnsBasis basis, int polys, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] h = new long[polys * basis.size() * basis.n()];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < basis.size(); i++) {
        long q = basis.modulus(i).value();
        for (int j = 0; j < basis.n(); j++) {
          h[(p * basis.size() + i) * basis.n() + j] = r.nextLong(q);
        }
      }
    }
    return h;
  }

  // ---- framing and checksums ----

  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  static int next(byte[] b, int at) {
    return (int) (at + BfvFileFormat.HEADER_BYTES + le(b).getLong(at + 44) + BfvFileFormat.TRAILER_BYTES);
  }

  static List<Integer> records(byte[] b) {
    List<Integer> at = new ArrayList<>();
    for (int p = 0; p + BfvFileFormat.HEADER_BYTES + BfvFileFormat.TRAILER_BYTES <= b.length; p = next(b, p)) {
      at.add(p);
    }
    return at;
  }

  /** Recomputes the checksum of every record whose frame is intact enough to locate. */
  static void fixChecksums(byte[] b) {
    int at = 0;
    while (at + BfvFileFormat.HEADER_BYTES + BfvFileFormat.TRAILER_BYTES <= b.length) {
      long payload = le(b).getLong(at + 44);
      if (payload < 0 || at + BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES > b.length) {
        return;
      }
      CRC32C crc = new CRC32C();
      crc.update(b, at, (int) (BfvFileFormat.HEADER_BYTES + payload));
      le(b).putInt((int) (at + BfvFileFormat.HEADER_BYTES + payload), (int) crc.getValue());
      at = next(b, at);
    }
  }

  // ---- mutants ----

  /**
   * A mutated file: {@code bytes}, or {@code bytes} then a record made of {@code head}, a hole of
   * zeros up to {@code payload} bytes of payload and {@code crc}, then {@code after}.
   */
  record Mutant(byte[] bytes, byte[] head, long payload, int crc, byte[] after, String how) {
    static Mutant of(byte[] bytes, String how) {
      return new Mutant(bytes, null, 0, 0, null, how);
    }

    long size() {
      return head == null ? bytes.length : bytes.length + BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES + after.length;
    }

    void write(Path file) throws IOException {
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(0);
        f.write(bytes);
        if (head != null) {
          f.write(head);
          f.seek(bytes.length + BfvFileFormat.HEADER_BYTES + payload);
          f.write(le(new byte[4]).putInt(crc).array());
          f.write(after);
        }
      }
    }
  }

  /** The payload length the descriptor of the record at {@code at} implies, or -1. */
  static long implied(byte[] b, int at) {
    ObjectType type = ObjectType.ofCode(le(b).getShort(at + 10) & 0xFFFF);
    int d = at + BfvFileFormat.HEADER_BYTES;
    if (type == null || d + 8 > b.length) {
      return -1;
    }
    int second = b[d + 1] & 0xFF;
    int size = b[d + 2] & 0xFF;
    long count = le(b).getInt(d + 4) & 0xFFFFFFFFL;
    long n = params.n();
    return switch (type) {
      case COMPRESSED_RESULTS -> second > 62 ? -1 : 8 + (2 * count * n * second + 7) / 8;
      case CIPHERTEXTS, PUBLIC_KEY, RELIN_KEYS -> second < 1 || second > 3 ? -1 : 8 + (count * size * n * 31 * second + 7) / 8;
      case CIPHERTEXTS_SEEDED, CIPHERTEXTS_SEEDED_AT_LEVEL -> second < 1 || second > 3 ? -1 : 8 + 32 + (count * n * 31 * second + 7) / 8;
      default -> -1;
    };
  }

  /** The record at {@code at} with {@code payload} bytes of payload: resized in memory if small, else a sparse hole. */
  static Mutant reframed(byte[] b, int at, long payload, boolean fix, SplittableRandom r, String how) {
    int end = next(b, at);
    long old = le(b).getLong(at + 44);
    how += ", payload " + old + " -> " + payload;
    if (payload <= old + 65_536) {
      int newEnd = (int) (at + BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES);
      byte[] c = new byte[b.length - end + newEnd];
      int keep = Math.min(end, newEnd) - BfvFileFormat.TRAILER_BYTES;
      System.arraycopy(b, 0, c, 0, keep);
      if (r.nextInt(4) == 0) {
        for (int k = keep; k < newEnd - BfvFileFormat.TRAILER_BYTES; k++) {
          c[k] = (byte) r.nextInt(256);
        }
      }
      System.arraycopy(b, end, c, newEnd, b.length - end);
      le(c).putLong(at + 44, payload);
      if (fix) {
        fixChecksums(c);
      }
      return Mutant.of(c, how);
    }
    int fields = BfvFileFormat.HEADER_BYTES + 40;
    byte[] head = Arrays.copyOfRange(b, at, at + fields);
    le(head).putLong(44, payload);
    CRC32C crc = new CRC32C();
    crc.update(head);
    int value = org.cryptonets.bfv.io.IoFixtures.crc32cAfterZeros((int) crc.getValue(), payload - 40);
    return new Mutant(Arrays.copyOf(b, at), head, payload, fix ? value : ~value, Arrays.copyOfRange(b, end, b.length), how + " (sparse)");
  }

  static Mutant mutate(Target t, SplittableRandom r) {
    byte[] b = t.content().clone();
    List<Integer> recs = records(b);
    int at = recs.get(r.nextInt(recs.size()));
    boolean fix = r.nextInt(4) != 0;
    ObjectType type = ObjectType.ofCode(le(b).getShort(at + 10) & 0xFFFF);
    int d = at + BfvFileFormat.HEADER_BYTES;
    String how;
    switch (r.nextInt(10)) {
      case 0 -> {
        int version = r.nextBoolean() ? r.nextInt(4) : r.nextInt(1 << 16);
        le(b).putShort(at + 8, (short) version);
        how = "version " + version + " of the record at " + at;
      }
      case 1 -> {
        int code = r.nextInt(4) == 0 ? r.nextInt(1 << 16) : 1 + r.nextInt(ObjectType.values().length);
        le(b).putShort(at + 10, (short) code);
        how = "type " + code + " of the record at " + at;
      }
      case 2 -> {
        long old = le(b).getLong(at + 44);
        long payload = switch (r.nextInt(4)) {
          case 0 -> old + r.nextInt(129) - 64;
          case 1 -> old * (2 + r.nextInt(1000));
          case 2 -> old / (2 + r.nextInt(3));
          default -> r.nextLong(1L << (1 + r.nextInt(40)));
        };
        if (payload >= 40 && r.nextBoolean()) {
          return reframed(b, at, payload, fix, r, "length of the record at " + at);
        }
        le(b).putLong(at + 44, payload);
        how = "length " + old + " -> " + payload + " (frame broken)";
      }
      case 3, 4, 5, 6 -> {
        if (type == ObjectType.ATTRIBUTES) {
          return attributes(b, at, fix, r);
        }
        if (type == ObjectType.PARAMETERS || type == ObjectType.SECRET_KEY) {
          int field = d + r.nextInt(8);
          b[field] = (byte) (r.nextBoolean() ? r.nextInt(256) : b[field] + 1);
          how = "field at " + field;
          break;
        }
        int field = r.nextBoolean() ? 4 : r.nextInt(4);
        long count = COUNTS[r.nextInt(COUNTS.length)];
        switch (field) {
          case 0 -> b[d] = (byte) (r.nextBoolean() ? r.nextInt(3) : r.nextInt(256));
          case 1 -> b[d + 1] = (byte) (r.nextBoolean() ? r.nextInt(5) : 20 + r.nextInt(50));
          case 2 -> b[d + 2] = (byte) r.nextInt(5);
          case 3 -> b[d + 3] = (byte) r.nextInt(3);
          default -> le(b).putInt(d + 4, (int) count);
        }
        how = "descriptor field " + field + " of the record at " + at + (field == 4 ? " (count " + count + ")" : "");
        long implied = implied(b, at);
        if (implied >= 40 && implied <= BfvFileFormat.MAX_PAYLOAD && r.nextInt(3) != 0) {
          return reframed(b, at, implied, fix, r, how);
        }
      }
      default -> {
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
          int p = r.nextInt(b.length);
          switch (r.nextInt(4)) {
            case 0 -> b[p] ^= (byte) (1 << r.nextInt(8));
            case 1 -> b[p] = (byte) r.nextInt(256);
            case 2 -> b = Arrays.copyOf(b, p);
            default -> {
              if (p + 4 <= b.length) {
                le(b).putInt(p, (int) COUNTS[r.nextInt(COUNTS.length)]);
              }
            }
          }
        }
        how = "byte damage";
      }
    }
    if (fix) {
      fixChecksums(b);
    }
    return Mutant.of(b, how);
  }

  /** The attributes record at {@code at} rewritten with one attribute removed, replaced or added. */
  static Mutant attributes(byte[] b, int at, boolean fix, SplittableRandom r) {
    int end = next(b, at);
    Map<String, String> a;
    try (BfvFileReader in = BfvFileReader.of(Arrays.copyOfRange(b, at, end), "attributes")) {
      a = new TreeMap<>(in.readAttributes(params));
    }
    List<String> keys = new ArrayList<>(a.keySet());
    String key = keys.get(r.nextInt(keys.size()));
    String how;
    switch (r.nextInt(5)) {
      case 0 -> {
        a.remove(key);
        how = "attribute " + key + " removed";
      }
      case 1 -> {
        a.put("zz-extra", VALUES[r.nextInt(VALUES.length)]);
        how = "attribute added";
      }
      default -> {
        String value = VALUES[r.nextInt(VALUES.length)];
        a.put(key, value);
        how = "attribute " + key + " = '" + value + "'";
      }
    }
    BfvFileWriter w = BfvFileWriter.inMemory();
    w.writeAttributes(params, a);
    byte[] record = w.toByteArray();
    byte[] c = new byte[b.length - (end - at) + record.length];
    System.arraycopy(b, 0, c, 0, at);
    System.arraycopy(record, 0, c, at, record.length);
    System.arraycopy(b, end, c, at + record.length, b.length - end);
    if (!fix) {
      c[at + BfvFileFormat.HEADER_BYTES] ^= 1;
    }
    return Mutant.of(c, how);
  }

  // ---- the run ----

  private static volatile long iterationStart = System.nanoTime();
  private static volatile String current = "setting up";

  public static void main(String[] args) {
    long seed = DEFAULT_SEED;
    double seconds = 5;
    int only = -1;
    for (int k = 0; k + 1 < args.length; k += 2) {
      switch (args[k]) {
        case "--seed" -> seed = Long.parseLong(args[k + 1]);
        case "--seconds" -> seconds = Double.parseDouble(args[k + 1]);
        case "--iteration" -> only = Integer.parseInt(args[k + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[k]);
      }
    }
    Thread watchdog = new Thread(() -> {
      while (true) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
        if (System.nanoTime() - iterationStart > HANG_SECONDS * 1_000_000_000L) {
          System.out.println("FAIL hang: " + current + " ran for more than " + HANG_SECONDS + " s");
          System.out.flush();
          try {
            tearDown();
          } catch (Throwable ignored) {
            // The hang is what matters.
          }
          Runtime.getRuntime().halt(2);
        }
      }
    }, "fuzz watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      setUp();
      int iterations = 0;
      int accepted = 0;
      int huge = 0;
      int[] codes = new int[SerializationException.Code.values().length];
      Map<String, Long> nanos = new TreeMap<>();
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      for (int i = only >= 0 ? only : 0; only >= 0 ? i == only : i < MIN_ITERATIONS || System.nanoTime() < deadline; i++) {
        SplittableRandom r = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * i);
        Target t = corpus.get(r.nextInt(corpus.size()));
        Mutant m = mutate(t, r);
        current = "seed " + seed + ", iteration " + i + " (" + t.name() + ": " + m.how() + ", " + m.size() + " bytes)";
        iterationStart = System.nanoTime();
        Path file = dir.resolve(t.fileName());
        m.write(file);
        huge += m.head() == null ? 0 : 1;
        try {
          t.load().load(file);
          accepted++;
        } catch (SerializationException e) {
          codes[e.code().ordinal()]++;
        } catch (Throwable e) {
          throw new AssertionError(current + ": " + e, e);
        }
        Files.delete(file);
        nanos.merge(t.name(), System.nanoTime() - iterationStart, Long::sum);
        iterations++;
      }
      StringBuilder s = new StringBuilder("RESULT iterations=" + iterations + " accepted=" + accepted + " huge=" + huge);
      for (SerializationException.Code c : SerializationException.Code.values()) {
        s.append(' ').append(c).append('=').append(codes[c.ordinal()]);
      }
      System.out.println(s);
      StringBuilder times = new StringBuilder("time per target:");
      nanos.forEach((name, ns) -> times.append(String.format(" %s %.1f s;", name, ns / 1e9)));
      System.out.println(times);
      tearDown();
      System.exit(0);
    } catch (Throwable e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      System.out.println("FAIL " + e.getMessage() + "\n" + trace);
      System.out.flush();
      try {
        tearDown();
      } catch (Throwable ignored) {
        // The failure above is what matters.
      }
      Runtime.getRuntime().halt(1);
    }
  }
}
