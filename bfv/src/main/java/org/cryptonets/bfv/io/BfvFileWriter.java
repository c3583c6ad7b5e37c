package org.cryptonets.bfv.io;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.LockedBuffer;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;

/**
 * Writes records in the {@link BfvFileFormat} to a file, all or nothing: records go to a temporary
 * file next to the target, which {@link #commit()} flushes to disk and moves over the target in one
 * atomic rename; closing without committing deletes it. A reader never sees half a file, and a
 * failed write leaves an existing target untouched.
 *
 * <p>{@link Access#OWNER_ONLY} files are created with permissions 0600 from the start (POSIX), so
 * the secret key is never readable by others, not even briefly. Secret-key bytes are staged in a
 * {@link LockedBuffer} and written from there, never through a heap array.
 *
 * <p>BFV and BGV objects have record types of their own ({@link ObjectType}); the batch methods
 * choose the record from {@link CiphertextBatch#scheme()}.
 *
 * <p>Not thread-safe. Every method throws {@link SerializationException}: IO_ERROR when the file
 * system fails, INVALID_FIELD for objects that cannot be written (a batch without a seed written
 * as seeded, a size-3 batch as seeded, a BGV batch whose correction factor is not in [1, t)).
 */
public final class BfvFileWriter implements AutoCloseable {
  /** Who may read the file. */
  public enum Access {
    /** Default permissions for public material: evaluation keys, ciphertexts. */
    PUBLIC,
    /** Readable and writable by the owner only (0600): secret keys. */
    OWNER_ONLY
  }

  private static final int STAGING_BYTES = 1 << 20;
  /** Longs per host chunk when moving polynomials off the backend: about 32 MB. */
  private static final long CHUNK_LONGS = 1L << 22;

  private final Path target;
  private final Path temp;
  private final WritableByteChannel channel;
  private final ByteArrayOutputStream memory;
  private final ByteBuffer staging = ByteBuffer.allocate(STAGING_BYTES);
  private long bytes;
  private boolean done;

  private BfvFileWriter(Path target, Path temp, WritableByteChannel channel, ByteArrayOutputStream memory) {
    this.target = target;
    this.temp = temp;
    this.channel = channel;
    this.memory = memory;
  }

  /**
   * Starts a file that {@link #commit()} will move to {@code target}.
   *
   * @throws SerializationException IO_ERROR if the temporary file cannot be created (missing
   *     folder, no permission)
   */
  /**
   * Temporary files not yet committed or closed: a shutdown hook deletes them, so a run stopped by
   * SIGTERM or Ctrl-C leaves no half-written file behind (SIGKILL cannot be caught).
   */
  private static final Set<Path> PENDING = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Path p : PENDING) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort while the JVM goes down
        }
      }
    }, "cryptonets-temp-cleanup"));
  }

  public static BfvFileWriter create(Path target, Access access) {
    Path dir = target.toAbsolutePath().getParent();
    Path temp = null;
    try {
      boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
      String prefix = "." + target.getFileName() + "-";
      if (posix) {
        Set<PosixFilePermission> perms = PosixFilePermissions.fromString(access == Access.OWNER_ONLY ? "rw-------" : "rw-r--r--");
        FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(perms);
        temp = Files.createTempFile(dir, prefix, ".tmp", attr);
        // The umask may have narrowed the requested permissions of a public file; set them as asked.
        Files.setPosixFilePermissions(temp, perms);
      } else {
        temp = Files.createTempFile(dir, prefix, ".tmp");
        if (access == Access.OWNER_ONLY) {
          // Without POSIX permissions, restrict through java.io.File as far as the platform allows.
          File f = temp.toFile();
          boolean ok = f.setReadable(false, false) & f.setReadable(true, true) & f.setWritable(false, false) & f.setWritable(true, true);
          if (!ok) {
            System.getLogger(BfvFileWriter.class.getName()).log(System.Logger.Level.WARNING, "cannot restrict " + target + " to its owner on this file system");
          }
        }
      }
      PENDING.add(temp);
      FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      return new BfvFileWriter(target, temp, ch, null);
    } catch (IOException | UnsupportedOperationException e) {
      if (temp != null) {
        PENDING.remove(temp);
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // The original failure is what matters.
        }
      }
      throw new SerializationException(SerializationException.Code.IO_ERROR, "cannot create a file next to " + target + ": " + e, e);
    }
  }

  /** A writer into memory, for tests and checksums of the format; {@link #toByteArray()} gives the bytes. */
  public static BfvFileWriter inMemory() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    return new BfvFileWriter(null, null, Channels.newChannel(out), out);
  }

  /** The bytes written so far by an {@link #inMemory()} writer. */
  public byte[] toByteArray() {
    if (memory == null) {
      throw new IllegalStateException("not an in-memory writer");
    }
    return memory.toByteArray();
  }

  /** Bytes written so far (the file's size once committed). */
  public long bytesWritten() {
    return bytes;
  }

  private SerializationException ioError(IOException e) {
    return new SerializationException(SerializationException.Code.IO_ERROR, "cannot write " + (target == null ? "to memory" : target.toString()) + ": " + e, e);
  }

  private void checkOpen() {
    if (done) {
      throw new IllegalStateException("writer already committed or closed");
    }
  }

  private RecordOutput begin(ObjectType type, BfvParameters params, long payload, ByteBuffer buffer) throws IOException {
    checkOpen();
    RecordOutput out = new RecordOutput(channel, buffer);
    out.bytes(BfvFileFormat.magic());
    out.u16(BfvFileFormat.VERSION);
    out.u16(type.code());
    out.bytes(BfvFileFormat.fingerprintBytes(params));
    out.u64(payload);
    return out;
  }

  private void end(RecordOutput out, long payload) throws IOException {
    if (out.written() != BfvFileFormat.HEADER_BYTES + payload) {
      throw new IllegalStateException("record of " + out.written() + " bytes; its header announced " + (BfvFileFormat.HEADER_BYTES + payload));
    }
    bytes += out.finish();
  }

  /** Writes the parameter set (primes listed explicitly, so the reader needs no prime search). */
  public BfvFileWriter writeParameters(BfvParameters params) {
    int kq = params.maxLevel();
    int kt = params.plainModuli().size();
    long payload = 8 + 8L * (kq + kt);
    try {
      RecordOutput out = begin(ObjectType.PARAMETERS, params, payload, staging);
      out.u32(params.n());
      out.u8(params.security().bits() >= 128 ? 1 : 0);
      out.u8(kq);
      out.u8(kt);
      out.u8(0);
      for (Modulus q : params.coeffBasis().moduli()) {
        out.u64(q.value());
      }
      for (Modulus t : params.plainModuli()) {
        out.u64(t.value());
      }
      end(out, payload);
    } catch (IOException e) {
      throw ioError(e);
    }
    return this;
  }

  /**
   * Writes printable key/value text bound to {@code params}, keys in sorted order.
   *
   * @throws SerializationException INVALID_FIELD for a key outside [a-z0-9._-]{1,64}, a value that
   *     is not printable ASCII or longer than 1024 characters, or more than 256 entries
   */
  public BfvFileWriter writeAttributes(BfvParameters params, Map<String, String> attributes) {
    TreeMap<String, String> sorted = new TreeMap<>(attributes);
    if (sorted.size() > BfvFileFormat.MAX_ATTRIBUTES) {
      throw new SerializationException(SerializationException.Code.INVALID_FIELD, sorted.size() + " attributes; at most " + BfvFileFormat.MAX_ATTRIBUTES);
    }
    long payload = 4;
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      String why = BfvFileReader.checkAttribute(e.getKey(), e.getValue());
      if (why != null) {
        throw new SerializationException(SerializationException.Code.INVALID_FIELD, why);
      }
      payload += 4 + e.getKey().length() + e.getValue().length();
    }
    try {
      RecordOutput out = begin(ObjectType.ATTRIBUTES, params, payload, staging);
      out.u32(sorted.size());
      for (Map.Entry<String, String> e : sorted.entrySet()) {
        out.u16(e.getKey().length());
        out.bytes(e.getKey().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.u16(e.getValue().length());
        out.bytes(e.getValue().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      end(out, payload);
    } catch (IOException e) {
      throw ioError(e);
    }
    return this;
  }

  /** Writes the public key. */
  public BfvFileWriter writePublicKey(PublicKey key) {
    BfvParameters params = key.parameters();
    writeKeyPolys(ObjectType.PUBLIC_KEY, params, 1, key.residues());
    return this;
  }

  /** Writes the relinearization keys. */
  public BfvFileWriter writeRelinKeys(RelinKeys keys) {
    BfvParameters params = keys.parameters();
    writeKeyPolys(ObjectType.RELIN_KEYS, params, params.maxLevel(), keys.residues());
    return this;
  }

  /**
   * Writes the BGV public key: one (pk0, pk1) pair per plaintext prime, in the order of {@link
   * BgvPublicKey#residues()}.
   *
   * @throws SerializationException IO_ERROR if the file system fails
   */
  public BfvFileWriter writeBgvPublicKey(BgvPublicKey key) {
    BfvParameters params = key.parameters();
    writeKeyPolys(ObjectType.BGV_PUBLIC_KEY, params, bgvPublicKeyPairs(params), key.residues());
    return this;
  }

  /**
   * Writes the BGV relinearization keys: for each plaintext prime, one (b_i, a_i) pair per prime of
   * Q, in the order of {@link BgvRelinKeys#residues()}.
   *
   * @throws SerializationException IO_ERROR if the file system fails
   */
  public BfvFileWriter writeBgvRelinKeys(BgvRelinKeys keys) {
    BfvParameters params = keys.parameters();
    writeKeyPolys(ObjectType.BGV_RELIN_KEYS, params, bgvRelinKeyPairs(params), keys.residues());
    return this;
  }

  /** Key pairs of a BGV public key: one per plaintext prime. */
  static int bgvPublicKeyPairs(BfvParameters params) {
    return params.plainModuli().size();
  }

  /** Key pairs of BGV relinearization keys: one per (plaintext prime, prime of Q). */
  static int bgvRelinKeyPairs(BfvParameters params) {
    return params.plainModuli().size() * params.maxLevel();
  }

  private void writeKeyPolys(ObjectType type, BfvParameters params, int count, long[] residues) {
    int level = params.maxLevel();
    long payload = BfvFileFormat.DESCRIPTOR_BYTES + streamBytes((long) count * 2 * params.n(), BfvFileFormat.coefficientBits(params, level));
    try {
      RecordOutput out = begin(type, params, payload, staging);
      descriptor(out, BfvFileFormat.NO_PLAIN_INDEX, level, 2, BfvFileFormat.FORM_NTT, count);
      packResidues(out, params.coeffBasis(), residues, 2 * count);
      end(out, payload);
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  /** Bytes of a bit stream of {@code coefficients} coefficients at {@code bitsEach} bits. */
  static long streamBytes(long coefficients, long bitsEach) {
    return (coefficients * bitsEach + 7) / 8;
  }

  private static void descriptor(RecordOutput out, int plainIndex, int level, int size, int form, int count) throws IOException {
    out.u8(plainIndex);
    out.u8(level);
    out.u8(size);
    out.u8(form);
    out.u32(count);
  }

  /** Packs {@code polys} polynomials of {@code basis} from a host array in backend layout. */
  private static void packResidues(RecordOutput out, RnsBasis basis, long[] host, int polys) throws IOException {
    int n = basis.n();
    int l = basis.size();
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        int bits = basis.modulus(i).bits();
        int base = (p * l + i) * n;
        for (int j = 0; j < n; j++) {
          out.bits(host[base + j], bits);
        }
      }
    }
  }

  /**
   * Writes the secret key at two bits per coefficient, staged in locked memory. Write it with
   * {@link Access#OWNER_ONLY}.
   */
  public BfvFileWriter writeSecretKey(SecretKey key) {
    BfvParameters params = key.parameters();
    int n = params.n();
    long payload = n / 4;
    try (LockedBuffer locked = LockedBuffer.allocate(4096)) {
      RecordOutput out = begin(ObjectType.SECRET_KEY, params, payload, locked.view());
      try {
        for (int j = 0; j < n; j += 4) {
          int b = 0;
          for (int d = 0; d < 4; d++) {
            int s = key.coefficient(j + d);
            b |= (s == 0 ? 0 : s == 1 ? 1 : 2) << (2 * d);
          }
          out.u8(b);
        }
        end(out, payload);
      } finally {
        out.wipe();
      }
    } catch (IOException e) {
      throw ioError(e);
    }
    return this;
  }

  /**
   * Writes every polynomial of a batch, in its form and at its level: a CIPHERTEXTS record for a
   * BFV batch, a BGV_CIPHERTEXTS record (with the correction factor) for a BGV batch.
   *
   * @throws SerializationException INVALID_FIELD for a BGV batch whose correction factor is not in
   *     [1, t) (allocated but never written) or that is not in NTT form; IO_ERROR
   */
  public BfvFileWriter writeCiphertexts(CiphertextBatch batch) {
    if (batch.scheme() == Scheme.BGV) {
      return writeBgvCiphertexts(batch);
    }
    BfvParameters params = batch.parameters();
    int size = batch.size();
    long payload = BfvFileFormat.DESCRIPTOR_BYTES
        + streamBytes((long) batch.count() * size * params.n(), BfvFileFormat.coefficientBits(params, batch.level()));
    try {
      RecordOutput out = begin(ObjectType.CIPHERTEXTS, params, payload, staging);
      descriptor(out, batch.plainIndex(), batch.level(), size, batch.isNttForm() ? BfvFileFormat.FORM_NTT : BfvFileFormat.FORM_COEFFICIENT, batch.count());
      writeBatchPolys(out, batch, false);
      end(out, payload);
    } catch (IOException e) {
      throw ioError(e);
    }
    return this;
  }

  private BfvFileWriter writeBgvCiphertexts(CiphertextBatch batch) {
    long factor = requireBgvFactor(batch);
    BfvParameters params = batch.parameters();
    int size = batch.size();
    long payload = BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES
        + streamBytes((long) batch.count() * size * params.n(), BfvFileFormat.coefficientBits(params, batch.level()));
    try {
      RecordOutput out = begin(ObjectType.BGV_CIPHERTEXTS, params, payload, staging);
      descriptor(out, batch.plainIndex(), batch.level(), size, BfvFileFormat.FORM_NTT, batch.count());
      out.u32(factor);
      writeBatchPolys(out, batch, false);
      end(out, payload);
    } catch (IOException e) {
      throw ioError(e);
    }
    return this;
  }

  /** The correction factor of a BGV batch, checked to be in [1, t) and the batch in NTT form. */
  private static long requireBgvFactor(CiphertextBatch batch) {
    long t = batch.parameters().plainModulus(batch.plainIndex()).value();
    long factor = batch.correctionFactor();
    if (factor < 1 || factor >= t) {
      throw new SerializationException(SerializationException.Code.INVALID_FIELD, batch + ": correction factor " + factor + " is not in [1, " + t
          + ")" + (factor == 0 ? " (a batch allocated but never written)" : ""));
    }
    if (!batch.isNttForm()) {
      throw new SerializationException(SerializationException.Code.INVALID_FIELD, batch + ": BGV batches are written in NTT form");
    }
    return factor;
  }

  /**
   * Writes a fresh symmetric encryption as its c0 halves and its seed: for BFV a
   * CIPHERTEXTS_SEEDED or CIPHERTEXTS_SEEDED_AT_LEVEL record (as {@link CiphertextBatch#seedLevel()}
   * says), for BGV a BGV_CIPHERTEXTS_SEEDED record (c1 is the seed's expansion over the batch's
   * level, what {@code BgvEncryptor} makes at any level).
   *
   * @throws SerializationException INVALID_FIELD if the batch has no seed (not a fresh symmetric
   *     encryption), or is a BGV batch whose factor is not in [1, t); IO_ERROR
   */
  public BfvFileWriter writeSeededCiphertexts(CiphertextBatch batch) {
    byte[] seed = batch.seed();
    if (seed == null) {
      throw new SerializationException(SerializationException.Code.INVALID_FIELD, batch + " has no seed: only symmetric encryptions can be written seeded");
    }
    if (batch.scheme() == Scheme.BGV) {
      return writeSeeded(batch, seed, ObjectType.BGV_CIPHERTEXTS_SEEDED);
    }
    boolean atLevel = batch.seedLevel() == batch.level() && batch.level() < batch.parameters().maxLevel();
    return writeSeeded(batch, seed, atLevel ? ObjectType.CIPHERTEXTS_SEEDED_AT_LEVEL : ObjectType.CIPHERTEXTS_SEEDED);
  }

  /**
   * Writes a seeded batch: {@code batch} is a fresh symmetric encryption with this seed, or one
   * switched down to a lower level with {@code Evaluator.modSwitchTo}, possibly converted between
   * forms, whose c1 halves the reader recomputes from the seed. Only c0 is written; nothing here
   * can check that the c1 halves really came from the seed, so pass the seed the encryptor gave.
   * A BGV batch is written as a BGV_CIPHERTEXTS_SEEDED record: it must be a fresh {@code
   * BgvEncryptor} encryption at its level (possibly with plaintexts added), since BGV modulus
   * switching changes c1.
   *
   * @throws SerializationException INVALID_FIELD unless the batch has size 2 and the seed 32 bytes,
   *     or for a BGV batch whose factor is not in [1, t); IO_ERROR
   */
  public BfvFileWriter writeSeededCiphertexts(CiphertextBatch batch, byte[] seed) {
    return writeSeeded(batch, seed, batch.scheme() == Scheme.BGV ? ObjectType.BGV_CIPHERTEXTS_SEEDED : ObjectType.CIPHERTEXTS_SEEDED);
  }

  /**
   * Writes a batch encrypted directly at its level by {@code Encryptor.encrypt(plaintexts, level)}
   * with this seed: c1 is the seed's expansion over the level's primes (NTT form), so the reader
   * regenerates it without any switch. Only c0 is written. A BGV batch is written as a
   * BGV_CIPHERTEXTS_SEEDED record, whose c1 is always the expansion at the record's level.
   *
   * @throws SerializationException INVALID_FIELD unless the batch has size 2 and the seed 32 bytes,
   *     or for a BGV batch whose factor is not in [1, t); IO_ERROR
   */
  public BfvFileWriter writeSeededAtLevelCiphertexts(CiphertextBatch batch, byte[] seed) {
    return writeSeeded(batch, seed, batch.scheme() == Scheme.BGV ? ObjectType.BGV_CIPHERTEXTS_SEEDED : ObjectType.CIPHERTEXTS_SEEDED_AT_LEVEL);
  }

  private BfvFileWriter writeSeeded(CiphertextBatch batch, byte[] seed, ObjectType type) {
    if (batch.size() != 2 || seed == null || seed.length != BfvFileFormat.SEED_BYTES) {
      throw new SerializationException(SerializationException.Code.INVALID_FIELD, "a seeded batch needs size-2 ciphertexts and a 32-byte seed; got " + batch);
    }
    boolean bgv = type == ObjectType.BGV_CIPHERTEXTS_SEEDED;
    long factor = bgv ? requireBgvFactor(batch) : 1;
    BfvParameters params = batch.parameters();
    long payload = BfvFileFormat.DESCRIPTOR_BYTES + (bgv ? BfvFileFormat.FACTOR_BYTES : 0) + BfvFileFormat.SEED_BYTES
        + streamBytes((long) batch.count() * params.n(), BfvFileFormat.coefficientBits(params, batch.level()));
    try {
      RecordOutput out = begin(type, params, payload, staging);
      descriptor(out, batch.plainIndex(), batch.level(), 2, batch.isNttForm() ? BfvFileFormat.FORM_NTT : BfvFileFormat.FORM_COEFFICIENT, batch.count());
      if (bgv) {
        out.u32(factor);
      }
      out.bytes(seed);
      writeBatchPolys(out, batch, true);
      end(out, payload);
    } catch (IOException e) {
      throw ioError(e);
    }
    return this;
  }

  /** Downloads the batch a chunk of ciphertexts at a time and packs c0 only or every component. */
  private static void writeBatchPolys(RecordOutput out, CiphertextBatch batch, boolean c0Only) throws IOException {
    BfvParameters params = batch.parameters();
    RnsBasis basis = params.basisAt(batch.level());
    Backend backend = batch.buffer().backend();
    int polysPer = c0Only ? 1 : batch.size();
    long perCiphertext = (long) polysPer * basis.size() * params.n();
    int chunk = (int) Math.max(1, Math.min(batch.count(), CHUNK_LONGS / perCiphertext));
    long[] host = new long[(int) (chunk * perCiphertext)];
    for (int first = 0; first < batch.count(); first += chunk) {
      int c = Math.min(chunk, batch.count() - first);
      PolyRange range = c0Only ? batch.component(0).sub(first, c) : batch.ciphertexts(first, c);
      long[] h = c == chunk ? host : new long[(int) (c * perCiphertext)];
      backend.download(range, h);
      packResidues(out, basis, h, c * polysPer);
    }
  }

  /**
   * Writes compressed result ciphertexts (a COMPRESSED_RESULTS record).
   *
   * @throws SerializationException IO_ERROR if the file system fails
   */
  public BfvFileWriter writeCompressed(CompressedCiphertexts c) {
    return writeCompressed(c, ObjectType.COMPRESSED_RESULTS, 1);
  }

  /**
   * Writes results of either scheme: BFV results (factor 1) as a COMPRESSED_RESULTS record, the
   * same bytes as {@link #writeCompressed}; BGV results as a COMPRESSED_RESULTS_FACTORED record
   * carrying their factor g.
   *
   * @throws SerializationException INVALID_FIELD for a factor outside [1, t) (which {@link
   *     CompressedResults} never holds); IO_ERROR
   */
  public BfvFileWriter writeCompressedResults(CompressedResults results) {
    CompressedCiphertexts c = results.ciphertexts();
    if (results.scheme() == Scheme.BFV) {
      return writeCompressed(c);
    }
    long t = c.parameters().plainModulus(c.plainIndex()).value();
    long g = results.plainFactor();
    if (g < 1 || g >= t) {
      throw new SerializationException(SerializationException.Code.INVALID_FIELD, "result factor " + g + " is not in [1, " + t + ")");
    }
    return writeCompressed(c, ObjectType.COMPRESSED_RESULTS_FACTORED, g);
  }

  private BfvFileWriter writeCompressed(CompressedCiphertexts c, ObjectType type, long factor) {
    BfvParameters params = c.parameters();
    long[] values = c.values();
    boolean factored = type == ObjectType.COMPRESSED_RESULTS_FACTORED;
    long payload = BfvFileFormat.DESCRIPTOR_BYTES + (factored ? BfvFileFormat.FACTOR_BYTES : 0) + streamBytes(values.length, c.bits());
    try {
      RecordOutput out = begin(type, params, payload, staging);
      out.u8(c.plainIndex());
      out.u8(c.bits());
      out.u8(2);
      out.u8(0);
      out.u32(c.count());
      if (factored) {
        out.u32(factor);
      }
      for (long v : values) {
        out.bits(v, c.bits());
      }
      end(out, payload);
    } catch (IOException e) {
      throw ioError(e);
    }
    return this;
  }

  /**
   * Flushes the file to disk and moves it over the target in one rename.
   *
   * @throws SerializationException IO_ERROR if that fails (the target is then unchanged)
   */
  public void commit() {
    checkOpen();
    done = true;
    if (memory != null) {
      return;
    }
    try {
      ((FileChannel) channel).force(true);
      channel.close();
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      PENDING.remove(temp);
    } catch (IOException e) {
      deleteTemp();
      throw new SerializationException(SerializationException.Code.IO_ERROR, "cannot move the finished file to " + target + ": " + e, e);
    }
  }

  private void deleteTemp() {
    try {
      channel.close();
      if (temp != null) {
        Files.deleteIfExists(temp);
        PENDING.remove(temp);
      }
    } catch (IOException ignored) {
      // Best effort: a leftover hidden temporary file is harmless and named after the target.
    }
  }

  /** Deletes the temporary file unless {@link #commit()} succeeded. */
  @Override
  public void close() {
    if (!done) {
      done = true;
      deleteTemp();
    }
  }
}
