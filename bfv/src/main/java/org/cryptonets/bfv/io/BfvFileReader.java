package org.cryptonets.bfv.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.cryptonets.bfv.BfvException;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvEncryptor;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.LockedBuffer;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;

/**
 * Reads the records of a {@link BfvFileFormat} file in order, validating everything before an
 * object is handed out:
 * <ol>
 *   <li>that the path is a regular file, before opening it ({@link #open});
 *   <li>the magic number and the format version;
 *   <li>the payload length, against an absolute bound, against the bytes left in the file, against
 *       the largest record of the expected type that the parameters (and the caller's expected
 *       count, where it has one) allow, and against the memory budget; all before the checksum
 *       pass, so a header announcing gigabytes is refused without reading them;
 *   <li>the CRC-32C of the whole record, in a first pass (so damage is reported as damage, not as
 *       whatever field it happened to hit);
 *   <li>the object type against what the caller asked for, and the parameter fingerprint against
 *       the parameters the caller gave;
 *   <li>every descriptor field against its domain, the count against the caller's expected count,
 *       the payload length against the exact length the parameters and the descriptor imply, and
 *       the memory the object will take against the budget, all before it is allocated;
 *   <li>every residue below its prime q_i, every secret-key code in {-1, 0, 1}, zero padding;
 *   <li>the checksum again over the bytes actually parsed (so a file changed between the passes
 *       is caught).
 * </ol>
 * Large batches are moved to the backend a chunk at a time while they are parsed (host chunks of at
 * most 32 MB, through a 1 MB staging buffer); if anything fails, what was allocated is released
 * and no object is returned.
 *
 * <p><b>Memory budget.</b> Loading one record never takes more than {@link #memoryBudget()} bytes
 * (the object handed out, in Java or backend memory, plus the reader's transient buffers). The
 * default, {@link #defaultMemoryBudget()}, is a quarter of the JVM's maximum heap ({@code -Xmx}),
 * or the value in bytes of the system property {@value #BUDGET_PROPERTY} (suffixes k, m, g);
 * {@link #withMemoryBudget} sets another per reader. Since a residue packed in a file never takes
 * more than the 8 bytes it takes in memory, no valid record has a payload larger than its memory,
 * so a payload beyond the budget is refused from its header alone. A record's memory is thus
 * bounded by the budget, the parameters and the file's real size, whatever its header says.
 *
 * <p>The checksum detects damage, not tampering: a ciphertext encrypted under another secret key
 * with the same parameters passes every check here (it is well-formed), and decrypts to noise.
 *
 * <p><b>Schemes.</b> BFV and BGV objects have record types of their own. The BFV methods ({@link
 * #readPublicKey}, {@link #readRelinKeys}, {@link #readCiphertexts(BfvParameters, Backend, int)},
 * {@link #readCompressed}) refuse BGV records with WRONG_TYPE, and the BGV methods ({@link
 * #readBgvPublicKey}, {@link #readBgvRelinKeys}, {@link #readCiphertexts(BfvParameters, Backend,
 * Scheme, int)} with {@link Scheme#BGV}) refuse BFV records the same way. {@link
 * #readCompressedResults} takes the results of either scheme.
 *
 * <p>Not thread-safe. Every method throws {@link SerializationException} and nothing else for bad
 * input (NOT_A_REGULAR_FILE, OVER_BUDGET and the format's codes); messages name the file, the
 * record's index, type and byte offset, what was expected and what was found.
 */
public final class BfvFileReader implements AutoCloseable {
  /** The system property that sets the default memory budget, in bytes (suffixes k, m, g). */
  public static final String BUDGET_PROPERTY = "cryptonets.io.memoryBudget";
  private static final int STAGING_BYTES = 1 << 20;
  private static final long CHUNK_LONGS = 1L << 22;
  private static final String BUDGET_HINT = "give the JVM more memory (-Xmx) or set -D" + BUDGET_PROPERTY + "=BYTES";

  private final ByteSource source;
  private final long size;
  private final ByteBuffer staging = ByteBuffer.allocate(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  /** The packed bytes of a chunk for {@link #unpackInParallel}, kept for the next chunk; at most 4 bytes per residue of a chunk. */
  private byte[] raw;
  private long budget = defaultMemoryBudget();
  private long position;
  private int index;

  private BfvFileReader(ByteSource source) throws IOException {
    this.source = source;
    this.size = source.size();
  }

  /**
   * Opens a file, after checking that it is a regular file (following symbolic links): a FIFO
   * without a writer would block the open, a device never ends, a folder has no bytes. (A path
   * swapped for a FIFO between the check and the open is not caught.)
   *
   * @throws SerializationException IO_ERROR if it is missing or unreadable, NOT_A_REGULAR_FILE
   *     for a FIFO, device, socket or folder
   */
  public static BfvFileReader open(Path file) {
    requireRegularFile(file);
    try {
      return new BfvFileReader(ByteSource.of(file));
    } catch (NoSuchFileException e) {
      throw new SerializationException(SerializationException.Code.IO_ERROR, file + ": no such file", e);
    } catch (IOException e) {
      throw new SerializationException(SerializationException.Code.IO_ERROR, file + ": cannot read: " + e, e);
    }
  }

  /** Reads from an array; {@code name} is used in messages. */
  public static BfvFileReader of(byte[] content, String name) {
    try {
      return new BfvFileReader(ByteSource.of(content, name));
    } catch (IOException e) {
      throw new IllegalStateException("an array source cannot fail", e);
    }
  }

  /**
   * Refuses anything but a regular file, without opening it.
   *
   * @throws SerializationException IO_ERROR if it is missing or its attributes unreadable,
   *     NOT_A_REGULAR_FILE otherwise
   */
  static void requireRegularFile(Path file) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new SerializationException(SerializationException.Code.IO_ERROR, file + ": no such file", e);
    } catch (IOException e) {
      throw new SerializationException(SerializationException.Code.IO_ERROR, file + ": cannot read: " + e, e);
    }
    if (attributes.isRegularFile()) {
      return;
    }
    String found = attributes.isDirectory() ? "a folder" : kindOfSpecialFile(file);
    throw new SerializationException(SerializationException.Code.NOT_A_REGULAR_FILE, file + ": expected a regular file, found " + found);
  }

  /** "a FIFO", "a character device", ... from the POSIX file mode where the platform gives it. */
  private static String kindOfSpecialFile(Path file) {
    try {
      int mode = (Integer) Files.getAttribute(file, "unix:mode");
      switch (mode & 0170000) {
        case 0010000:
          return "a FIFO (named pipe)";
        case 0020000:
          return "a character device";
        case 0060000:
          return "a block device";
        case 0140000:
          return "a socket";
        default:
          break;
      }
    } catch (IOException | RuntimeException e) {
      // No "unix" attribute view here: the generic description below.
    }
    return "a FIFO, device or socket";
  }

  /**
   * The budget a new reader starts with: the system property {@value #BUDGET_PROPERTY} (bytes, or
   * with a suffix k, m or g) if set to a positive size, else a quarter of the JVM's maximum heap.
   * A quarter leaves room for the caller's own data and the CPU backend's pool of recycled arrays
   * (up to half the heap).
   */
  public static long defaultMemoryBudget() {
    String v = System.getProperty(BUDGET_PROPERTY);
    if (v != null) {
      long parsed = parseSize(v.trim());
      if (parsed > 0) {
        return parsed;
      }
      System.getLogger(BfvFileReader.class.getName()).log(System.Logger.Level.WARNING,
          "-D" + BUDGET_PROPERTY + "=" + v + ": expected a positive number of bytes (suffixes k, m, g); using a quarter of the maximum heap");
    }
    return Runtime.getRuntime().maxMemory() / 4;
  }

  /** Bytes of "123", "64k", "512m", "2g"; -1 if malformed or beyond 2^62. */
  private static long parseSize(String v) {
    if (v.isEmpty()) {
      return -1;
    }
    int shift = switch (Character.toLowerCase(v.charAt(v.length() - 1))) {
      case 'k' -> 10;
      case 'm' -> 20;
      case 'g' -> 30;
      default -> 0;
    };
    String digits = shift == 0 ? v : v.substring(0, v.length() - 1);
    try {
      long x = Long.parseLong(digits);
      return x < 0 || x > (1L << 62) >> shift ? -1 : x << shift;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Sets the most memory loading one record may take (see the class description).
   *
   * @throws IllegalArgumentException if {@code bytes} is not positive
   */
  public BfvFileReader withMemoryBudget(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("memory budget " + bytes + "; expected a positive number of bytes");
    }
    budget = bytes;
    return this;
  }

  /** The most memory, in bytes, loading one record may take. */
  public long memoryBudget() {
    return budget;
  }

  /** Bytes after the records read so far. */
  public long remaining() {
    return size - position;
  }

  /** Reads from any source (tests: sources far larger than memory). */
  static BfvFileReader of(ByteSource source) {
    try {
      return new BfvFileReader(source);
    } catch (IOException e) {
      throw new SerializationException(SerializationException.Code.IO_ERROR, source.name() + ": cannot read: " + e, e);
    }
  }

  /** Size of the file in bytes. */
  public long size() {
    return size;
  }

  /** True if bytes remain after the records read so far. */
  public boolean hasNext() {
    return position < size;
  }

  /**
   * Checks that nothing follows the records read.
   *
   * @throws SerializationException TRAILING_DATA otherwise
   */
  public void finish() {
    if (position != size) {
      throw new SerializationException(
          SerializationException.Code.TRAILING_DATA, source.name() + ": " + (size - position) + " bytes after the last expected record (at byte " + position + ")");
    }
  }

  @Override
  public void close() {
    try {
      source.close();
    } catch (IOException e) {
      // Nothing was written; a failing close of a read-only file loses nothing.
    }
  }

  // ---- record framing ----

  /** A validated record header. */
  private static final class Header {
    ObjectType type;
    long start;
    long payload;
    int storedCrc;
    byte[] fingerprint;
    String context;

    long payloadStart() {
      return start + BfvFileFormat.HEADER_BYTES;
    }

    long end() {
      return payloadStart() + payload;
    }
  }

  private SerializationException error(SerializationException.Code code, String message) {
    return new SerializationException(code, message);
  }

  private String where() {
    return source.name() + ": record " + index + " at byte " + position + ": ";
  }

  /** "a parameters record", "an attributes record", "a ciphertext batch or seeded ciphertext batch record". */
  private static String describe(EnumSet<ObjectType> types) {
    List<String> names = new ArrayList<>();
    for (ObjectType t : types) {
      names.add(t.description());
    }
    return withArticle(String.join(" or ", names)) + " record";
  }

  private static String withArticle(String noun) {
    return ("aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
  }

  /**
   * Validates the header of the record at the current position, its length against the file, the
   * largest valid record ({@code maxPayload}, {@code bound} saying why) and the budget, then its
   * checksum (first pass), then its type and fingerprint. {@code params} null skips the fingerprint
   * check (parameters records check it against their own content).
   */
  private Header begin(EnumSet<ObjectType> expected, BfvParameters params, ByteBuffer buffer, long maxPayload, String bound) throws IOException {
    raw = null; // a record's memory is its own: the previous record's packed bytes are not kept
    String where = where();
    long remaining = size - position;
    int minimum = BfvFileFormat.HEADER_BYTES + BfvFileFormat.TRAILER_BYTES;
    if (remaining < minimum) {
      throw error(SerializationException.Code.TRUNCATED, where + "expected " + describe(expected) + " of at least " + minimum + " bytes, found "
          + (remaining == 0 ? "the end of the file" : "only " + remaining + " bytes"));
    }
    ByteBuffer h = ByteBuffer.allocate(BfvFileFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    readFully(position, h);
    h.flip();
    byte[] magic = new byte[8];
    h.get(magic);
    if (!BfvFileFormat.isMagic(magic)) {
      throw error(SerializationException.Code.BAD_MAGIC, where + "expected the magic number " + HexFormat.ofDelimiter(" ").formatHex(BfvFileFormat.magic())
          + " of a CryptoNets BFV file, found " + HexFormat.ofDelimiter(" ").formatHex(magic) + hint(magic));
    }
    int version = h.getShort() & 0xFFFF;
    if (version != BfvFileFormat.VERSION) {
      throw error(SerializationException.Code.UNSUPPORTED_VERSION, where + "format version " + version + "; this program reads version " + BfvFileFormat.VERSION);
    }
    int typeCode = h.getShort() & 0xFFFF;
    byte[] fingerprint = new byte[32];
    h.get(fingerprint);
    long payload = h.getLong();
    if (payload < 0 || payload > BfvFileFormat.MAX_PAYLOAD) {
      throw error(SerializationException.Code.LENGTH_OUT_OF_RANGE, where + "payload length " + Long.toUnsignedString(payload) + " is beyond the format's limit of "
          + BfvFileFormat.MAX_PAYLOAD + " bytes");
    }
    if (payload > remaining - minimum) {
      throw error(SerializationException.Code.TRUNCATED, where + "the header announces a payload of " + payload + " bytes but only " + (remaining - minimum)
          + " follow it: the file is truncated or the length is corrupt");
    }
    // Before any checksum work: a payload no valid record of the expected type can have (a record
    // announcing another type is left to the type check, after the checksum, which tells damage
    // from a wrong file), or one that cannot fit in memory.
    ObjectType announced = ObjectType.ofCode(typeCode);
    if (announced != null && expected.contains(announced) && payload > maxPayload) {
      throw error(SerializationException.Code.LENGTH_OUT_OF_RANGE, where + "expected " + describe(expected) + " with a payload of at most " + maxPayload + " bytes ("
          + bound + "), found a header announcing " + payload + " bytes");
    }
    if (payload > budget) {
      throw error(SerializationException.Code.OVER_BUDGET, where + "expected a record that fits the memory budget of " + budget
          + " bytes (a record takes at least its payload's size in memory), found a header announcing a payload of " + payload + " bytes; " + BUDGET_HINT);
    }
    Header header = new Header();
    header.start = position;
    header.payload = payload;
    header.fingerprint = fingerprint;
    // First pass: the checksum of the whole record, before any field is interpreted.
    RecordInput pass = new RecordInput(source, position, header.end(), buffer, where);
    pass.skip(BfvFileFormat.HEADER_BYTES + payload);
    ByteBuffer trailer = ByteBuffer.allocate(BfvFileFormat.TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    readFully(header.end(), trailer);
    header.storedCrc = trailer.flip().getInt();
    if (pass.crc() != header.storedCrc) {
      throw error(SerializationException.Code.CHECKSUM_MISMATCH, where + String.format("CRC-32C is %08x but the record stores %08x: the file was damaged", pass.crc(), header.storedCrc));
    }
    ObjectType type = announced;
    if (type == null) {
      throw error(SerializationException.Code.WRONG_TYPE, where + "unknown object type code " + typeCode + "; expected " + describe(expected));
    }
    if (!expected.contains(type)) {
      throw error(SerializationException.Code.WRONG_TYPE, where + "expected " + describe(expected) + ", found " + withArticle(type.description()) + " record"
          + schemeHint(expected, type));
    }
    header.type = type;
    header.context = source.name() + ": record " + index + " (" + type.description() + ") at byte " + position + ": ";
    if (params != null && !Arrays.equals(fingerprint, BfvFileFormat.fingerprintBytes(params))) {
      throw error(SerializationException.Code.PARAMETER_MISMATCH, header.context + "made under parameters with fingerprint " + shortHex(fingerprint)
          + "..., expected " + shortHex(BfvFileFormat.fingerprintBytes(params)) + "... (" + params + ")");
    }
    return header;
  }

  /** BGV record types; the others belong to BFV or to both schemes. */
  private static final EnumSet<ObjectType> BGV_TYPES = EnumSet.of(ObjectType.BGV_PUBLIC_KEY, ObjectType.BGV_RELIN_KEYS, ObjectType.BGV_CIPHERTEXTS,
      ObjectType.BGV_CIPHERTEXTS_SEEDED, ObjectType.COMPRESSED_RESULTS_FACTORED);
  /** BFV record types. */
  private static final EnumSet<ObjectType> BFV_TYPES = EnumSet.of(ObjectType.PUBLIC_KEY, ObjectType.RELIN_KEYS, ObjectType.CIPHERTEXTS,
      ObjectType.CIPHERTEXTS_SEEDED, ObjectType.CIPHERTEXTS_SEEDED_AT_LEVEL, ObjectType.COMPRESSED_RESULTS);

  /** " (a BGV object where BFV ones were expected)" when the record belongs to the other scheme. */
  private static String schemeHint(EnumSet<ObjectType> expected, ObjectType found) {
    boolean expectsBgv = !Collections.disjoint(expected, BGV_TYPES);
    boolean expectsBfv = !Collections.disjoint(expected, BFV_TYPES);
    if (BGV_TYPES.contains(found) && expectsBfv && !expectsBgv) {
      return " (a BGV object where a BFV one was expected)";
    }
    if (BFV_TYPES.contains(found) && expectsBgv && !expectsBfv) {
      return " (a BFV object where a BGV one was expected)";
    }
    return "";
  }

  private static String shortHex(byte[] fingerprint) {
    return HexFormat.of().formatHex(fingerprint, 0, 8);
  }

  private static String hint(byte[] magic) {
    int first = ByteBuffer.wrap(magic).getInt();
    if (first == 0x00000803 || first == 0x00000801) {
      return " (this is an MNIST IDX file)";
    }
    if ((magic[0] & 0xFF) == 0x1F && (magic[1] & 0xFF) == 0x8B) {
      return " (a gzip-compressed file)";
    }
    return "";
  }

  private void readFully(long at, ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      int got = source.read(at, dst);
      if (got <= 0) {
        throw error(SerializationException.Code.TRUNCATED, where() + "the file ended at byte " + at);
      }
      at += got;
    }
  }

  /** The second pass over the payload, from the header on. */
  private RecordInput payload(Header h, ByteBuffer buffer) throws IOException {
    RecordInput in = new RecordInput(source, h.start, h.end(), buffer, h.context);
    in.skip(BfvFileFormat.HEADER_BYTES);
    return in;
  }

  /** Ends a record: everything consumed, the second-pass checksum equal to the first. */
  private void end(Header h, RecordInput in) {
    in.alignToByte();
    if (in.position() != h.end()) {
      throw error(SerializationException.Code.LENGTH_OUT_OF_RANGE, h.context + "the fields end at byte " + in.position() + " but the payload at byte " + h.end());
    }
    if (in.crc() != h.storedCrc) {
      throw error(SerializationException.Code.CHECKSUM_MISMATCH, h.context + "the file changed while it was being read");
    }
    position = h.end() + BfvFileFormat.TRAILER_BYTES;
    index++;
  }

  private void expectLength(Header h, long expected, String what) {
    if (h.payload != expected) {
      throw error(SerializationException.Code.LENGTH_OUT_OF_RANGE, h.context + "payload of " + h.payload + " bytes; " + what + " need exactly " + expected);
    }
  }

  /**
   * Checks, before allocating, that loading takes no more than the budget.
   *
   * @throws SerializationException OVER_BUDGET otherwise
   */
  private void requireMemory(Header h, long bytes, String what) {
    if (bytes > budget) {
      throw error(SerializationException.Code.OVER_BUDGET, h.context + "expected a record that loads within the memory budget of " + budget + " bytes, found "
          + what + " that take " + bytes + " bytes; " + BUDGET_HINT);
    }
  }

  private SerializationException ioError(IOException e) {
    return new SerializationException(SerializationException.Code.IO_ERROR, source.name() + ": cannot read: " + e, e);
  }

  // ---- parameters and attributes ----

  /**
   * Reads a parameters record and builds the parameter set it describes.
   *
   * @throws SerializationException INVALID_PARAMETERS if {@code BfvParameters.create} refuses
   *     them, PARAMETER_MISMATCH if the header's fingerprint is not theirs
   */
  public BfvParameters readParameters() {
    try {
      Header h = begin(EnumSet.of(ObjectType.PARAMETERS), null, staging, 8 + 8 * 32, "16 ciphertext and 16 plaintext primes at most");
      RecordInput in = payload(h, staging);
      if (h.payload < 8) {
        expectLength(h, 8, "the fixed fields");
      }
      long n = in.u32();
      int security = in.u8();
      int kq = in.u8();
      int kt = in.u8();
      int reserved = in.u8();
      if (security > 1 || reserved != 0) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "security code " + security + " and reserved byte " + reserved
            + "; expected 0 or 1, and 0");
      }
      if (kq < 1 || kq > 16 || kt < 1 || kt > 16) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + kq + " ciphertext and " + kt + " plaintext primes; expected 1 to 16 of each");
      }
      expectLength(h, 8 + 8L * (kq + kt), kq + " ciphertext and " + kt + " plaintext primes");
      BfvParameterSpec spec = new BfvParameterSpec();
      spec.n = (int) Math.min(n, Integer.MAX_VALUE);
      spec.coeffPrimes = new ArrayList<>();
      for (int i = 0; i < kq; i++) {
        spec.coeffPrimes.add(in.u64());
      }
      spec.plainPrimes = new ArrayList<>();
      for (int i = 0; i < kt; i++) {
        spec.plainPrimes.add(in.u64());
      }
      spec.security = security == 1 ? SecurityLevel.TC128 : SecurityLevel.NONE;
      end(h, in);
      BfvParameters params;
      try {
        params = BfvParameters.create(spec);
      } catch (RuntimeException e) {
        // BfvException for every documented refusal; anything else from a hostile prime list is
        // reported the same way rather than escaping as an unexpected exception type.
        throw error(SerializationException.Code.INVALID_PARAMETERS, h.context + e.getMessage());
      }
      if (!Arrays.equals(h.fingerprint, BfvFileFormat.fingerprintBytes(params))) {
        throw error(SerializationException.Code.PARAMETER_MISMATCH, h.context + "the header's fingerprint " + shortHex(h.fingerprint)
            + "... is not that of the parameters in the record (" + shortHex(BfvFileFormat.fingerprintBytes(params)) + "...)");
      }
      return params;
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  /**
   * Reads a parameters record that must describe {@code expected}.
   *
   * @throws SerializationException PARAMETER_MISMATCH if it describes others
   */
  public BfvParameters readParameters(BfvParameters expected) {
    long at = position;
    BfvParameters p = readParameters();
    if (!p.equals(expected)) {
      throw error(SerializationException.Code.PARAMETER_MISMATCH, source.name() + ": record at byte " + at + ": parameters " + p + "; expected " + expected);
    }
    return p;
  }

  /** Null if the attribute is well-formed, else what is wrong with it. */
  static String checkAttribute(String key, String value) {
    if (key.isEmpty() || key.length() > BfvFileFormat.MAX_KEY_LENGTH || !key.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')) {
      return "attribute key '" + printable(key) + "': expected 1 to " + BfvFileFormat.MAX_KEY_LENGTH + " characters of [a-z0-9._-]";
    }
    if (value.length() > BfvFileFormat.MAX_VALUE_LENGTH || !value.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
      return "attribute " + key + ": expected a value of at most " + BfvFileFormat.MAX_VALUE_LENGTH + " printable ASCII characters";
    }
    return null;
  }

  /** The text with anything unprintable escaped, safe to show on a terminal. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < Math.min(s.length(), 80); i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    }
    return b.toString();
  }

  /**
   * Reads an attributes record bound to {@code params}; the map keeps the stored (sorted) order.
   *
   * @throws SerializationException INVALID_FIELD for malformed or repeated keys or unprintable values
   */
  public Map<String, String> readAttributes(BfvParameters params) {
    try {
      Header h = begin(EnumSet.of(ObjectType.ATTRIBUTES), params, staging, maxAttributesPayload(),
          BfvFileFormat.MAX_ATTRIBUTES + " attributes of at most " + BfvFileFormat.MAX_KEY_LENGTH + " + " + BfvFileFormat.MAX_VALUE_LENGTH + " bytes");
      RecordInput in = payload(h, staging);
      if (h.payload < 4) {
        expectLength(h, 4, "the entry count");
      }
      long count = in.u32();
      if (count > BfvFileFormat.MAX_ATTRIBUTES) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + count + " attributes; at most " + BfvFileFormat.MAX_ATTRIBUTES);
      }
      Map<String, String> out = new LinkedHashMap<>();
      String previous = null;
      for (long e = 0; e < count; e++) {
        String key = text(in, h, BfvFileFormat.MAX_KEY_LENGTH);
        String value = text(in, h, BfvFileFormat.MAX_VALUE_LENGTH);
        String why = checkAttribute(key, value);
        if (why != null) {
          throw error(SerializationException.Code.INVALID_FIELD, h.context + why);
        }
        if (previous != null && key.compareTo(previous) <= 0) {
          throw error(SerializationException.Code.INVALID_FIELD, h.context + "attribute " + key + " after " + previous + ": keys must be unique and sorted");
        }
        previous = key;
        out.put(key, value);
      }
      if (in.remaining() != 0) {
        throw error(SerializationException.Code.LENGTH_OUT_OF_RANGE, h.context + in.remaining() + " bytes follow the last attribute");
      }
      end(h, in);
      return Collections.unmodifiableMap(out);
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  private static long maxAttributesPayload() {
    return 4 + (long) BfvFileFormat.MAX_ATTRIBUTES * (2 + BfvFileFormat.MAX_KEY_LENGTH + 2 + BfvFileFormat.MAX_VALUE_LENGTH);
  }

  private String text(RecordInput in, Header h, int max) throws IOException {
    if (in.remaining() < 2) {
      throw error(SerializationException.Code.LENGTH_OUT_OF_RANGE, h.context + "the payload ends inside an attribute");
    }
    int length = in.u16();
    if (length > max) {
      throw error(SerializationException.Code.INVALID_FIELD, h.context + "attribute text of " + length + " bytes; at most " + max);
    }
    if (in.remaining() < length) {
      throw error(SerializationException.Code.LENGTH_OUT_OF_RANGE, h.context + "the payload ends inside an attribute");
    }
    byte[] b = new byte[length];
    in.bytes(b);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  // ---- polynomial records ----

  /** The fixed fields in front of polynomial data. */
  private static final class Descriptor {
    int plainIndex;
    int level;
    int size;
    int form;
    int count;
  }

  private Descriptor descriptor(RecordInput in, Header h, BfvParameters params) throws IOException {
    if (h.payload < BfvFileFormat.DESCRIPTOR_BYTES) {
      expectLength(h, BfvFileFormat.DESCRIPTOR_BYTES, "the descriptor fields");
    }
    Descriptor d = new Descriptor();
    d.plainIndex = in.u8();
    d.level = in.u8();
    d.size = in.u8();
    d.form = in.u8();
    long count = in.u32();
    if (d.level < 1 || d.level > params.maxLevel()) {
      throw error(SerializationException.Code.INVALID_FIELD, h.context + "level " + d.level + "; these parameters have levels 1 to " + params.maxLevel());
    }
    if (d.form != BfvFileFormat.FORM_COEFFICIENT && d.form != BfvFileFormat.FORM_NTT) {
      throw error(SerializationException.Code.INVALID_FIELD, h.context + "form code " + d.form + "; expected 0 (coefficient) or 1 (NTT)");
    }
    if (count < 1 || count > BfvFileFormat.MAX_COUNT) {
      throw error(SerializationException.Code.INVALID_FIELD, h.context + "count " + count + "; expected 1 to " + BfvFileFormat.MAX_COUNT);
    }
    d.count = (int) count;
    return d;
  }

  private void expectKeyDescriptor(Header h, Descriptor d, BfvParameters params, int count) {
    if (d.plainIndex != BfvFileFormat.NO_PLAIN_INDEX || d.level != params.maxLevel() || d.size != 2 || d.form != BfvFileFormat.FORM_NTT || d.count != count) {
      throw error(SerializationException.Code.INVALID_FIELD, h.context + "descriptor (plaintext index " + d.plainIndex + ", level " + d.level + ", size " + d.size
          + ", form " + d.form + ", count " + d.count + "); a key has (255, " + params.maxLevel() + ", 2, 1 = NTT, " + count + ")");
    }
  }

  /**
   * Unpacks {@code polys} polynomials of {@code basis} into {@code host}, checking each residue.
   * {@code firstPoly} and {@code label} only feed the error message.
   */
  private void unpack(RecordInput in, Header h, RnsBasis basis, long[] host, int polys, long firstPoly, String label) throws IOException {
    int n = basis.n();
    int l = basis.size();
    if (unpackInParallel(in, h, basis, host, polys, firstPoly, label)) {
      return;
    }
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        int bits = basis.modulus(i).bits();
        long q = basis.modulus(i).value();
        int base = (p * l + i) * n;
        if (bits <= 32) {
          in.bitsInto(bits, host, base, n);
          // values are below 2^bits, so v >= q exactly when q - 1 - v is negative
          long any = 0;
          for (int j = 0; j < n; j++) {
            any |= q - 1 - host[base + j];
          }
          if (any >= 0) {
            continue;
          }
        }
        for (int j = 0; j < n; j++) {
          long v = bits <= 32 ? host[base + j] : in.bits(bits);
          if (v >= q) {
            throw coefficientError(h, label, firstPoly + p, i, j, v, q);
          }
          host[base + j] = v;
        }
      }
    }
  }

  private SerializationException coefficientError(Header h, String label, long poly, int limb, int j, long v, long q) {
    return error(SerializationException.Code.COEFFICIENT_OUT_OF_RANGE, h.context + label + " " + poly + ", limb " + limb + ", coefficient " + j + ": " + v
        + " is not below q_" + limb + " = " + q);
  }

  /**
   * Byte offsets of the limbs within one packed polynomial (and its length at index l) when every
   * limb is a whole number of bytes of at most 32-bit values (n a multiple of 8) and the stream
   * stands on a byte; null where the parallel paths below do not apply.
   */
  private static int[] packedLimbs(RnsBasis basis, RecordInput in) {
    int n = basis.n();
    int l = basis.size();
    if (n % 8 != 0 || !in.byteAligned()) {
      return null;
    }
    int[] limbStart = new int[l + 1];
    for (int i = 0; i < l; i++) {
      int bits = basis.modulus(i).bits();
      if (bits > 32) {
        return null;
      }
      limbStart[i + 1] = limbStart[i] + n / 8 * bits;
    }
    return limbStart;
  }

  /**
   * Reads the packed bytes of {@code polys} polynomials (the CRC is kept), in the reader's buffer
   * for packed bytes, which one record keeps for its later chunks; null (nothing read) if they
   * would not fit one array.
   */
  private byte[] packedBytes(RecordInput in, int[] limbStart, int polys) throws IOException {
    long total = (long) polys * limbStart[limbStart.length - 1];
    if (total > Integer.MAX_VALUE - 8) {
      return null;
    }
    if (raw == null || raw.length < total) {
      raw = new byte[(int) total];
    }
    in.streamBytes(raw, 0, (int) total);
    return raw;
  }

  /**
   * Unpacks packed polynomial p into {@code target[offset..)} (limb after limb, as an upload lays
   * them out) and checks its residues. A limb with a value at or above its prime is zeroed, and its
   * number (p * limbs + limb) goes into {@code firstBad} if it is the lowest so far, for
   * {@link #throwFirstBad}.
   */
  private static void unpackPolynomial(byte[] bytes, int[] limbStart, RnsBasis basis, int p, long[] target, int offset, AtomicInteger firstBad) {
    int n = basis.n();
    int l = basis.size();
    int polyBytes = limbStart[l];
    for (int i = 0; i < l; i++) {
      int base = offset + i * n;
      RecordInput.unpackBits(bytes, p * polyBytes + limbStart[i], basis.modulus(i).bits(), target, base, n);
      long q = basis.modulus(i).value();
      long any = 0;
      for (int j = 0; j < n; j++) {
        any |= q - 1 - target[base + j];
      }
      if (any < 0) {
        firstBad.accumulateAndGet(p * l + i, Math::min);
        java.util.Arrays.fill(target, base, base + n, 0L);
      }
    }
  }

  /** The error the sequential {@link #unpack} gives for the first bad limb that {@link #unpackPolynomial} found, if any. */
  private void throwFirstBad(AtomicInteger firstBad, byte[] bytes, int[] limbStart, RnsBasis basis, Header h, long firstPoly, String label) {
    int k = firstBad.get();
    if (k == Integer.MAX_VALUE) {
      return;
    }
    int n = basis.n();
    int l = basis.size();
    int p = k / l;
    int i = k % l;
    long q = basis.modulus(i).value();
    long[] limb = new long[n];
    RecordInput.unpackBits(bytes, p * limbStart[l] + limbStart[i], basis.modulus(i).bits(), limb, 0, n);
    for (int j = 0; j < n; j++) {
      if (limb[j] >= q) {
        throw coefficientError(h, label, firstPoly + p, i, j, limb[j], q);
      }
    }
    throw new IllegalStateException("limb " + i + " of polynomial " + p + " was reported out of range but is not");
  }

  /**
   * {@link #unpack} on all cores where {@link #packedLimbs} applies: the bytes are read first, then
   * each polynomial is unpacked and range-checked on its own. A bad residue gives the error the
   * sequential loop gives, the first one in file order. False (nothing read) otherwise. Measured in
   * BENCHMARKS.md ("Reading a batch unpacks in parallel, straight into the backend's memory").
   */
  private boolean unpackInParallel(RecordInput in, Header h, RnsBasis basis, long[] host, int polys, long firstPoly, String label)
      throws IOException {
    int[] limbStart = packedLimbs(basis, in);
    byte[] bytes = limbStart == null || polys < 2 ? null : packedBytes(in, limbStart, polys);
    if (bytes == null) {
      return false;
    }
    int n = basis.n();
    int l = basis.size();
    AtomicInteger firstBad = new AtomicInteger(Integer.MAX_VALUE);
    java.util.stream.IntStream.range(0, polys).parallel().forEach(p -> unpackPolynomial(bytes, limbStart, basis, p, host, p * l * n, firstBad));
    throwFirstBad(firstBad, bytes, limbStart, basis, h, firstPoly, label);
    return true;
  }

  /**
   * The polynomials of {@code dst} from the stream straight into the backend's memory
   * ({@link Backend#generate}: on the CPU backend its own arrays, so no host array and no second
   * copy and check as an upload makes), unpacked in parallel as {@link #unpackInParallel}. False
   * (nothing read) where {@link #packedLimbs} does not apply. On an error the range holds
   * unspecified values; the caller closes the batch.
   */
  private boolean unpackToBackend(RecordInput in, Header h, RnsBasis basis, Backend backend, PolyRange dst, long firstPoly, String label)
      throws IOException {
    int[] limbStart = packedLimbs(basis, in);
    byte[] bytes = limbStart == null ? null : packedBytes(in, limbStart, dst.count());
    if (bytes == null) {
      return false;
    }
    AtomicInteger firstBad = new AtomicInteger(Integer.MAX_VALUE);
    backend.generate(dst, (p, target, offset) -> unpackPolynomial(bytes, limbStart, basis, p, target, offset, firstBad));
    throwFirstBad(firstBad, bytes, limbStart, basis, h, firstPoly, label);
    return true;
  }



  /** Reads the public key onto {@code backend}. */
  public PublicKey readPublicKey(BfvParameters params, Backend backend) {
    return readKey(ObjectType.PUBLIC_KEY, params, backend, 1);
  }

  /** Reads the relinearization keys onto {@code backend}. */
  public RelinKeys readRelinKeys(BfvParameters params, Backend backend) {
    return readKey(ObjectType.RELIN_KEYS, params, backend, params.maxLevel());
  }

  /**
   * Reads the BGV public key (one (pk0, pk1) pair per plaintext prime) onto {@code backend}.
   *
   * @throws SerializationException WRONG_TYPE for any other record (a BFV public key among them),
   *     INVALID_FIELD for a descriptor other than (255, top level, 2, NTT, k_t), the format's other
   *     codes as for every record
   */
  public BgvPublicKey readBgvPublicKey(BfvParameters params, Backend backend) {
    return readKey(ObjectType.BGV_PUBLIC_KEY, params, backend, BfvFileWriter.bgvPublicKeyPairs(params));
  }

  /**
   * Reads the BGV relinearization keys (for each plaintext prime, one pair per prime of Q) onto
   * {@code backend}.
   *
   * @throws SerializationException WRONG_TYPE for any other record (BFV relinearization keys
   *     among them), INVALID_FIELD for a descriptor other than (255, top level, 2, NTT, k_t l), the
   *     format's other codes as for every record
   */
  public BgvRelinKeys readBgvRelinKeys(BfvParameters params, Backend backend) {
    return readKey(ObjectType.BGV_RELIN_KEYS, params, backend, BfvFileWriter.bgvRelinKeyPairs(params));
  }

  @SuppressWarnings("unchecked")
  private <T> T readKey(ObjectType type, BfvParameters params, Backend backend, int count) {
    try {
      long exact = keyPayload(params, count);
      Header h = begin(EnumSet.of(type), params, staging, exact, count + " key parts under " + params);
      RecordInput in = payload(h, staging);
      Descriptor d = descriptor(in, h, params);
      expectKeyDescriptor(h, d, params, count);
      RnsBasis q = params.coeffBasis();
      expectLength(h, exact, "the descriptor and " + count + " key parts");
      long residues = 2L * count * q.size() * params.n();
      // The host array, the packed bytes (at most 32 bits a residue), then the backend's copy.
      requireMemory(h, (2 * Long.BYTES + Integer.BYTES) * residues, count + " key parts of " + q.size() + " limbs");
      long[] host = new long[(int) residues];
      unpack(in, h, q, host, 2 * count, 0, "polynomial");
      end(h, in);
      try {
        Object key = switch (type) {
          case PUBLIC_KEY -> PublicKey.fromResidues(params, backend, host);
          case RELIN_KEYS -> RelinKeys.fromResidues(params, backend, host);
          case BGV_PUBLIC_KEY -> BgvPublicKey.fromResidues(params, backend, host);
          case BGV_RELIN_KEYS -> BgvRelinKeys.fromResidues(params, backend, host);
          default -> throw new IllegalStateException("not a key record: " + type);
        };
        return (T) key;
      } catch (BfvException e) {
        throw error(SerializationException.Code.COEFFICIENT_OUT_OF_RANGE, h.context + e.getMessage());
      }
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  private static long keyPayload(BfvParameters params, int count) {
    return BfvFileFormat.DESCRIPTOR_BYTES + BfvFileWriter.streamBytes(2L * count * params.n(), BfvFileFormat.coefficientBits(params, params.maxLevel()));
  }

  /**
   * Reads the secret key into locked memory and onto {@code backend}. Its bytes pass only through
   * a {@link LockedBuffer}, which is wiped afterwards.
   *
   * @throws SerializationException COEFFICIENT_OUT_OF_RANGE for the unused code 3
   */
  public SecretKey readSecretKey(BfvParameters params, Backend backend) {
    try (LockedBuffer stagingLocked = LockedBuffer.allocate(4096)) {
      ByteBuffer buffer = stagingLocked.view();
      int n = params.n();
      Header h = begin(EnumSet.of(ObjectType.SECRET_KEY), params, buffer, n / 4, "n = " + n + " coefficients at two bits");
      expectLength(h, n / 4, "n = " + n + " coefficients at two bits");
      // The locked codes, then the residues on the host, on the backend and in NTT form.
      requireMemory(h, n + 3L * Long.BYTES * params.maxLevel() * n, "a secret key of n = " + n);
      RecordInput in = payload(h, buffer);
      LockedBuffer coefficients = LockedBuffer.allocate(n);
      try {
        for (int j = 0; j < n; j += 4) {
          int b = in.u8();
          for (int d = 0; d < 4; d++) {
            int code = (b >>> (2 * d)) & 3;
            if (code == 3) {
              throw error(SerializationException.Code.COEFFICIENT_OUT_OF_RANGE, h.context + "coefficient " + (j + d) + " has code 3; expected 0 (0), 1 (+1) or 2 (-1)");
            }
            coefficients.put(j + d, (byte) (code == 2 ? -1 : code));
          }
        }
        end(h, in);
      } catch (RuntimeException e) {
        coefficients.close();
        throw e;
      } finally {
        in.wipe();
      }
      try {
        return SecretKey.fromCoefficients(params, backend, coefficients);
      } catch (BfvException e) {
        throw error(SerializationException.Code.COEFFICIENT_OUT_OF_RANGE, h.context + e.getMessage());
      }
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  /**
   * Reads a BFV ciphertext batch onto {@code backend}: a full record, or a seeded one whose c1
   * halves are regenerated from the seed (and switched to the record's level and form). Any count
   * from 1 to {@link BfvFileFormat#MAX_COUNT} is accepted within the memory budget; callers that
   * know the count use {@link #readCiphertexts(BfvParameters, Backend, int)}. BGV records are
   * refused with WRONG_TYPE ({@link #readCiphertexts(BfvParameters, Backend, Scheme)} reads them).
   */
  public CiphertextBatch readCiphertexts(BfvParameters params, Backend backend) {
    return readCiphertexts(params, backend, Scheme.BFV, -1);
  }

  /**
   * Reads a BFV ciphertext batch of exactly {@code expectedCount} ciphertexts (one per pixel of an
   * image, say): a header announcing more than such a batch can hold is refused before the
   * checksum pass, a descriptor with another count before anything is allocated. BGV records are
   * refused with WRONG_TYPE.
   *
   * @param expectedCount the count the caller needs, from 1 to {@link BfvFileFormat#MAX_COUNT}; -1
   *     for any
   * @throws SerializationException INVALID_FIELD for another count, LENGTH_OUT_OF_RANGE for a
   *     payload larger than {@code expectedCount} ciphertexts can take, OVER_BUDGET
   */
  public CiphertextBatch readCiphertexts(BfvParameters params, Backend backend, int expectedCount) {
    return readCiphertexts(params, backend, Scheme.BFV, expectedCount);
  }

  /**
   * Reads a ciphertext batch of {@code scheme}, any count from 1 to {@link BfvFileFormat#MAX_COUNT}
   * within the memory budget: see {@link #readCiphertexts(BfvParameters, Backend, Scheme, int)}.
   */
  public CiphertextBatch readCiphertexts(BfvParameters params, Backend backend, Scheme scheme) {
    return readCiphertexts(params, backend, scheme, -1);
  }

  /**
   * Reads a ciphertext batch of {@code scheme} onto {@code backend}. For {@link Scheme#BFV} this is
   * {@link #readCiphertexts(BfvParameters, Backend, int)}. For {@link Scheme#BGV} it reads a
   * BGV_CIPHERTEXTS record (every polynomial) or a BGV_CIPHERTEXTS_SEEDED record (c0 and the seed,
   * c1 regenerated with {@code BgvEncryptor.expandSeed} at the record's level) into a BGV batch in
   * NTT form carrying the record's correction factor. Records of the other scheme are refused with
   * WRONG_TYPE; everything is validated before allocation as for BFV batches.
   *
   * @param expectedCount the count the caller needs, from 1 to {@link BfvFileFormat#MAX_COUNT}; -1
   *     for any
   * @throws SerializationException WRONG_TYPE for a record of another type or scheme;
   *     INVALID_FIELD for another count, a plaintext index, size, level or form outside its domain
   *     (a BGV record in coefficient form among them), or a correction factor outside [1, t);
   *     LENGTH_OUT_OF_RANGE for a payload larger than {@code expectedCount} ciphertexts can take or
   *     other than the descriptor implies; OVER_BUDGET; the format's other codes
   * @throws IllegalArgumentException for an expected count outside [1, MAX_COUNT] other than -1
   * @throws NullPointerException if {@code scheme} is null
   */
  public CiphertextBatch readCiphertexts(BfvParameters params, Backend backend, Scheme scheme, int expectedCount) {
    if (expectedCount != -1 && (expectedCount < 1 || expectedCount > BfvFileFormat.MAX_COUNT)) {
      throw new IllegalArgumentException("expected count " + expectedCount + "; expected 1 to " + BfvFileFormat.MAX_COUNT + ", or -1 for any");
    }
    boolean bgv = java.util.Objects.requireNonNull(scheme, "scheme") == Scheme.BGV;
    try {
      long most = expectedCount == -1 ? BfvFileFormat.MAX_COUNT : expectedCount;
      long factorBytes = bgv ? BfvFileFormat.FACTOR_BYTES : 0;
      long maxPayload = BfvFileFormat.DESCRIPTOR_BYTES + factorBytes + BfvFileFormat.SEED_BYTES
          + BfvFileWriter.streamBytes(most * 3 * params.n(), BfvFileFormat.coefficientBits(params, params.maxLevel()));
      EnumSet<ObjectType> types = bgv ? EnumSet.of(ObjectType.BGV_CIPHERTEXTS, ObjectType.BGV_CIPHERTEXTS_SEEDED)
          : EnumSet.of(ObjectType.CIPHERTEXTS, ObjectType.CIPHERTEXTS_SEEDED, ObjectType.CIPHERTEXTS_SEEDED_AT_LEVEL);
      Header h = begin(types, params, staging, maxPayload,
          (expectedCount == -1 ? "at most " : "") + most + (bgv ? " BGV" : "") + " ciphertexts of at most 3 polynomials at level " + params.maxLevel() + " under " + params);
      boolean seeded = h.type == ObjectType.CIPHERTEXTS_SEEDED || h.type == ObjectType.CIPHERTEXTS_SEEDED_AT_LEVEL || h.type == ObjectType.BGV_CIPHERTEXTS_SEEDED;
      SeedExpansion expansion = !seeded ? SeedExpansion.NONE
          : h.type == ObjectType.CIPHERTEXTS_SEEDED ? SeedExpansion.BFV_TOP
          : h.type == ObjectType.CIPHERTEXTS_SEEDED_AT_LEVEL ? SeedExpansion.BFV_AT_LEVEL : SeedExpansion.BGV_AT_LEVEL;
      RecordInput in = payload(h, staging);
      Descriptor d = descriptor(in, h, params);
      if (d.plainIndex >= params.plainModuli().size()) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "plaintext index " + d.plainIndex + "; these parameters have " + params.plainModuli().size()
            + " plaintext primes");
      }
      if (seeded ? d.size != 2 : d.size < 2 || d.size > 3) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "ciphertext size " + d.size + "; expected " + (seeded ? "2 for a seeded batch" : "2 or 3"));
      }
      if (bgv && d.form != BfvFileFormat.FORM_NTT) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "form code " + d.form + " (coefficient); a BGV batch is stored in NTT form (1)");
      }
      if (expectedCount != -1 && d.count != expectedCount) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "expected " + expectedCount + " ciphertexts, found a count of " + d.count);
      }
      int stored = seeded ? 1 : d.size;
      long expected = BfvFileFormat.DESCRIPTOR_BYTES + factorBytes + (seeded ? BfvFileFormat.SEED_BYTES : 0)
          + BfvFileWriter.streamBytes((long) d.count * stored * params.n(), BfvFileFormat.coefficientBits(params, d.level));
      expectLength(h, expected, "the descriptor (" + d.count + " ciphertexts of size " + d.size + " at level " + d.level + (seeded ? ", seeded" : "") + ")");
      long memory = bgv ? bgvBatchMemory(params, d.count, d.size, d.level, seeded) : batchMemory(params, d.count, d.size, d.level, seeded);
      requireMemory(h, memory, d.count + " ciphertexts of size " + d.size + " at level " + d.level);
      long factor = 1;
      if (bgv) {
        factor = in.u32();
        long t = params.plainModulus(d.plainIndex).value();
        if (factor < 1 || factor >= t) {
          throw error(SerializationException.Code.INVALID_FIELD, h.context + "correction factor " + factor + "; expected 1 to " + (t - 1) + " (below t_" + d.plainIndex
              + " = " + t + ")");
        }
      }
      byte[] seed = null;
      if (seeded) {
        seed = new byte[BfvFileFormat.SEED_BYTES];
        in.bytes(seed);
      }
      boolean ntt = d.form == BfvFileFormat.FORM_NTT;
      CiphertextBatch batch;
      if (bgv) {
        try (BgvEvaluator allocator = new BgvEvaluator(params, backend)) {
          batch = allocator.allocateWithFactor(d.plainIndex, d.level, d.size, d.count, factor);
        }
      } else {
        try (Evaluator allocator = new Evaluator(params, backend)) {
          batch = allocator.allocate(d.plainIndex, d.level, d.size, d.count, ntt);
        }
      }
      try {
        fillBatch(in, h, params, backend, batch, seed, expansion);
        end(h, in);
        return batch;
      } catch (RuntimeException | IOException e) {
        batch.close();
        throw e;
      }
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  /** How the c1 halves of a seeded record come from its seed. */
  private enum SeedExpansion {
    /** Not seeded: every polynomial is stored. */
    NONE,
    /** BFV: expanded at the top level, switched down to the record's level. */
    BFV_TOP,
    /** BFV: expanded over the record level's primes. */
    BFV_AT_LEVEL,
    /** BGV: {@code BgvEncryptor.expandSeed} over the record level's primes. */
    BGV_AT_LEVEL
  }

  /** Ciphertexts per host chunk: as many as fit in {@link #CHUNK_LONGS} longs, at least one. */
  private static int chunkCount(int count, long perCiphertext) {
    return (int) Math.max(1, Math.min(count, CHUNK_LONGS / perCiphertext));
  }

  /**
   * Bytes that loading a batch takes at its peak: the batch on the backend, a host chunk (and the
   * shorter last one) with its packed bytes, and for a seeded batch the expanded c1 of a chunk with the buffers that
   * switch it down from the top level.
   */
  static long batchMemory(BfvParameters params, int count, int size, int level, boolean seeded) {
    long n = params.n();
    long perCiphertext = (seeded ? 1 : size) * level * n;
    long chunk = chunkCount(count, perCiphertext);
    // the batch, a host chunk and the shorter last one, and the chunk's packed bytes (at most 32 bits a residue)
    long bytes = Long.BYTES * ((long) count * size * level * n + 2 * chunk * perCiphertext) + Integer.BYTES * chunk * perCiphertext;
    if (seeded) {
      long top = params.maxLevel();
      bytes += Long.BYTES * chunk * n * (top + (top * (top + 1) - (long) level * (level + 1)) / 2);
    }
    return bytes;
  }

  /**
   * Bytes that loading a BGV batch takes at its peak: the batch on the backend, a host chunk (and
   * the shorter last one) with its packed bytes, and for a seeded batch the expanded c1 of a chunk (and the shorter last
   * one), at the record's level only.
   */
  static long bgvBatchMemory(BfvParameters params, int count, int size, int level, boolean seeded) {
    long n = params.n();
    long perCiphertext = (seeded ? 1 : size) * level * n;
    long chunk = chunkCount(count, perCiphertext);
    long bytes = Long.BYTES * ((long) count * size * level * n + 2 * chunk * perCiphertext) + Integer.BYTES * chunk * perCiphertext;
    if (seeded) {
      bytes += Long.BYTES * 2 * chunk * level * n;
    }
    return bytes;
  }

  private void fillBatch(RecordInput in, Header h, BfvParameters params, Backend backend, CiphertextBatch batch, byte[] seed, SeedExpansion expansion)
      throws IOException {
    RnsBasis basis = params.basisAt(batch.level());
    int n = params.n();
    int stored = seed == null ? batch.size() : 1;
    long perCiphertext = (long) stored * basis.size() * n;
    int chunk = chunkCount(batch.count(), perCiphertext);
    long[] host = null; // only where the residues cannot go straight to the backend (unpackToBackend)
    // one c1 array for every full chunk: fresh arrays per chunk were a fifth of a read's time
    long[] expanded = seed != null && expansion != SeedExpansion.BFV_TOP ? new long[chunk * batch.level() * n] : null;
    String label = seed == null ? "polynomial" : "ciphertext";
    for (int first = 0; first < batch.count(); first += chunk) {
      int c = Math.min(chunk, batch.count() - first);
      long[] c1 = expanded == null ? null : c == chunk ? expanded : new long[c * batch.level() * n];
      // the polynomials the file holds for these ciphertexts: all of them, or c0 of a seeded batch
      PolyRange fromFile = seed == null ? batch.ciphertexts(first, c) : batch.component(0).sub(first, c);
      if (!unpackToBackend(in, h, basis, backend, fromFile, (long) first * stored, label)) {
        if (host == null) {
          host = new long[(int) (chunk * perCiphertext)];
        }
        long[] part = c == chunk ? host : new long[(int) (c * perCiphertext)];
        unpack(in, h, basis, part, c * stored, (long) first * stored, label);
        backend.upload(part, fromFile);
      }
      if (seed != null) {
        switch (expansion) {
          case BFV_AT_LEVEL -> expandC1AtLevel(params, backend, seed, first, batch.component(1).sub(first, c), batch.level(), batch.isNttForm(), c1);
          case BGV_AT_LEVEL -> expandBgvC1(params, backend, seed, first, batch.component(1).sub(first, c), batch.level(), c1);
          default -> expandC1(params, backend, seed, first, batch.component(1).sub(first, c), batch.level(), batch.isNttForm());
        }
      }
    }
  }

  /**
   * c1 of ciphertexts [first, first + count) of a batch encrypted directly at {@code level}: the
   * seed's expansion over that level's primes, in NTT form, put in the wanted form.
   */
  private static void expandC1AtLevel(BfvParameters params, Backend backend, byte[] seed, int first, PolyRange dst, int level, boolean ntt, long[] c1) {
    int count = dst.count();
    Encryptor.expandSeed(params, seed, level, first, c1, count);
    backend.upload(c1, dst);
    if (!ntt) {
      backend.inverseNtt(dst);
    }
  }

  /**
   * c1 of ciphertexts [first, first + count) of a seeded BGV batch at {@code level}: the seed's
   * expansion over that level's primes, in NTT form, as {@code BgvEncryptor} sampled it, through
   * {@code c1} (exactly {@code dst.count()} polynomials of the level).
   */
  private static void expandBgvC1(BfvParameters params, Backend backend, byte[] seed, int first, PolyRange dst, int level, long[] c1) {
    int count = dst.count();
    BgvEncryptor.expandSeed(params, seed, level, first, c1, count);
    backend.upload(c1, dst);
  }

  /**
   * c1 of ciphertexts [first, first + count) of a seeded batch: expanded at the top level in NTT
   * form, as the encryptor sampled it, switched down to {@code level} and put in the wanted form.
   */
  private static void expandC1(BfvParameters params, Backend backend, byte[] seed, int first, PolyRange dst, int level, boolean ntt) {
    int count = dst.count();
    int top = params.maxLevel();
    long[] c1 = new long[count * top * params.n()];
    Encryptor.expandSeed(params, seed, first, c1, count);
    if (level == top) {
      backend.upload(c1, dst);
      if (!ntt) {
        backend.inverseNtt(dst);
      }
      return;
    }
    List<PolyBuffer> steps = new ArrayList<>();
    try {
      PolyBuffer current = backend.allocate(params.coeffBasis(), count);
      steps.add(current);
      backend.upload(c1, current.all());
      backend.inverseNtt(current.all());
      for (int l = top - 1; l >= level; l--) {
        if (l == level) {
          backend.dropLastModulus(current.all(), dst);
        } else {
          PolyBuffer next = backend.allocate(params.basisAt(l), count);
          steps.add(next);
          backend.dropLastModulus(current.all(), next.all());
          current = next;
        }
      }
      if (ntt) {
        backend.forwardNtt(dst);
      }
    } finally {
      for (PolyBuffer b : steps) {
        b.close();
      }
    }
  }

  /**
   * Reads compressed result ciphertexts (host memory), any count from 1 to {@link
   * BfvFileFormat#MAX_COUNT} within the memory budget; callers that know the count use {@link
   * #readCompressed(BfvParameters, int)}. Only COMPRESSED_RESULTS records (BFV results): BGV
   * results (COMPRESSED_RESULTS_FACTORED) are refused with WRONG_TYPE, since their factor would be
   * lost here; {@link #readCompressedResults} reads both.
   */
  public CompressedCiphertexts readCompressed(BfvParameters params) {
    return readCompressed(params, -1);
  }

  /**
   * Reads exactly {@code expectedCount} compressed result ciphertexts (one per class, say): a header
   * announcing more than they can take is refused before the checksum pass, a descriptor with
   * another count before anything is allocated.
   *
   * @param expectedCount the count the caller needs, from 1 to {@link BfvFileFormat#MAX_COUNT}; -1
   *     for any
   * @throws SerializationException INVALID_FIELD for another count, LENGTH_OUT_OF_RANGE for a
   *     payload larger than {@code expectedCount} ciphertexts can take, OVER_BUDGET
   */
  public CompressedCiphertexts readCompressed(BfvParameters params, int expectedCount) {
    return readResults(params, expectedCount, false).ciphertexts();
  }

  /**
   * Reads the results of either scheme, any count from 1 to {@link BfvFileFormat#MAX_COUNT} within
   * the memory budget: see {@link #readCompressedResults(BfvParameters, int)}.
   */
  public CompressedResults readCompressedResults(BfvParameters params) {
    return readCompressedResults(params, -1);
  }

  /**
   * Reads exactly {@code expectedCount} compressed results of either scheme: a COMPRESSED_RESULTS
   * record gives BFV results with factor 1, a COMPRESSED_RESULTS_FACTORED record BGV results with
   * the record's factor g. Validated before allocation as {@link #readCompressed(BfvParameters,
   * int)}.
   *
   * @param expectedCount the count the caller needs, from 1 to {@link BfvFileFormat#MAX_COUNT}; -1
   *     for any
   * @throws SerializationException WRONG_TYPE for any other record; INVALID_FIELD for another
   *     count, a descriptor field outside its domain or a factor g outside [1, t);
   *     LENGTH_OUT_OF_RANGE for a payload larger than {@code expectedCount} ciphertexts can take or
   *     other than the descriptor implies; OVER_BUDGET; COEFFICIENT_OUT_OF_RANGE; the format's
   *     other codes
   * @throws IllegalArgumentException for an expected count outside [1, MAX_COUNT] other than -1
   */
  public CompressedResults readCompressedResults(BfvParameters params, int expectedCount) {
    return readResults(params, expectedCount, true);
  }

  private CompressedResults readResults(BfvParameters params, int expectedCount, boolean eitherScheme) {
    if (expectedCount != -1 && (expectedCount < 1 || expectedCount > BfvFileFormat.MAX_COUNT)) {
      throw new IllegalArgumentException("expected count " + expectedCount + "; expected 1 to " + BfvFileFormat.MAX_COUNT + ", or -1 for any");
    }
    try {
      long most = expectedCount == -1 ? BfvFileFormat.MAX_COUNT : expectedCount;
      EnumSet<ObjectType> types = eitherScheme ? EnumSet.of(ObjectType.COMPRESSED_RESULTS, ObjectType.COMPRESSED_RESULTS_FACTORED)
          : EnumSet.of(ObjectType.COMPRESSED_RESULTS);
      Header h = begin(types, params, staging,
          BfvFileFormat.DESCRIPTOR_BYTES + (eitherScheme ? BfvFileFormat.FACTOR_BYTES : 0) + BfvFileWriter.streamBytes(2 * most * params.n(), CompressedCiphertexts.MAX_BITS),
          (expectedCount == -1 ? "at most " : "") + most + " ciphertexts of n = " + params.n() + " at up to " + CompressedCiphertexts.MAX_BITS + " bits");
      boolean factored = h.type == ObjectType.COMPRESSED_RESULTS_FACTORED;
      int factorBytes = factored ? BfvFileFormat.FACTOR_BYTES : 0;
      RecordInput in = payload(h, staging);
      if (h.payload < BfvFileFormat.DESCRIPTOR_BYTES) {
        expectLength(h, BfvFileFormat.DESCRIPTOR_BYTES, "the descriptor fields");
      }
      int plainIndex = in.u8();
      int bits = in.u8();
      int size = in.u8();
      int reserved = in.u8();
      long count = in.u32();
      if (plainIndex >= params.plainModuli().size()) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "plaintext index " + plainIndex + "; these parameters have " + params.plainModuli().size()
            + " plaintext primes");
      }
      int minBits = CompressedCiphertexts.minBits(params, plainIndex);
      if (bits < minBits || bits > CompressedCiphertexts.MAX_BITS || size != 2 || reserved != 0 || count < 1 || count > BfvFileFormat.MAX_COUNT) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "modulus 2^" + bits + ", size " + size + ", reserved " + reserved + ", count " + count
            + "; expected 2^" + minBits + " to 2^" + CompressedCiphertexts.MAX_BITS + ", size 2, 0, and 1 to " + BfvFileFormat.MAX_COUNT);
      }
      if (expectedCount != -1 && count != expectedCount) {
        throw error(SerializationException.Code.INVALID_FIELD, h.context + "expected " + expectedCount + " ciphertexts, found a count of " + count);
      }
      long values = 2 * count * params.n();
      expectLength(h, BfvFileFormat.DESCRIPTOR_BYTES + factorBytes + BfvFileWriter.streamBytes(values, bits),
          "the descriptor" + (factored ? ", the factor" : "") + " and " + count + " ciphertexts");
      // The parsed values and the copy CompressedCiphertexts.of keeps.
      requireMemory(h, 2L * Long.BYTES * values, count + " compressed ciphertexts of n = " + params.n());
      long factor = 1;
      if (factored) {
        factor = in.u32();
        long t = params.plainModulus(plainIndex).value();
        if (factor < 1 || factor >= t) {
          throw error(SerializationException.Code.INVALID_FIELD, h.context + "result factor " + factor + "; expected 1 to " + (t - 1) + " (below t_" + plainIndex
              + " = " + t + ")");
        }
      }
      long[] v = new long[(int) values];
      for (int k = 0; k < v.length; k++) {
        v[k] = in.bits(bits);
      }
      end(h, in);
      try {
        CompressedCiphertexts c = CompressedCiphertexts.of(params, plainIndex, bits, (int) count, v);
        return CompressedResults.of(factored ? Scheme.BGV : Scheme.BFV, c, factor);
      } catch (BfvException e) {
        throw error(SerializationException.Code.COEFFICIENT_OUT_OF_RANGE, h.context + e.getMessage());
      }
    } catch (IOException e) {
      throw ioError(e);
    }
  }

  /** The largest payload a record of {@code type} can have under {@code params}. */
  private static long maxPayload(ObjectType type, BfvParameters params) {
    long top = BfvFileFormat.coefficientBits(params, params.maxLevel());
    long n = params.n();
    return switch (type) {
      case PARAMETERS -> 8 + 8 * 32;
      case ATTRIBUTES -> maxAttributesPayload();
      case PUBLIC_KEY -> keyPayload(params, 1);
      case RELIN_KEYS -> keyPayload(params, params.maxLevel());
      case SECRET_KEY -> n / 4;
      case CIPHERTEXTS, CIPHERTEXTS_SEEDED, CIPHERTEXTS_SEEDED_AT_LEVEL -> BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.SEED_BYTES + BfvFileWriter.streamBytes(BfvFileFormat.MAX_COUNT * 3 * n, top);
      case COMPRESSED_RESULTS -> BfvFileFormat.DESCRIPTOR_BYTES + BfvFileWriter.streamBytes(2 * BfvFileFormat.MAX_COUNT * n, CompressedCiphertexts.MAX_BITS);
      case BGV_PUBLIC_KEY -> keyPayload(params, BfvFileWriter.bgvPublicKeyPairs(params));
      case BGV_RELIN_KEYS -> keyPayload(params, BfvFileWriter.bgvRelinKeyPairs(params));
      case BGV_CIPHERTEXTS, BGV_CIPHERTEXTS_SEEDED -> BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES + BfvFileFormat.SEED_BYTES
          + BfvFileWriter.streamBytes(BfvFileFormat.MAX_COUNT * 3 * n, top);
      case COMPRESSED_RESULTS_FACTORED -> BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES
          + BfvFileWriter.streamBytes(2 * BfvFileFormat.MAX_COUNT * n, CompressedCiphertexts.MAX_BITS);
    };
  }

  /**
   * Checks a record's header, checksum, type and fingerprint without decoding its content, and
   * moves past it: for records the caller does not need (a public key the evaluator never uses).
   */
  public void skip(ObjectType type, BfvParameters params) {
    try {
      Header h = begin(EnumSet.of(type), params, staging, maxPayload(type, params), "the largest " + type.description() + " record under " + params);
      position = h.end() + BfvFileFormat.TRAILER_BYTES;
      index++;
    } catch (IOException e) {
      throw ioError(e);
    }
  }
}
