package org.cryptonets.backend.opencl;

import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RingDegree;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.jocl.Sizeof;
import org.jocl.cl_mem;

/**
 * The OpenCL backend: buffers in device memory as 32-bit residues, every operation one batched
 * launch (or a short fixed sequence) over all polynomials and limbs of its ranges, with the kernels
 * of the {@code kernels} module. Results equal the engine-api reference's bit for bit (NttTables,
 * BaseConverter, RnsScaler), and so the CPU backend's: all arithmetic is exact modular integer
 * arithmetic, and the two rounding steps (base conversion, scale-and-round) repeat the reference's
 * fixed-point sums.
 *
 * <p>Strided ranges ({@link PolyRange#index}) are passed to the kernels as (first, stride), and
 * every kernel addresses polynomial k of an operand at {@code (first + k * stride) * limbs * n}, so
 * one component of a batch of ciphertexts is worked on in place without gathering it first;
 * strided uploads and downloads are one rectangle transfer per staging piece ({@link HostStaging}:
 * pinned host buffers, 16 MiB pieces). Overlap between inputs and outputs is judged polynomial by
 * polynomial (see {@code noPartialOverlap}).
 *
 * <p>Device choice: see {@link OpenClDevices}. The NTT does every stage in local memory, one
 * work-group per limb, while n fits the device's local memory (n = 8192 needs 32 KiB); larger rings
 * first run global-memory stages until the remaining spans fit. The system property
 * {@value #NTT_BLOCK_PROPERTY} caps that local block (a power of two, at least 2), mainly to test the
 * global path.
 *
 * <p>With {@value #APARAPI_PROPERTY}{@code =true}, add, subtract, negate and multiply run as the
 * Aparapi kernels of {@link AparapiElementwise} instead of the hand-written ones: Aparapi works on
 * Java arrays in an OpenCL context of its own, so each such call downloads its operands, runs the
 * Aparapi kernel (which copies them to the device and the result back) and uploads the result.
 * Results are the same bits. Those calls are synchronous, and every operand makes the round trip
 * through host memory, which on a discrete GPU costs far more than the kernel; the hand-written
 * kernels, working in device memory, are the default.
 *
 * <p>With {@value #COUNT_PROPERTY}{@code =true} the backend counts, per kernel, the bytes each launch
 * moves and the modular products it does (formulas of the launch sizes, {@link KernelCosts}), plus
 * the host-device transfers, into its {@link #workCounter()}; results are the same bits. Off (the
 * default), no counter exists and each launch pays one null check of a final field.
 *
 * <p>Operations are asynchronous: they return once enqueued on the device's in-order queue;
 * {@link #download} and {@link #synchronize} wait. A device error from a kernel that already
 * returned shows up in the next call that waits.
 *
 * <p>Thread-safe for calls that write disjoint buffers, like every backend; launches from several
 * threads are serialized onto the one queue. {@link #close()} must not race with other calls.
 * Throws {@link EngineException}: {@code SHAPE_MISMATCH}, {@code BUFFER_INVALID},
 * {@code VALUE_OUT_OF_RANGE} as {@link Backend} describes, {@code DEVICE_FAILURE} naming the device and
 * the kernel or transfer for OpenCL errors, {@code BACKEND_UNAVAILABLE} from {@link #open} when no
 * device matches.
 */
public final class OpenClBackend implements Backend {
  public static final String NTT_BLOCK_PROPERTY = "cryptonets.opencl.nttBlock";
  /** {@code true}: the elementwise family through Aparapi ({@link AparapiElementwise}); {@code false} or unset: hand-written kernels. */
  public static final String APARAPI_PROPERTY = "cryptonets.opencl.aparapi";
  /** {@code true}: count every launch's work and every transfer ({@link #workCounter()}); {@code false} or unset: no counting. */
  public static final String COUNT_PROPERTY = "cryptonets.opencl.count";
  /** Group size of the elementwise kernels: a multiple of every GPU's warp or wavefront. */
  private static final long GROUP = 256;
  private static final int MAX_NTT_GROUP = 1024;
  /** Output rows per work-item of the dense multiply-accumulate: MAC_BLOCK in modarith.cl. */
  private static final int MAC_BLOCK = 4;
  /** Upper bound on key-switching scratch per launch sequence. */
  private static final long SCRATCH_LIMIT = 256L << 20;

  private final ClDevice device;
  private final int nttBlockCap;
  /** Bytes of key-switching scratch per launch sequence; below SCRATCH_LIMIT only in tests, to force chunking. */
  private final long scratchLimit;
  private final Map<RnsBasis, DeviceTables.Basis> basisTables = new HashMap<>();
  private final Map<DeviceTables.ConverterKey, DeviceTables.Converter> converterTables = new HashMap<>();
  private final Map<DeviceTables.ScalerKey, DeviceTables.Scaler> scalerTables = new HashMap<>();
  private final Map<DeviceTables.SwitchKey, DeviceTables.Switch> switchTables = new HashMap<>();
  private final Set<OpenClPolyBuffer.Allocation> live = ConcurrentHashMap.newKeySet();
  /** The Aparapi path for add, subtract, negate and multiply, or null for the hand-written kernels. */
  private final AparapiElementwise aparapi;
  /** Null unless counting ({@value #COUNT_PROPERTY}); every call site tests it before costing a launch. */
  private final WorkCounter counter;
  private cl_mem scratch;
  /** Pinned buffers for uploads and downloads. */
  private final HostStaging staging;
  private long scratchBytes;
  private volatile boolean closed;

  private OpenClBackend(ClDevice device, int nttBlockCap, long scratchLimit, long stagingPiece, AparapiElementwise aparapi, WorkCounter counter) {
    this.device = device;
    this.staging = new HostStaging(device, stagingPiece);
    this.counter = counter;
    this.nttBlockCap = nttBlockCap;
    this.scratchLimit = scratchLimit;
    this.aparapi = aparapi;
  }

  /**
   * Opens the device named by the system properties of {@link OpenClDevices}.
   *
   * @throws EngineException {@code BACKEND_UNAVAILABLE} if OpenCL or the device is missing,
   *     {@code DEVICE_FAILURE} if the context cannot be created or the kernels do not build (with the
   *     build log), {@code INVALID_ARGUMENT} for a malformed {@value #NTT_BLOCK_PROPERTY},
   *     {@value #APARAPI_PROPERTY} or {@value #COUNT_PROPERTY}; with Aparapi asked for, what
   *     {@link AparapiElementwise#open} throws
   */
  public static OpenClBackend open() {
    String cap = System.getProperty(NTT_BLOCK_PROPERTY);
    int block = RingDegree.MAX;
    if (cap != null && !cap.isBlank()) {
      try {
        block = Integer.parseInt(cap.trim());
      } catch (NumberFormatException e) {
        block = -1;
      }
      if (block < 2 || Integer.bitCount(block) != 1) {
        throw new EngineException(EngineException.Code.INVALID_ARGUMENT, NTT_BLOCK_PROPERTY + "='" + cap + "' is not a power of two >= 2");
      }
    }
    return open(System.getProperty(OpenClDevices.PLATFORM_PROPERTY), System.getProperty(OpenClDevices.DEVICE_PROPERTY), block, SCRATCH_LIMIT,
        flag(APARAPI_PROPERTY), flag(COUNT_PROPERTY));
  }

  /** A boolean system property, unset meaning false; strict, unlike Boolean.parseBoolean, so a misspelt value does not quietly mean "off". */
  private static boolean flag(String property) {
    String value = System.getProperty(property, "false").trim();
    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false") && !value.isEmpty()) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, property + "='" + value + "' is neither true nor false");
    }
    return value.equalsIgnoreCase("true");
  }

  /**
   * Opens an explicit device (null means "not specified", as for the system properties) with the NTT
   * local block capped at {@code nttBlockCap} coefficients (a power of two, at least 2).
   *
   * @throws EngineException as {@link #open()}
   */
  public static OpenClBackend open(String platform, String device, int nttBlockCap) {
    return open(platform, device, nttBlockCap, SCRATCH_LIMIT, false, false);
  }

  /**
   * As {@link #open(String, String, int)}, counting every launch's work into {@link #workCounter()}
   * when {@code counting} (see {@value #COUNT_PROPERTY}).
   *
   * @throws EngineException as {@link #open()}
   */
  public static OpenClBackend openCounting(String platform, String device, int nttBlockCap, boolean counting) {
    return open(platform, device, nttBlockCap, SCRATCH_LIMIT, false, counting);
  }

  /**
   * As {@link #open(String, String, int)}, with the elementwise family through Aparapi when
   * {@code aparapiElementwise} (see {@value #APARAPI_PROPERTY}), on the same device as Aparapi sees it.
   *
   * @throws EngineException as {@link #open()}
   */
  public static OpenClBackend open(String platform, String device, int nttBlockCap, boolean aparapiElementwise) {
    return open(platform, device, nttBlockCap, SCRATCH_LIMIT, aparapiElementwise, false);
  }

  /** As {@link #open(String, String, int)} with a key-switching scratch cap, so tests can force chunking. */
  static OpenClBackend open(String platform, String device, int nttBlockCap, long scratchLimit) {
    return open(platform, device, nttBlockCap, scratchLimit, false, false);
  }

  /** As {@link #open(String, String, int)} with transfers staged in pieces of at most {@code stagingPiece} bytes, so tests can force several. */
  static OpenClBackend openStagingPieces(String platform, String device, int nttBlockCap, long stagingPiece) {
    return open(platform, device, nttBlockCap, SCRATCH_LIMIT, stagingPiece, false, false);
  }

  private static OpenClBackend open(String platform, String device, int nttBlockCap, long scratchLimit, boolean aparapiElementwise,
      boolean counting) {
    return open(platform, device, nttBlockCap, scratchLimit, HostStaging.PIECE_BYTES, aparapiElementwise, counting);
  }

  private static OpenClBackend open(String platform, String device, int nttBlockCap, long scratchLimit, long stagingPiece, boolean aparapiElementwise,
      boolean counting) {
    if (nttBlockCap < 2 || Integer.bitCount(nttBlockCap) != 1) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "NTT block cap " + nttBlockCap + " is not a power of two >= 2");
    }
    WorkCounter counter = counting ? new WorkCounter() : null;
    ClDevice cl = new ClDevice(OpenClDevices.select(platform, device), counter);
    AparapiElementwise aparapi = null;
    if (aparapiElementwise) {
      try {
        aparapi = AparapiElementwise.open(cl.choice().platformName(), cl.choice().deviceName());
      } catch (RuntimeException e) {
        cl.close();
        throw e;
      } catch (LinkageError e) {
        // Aparapi's classes missing from the class path, or its initialization failing.
        cl.close();
        throw new EngineException(EngineException.Code.BACKEND_UNAVAILABLE, APARAPI_PROPERTY + " is set but Aparapi cannot be loaded: " + e, e);
      }
    }
    return new OpenClBackend(cl, nttBlockCap, scratchLimit, stagingPiece, aparapi, counter);
  }

  /** True if this backend counts its work ({@value #COUNT_PROPERTY}). */
  public boolean isCounting() {
    return counter != null;
  }

  /**
   * The counter of this backend's launches and transfers.
   *
   * @throws IllegalStateException if the backend was opened without counting
   */
  public WorkCounter workCounter() {
    if (counter == null) {
      throw new IllegalStateException("the OpenCL backend was opened without counting; set -D" + COUNT_PROPERTY + "=true");
    }
    return counter;
  }

  /** Records one launch's work; call only when counting. A launch of no items is not enqueued, so not counted. */
  private void count(String kernel, KernelWork work) {
    if (work.workItems() > 0) {
      counter.add(kernel, work);
    }
  }

  @Override
  public String name() {
    return "opencl";
  }

  @Override
  public String device() {
    return "OpenCL " + device.summary() + ", NTT local block up to " + localBlock(RingDegree.MAX) + " coefficients"
        + (aparapi == null ? "" : ", add/subtract/negate/multiply through Aparapi on " + aparapi.device());
  }

  boolean isClosed() {
    return closed;
  }

  void forget(OpenClPolyBuffer.Allocation a) {
    live.remove(a);
  }

  // ---------------------------------------------------------------- checks and tables

  private OpenClPolyBuffer own(PolyRange r) {
    PolyBuffer b = r.buffer();
    if (!(b instanceof OpenClPolyBuffer) || b.backend() != this) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "buffer " + r + " belongs to another backend");
    }
    return (OpenClPolyBuffer) b;
  }

  private static void sameShape(PolyRange a, PolyRange b) {
    a.requireSameShape(b);
  }

  private static void expect(PolyRange r, RnsBasis basis, int count, String what) {
    r.require(basis, count, what);
  }

  /**
   * Outputs may alias inputs exactly (in place) but not partially, as {@link Backend} requires. With
   * strided ranges the test is on polynomials, not on spans: the c0's and the c1's of one batch
   * (stride 2, first 0 and 1) interleave but share nothing, and are fine. What a one-pass launch
   * cannot do is write polynomial k of the output where another item still reads it as polynomial
   * k' != k of the input; sharing a polynomial at the same k is the in-place case.
   */
  private static void noPartialOverlap(PolyRange in, PolyRange out) {
    if (sharesAtOtherPosition(in, out)) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "output " + out + " partially overlaps input " + in);
    }
  }

  /** A broadcast operand is read by every item, so no output polynomial but its own sole one may be it. */
  private static void noBroadcastOverlap(PolyRange b, PolyRange out) {
    if (out.count() > 1 && overlapping(b, out)) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "output " + out + " overlaps the broadcast operand " + b);
    }
  }

  /** For operations whose output must share no polynomial with an input at all. */
  private static void disjoint(PolyRange in, PolyRange out, String what) {
    if (overlapping(in, out)) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, what + " output " + out + " overlaps its input " + in);
    }
  }

  /** True if the ranges have a polynomial in common. */
  private static boolean overlapping(PolyRange a, PolyRange b) {
    return firstShared(a, b, false) >= 0;
  }

  /** True if some polynomial is polynomial k of {@code a} and polynomial k' != k of {@code b}. */
  private static boolean sharesAtOtherPosition(PolyRange a, PolyRange b) {
    return firstShared(a, b, true) >= 0;
  }

  /**
   * Position in {@code a} of a polynomial that {@code b} also holds (only those at another position
   * in {@code b} when {@code otherPosition}), or -1. Linear in the shorter range: ranges are at most
   * a buffer long, and this runs once per call next to a device launch over all their coefficients.
   */
  static int firstShared(PolyRange a, PolyRange b, boolean otherPosition) {
    if (a.buffer() != b.buffer() || a.count() == 0 || b.count() == 0) {
      return -1;
    }
    if (a.index(a.count() - 1) < b.first() || b.index(b.count() - 1) < a.first()) {
      return -1;
    }
    boolean swap = b.count() < a.count();
    PolyRange x = swap ? b : a;
    PolyRange y = swap ? a : b;
    for (int k = 0; k < x.count(); k++) {
      int d = x.index(k) - y.first();
      if (d >= 0 && d % y.stride() == 0 && d / y.stride() < y.count() && (!otherPosition || d / y.stride() != k)) {
        return swap ? d / y.stride() : k;
      }
    }
    return -1;
  }

  /** The range as the kernels' uint2 (first, stride) argument. */
  private static ClDevice.Span span(PolyRange r) {
    return new ClDevice.Span(r.first(), r.stride());
  }

  /** Bytes of one polynomial of the range's basis on the device. */
  private static long polyBytes(PolyRange r) {
    return (long) r.basis().size() * r.basis().n() * Sizeof.cl_uint;
  }

  /** True if the range's polynomials are consecutive in its buffer. */
  private static boolean contiguous(PolyRange r) {
    return r.stride() == 1 || r.count() <= 1;
  }

  /** True if every polynomial k of the two ranges is the same buffer polynomial. */
  private static boolean identical(PolyRange a, PolyRange b) {
    return a.buffer() == b.buffer() && a.count() == b.count() && a.first() == b.first() && (a.count() <= 1 || a.stride() == b.stride());
  }

  private static int logN(RnsBasis b) {
    return RingDegree.log2(b.n());
  }

  private DeviceTables.Basis tables(RnsBasis basis) {
    synchronized (basisTables) {
      checkOpen();
      return basisTables.computeIfAbsent(basis, b -> new DeviceTables.Basis(device, b));
    }
  }

  private DeviceTables.Converter tables(BaseConverter conv) {
    synchronized (converterTables) {
      checkOpen();
      return converterTables.computeIfAbsent(new DeviceTables.ConverterKey(conv.from(), conv.to()), k -> new DeviceTables.Converter(device, conv));
    }
  }

  private DeviceTables.Scaler tables(RnsScaler s) {
    synchronized (scalerTables) {
      checkOpen();
      return scalerTables.computeIfAbsent(DeviceTables.ScalerKey.of(s), k -> new DeviceTables.Scaler(device, s));
    }
  }

  private DeviceTables.Switch tables(PlainPreservingSwitch s) {
    synchronized (switchTables) {
      checkOpen();
      return switchTables.computeIfAbsent(DeviceTables.SwitchKey.of(s), k -> new DeviceTables.Switch(device, s));
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "the OpenCL backend on " + device.name() + " is closed");
    }
  }

  /** Group size for {@code items} elementwise work-items: 256 when it divides, else the driver's pick. */
  private static long group(long items) {
    return items % GROUP == 0 ? GROUP : 0;
  }

  // ---------------------------------------------------------------- memory

  @Override
  public PolyBuffer allocate(RnsBasis basis, int polys) {
    checkOpen();
    if (polys < 0) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "negative polynomial count " + polys);
    }
    long bytes = (long) polys * basis.size() * basis.n() * Sizeof.cl_uint;
    cl_mem mem = device.allocate(bytes, polys + " polynomials over " + basis);
    try {
      device.fillZero(mem, bytes);
    } catch (RuntimeException e) {
      device.release(mem);
      throw e;
    }
    OpenClPolyBuffer.Allocation a = new OpenClPolyBuffer.Allocation(device, this, mem);
    live.add(a);
    return new OpenClPolyBuffer(this, basis, polys, a);
  }

  @Override
  public void upload(long[] host, PolyRange dst) {
    OpenClPolyBuffer b = own(dst);
    if (host.length != dst.hostLength()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "host array of " + host.length + " values for " + dst + " (" + dst.hostLength() + ")");
    }
    RnsBasis basis = dst.basis();
    int n = basis.n();
    int l = basis.size();
    if (dst.count() == 0) {
      return;
    }
    // Every value is checked before anything is sent, in parallel over rows (an OR-reduction C2
    // vectorizes: v | (q - 1 - v) is negative exactly when v is outside [0, q)); the first bad
    // value is then looked for on this thread, for the message.
    int rows = dst.count() * l;
    boolean bad = IntStream.range(0, rows).parallel().anyMatch(r -> {
      long q = basis.modulus(r % l).value();
      long any = 0;
      for (int j = r * n, end = j + n; j < end; j++) {
        long v = host[j];
        any |= v | (q - 1 - v);
      }
      return any < 0;
    });
    if (bad) {
      for (int k = 0; k < host.length; k++) {
        long q = basis.modulus(k / n % l).value();
        if (host[k] < 0 || host[k] >= q) {
          throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE,
              "value " + host[k] + " at polynomial " + k / n / l + ", limb " + k / n % l + ", coefficient " + k % n + " is not in [0, " + q + ")");
        }
      }
    }
    long polyBytes = polyBytes(dst);
    staging.upload(b.mem(), dst.first() * polyBytes, dst.stride() * polyBytes, polyBytes, dst.count(), (piece, first, count) -> {
      int from = first * l * n;
      IntStream.range(0, count * l).parallel().forEach(r -> {
        IntBuffer words = piece.asIntBuffer();
        for (int j = r * n, end = j + n; j < end; j++) {
          words.put(j, (int) host[from + j]);
        }
      });
    });
  }

  /** Writes the range's residues from consecutive host polynomials (the Aparapi path's words). */
  private void writeWords(OpenClPolyBuffer b, PolyRange dst, int[] words) {
    long bytes = polyBytes(dst);
    int len = dst.basis().size() * dst.basis().n();
    staging.upload(b.mem(), dst.first() * bytes, dst.stride() * bytes, bytes, dst.count(),
        (piece, first, count) -> piece.asIntBuffer().put(0, words, first * len, count * len));
  }

  /** The range's residue count as one Java array's length. */
  private static int hostInts(PolyRange r) {
    long length = r.hostLength();
    if (length > Integer.MAX_VALUE - 8) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, r + " holds " + length + " residues, more than one Java array can");
    }
    return (int) length;
  }

  /** The range's residues as consecutive host polynomials, once all queued work is done (the Aparapi path's words). */
  private int[] readWords(OpenClPolyBuffer b, PolyRange src) {
    int[] words = new int[hostInts(src)];
    long bytes = polyBytes(src);
    int len = src.basis().size() * src.basis().n();
    staging.download(b.mem(), src.first() * bytes, src.stride() * bytes, bytes, src.count(),
        (piece, first, count) -> piece.asIntBuffer().get(0, words, first * len, count * len));
    return words;
  }

  @Override
  public void download(PolyRange src, long[] host) {
    OpenClPolyBuffer b = own(src);
    if (host.length != src.hostLength()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "host array of " + host.length + " values for " + src + " (" + src.hostLength() + ")");
    }
    int n = src.basis().n();
    int l = src.basis().size();
    if (src.count() == 0) {
      synchronize();
      return;
    }
    long polyBytes = polyBytes(src);
    staging.download(b.mem(), src.first() * polyBytes, src.stride() * polyBytes, polyBytes, src.count(), (piece, first, count) -> {
      int to = first * l * n;
      IntStream.range(0, count * l).parallel().forEach(r -> {
        IntBuffer words = piece.asIntBuffer();
        for (int j = r * n, end = j + n; j < end; j++) {
          host[to + j] = words.get(j) & 0xFFFF_FFFFL;
        }
      });
    });
  }

  /**
   * The integers cross as 64-bit values, one per coefficient instead of one word per limb (8 bytes
   * against 4 x limbs: a third of the bytes for six limbs), and {@code reduce_integers} writes
   * every limb on the device. Range checks as the interface's default.
   */
  @Override
  public void uploadIntegers(long[] values, PolyRange dst, boolean toNtt) {
    OpenClPolyBuffer b = own(dst);
    RnsBasis basis = dst.basis();
    int n = basis.n();
    int l = basis.size();
    if (values.length != (long) dst.count() * n) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, values.length + " integers for " + dst.count() + " polynomials of n = " + n);
    }
    if (dst.count() == 0) {
      return;
    }
    long limit = 1L << 62;
    boolean bad = IntStream.range(0, dst.count()).parallel().anyMatch(p -> {
      boolean outside = false;
      for (int j = p * n, end = j + n; j < end; j++) {
        outside |= values[j] <= -limit | values[j] >= limit;
      }
      return outside;
    });
    if (bad) {
      for (int k = 0; k < values.length; k++) {
        if (values[k] <= -limit || values[k] >= limit) {
          throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE, "integer " + values[k] + " at polynomial " + k / n + ", coefficient " + k % n + " is not in (-2^62, 2^62)");
        }
      }
    }
    DeviceTables.Basis t = tables(basis);
    long polyBytes = (long) n * Sizeof.cl_ulong;
    cl_mem integers = device.allocate(dst.count() * polyBytes, "integers to reduce");
    try {
      staging.upload(integers, 0, polyBytes, polyBytes, dst.count(), (piece, first, count) -> {
        int from = first * n;
        IntStream.range(0, count).parallel().forEach(p -> {
          LongBuffer longs = piece.asLongBuffer();
          longs.put(p * n, values, from + p * n, n);
        });
      });
      long items = (long) dst.count() * l * n;
      if (counter != null) {
        count("reduce_integers", KernelCosts.reduceIntegers(dst.count(), l, n));
      }
      device.launch("reduce_integers", items, group(items), integers, b.mem(), span(dst), t.moduli, t.ratios, l, logN(basis));
    } finally {
      // OpenCL frees it once the launch that reads it is done.
      device.release(integers);
    }
    if (toNtt) {
      forwardNtt(dst);
    }
  }

  /**
   * The writer fills one polynomial at a time into a scratch array of its thread; the values are
   * checked and narrowed straight into the pinned staging buffer, so no array as large as the range
   * is made.
   */
  @Override
  public void generate(PolyRange dst, org.cryptonets.engine.ResidueWriter writer) {
    OpenClPolyBuffer b = own(dst);
    RnsBasis basis = dst.basis();
    int n = basis.n();
    int l = basis.size();
    int len = l * n;
    if (dst.count() == 0) {
      return;
    }
    ConcurrentLinkedQueue<long[]> scratchArrays = new ConcurrentLinkedQueue<>();
    long polyBytes = polyBytes(dst);
    staging.upload(b.mem(), dst.first() * polyBytes, dst.stride() * polyBytes, polyBytes, dst.count(), (piece, first, count) -> {
      IntStream.range(0, count).parallel().forEach(p -> {
        long[] poly = scratchArrays.poll();
        if (poly == null) {
          poly = new long[len];
        }
        writer.write(first + p, poly, 0);
        IntBuffer words = piece.asIntBuffer();
        int to = p * len;
        for (int i = 0; i < l; i++) {
          long q = basis.modulus(i).value();
          long any = 0;
          for (int j = i * n, end = j + n; j < end; j++) {
            long v = poly[j];
            any |= v | (q - 1 - v);
            words.put(to + j, (int) v);
          }
          if (any < 0) {
            for (int j = 0; j < n; j++) {
              long v = poly[i * n + j];
              if (v < 0 || v >= q) {
                throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE,
                    "generated value " + v + " at polynomial " + (first + p) + ", limb " + i + ", coefficient " + j + " is not in [0, " + q + ")");
              }
            }
          }
        }
        scratchArrays.add(poly);
      });
    });
  }

  @Override
  public void copy(PolyRange src, PolyRange dst) {
    sameShape(src, dst);
    OpenClPolyBuffer s = own(src);
    OpenClPolyBuffer d = own(dst);
    noPartialOverlap(src, dst);
    if (identical(src, dst)) {
      return;
    }
    if (contiguous(src) && contiguous(dst)) {
      long bytes = polyBytes(src);
      device.copy(s.mem(), src.first() * bytes, d.mem(), dst.first() * bytes, src.count() * bytes);
    } else {
      // A kernel rather than a rectangle copy: within one buffer, OpenCL forbids rectangle copies
      // whose bounding regions overlap, which interleaved components always do.
      RnsBasis basis = src.basis();
      long items = src.hostLength();
      if (counter != null) {
        count("poly_copy", KernelCosts.elementwise("poly_copy", src.count(), basis.size(), basis.n()));
      }
      device.launch("poly_copy", items, group(items), s.mem(), span(src), d.mem(), span(dst), basis.size(), logN(basis));
    }
  }

  // ---------------------------------------------------------------- NTT

  /** Coefficients per local-memory block: a power of two, at most n, fitting the device's local memory. */
  private int localBlock(int n) {
    long fits = Long.highestOneBit(Math.max(2, (device.localMemory() - 1024) / Sizeof.cl_uint));
    return (int) Math.max(2, Math.min(Math.min(n, nttBlockCap), fits));
  }

  private int nttGroup(String kernel, int block) {
    long limit = Math.min(device.kernelWorkGroupLimit(kernel), MAX_NTT_GROUP);
    return (int) Math.max(1, Math.min(block / 2, Long.highestOneBit(Math.max(1, limit))));
  }

  @Override
  public void forwardNtt(PolyRange r) {
    OpenClPolyBuffer b = own(r);
    forwardNtt(b.mem(), span(r), r.basis(), (long) r.count() * r.basis().size(), tables(r.basis()));
  }

  /**
   * Forward NTT of {@code rows} limbs of the strided range {@code rng}, row k being limb k % limbs
   * of its polynomial k / limbs.
   * The tables are fetched by the caller: taking the table-cache lock while holding the device
   * monitor would invert the order in which table construction takes them.
   */
  private void forwardNtt(cl_mem mem, ClDevice.Span rng, RnsBasis basis, long rows, DeviceTables.Basis t) {
    if (rows == 0) {
      return;
    }
    int logn = logN(basis);
    int n = basis.n();
    int block = localBlock(n);
    int logl = RingDegree.log2(block);
    int limbs = basis.size();
    synchronized (device) {
      for (int logt = logn - 1; logt >= logl; logt--) {
        long items = rows * (n / 2);
        if (counter != null) {
          count("ntt_forward_stage", KernelCosts.nttStage(rows, limbs, n, logt, false));
        }
        device.launch("ntt_forward_stage", items, group(items), mem, rng, t.forward, t.moduli, limbs, logn, logt);
      }
      int wg = nttGroup("ntt_forward_local", block);
      long groups = rows * (n / block);
      if (counter != null) {
        count("ntt_forward_local", KernelCosts.nttLocal(rows, limbs, n, block, false));
      }
      device.launch("ntt_forward_local", groups * wg, wg, mem, rng, t.forward, t.moduli, limbs, logn, logl,
          new ClDevice.Local((long) block * Sizeof.cl_uint));
    }
  }

  @Override
  public void inverseNtt(PolyRange r) {
    OpenClPolyBuffer b = own(r);
    RnsBasis basis = r.basis();
    long rows = (long) r.count() * basis.size();
    if (rows == 0) {
      return;
    }
    DeviceTables.Basis t = tables(basis);
    inverseNtt(b.mem(), span(r), basis.size(), basis.n(), rows, t.inverse, t.moduli, t.inverseN);
  }

  /**
   * Inverse NTT of {@code rows} limbs of the strided range {@code rng} of polynomials of
   * {@code limbs} limbs, row k being limb k % limbs of its polynomial k / limbs, with the given
   * per-limb tables ({@code limbs} entries each). Tables are fetched by the caller, as for
   * {@link #forwardNtt(cl_mem, ClDevice.Span, RnsBasis, long, DeviceTables.Basis)}.
   */
  private void inverseNtt(cl_mem mem, ClDevice.Span rng, int limbs, int n, long rows, cl_mem twiddles, cl_mem moduli, cl_mem inverseN) {
    if (rows == 0) {
      return;
    }
    int logn = RingDegree.log2(n);
    int block = localBlock(n);
    int logl = RingDegree.log2(block);
    synchronized (device) {
      int wg = nttGroup("ntt_inverse_local", block);
      long groups = rows * (n / block);
      if (counter != null) {
        count("ntt_inverse_local", KernelCosts.nttLocal(rows, limbs, n, block, block == n));
      }
      device.launch("ntt_inverse_local", groups * wg, wg, mem, rng, twiddles, moduli, inverseN, limbs, logn, logl,
          block == n ? 1 : 0, new ClDevice.Local((long) block * Sizeof.cl_uint));
      for (int logt = logl; logt < logn; logt++) {
        long items = rows * (n / 2);
        if (counter != null) {
          count("ntt_inverse_stage", KernelCosts.nttStage(rows, limbs, n, logt, logt == logn - 1));
        }
        device.launch("ntt_inverse_stage", items, group(items), mem, rng, twiddles, moduli, inverseN, limbs, logn, logt,
            logt == logn - 1 ? 1 : 0);
      }
    }
  }

  // ---------------------------------------------------------------- elementwise

  private void binary(String kernel, PolyRange a, PolyRange b, PolyRange out, boolean needsRatios) {
    sameShape(a, b);
    sameShape(a, out);
    OpenClPolyBuffer x = own(a), y = own(b), z = own(out);
    noPartialOverlap(a, out);
    noPartialOverlap(b, out);
    RnsBasis basis = a.basis();
    if (aparapi != null) {
      checkOpen();
      int[] result = new int[hostInts(out)];
      int[] left = readWords(x, a);
      int[] right = readWords(y, b);
      switch (kernel) {
        case "poly_add" -> aparapi.add(basis, left, right, result);
        case "poly_subtract" -> aparapi.subtract(basis, left, right, result);
        case "poly_multiply" -> aparapi.multiply(basis, left, right, result);
        default -> throw new IllegalStateException("no Aparapi kernel for " + kernel);
      }
      writeWords(z, out, result);
      return;
    }
    DeviceTables.Basis t = tables(basis);
    long items = a.hostLength();
    if (counter != null) {
      count(kernel, KernelCosts.elementwise(kernel, a.count(), basis.size(), basis.n()));
    }
    if (needsRatios) {
      device.launch(kernel, items, group(items), x.mem(), span(a), y.mem(), span(b), z.mem(), span(out), t.moduli, t.ratios,
          basis.size(), logN(basis));
    } else {
      device.launch(kernel, items, group(items), x.mem(), span(a), y.mem(), span(b), z.mem(), span(out), t.moduli,
          basis.size(), logN(basis));
    }
  }

  @Override
  public void add(PolyRange a, PolyRange b, PolyRange out) {
    binary("poly_add", a, b, out, false);
  }

  @Override
  public void subtract(PolyRange a, PolyRange b, PolyRange out) {
    binary("poly_subtract", a, b, out, false);
  }

  @Override
  public void multiply(PolyRange a, PolyRange b, PolyRange out) {
    binary("poly_multiply", a, b, out, true);
  }

  @Override
  public void negate(PolyRange a, PolyRange out) {
    sameShape(a, out);
    OpenClPolyBuffer x = own(a), z = own(out);
    noPartialOverlap(a, out);
    if (aparapi != null) {
      checkOpen();
      int[] result = new int[hostInts(out)];
      aparapi.negate(a.basis(), readWords(x, a), result);
      writeWords(z, out, result);
      return;
    }
    DeviceTables.Basis t = tables(a.basis());
    long items = a.hostLength();
    if (counter != null) {
      count("poly_negate", KernelCosts.elementwise("poly_negate", a.count(), a.basis().size(), a.basis().n()));
    }
    device.launch("poly_negate", items, group(items), x.mem(), span(a), z.mem(), span(out), t.moduli, a.basis().size(), logN(a.basis()));
  }

  @Override
  public void multiplyBroadcast(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, out);
    expect(b, a.basis(), 1, "broadcast operand");
    OpenClPolyBuffer x = own(a), y = own(b), z = own(out);
    noPartialOverlap(a, out);
    noBroadcastOverlap(b, out);
    DeviceTables.Basis t = tables(a.basis());
    long items = a.hostLength();
    if (counter != null) {
      count("poly_multiply_broadcast", KernelCosts.multiplyBroadcast(a.count(), a.basis().size(), a.basis().n()));
    }
    device.launch("poly_multiply_broadcast", items, group(items), x.mem(), span(a), y.mem(), span(b), z.mem(), span(out),
        t.moduli, t.ratios, a.basis().size(), logN(a.basis()));
  }

  @Override
  public void multiplyScalar(PolyRange a, long scalar, PolyRange out) {
    sameShape(a, out);
    OpenClPolyBuffer x = own(a), z = own(out);
    noPartialOverlap(a, out);
    RnsBasis basis = a.basis();
    DeviceTables.Basis t = tables(basis);
    int l = basis.size();
    int[] ws = new int[2 * l];
    for (int i = 0; i < l; i++) {
      Modulus m = basis.modulus(i);
      long w = m.reduce(scalar);
      ws[2 * i] = (int) w;
      ws[2 * i + 1] = (int) m.shoup(w);
    }
    long items = a.hostLength();
    if (items == 0) {
      return;
    }
    if (counter != null) {
      count("poly_multiply_scalar", KernelCosts.multiplyScalar(a.count(), l, basis.n()));
    }
    cl_mem w = device.constant(ws, "scalar residues");
    try {
      device.launch("poly_multiply_scalar", items, group(items), x.mem(), span(a), z.mem(), span(out), w, t.moduli, l, logN(basis));
    } finally {
      device.release(w);
    }
  }

  @Override
  public void addConstants(PolyRange polys, long[] values, boolean nttForm) {
    OpenClPolyBuffer x = own(polys);
    RnsBasis basis = polys.basis();
    int l = basis.size();
    if (values.length != polys.count() * l) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, values.length + " constants for " + polys.count() + " polynomials of " + l + " limbs");
    }
    int[] words = new int[values.length];
    for (int k = 0; k < values.length; k++) {
      long q = basis.modulus(k % l).value();
      if (values[k] < 0 || values[k] >= q) {
        throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE, "constant " + values[k] + " is not in [0, " + q + ")");
      }
      words[k] = (int) values[k];
    }
    if (values.length == 0) {
      return;
    }
    DeviceTables.Basis t = tables(basis);
    int logspan = nttForm ? logN(basis) : 0;
    long items = (long) values.length << logspan;
    if (counter != null) {
      count("poly_add_constants", KernelCosts.addConstants(values.length, l, logspan));
    }
    cl_mem v = device.constant(words, "constants");
    try {
      device.launch("poly_add_constants", items, group(items), x.mem(), span(polys), v, t.moduli, l, logN(basis), logspan);
    } finally {
      device.release(v);
    }
  }

  // ---------------------------------------------------------------- linear layer and tensor

  @Override
  public void multiplyAccumulate(IntMatrix w, PolyRange in, int width, PolyRange out) {
    w.requireLayerShapes(in, width, out);
    OpenClPolyBuffer x = own(in), z = own(out);
    RnsBasis basis = in.basis();
    DeviceTables.Basis t = tables(basis);
    int rows = w.rows();
    int cols = w.columns();
    int l = basis.size();
    int logn = logN(basis);
    if (rows == 0) {
      return;
    }
    int maxAbs = 1;
    for (int v : w.values()) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    // Each term is below maxAbs * 2^31; fold the accumulators before the signed sum can reach 2^62.
    long maxTerms = Math.max(1, (1L << 62) / ((long) maxAbs << 31));
    int block = MAC_BLOCK;
    // The CPU backend's threshold: below it most dense weights would be zero multiplications.
    if (w.density() > 0.3) {
      int blocks = (rows + block - 1) / block;
      int[] dense = new int[blocks * block * cols];
      System.arraycopy(w.toDense(), 0, dense, 0, rows * cols);
      long items = ((long) blocks * width * l) << logn;
      if (counter != null) {
        count("mac_dense", KernelCosts.macDense(rows, cols, width, l, basis.n(), maxTerms));
      }
      cl_mem wm = device.constant(dense, "dense weights");
      try {
        device.launch("mac_dense", items, group(items), x.mem(), span(in), z.mem(), span(out), wm, rows, cols, width, l, logn, maxTerms,
            t.moduli, t.ratios);
      } finally {
        device.release(wm);
      }
    } else {
      long items = ((long) rows * width * l) << logn;
      if (counter != null) {
        count("mac_sparse", KernelCosts.macSparse(w.rowStart(), w.columnIndex(), width, l, basis.n(), maxTerms));
      }
      cl_mem start = device.constant(w.rowStart(), "weight rows");
      cl_mem column = null;
      cl_mem value = null;
      try {
        column = device.constant(w.columnIndex(), "weight columns");
        value = device.constant(w.values(), "weights");
        device.launch("mac_sparse", items, group(items), x.mem(), span(in), z.mem(), span(out), start, column, value, width, l, logn,
            maxTerms, t.moduli, t.ratios);
      } finally {
        device.release(start);
        device.release(column);
        device.release(value);
      }
    }
  }

  private static void tensorCheck(PolyRange a, PolyRange out) {
    a.requireTensorOutput(out);
  }

  @Override
  public void tensor(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, b);
    tensorCheck(a, out);
    // Triple p is written while pair p' = 3p/2 may still be unread by another work-item.
    disjoint(b, out, "tensor");
    OpenClPolyBuffer x = own(a), y = own(b), z = own(out);
    RnsBasis basis = a.basis();
    DeviceTables.Basis t = tables(basis);
    long items = a.hostLength() / 2;
    if (counter != null) {
      count("poly_tensor", KernelCosts.tensor(a.count() / 2, basis.size(), basis.n()));
    }
    device.launch("poly_tensor", items, group(items), x.mem(), span(a), y.mem(), span(b), z.mem(), span(out), t.moduli, t.ratios,
        basis.size(), logN(basis));
  }

  @Override
  public void tensorSquare(PolyRange a, PolyRange out) {
    tensorCheck(a, out);
    OpenClPolyBuffer x = own(a), z = own(out);
    RnsBasis basis = a.basis();
    DeviceTables.Basis t = tables(basis);
    long items = a.hostLength() / 2;
    if (counter != null) {
      count("poly_tensor_square", KernelCosts.tensorSquare(a.count() / 2, basis.size(), basis.n()));
    }
    device.launch("poly_tensor_square", items, group(items), x.mem(), span(a), z.mem(), span(out), t.moduli, t.ratios,
        basis.size(), logN(basis));
  }

  // ---------------------------------------------------------------- RNS base changes

  @Override
  public void extendBase(BaseConverter conv, PolyRange in, PolyRange out) {
    expect(in, conv.from(), in.count(), "base extension input");
    RnsBasis joined = conv.from().concat(conv.to());
    expect(out, joined, in.count(), "base extension output");
    OpenClPolyBuffer x = own(in), z = own(out);
    int l = conv.from().size();
    int k = conv.to().size();
    disjoint(in, out, "base extension");
    long inBytes = polyBytes(in);
    long outBytes = polyBytes(out);
    DeviceTables.Converter t = tables(conv);
    synchronized (device) {
      // The Q limbs are copied unchanged: one rectangle copy whose row pitches are the two ranges'
      // polynomial strides (different buffers, as the bases differ, so no overlap rule applies).
      device.copyRows(x.mem(), in.first() * inBytes, in.stride() * inBytes, z.mem(), out.first() * outBytes, out.stride() * outBytes, inBytes,
          in.count());
      convert(conv, t, x, in, z, out, l + k, l);
    }
  }

  @Override
  public void convertBase(BaseConverter conv, PolyRange in, PolyRange out) {
    expect(in, conv.from(), in.count(), "base conversion input");
    expect(out, conv.to(), in.count(), "base conversion output");
    OpenClPolyBuffer x = own(in), z = own(out);
    disjoint(in, out, "base conversion");
    convert(conv, tables(conv), x, in, z, out, conv.to().size(), 0);
  }

  private void convert(
      BaseConverter conv, DeviceTables.Converter t, OpenClPolyBuffer x, PolyRange in, OpenClPolyBuffer z, PolyRange out, int outLimbs, int outFirst) {
    int l = conv.from().size();
    int k = conv.to().size();
    long items = ((long) in.count() * k) << logN(conv.from());
    if (counter != null) {
      count("base_convert", KernelCosts.baseConvert(in.count(), l, k, conv.from().n()));
    }
    device.launch("base_convert", items, group(items), x.mem(), span(in), z.mem(), span(out), l, k, outLimbs, outFirst, logN(conv.from()),
        t.fromModuli, t.puncturedInverse, t.reciprocal, t.toModuli, t.toRatios, t.puncturedModTo, t.productModTo);
  }

  @Override
  public void scaleAndRound(RnsScaler s, PolyRange in, PolyRange out) {
    expect(in, s.input(), in.count(), "scale-and-round input");
    expect(out, s.output(), in.count(), "scale-and-round output");
    OpenClPolyBuffer x = own(in), z = own(out);
    disjoint(in, out, "scale-and-round");
    DeviceTables.Scaler t = tables(s);
    int k = s.output().size();
    long items = ((long) in.count() * k) << logN(s.input());
    if (counter != null) {
      count("scale_round", KernelCosts.scaleRound(in.count(), s.input().size(), s.q().size(), k, s.hasAuxiliary(), s.input().n()));
    }
    device.launch("scale_round", items, group(items), x.mem(), span(in), z.mem(), span(out), s.input().size(), s.q().size(), k,
        s.hasAuxiliary() ? 1 : 0, logN(s.input()), t.fractionHigh, t.fractionLow, t.outModuli, t.outRatios, t.integerModOut, t.lambda);
  }

  @Override
  public void dropLastModulus(PolyRange in, PolyRange out) {
    RnsBasis from = in.basis();
    int l = from.size();
    if (l < 2) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "cannot drop the only prime of " + from);
    }
    expect(out, from.prefix(l - 1), in.count(), "modulus switching output");
    OpenClPolyBuffer x = own(in), z = own(out);
    disjoint(in, out, "modulus switching");
    DeviceTables.Basis t = tables(from);
    long items = ((long) in.count() * (l - 1)) << logN(from);
    if (counter != null) {
      count("drop_last_modulus", KernelCosts.dropLastModulus(in.count(), l, from.n()));
    }
    device.launch("drop_last_modulus", items, group(items), x.mem(), span(in), z.mem(), span(out), l, logN(from), t.moduli, t.ratios,
        t.lastInverse);
  }

  /**
   * BGV modulus switching in NTT form, natively: no host round trip. {@code in} and {@code out} are
   * over different bases, so never share a polynomial; {@code out} holds the correction between the
   * steps, so no scratch memory is used. With the whole ring in one local-memory block, two launches:
   * {@code switch_correction_local} (one work-group per polynomial: its last limb inverse-transformed
   * in local memory, scaled by n^-1 t^-1, centred and spread as [r]_{q_i} over the output limbs) and
   * {@code switch_forward_combine} (one work-group per output limb: forward NTT in local memory, then
   * x_i q_l^-1 - NTT_i(r) t q_l^-1). Otherwise the same arithmetic through global memory: the last
   * limbs copied into output limb 0 ({@code poly_copy}), inverse-transformed there by the NTT kernels
   * on a one-limb view with the switch's tables of the dropped prime, {@code switch_spread}, the
   * batched forward NTT of the output, {@code switch_combine}. Either way the result equals
   * {@link PlainPreservingSwitch#apply} bit for bit.
   *
   * <p>Asynchronous like every operation; thread-safe as {@link OpenClBackend} describes (the
   * launch sequence is enqueued under the device monitor). The switch's tables are uploaded on first
   * use and kept until {@link #close()}.
   *
   * @throws EngineException {@code SHAPE_MISMATCH} if {@code in} is not over {@code s.from()} or
   *     {@code out} not over {@code s.to()} with as many polynomials, {@code BUFFER_INVALID} for a
   *     buffer of another backend or a closed backend, {@code DEVICE_FAILURE} for OpenCL errors
   */
  @Override
  public void dropLastModulusNtt(PlainPreservingSwitch s, PolyRange in, PolyRange out) {
    expect(in, s.from(), in.count(), "modulus switching input");
    expect(out, s.to(), in.count(), "modulus switching output");
    OpenClPolyBuffer x = own(in), z = own(out);
    // The bases differ, so the buffers do; kept as a guard should a buffer ever hold two bases.
    disjoint(in, out, "modulus switching");
    int count = in.count();
    if (count == 0) {
      return;
    }
    RnsBasis from = s.from();
    int l = from.size();
    int m = l - 1;
    int n = from.n();
    int logn = logN(from);
    Modulus last = from.modulus(m);
    long qLast = last.value();
    DeviceTables.Switch st = tables(s);
    DeviceTables.Basis to = tables(s.to());
    boolean fused = localBlock(n) == n;
    synchronized (device) {
      if (fused) {
        long scale = last.multiply(from.ntt(m).inverseN(), s.tInverseLast());
        int wg = nttGroup("switch_correction_local", n);
        if (counter != null) {
          count("switch_correction_local", KernelCosts.switchCorrectionLocal(count, l, n));
        }
        device.launch("switch_correction_local", (long) count * wg, wg, x.mem(), span(in), z.mem(), span(out), l, logn, st.lastInverseTwiddles,
            (int) qLast, (int) scale, (int) last.shoup(scale), to.moduli, to.ratios, new ClDevice.Local((long) n * Sizeof.cl_uint));
        int wf = nttGroup("switch_forward_combine", n);
        if (counter != null) {
          count("switch_forward_combine", KernelCosts.switchForwardCombine(count, l, n));
        }
        device.launch("switch_forward_combine", (long) count * m * wf, wf, x.mem(), span(in), z.mem(), span(out), l, logn, to.forward,
            to.moduli, st.combine, new ClDevice.Local((long) n * Sizeof.cl_uint));
      } else {
        // One-limb views: the last limb of each input polynomial, limb 0 of each output polynomial.
        ClDevice.Span lastLimbs = new ClDevice.Span(Math.addExact(Math.multiplyExact(in.first(), l), m), Math.multiplyExact(in.stride(), l));
        ClDevice.Span firstLimbs = new ClDevice.Span(Math.multiplyExact(out.first(), m), Math.multiplyExact(out.stride(), m));
        long items = (long) count << logn;
        if (counter != null) {
          count("poly_copy", KernelCosts.elementwise("poly_copy", count, 1, n));
        }
        device.launch("poly_copy", items, group(items), x.mem(), lastLimbs, z.mem(), firstLimbs, 1, logn);
        inverseNtt(z.mem(), firstLimbs, 1, n, count, st.lastInverseTwiddles, st.lastModulus, st.lastInverseN);
        if (counter != null) {
          count("switch_spread", KernelCosts.switchSpread(count, l, n));
        }
        device.launch("switch_spread", items, group(items), z.mem(), span(out), m, logn, (int) qLast, (int) s.tInverseLast(),
            (int) s.tInverseLastShoup(), to.moduli, to.ratios);
        forwardNtt(z.mem(), span(out), s.to(), (long) count * m, to);
        long combineItems = (long) count * m << logn;
        if (counter != null) {
          count("switch_combine", KernelCosts.switchCombine(count, l, n));
        }
        device.launch("switch_combine", combineItems, group(combineItems), x.mem(), span(in), z.mem(), span(out), l, logn, to.moduli,
            st.combine);
      }
    }
  }

  // ---------------------------------------------------------------- key switching

  @Override
  public void keySwitch(PolyRange digits, PolyRange key, PolyRange out) {
    RnsBasis basis = digits.basis();
    RnsBasis keyBasis = key.basis();
    if (!basis.isPrefixOf(keyBasis)) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "ciphertext basis " + basis + " is not a prefix of the key basis " + keyBasis);
    }
    expect(key, keyBasis, 2 * keyBasis.size(), "key-switching key");
    expect(out, basis, 2 * digits.count(), "key-switching output");
    OpenClPolyBuffer d = own(digits), k = own(key), z = own(out);
    if (overlapping(digits, out) || overlapping(key, out)) {
      // Digits are read chunk by chunk, so outputs of one chunk must not land on digits of the next.
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "key-switching output " + out + " overlaps its inputs");
    }
    int l = basis.size();
    int n = basis.n();
    int logn = logN(basis);
    DeviceTables.Basis t = tables(basis);
    long perDigit = (long) l * l * n * Sizeof.cl_uint;
    long chunk = Math.max(1, Math.min(Math.min(scratchLimit, device.maxAllocation()) / perDigit, digits.count()));
    // The scratch buffer is shared by every key switch: the whole spread / NTT / inner-product
    // sequence is enqueued under the device monitor, and the in-order queue runs sequences one after
    // another, so no two can use it at once.
    if (digits.count() == 0) {
      return;
    }
    // With the whole ring in one local block, reducing the digits happens in the NTT's own load.
    boolean fused = localBlock(n) == n;
    synchronized (device) {
      cl_mem s = scratch(chunk * perDigit);
      for (long p0 = 0; p0 < digits.count(); p0 += chunk) {
        long count = Math.min(chunk, digits.count() - p0);
        // Chunk p0.. of the digits and its output pairs, as sub-ranges with the callers' strides.
        ClDevice.Span dSpan = span(digits.sub((int) p0, (int) count));
        ClDevice.Span oSpan = span(out.sub((int) (2 * p0), (int) (2 * count)));
        if (fused) {
          int wg = nttGroup("key_switch_spread_ntt", n);
          if (counter != null) {
            count("key_switch_spread_ntt", KernelCosts.keySwitchSpreadNtt(count, l, n));
          }
          device.launch("key_switch_spread_ntt", count * l * l * wg, wg, d.mem(), dSpan, s, t.forward, l, logn, t.moduli, t.ratios,
              new ClDevice.Local((long) n * Sizeof.cl_uint));
        } else {
          long spreadItems = (count * l * l) << logn;
          if (counter != null) {
            count("key_switch_spread", KernelCosts.keySwitchSpread(count, l, n));
          }
          device.launch("key_switch_spread", spreadItems, group(spreadItems), d.mem(), dSpan, s, l, logn, t.moduli, t.ratios);
          forwardNtt(s, new ClDevice.Span(0, 1), basis, count * l * l, t);
        }
        long innerItems = (count * l) << logn;
        if (counter != null) {
          count("key_switch_inner", KernelCosts.keySwitchInner(count, l, n));
        }
        device.launch("key_switch_inner", innerItems, group(innerItems), s, k.mem(), span(key), z.mem(), oSpan, l, keyBasis.size(), logn,
            t.moduli, t.ratios);
      }
    }
  }

  /** The shared key-switching scratch, grown to at least {@code bytes}; call holding the device monitor. */
  private cl_mem scratch(long bytes) {
    if (scratch == null || scratchBytes < bytes) {
      if (scratch != null) {
        device.release(scratch);
        scratch = null;
      }
      scratch = device.allocate(bytes, "key-switching scratch");
      scratchBytes = bytes;
    }
    return scratch;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Waits for queued work; after {@link #close()} there is none, so it returns at once. */
  @Override
  public void synchronize() {
    synchronized (device) {
      if (!closed) {
        device.finish();
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    synchronized (device) {
      closed = true;
      try {
        device.finish();
      } catch (EngineException ignored) {
        // Closing anyway; the error belonged to work nobody waits for any more.
      }
      for (OpenClPolyBuffer.Allocation a : live.toArray(new OpenClPolyBuffer.Allocation[0])) {
        a.run();
      }
      for (DeviceTables tables : basisTables.values()) {
        tables.release(device);
      }
      for (DeviceTables tables : converterTables.values()) {
        tables.release(device);
      }
      for (DeviceTables tables : scalerTables.values()) {
        tables.release(device);
      }
      for (DeviceTables tables : switchTables.values()) {
        tables.release(device);
      }
      basisTables.clear();
      converterTables.clear();
      scalerTables.clear();
      switchTables.clear();
      if (scratch != null) {
        device.release(scratch);
        scratch = null;
      }
      try {
        staging.close();
      } catch (EngineException ignored) {
        // Closing anyway: the device is released next, and with it the pinned memory.
      }
      if (aparapi != null) {
        aparapi.close();
      }
      device.close();
    }
  }
}
