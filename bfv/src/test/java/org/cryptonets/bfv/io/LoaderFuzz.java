package org.cryptonets.bfv.io;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;

/**
 * The seeded fuzz of every loader, run by {@link LoaderFuzzTest} in a JVM of its own with {@code
 * -Xmx512m}. Valid files of every kind the application writes (parameters, secret key, evaluation
 * keys, encrypted images, encrypted results) and the bare record kinds of both schemes (BGV keys,
 * batches, seeded batches and factored results among them) are damaged at random:
 * <ul>
 *   <li>bytes: bit flips, bytes and integers that tend to break parsers, cuts, insertions, deletions,
 *       duplicated ranges;
 *   <li>headers: format version, object type, payload length, fingerprint;
 *   <li>descriptors: plaintext index, level, size, form, modulus bits and above all counts, often with
 *       the payload length then set to what the new fields imply, so the record stays consistent;
 *       when that is more than a few kilobytes the payload's zeros are synthesized (a sparse file of
 *       up to hundreds of gigabytes, see {@link IoFixtures.SparseSource});
 *   <li>attributes: counts, lengths, keys and values (the images, pixels and classes numbers).
 * </ul>
 * and then, most of the time, every checksum is recomputed so the mutation reaches the parser. Every
 * load must succeed or throw {@link SerializationException}: an OutOfMemoryError, any other
 * exception or an iteration that takes longer than {@link #HANG_SECONDS} is a failure, reported with
 * the seed and the iteration, which alone reproduce it ({@code --iteration}).
 *
 * <p>Usage: {@code LoaderFuzz [--seed S] [--seconds T] [--iteration I]}: at least {@value
 * #MIN_ITERATIONS} iterations, then more until T seconds have passed. Prints one summary line
 * {@code RESULT iterations=... accepted=... huge=... CODE=count ...} and exits 0, or prints the
 * failure and exits 1 (2 for a hang). Not thread-safe; one run per JVM.
 */
final class LoaderFuzz {
  static final long DEFAULT_SEED = 20240607L;
  static final int HANG_SECONDS = 10;
  /** Iterations run however slow the machine, so the coverage a test asserts does not depend on its speed. */
  static final int MIN_ITERATIONS = 400;
  private static final int[] INTERESTING_32 = {0, 1, -1, 0x7FFFFFFF, 0x80000000, 0xFF, 0x100, 0xFFFF, 0x10000, 1024, 1 << 20, (1 << 20) + 1};
  private static final long[] INTERESTING_64 = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, (1L << 40) + 1, 1L << 32, 100};
  /** Counts that crafted files announce: the application's pixels, slots and classes, the format's limits. */
  private static final long[] COUNTS = {0, 1, 2, 3, 4, 10, 11, 784, 785, 1000, 8192, 65_536, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 0x7FFFFFFFL, 0xFFFFFFFFL};
  private static final String[] NUMBERS = {"0", "1", "2", "3", "10", "-1", "784", "8192", "65536", "65537", "2147483648", "99999999999999999999", "", " 7", "1e3",
      "0x10", "\u0661"};

  private LoaderFuzz() {}

  /** A valid file and how the application (or a record reader) loads it. */
  record Target(String name, byte[] content, Consumer<BfvFileReader> read) {}

  /** A mutated file: plain bytes, or {@code bytes} then a synthesized huge record then {@code after}. */
  record Mutant(byte[] bytes, IoFixtures.HugeRecord huge, byte[] after, String how) {
    BfvFileReader open(String name) {
      return huge == null ? BfvFileReader.of(bytes, name) : BfvFileReader.of(new IoFixtures.SparseSource(bytes, huge, after, name));
    }

    long size() {
      return huge == null ? bytes.length : bytes.length + huge.length() + after.length;
    }
  }

  static List<Target> corpus = new ArrayList<>();
  static BfvParameters params;

  static void setUp() {
    HostileInputTest.setUp();
    params = HostileInputTest.params;
    corpus = new ArrayList<>();
    // The bare record kinds, read with any count.
    corpus.add(new Target("keys", HostileInputTest.keysFile, HostileInputTest::readKeys));
    corpus.add(new Target("batch", HostileInputTest.batchFile, HostileInputTest::readBatch));
    corpus.add(new Target("seeded", HostileInputTest.seededFile, HostileInputTest::readBatch));
    corpus.add(new Target("compressed", HostileInputTest.compressedFile, HostileInputTest::readCompressed));
    // The BGV record kinds (codes 10 to 14), read with any count.
    corpus.add(new Target("bgv keys", HostileInputTest.bgvKeysFile, HostileInputTest::readBgvKeys));
    corpus.add(new Target("bgv batch", HostileInputTest.bgvBatchFile, HostileInputTest::readBgvBatch));
    corpus.add(new Target("bgv seeded", HostileInputTest.bgvSeededFile, HostileInputTest::readBgvBatch));
    corpus.add(new Target("bgv results", HostileInputTest.factoredFile, HostileInputTest::readResults));
    corpus.add(new Target("bfv results as CompressedResults", HostileInputTest.compressedFile, HostileInputTest::readResults));
    // The application's files, read the way its loaders read them (app.parties, app.owner).
    corpus.add(new Target("parameters", HostileInputTest.bytes(w -> w.writeParameters(params)), r -> {
      r.readParameters();
      r.finish();
    }));
    corpus.add(new Target("secret key", HostileInputTest.secretFile, HostileInputTest::readSecret));
    corpus.add(new Target("evaluation keys", evaluationKeys(), LoaderFuzz::readEvaluationKeys));
    corpus.add(new Target("encrypted images", encryptedImages(), LoaderFuzz::readImages));
    corpus.add(new Target("encrypted results", encryptedResults(), LoaderFuzz::readResults));
  }

  static void tearDown() {
    HostileInputTest.tearDown();
  }

  // ---- the application's files, with the toy parameters ----

  static final int PIXELS = 2;
  static final int CLASSES = 3;

  static byte[] evaluationKeys() {
    try (RelinKeys rk = IoFixtures.relinKeys(params, HostileInputTest.backend); PublicKey pk = IoFixtures.publicKey(params, HostileInputTest.backend)) {
      Map<String, String> plan = Map.of("file", "evaluation-keys", "plan.levels", "2", "plan.input-level", "3", "plan.output-level", "1", "plan.value-bits", "16");
      return HostileInputTest.bytes(w -> w.writeParameters(params).writeAttributes(params, plan).writeRelinKeys(rk).writePublicKey(pk));
    }
  }

  static void readEvaluationKeys(BfvFileReader r) {
    BfvParameters p = r.readParameters();
    r.readAttributes(p);
    r.readRelinKeys(p, HostileInputTest.backend).close();
    r.skip(ObjectType.PUBLIC_KEY, p);
    r.finish();
  }

  static byte[] encryptedImages() {
    return HostileInputTest.bytes(w -> {
      w.writeAttributes(params, Map.of("file", "encrypted-images", "images", "5", "pixels", Integer.toString(PIXELS)));
      for (int j = 0; j < params.plainModuli().size(); j++) {
        try (CiphertextBatch b = seededBatch(j)) {
          w.writeSeededCiphertexts(b, IoFixtures.seed());
        }
      }
    });
  }

  /** A batch of the images file: random c0 at the top level in NTT form, c1 expanded from the seed. */
  static CiphertextBatch seededBatch(int plainIndex) {
    int top = params.maxLevel();
    try (Evaluator ev = new Evaluator(params, HostileInputTest.backend)) {
      CiphertextBatch c = ev.allocate(plainIndex, top, 2, PIXELS, true);
      HostileInputTest.backend.upload(IoFixtures.residues(params.coeffBasis(), PIXELS, 200 + plainIndex), c.component(0));
      long[] c1 = new long[PIXELS * top * params.n()];
      Encryptor.expandSeed(params, IoFixtures.seed(), c1, PIXELS);
      HostileInputTest.backend.upload(c1, c.component(1));
      return c;
    }
  }

  static void readImages(BfvFileReader r) {
    r.readAttributes(params);
    for (int j = 0; j < params.plainModuli().size(); j++) {
      r.readCiphertexts(params, HostileInputTest.backend, PIXELS).close();
    }
    r.finish();
  }

  static byte[] encryptedResults() {
    return HostileInputTest.bytes(w -> {
      w.writeAttributes(params, Map.of("file", "encrypted-results", "images", "5", "classes", Integer.toString(CLASSES)));
      for (int j = 0; j < params.plainModuli().size(); j++) {
        SplittableRandom r = new SplittableRandom(300 + j);
        long[] v = new long[2 * CLASSES * params.n()];
        for (int k = 0; k < v.length; k++) {
          v[k] = r.nextLong(1L << 24);
        }
        w.writeCompressed(CompressedCiphertexts.of(params, j, 24, CLASSES, v));
      }
    });
  }

  static void readResults(BfvFileReader r) {
    r.readAttributes(params);
    for (int j = 0; j < params.plainModuli().size(); j++) {
      r.readCompressed(params, CLASSES);
    }
    r.finish();
  }

  // ---- mutations ----

  /** Offsets of the records of a valid file. */
  static List<Integer> records(byte[] file) {
    List<Integer> at = new ArrayList<>();
    for (int p = 0; p + BfvFileFormat.HEADER_BYTES + BfvFileFormat.TRAILER_BYTES <= file.length; p = IoFixtures.nextRecord(file, p)) {
      at.add(p);
    }
    return at;
  }

  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Byte-level damage anywhere (the mutations of the original fuzz). */
  static byte[] damageBytes(byte[] original, SplittableRandom r) {
    byte[] b = original.clone();
    int edits = 1 + r.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(9)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> {
          int field = r.nextInt(Math.min(b.length, 96));
          if (field + 4 <= b.length) {
            le(b).putInt(field, INTERESTING_32[r.nextInt(INTERESTING_32.length)]);
          }
        }
        case 3 -> {
          int field = r.nextBoolean() ? 44 : r.nextInt(Math.min(b.length, 96));
          if (field + 8 <= b.length) {
            le(b).putLong(field, INTERESTING_64[r.nextInt(INTERESTING_64.length)]);
          }
        }
        case 4 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1));
        case 5 -> {
          byte[] extra = new byte[1 + r.nextInt(64)];
          r.nextBytes(extra);
          byte[] c = new byte[b.length + extra.length];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(extra, 0, c, at, extra.length);
          System.arraycopy(b, at, c, at + extra.length, b.length - at);
          b = c;
        }
        case 6 -> {
          int len = Math.min(b.length - at, 1 + r.nextInt(64));
          byte[] c = new byte[b.length - len];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(b, at + len, c, at, b.length - at - len);
          b = c;
        }
        case 7 -> {
          int len = Math.min(b.length - at, 1 + r.nextInt(256));
          int to = r.nextInt(b.length);
          System.arraycopy(b, at, b, to, Math.min(len, b.length - to));
        }
        default -> b[at] = (byte) (r.nextBoolean() ? 0 : 0xFF);
      }
    }
    return b;
  }

  /** The payload length the descriptor of the record at {@code at} implies, or -1 if it implies none. */
  static long impliedPayload(byte[] b, int at) {
    ByteBuffer v = le(b);
    ObjectType type = ObjectType.ofCode(v.getShort(at + 10) & 0xFFFF);
    if (type == null || at + BfvFileFormat.HEADER_BYTES + BfvFileFormat.DESCRIPTOR_BYTES > b.length) {
      return -1;
    }
    int d = at + BfvFileFormat.HEADER_BYTES;
    int second = b[d + 1] & 0xFF;
    int size = b[d + 2] & 0xFF;
    long count = v.getInt(d + 4) & 0xFFFFFFFFL;
    long n = params.n();
    switch (type) {
      case COMPRESSED_RESULTS:
        return second > 62 ? -1 : BfvFileFormat.DESCRIPTOR_BYTES + BfvFileWriter.streamBytes(2 * count * n, second);
      case COMPRESSED_RESULTS_FACTORED:
        return second > 62 ? -1 : BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES + BfvFileWriter.streamBytes(2 * count * n, second);
      case CIPHERTEXTS:
      case PUBLIC_KEY:
      case RELIN_KEYS:
      case BGV_PUBLIC_KEY:
      case BGV_RELIN_KEYS:
        if (second < 1 || second > params.maxLevel()) {
          return -1;
        }
        return BfvFileFormat.DESCRIPTOR_BYTES + BfvFileWriter.streamBytes(count * size * n, BfvFileFormat.coefficientBits(params, second));
      case BGV_CIPHERTEXTS:
        if (second < 1 || second > params.maxLevel()) {
          return -1;
        }
        return BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES + BfvFileWriter.streamBytes(count * size * n, BfvFileFormat.coefficientBits(params, second));
      case CIPHERTEXTS_SEEDED:
      case CIPHERTEXTS_SEEDED_AT_LEVEL:
        if (second < 1 || second > params.maxLevel()) {
          return -1;
        }
        return BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.SEED_BYTES + BfvFileWriter.streamBytes(count * n, BfvFileFormat.coefficientBits(params, second));
      case BGV_CIPHERTEXTS_SEEDED:
        if (second < 1 || second > params.maxLevel()) {
          return -1;
        }
        return BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES + BfvFileFormat.SEED_BYTES
            + BfvFileWriter.streamBytes(count * n, BfvFileFormat.coefficientBits(params, second));
      default:
        return -1;
    }
  }

  /** A copy of {@code b} whose record at {@code at} has {@code payload} bytes of payload: cut, or padded with zeros or noise. */
  static byte[] resized(byte[] b, int at, long payload, SplittableRandom r) {
    int oldEnd = IoFixtures.nextRecord(b, at);
    int newEnd = (int) (at + BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES);
    byte[] c = new byte[b.length - oldEnd + newEnd];
    int keep = (int) Math.min(oldEnd - BfvFileFormat.TRAILER_BYTES, newEnd - BfvFileFormat.TRAILER_BYTES);
    System.arraycopy(b, 0, c, 0, keep);
    if (r.nextInt(4) == 0) {
      for (int k = keep; k < newEnd - BfvFileFormat.TRAILER_BYTES; k++) {
        c[k] = (byte) r.nextInt(256);
      }
    }
    System.arraycopy(b, oldEnd, c, newEnd, b.length - oldEnd);
    le(c).putLong(at + 44, payload);
    IoFixtures.fixChecksum(c, at);
    return c;
  }

  /**
   * The record at {@code at} given {@code payload} bytes: materialized if small, else with its zeros
   * synthesized after its descriptor (and seed).
   */
  static Mutant reframed(byte[] b, int at, long payload, boolean fixChecksum, SplittableRandom r, String how) {
    long oldPayload = le(b).getLong(at + 44);
    if (payload <= oldPayload + 65_536) {
      byte[] c = resized(b, at, payload, r);
      return new Mutant(c, null, null, how + ", payload " + oldPayload + " -> " + payload);
    }
    // The descriptor, a BGV record's factor and a seeded record's seed: what precedes the residues.
    int fields = (int) Math.min(oldPayload, BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES + BfvFileFormat.SEED_BYTES);
    int oldEnd = IoFixtures.nextRecord(b, at);
    byte[] head = Arrays.copyOfRange(b, at, at + BfvFileFormat.HEADER_BYTES);
    byte[] descriptor = Arrays.copyOfRange(b, at + BfvFileFormat.HEADER_BYTES, at + BfvFileFormat.HEADER_BYTES + fields);
    IoFixtures.HugeRecord huge = IoFixtures.hugeRecord(head, descriptor, payload, fixChecksum);
    return new Mutant(Arrays.copyOf(b, at), huge, Arrays.copyOfRange(b, oldEnd, b.length), how + ", payload " + oldPayload + " -> " + payload + " (synthesized)");
  }

  /** A mutant of {@code t}: half the time a header, descriptor or attributes edit, else byte damage; checksums mostly recomputed. */
  static Mutant mutate(Target t, SplittableRandom r) {
    byte[] b = t.content().clone();
    List<Integer> recs = records(b);
    int at = recs.get(r.nextInt(recs.size()));
    boolean fix = r.nextInt(4) != 0;
    ByteBuffer v = le(b);
    ObjectType type = ObjectType.ofCode(v.getShort(at + 10) & 0xFFFF);
    boolean polynomial = type != ObjectType.PARAMETERS && type != ObjectType.ATTRIBUTES && type != ObjectType.SECRET_KEY;
    int d = at + BfvFileFormat.HEADER_BYTES;
    String how;
    switch (r.nextInt(10)) {
      case 0 -> {
        int version = r.nextBoolean() ? r.nextInt(4) : r.nextInt(1 << 16);
        v.putShort(at + 8, (short) version);
        how = "version " + version;
      }
      case 1 -> {
        int code = r.nextInt(4) == 0 ? r.nextInt(1 << 16) : 1 + r.nextInt(ObjectType.values().length);
        v.putShort(at + 10, (short) code);
        how = "type code " + code;
      }
      case 2 -> {
        long old = v.getLong(at + 44);
        long payload = switch (r.nextInt(5)) {
          case 0 -> old + r.nextInt(129) - 64;
          case 1 -> old * (2 + r.nextInt(3));
          case 2 -> old / (2 + r.nextInt(3));
          case 3 -> INTERESTING_64[r.nextInt(INTERESTING_64.length)];
          default -> r.nextLong(1L << (1 + r.nextInt(62)));
        };
        if (payload >= BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.SEED_BYTES && payload <= BfvFileFormat.MAX_PAYLOAD && r.nextBoolean()) {
          return reframed(b, at, payload, fix, r, "length of the record at " + at);
        }
        v.putLong(at + 44, payload);
        how = "length " + old + " -> " + payload + " (frame broken)";
      }
      case 3 -> {
        b[at + 12 + r.nextInt(32)] ^= (byte) (1 << r.nextInt(8));
        how = "fingerprint bit";
      }
      case 4, 5, 6, 7 -> {
        if (type == ObjectType.ATTRIBUTES) {
          return attributesEdit(b, at, fix, r);
        }
        if (!polynomial) {
          int field = d + r.nextInt((int) Math.min(8, v.getLong(at + 44)));
          b[field] = (byte) (r.nextBoolean() ? r.nextInt(256) : b[field] + 1);
          how = "fixed field at " + field;
          break;
        }
        // Counts most often: they are what a crafted file inflates.
        int field = r.nextBoolean() ? 4 : r.nextInt(4);
        long count = COUNTS[r.nextInt(COUNTS.length)];
        switch (field) {
          case 0 -> b[d] = (byte) (r.nextBoolean() ? r.nextInt(4) : r.nextInt(256));
          case 1 -> b[d + 1] = (byte) (r.nextBoolean() ? r.nextInt(8) : r.nextInt(256));
          case 2 -> b[d + 2] = (byte) r.nextInt(5);
          case 3 -> b[d + 3] = (byte) r.nextInt(3);
          default -> v.putInt(d + 4, (int) count);
        }
        how = "descriptor field " + field + " of the record at " + at + (field == 4 ? " (count " + count + ")" : "");
        long implied = impliedPayload(b, at);
        if (implied >= 0 && implied <= BfvFileFormat.MAX_PAYLOAD && r.nextInt(3) != 0) {
          return reframed(b, at, implied, fix, r, how);
        }
      }
      default -> {
        return new Mutant(maybeFixed(damageBytes(b, r), fix), null, null, "byte damage");
      }
    }
    return new Mutant(maybeFixed(b, fix), null, null, how);
  }

  /** The attributes record at {@code at} rewritten with an edited map (or its count or a length field edited). */
  static Mutant attributesEdit(byte[] b, int at, boolean fix, SplittableRandom r) {
    Map<String, String> a;
    try (BfvFileReader in = BfvFileReader.of(Arrays.copyOfRange(b, at, IoFixtures.nextRecord(b, at)), "attributes")) {
      a = new TreeMap<>(in.readAttributes(params));
    }
    String how;
    if (r.nextInt(3) == 0) {
      // A raw edit of the entry count or the first key's length, inside a consistent frame.
      int field = r.nextBoolean() ? at + BfvFileFormat.HEADER_BYTES : at + BfvFileFormat.HEADER_BYTES + 4;
      if (field == at + BfvFileFormat.HEADER_BYTES) {
        le(b).putInt(field, (int) COUNTS[r.nextInt(COUNTS.length)]);
      } else {
        le(b).putShort(field, (short) r.nextInt(1 << 16));
      }
      return new Mutant(maybeFixed(b, fix), null, null, "attributes field at " + field);
    }
    List<String> keys = new ArrayList<>(a.keySet());
    String key = keys.get(r.nextInt(keys.size()));
    switch (r.nextInt(4)) {
      case 0 -> {
        a.remove(key);
        how = "attribute " + key + " removed";
      }
      case 1 -> {
        a.put(key, "x".repeat(r.nextInt(1100)));
        how = "attribute " + key + " long";
      }
      default -> {
        String value = NUMBERS[r.nextInt(NUMBERS.length)];
        a.put(key, value);
        how = "attribute " + key + " = '" + value + "'";
      }
    }
    byte[] record;
    try {
      BfvFileWriter w = BfvFileWriter.inMemory();
      // The writer refuses what the reader would: write unchecked bytes for those.
      w.writeAttributes(params, a);
      record = w.toByteArray();
    } catch (RuntimeException e) {
      return new Mutant(maybeFixed(b, fix), null, null, how + " (not writable: unchanged)");
    }
    int end = IoFixtures.nextRecord(b, at);
    byte[] c = new byte[b.length - (end - at) + record.length];
    System.arraycopy(b, 0, c, 0, at);
    System.arraycopy(record, 0, c, at, record.length);
    System.arraycopy(b, end, c, at + record.length, b.length - end);
    return new Mutant(c, null, null, how);
  }

  static byte[] maybeFixed(byte[] b, boolean fix) {
    if (fix) {
      fixChecksums(b);
    }
    return b;
  }

  /** Recomputes the checksum of every record whose frame is still intact enough to locate. */
  static void fixChecksums(byte[] b) {
    int at = 0;
    while (at + BfvFileFormat.HEADER_BYTES + BfvFileFormat.TRAILER_BYTES <= b.length) {
      long payload = le(b).getLong(at + 44);
      if (payload < 0 || at + BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES > b.length) {
        return;
      }
      IoFixtures.fixChecksum(b, at);
      at = IoFixtures.nextRecord(b, at);
    }
  }

  // ---- the run ----

  /** What a run saw. */
  static final class Tally {
    int iterations;
    int accepted;
    int huge;
    final int[] codes = new int[SerializationException.Code.values().length];

    String summary() {
      StringBuilder s = new StringBuilder("iterations=" + iterations + " accepted=" + accepted + " huge=" + huge);
      for (SerializationException.Code c : SerializationException.Code.values()) {
        s.append(' ').append(c).append('=').append(codes[c.ordinal()]);
      }
      return s.toString();
    }
  }

  private static volatile long iterationStart = System.nanoTime();
  private static volatile String current = "setting up";

  /** One iteration; a failure is thrown as an AssertionError naming it. */
  static void iteration(long seed, int i, Tally tally) {
    SplittableRandom r = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * i);
    Target t = corpus.get(r.nextInt(corpus.size()));
    Mutant m = mutate(t, r);
    current = "seed " + seed + ", iteration " + i + " (" + t.name() + ": " + m.how() + ", " + m.size() + " bytes)";
    iterationStart = System.nanoTime();
    if (m.huge() != null) {
      tally.huge++;
    }
    try (BfvFileReader reader = m.open(t.name() + "-mutant")) {
      t.read().accept(reader);
      tally.accepted++;
    } catch (SerializationException e) {
      tally.codes[e.code().ordinal()]++;
    } catch (Throwable e) {
      throw new AssertionError(current + ": " + e, e);
    }
    tally.iterations++;
  }

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
          Runtime.getRuntime().halt(2);
        }
      }
    }, "fuzz watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      setUp();
      Tally tally = new Tally();
      if (only >= 0) {
        iteration(seed, only, tally);
      } else {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        for (int i = 0; i < MIN_ITERATIONS || System.nanoTime() < deadline; i++) {
          iteration(seed, i, tally);
        }
      }
      System.out.println("RESULT " + tally.summary());
      tearDown();
      System.exit(0);
    } catch (Throwable e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      System.out.println("FAIL " + e.getMessage() + "\n" + trace);
      System.out.flush();
      Runtime.getRuntime().halt(1);
    }
  }
}
