package org.cryptonets.backend.opencl;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
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
 * <p>Device choice: see {@link OpenClDevices}. The NTT does every stage in local memory, one
 * work-group per limb, while n fits the device's local memory (n = 8192 needs 32 KiB); larger rings
 * first run global-memory stages until the remaining spans fit. The system property
 * {@value #NTT_BLOCK_PROPERTY} caps that local block (a power of two, at least 2), mainly to test the
 * global path.
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
  /** Group size of the elementwise kernels: a multiple of every GPU's warp or wavefront. */
  private static final long GROUP = 256;
  private static final int MAX_NTT_GROUP = 1024;
  /** Output rows per work-item of the dense multiply-accumulate: MAC_BLOCK in modarith.cl. */
  private static final int MAC_BLOCK = 4;
  /** Upper bound on key-switching scratch per launch sequence. */
  private static final long SCRATCH_LIMIT = 256L << 20;

  private final ClDevice device;
  private final int nttBlockCap;
  private final Map<RnsBasis, DeviceTables.Basis> basisTables = new HashMap<>();
  private final Map<DeviceTables.ConverterKey, DeviceTables.Converter> converterTables = new HashMap<>();
  private final Map<DeviceTables.ScalerKey, DeviceTables.Scaler> scalerTables = new HashMap<>();
  private final Set<OpenClPolyBuffer.Allocation> live = ConcurrentHashMap.newKeySet();
  private cl_mem scratch;
  private long scratchBytes;
  private volatile boolean closed;

  private OpenClBackend(ClDevice device, int nttBlockCap) {
    this.device = device;
    this.nttBlockCap = nttBlockCap;
  }

  /**
   * Opens the device named by the system properties of {@link OpenClDevices}.
   *
   * @throws EngineException {@code BACKEND_UNAVAILABLE} if OpenCL or the device is missing,
   *     {@code DEVICE_FAILURE} if the context cannot be created or the kernels do not build (with the
   *     build log), {@code INVALID_ARGUMENT} for a malformed {@value #NTT_BLOCK_PROPERTY}
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
    return open(System.getProperty(OpenClDevices.PLATFORM_PROPERTY), System.getProperty(OpenClDevices.DEVICE_PROPERTY), block);
  }

  /**
   * Opens an explicit device (null means "not specified", as for the system properties) with the NTT
   * local block capped at {@code nttBlockCap} coefficients (a power of two, at least 2).
   *
   * @throws EngineException as {@link #open()}
   */
  public static OpenClBackend open(String platform, String device, int nttBlockCap) {
    if (nttBlockCap < 2 || Integer.bitCount(nttBlockCap) != 1) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "NTT block cap " + nttBlockCap + " is not a power of two >= 2");
    }
    return new OpenClBackend(new ClDevice(OpenClDevices.select(platform, device)), nttBlockCap);
  }

  @Override
  public String name() {
    return "opencl";
  }

  @Override
  public String device() {
    return "OpenCL " + device.summary() + ", NTT local block up to " + localBlock(RingDegree.MAX) + " coefficients";
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
    if (!a.basis().equals(b.basis())) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "bases differ: " + a.basis() + " vs " + b.basis());
    }
    if (a.count() != b.count()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "counts differ: " + a + " vs " + b);
    }
  }

  private static void expect(PolyRange r, RnsBasis basis, int count, String what) {
    if (!r.basis().equals(basis)) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, what + " must be over " + basis + ", is over " + r.basis());
    }
    if (r.count() != count) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, what + " must hold " + count + " polynomials, holds " + r.count());
    }
  }

  /** Outputs may alias inputs exactly (in place) but not partially, as {@link Backend} requires. */
  private static void noPartialOverlap(PolyRange in, PolyRange out) {
    if (in.buffer() == out.buffer() && in.first() != out.first()
        && in.first() < out.first() + out.count() && out.first() < in.first() + in.count()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "output " + out + " partially overlaps input " + in);
    }
  }

  private static boolean overlapping(PolyRange a, PolyRange b) {
    return a.buffer() == b.buffer() && a.first() < b.first() + b.count() && b.first() < a.first() + a.count();
  }

  /** Element offset of the range's first residue in its buffer. */
  private static long offset(PolyRange r) {
    return (long) r.first() * r.basis().size() * r.basis().n();
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
    int[] words = new int[host.length];
    for (int p = 0; p < dst.count(); p++) {
      for (int i = 0; i < l; i++) {
        long q = basis.modulus(i).value();
        int base = (p * l + i) * n;
        for (int j = 0; j < n; j++) {
          long v = host[base + j];
          if (v < 0 || v >= q) {
            throw new EngineException(
                EngineException.Code.VALUE_OUT_OF_RANGE, "value " + v + " at polynomial " + p + ", limb " + i + ", coefficient " + j + " is not in [0, " + q + ")");
          }
          words[base + j] = (int) v;
        }
      }
    }
    device.write(b.mem(), offset(dst) * Sizeof.cl_uint, words);
  }

  @Override
  public void download(PolyRange src, long[] host) {
    OpenClPolyBuffer b = own(src);
    if (host.length != src.hostLength()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "host array of " + host.length + " values for " + src + " (" + src.hostLength() + ")");
    }
    int[] words = new int[host.length];
    device.read(b.mem(), offset(src) * Sizeof.cl_uint, words);
    for (int k = 0; k < words.length; k++) {
      host[k] = words[k] & 0xFFFF_FFFFL;
    }
  }

  @Override
  public void copy(PolyRange src, PolyRange dst) {
    sameShape(src, dst);
    OpenClPolyBuffer s = own(src);
    OpenClPolyBuffer d = own(dst);
    noPartialOverlap(src, dst);
    if (s == d && src.first() == dst.first()) {
      return;
    }
    device.copy(s.mem(), offset(src) * Sizeof.cl_uint, d.mem(), offset(dst) * Sizeof.cl_uint, src.hostLength() * Sizeof.cl_uint);
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
    forwardNtt(b.mem(), offset(r), r.basis(), (long) r.count() * r.basis().size(), tables(r.basis()));
  }

  /**
   * Forward NTT of {@code rows} limbs starting at element {@code off}, row k being limb k % limbs.
   * The tables are fetched by the caller: taking the table-cache lock while holding the device
   * monitor would invert the order in which table construction takes them.
   */
  private void forwardNtt(cl_mem mem, long off, RnsBasis basis, long rows, DeviceTables.Basis t) {
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
        device.launch("ntt_forward_stage", items, group(items), mem, off, t.forward, t.moduli, limbs, logn, logt);
      }
      int wg = nttGroup("ntt_forward_local", block);
      long groups = rows * (n / block);
      device.launch("ntt_forward_local", groups * wg, wg, mem, off, t.forward, t.moduli, limbs, logn, logl,
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
    cl_mem mem = b.mem();
    long off = offset(r);
    int logn = logN(basis);
    int n = basis.n();
    int block = localBlock(n);
    int logl = RingDegree.log2(block);
    int limbs = basis.size();
    synchronized (device) {
      int wg = nttGroup("ntt_inverse_local", block);
      long groups = rows * (n / block);
      device.launch("ntt_inverse_local", groups * wg, wg, mem, off, t.inverse, t.moduli, t.inverseN, limbs, logn, logl,
          block == n ? 1 : 0, new ClDevice.Local((long) block * Sizeof.cl_uint));
      for (int logt = logl; logt < logn; logt++) {
        long items = rows * (n / 2);
        device.launch("ntt_inverse_stage", items, group(items), mem, off, t.inverse, t.moduli, t.inverseN, limbs, logn, logt,
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
    DeviceTables.Basis t = tables(basis);
    long items = a.hostLength();
    if (needsRatios) {
      device.launch(kernel, items, group(items), x.mem(), offset(a), y.mem(), offset(b), z.mem(), offset(out), t.moduli, t.ratios,
          basis.size(), logN(basis));
    } else {
      device.launch(kernel, items, group(items), x.mem(), offset(a), y.mem(), offset(b), z.mem(), offset(out), t.moduli,
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
    DeviceTables.Basis t = tables(a.basis());
    long items = a.hostLength();
    device.launch("poly_negate", items, group(items), x.mem(), offset(a), z.mem(), offset(out), t.moduli, a.basis().size(), logN(a.basis()));
  }

  @Override
  public void multiplyBroadcast(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, out);
    expect(b, a.basis(), 1, "broadcast operand");
    OpenClPolyBuffer x = own(a), y = own(b), z = own(out);
    noPartialOverlap(a, out);
    noPartialOverlap(b, out);
    DeviceTables.Basis t = tables(a.basis());
    long items = a.hostLength();
    device.launch("poly_multiply_broadcast", items, group(items), x.mem(), offset(a), y.mem(), offset(b), z.mem(), offset(out),
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
    cl_mem w = device.constant(ws, "scalar residues");
    try {
      device.launch("poly_multiply_scalar", items, group(items), x.mem(), offset(a), z.mem(), offset(out), w, t.moduli, l, logN(basis));
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
    cl_mem v = device.constant(words, "constants");
    try {
      device.launch("poly_add_constants", items, group(items), x.mem(), offset(polys), v, t.moduli, l, logN(basis), logspan);
    } finally {
      device.release(v);
    }
  }

  // ---------------------------------------------------------------- linear layer and tensor

  @Override
  public void multiplyAccumulate(IntMatrix w, PolyRange in, int width, PolyRange out) {
    if (width < 1) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "item width " + width + " must be positive");
    }
    expect(in, in.basis(), w.columns() * width, "input of the " + w.rows() + " x " + w.columns() + " layer");
    expect(out, in.basis(), w.rows() * width, "output of the " + w.rows() + " x " + w.columns() + " layer");
    if (in.buffer() == out.buffer()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "multiply-accumulate cannot write its own input buffer");
    }
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
      cl_mem wm = device.constant(dense, "dense weights");
      try {
        device.launch("mac_dense", items, group(items), x.mem(), offset(in), z.mem(), offset(out), wm, rows, cols, width, l, logn, maxTerms,
            t.moduli, t.ratios);
      } finally {
        device.release(wm);
      }
    } else {
      long items = ((long) rows * width * l) << logn;
      cl_mem start = device.constant(w.rowStart(), "weight rows");
      cl_mem column = null;
      cl_mem value = null;
      try {
        column = device.constant(w.columnIndex(), "weight columns");
        value = device.constant(w.values(), "weights");
        device.launch("mac_sparse", items, group(items), x.mem(), offset(in), z.mem(), offset(out), start, column, value, width, l, logn,
            maxTerms, t.moduli, t.ratios);
      } finally {
        device.release(start);
        device.release(column);
        device.release(value);
      }
    }
  }

  private static void tensorCheck(PolyRange a, PolyRange out) {
    if (a.count() % 2 != 0) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "tensor input " + a + " is not a run of (c0, c1) pairs");
    }
    expect(out, a.basis(), a.count() / 2 * 3, "tensor output");
    if (a.buffer() == out.buffer()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "tensor output must be another buffer than its input");
    }
  }

  @Override
  public void tensor(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, b);
    tensorCheck(a, out);
    if (overlapping(b, out)) {
      // Triple p is written while pair p' = 3p/2 may still be unread by another work-item.
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "tensor output " + out + " overlaps its input " + b);
    }
    OpenClPolyBuffer x = own(a), y = own(b), z = own(out);
    RnsBasis basis = a.basis();
    DeviceTables.Basis t = tables(basis);
    long items = a.hostLength() / 2;
    device.launch("poly_tensor", items, group(items), x.mem(), offset(a), y.mem(), offset(b), z.mem(), offset(out), t.moduli, t.ratios,
        basis.size(), logN(basis));
  }

  @Override
  public void tensorSquare(PolyRange a, PolyRange out) {
    tensorCheck(a, out);
    OpenClPolyBuffer x = own(a), z = own(out);
    RnsBasis basis = a.basis();
    DeviceTables.Basis t = tables(basis);
    long items = a.hostLength() / 2;
    device.launch("poly_tensor_square", items, group(items), x.mem(), offset(a), z.mem(), offset(out), t.moduli, t.ratios,
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
    int n = joined.n();
    long inPitch = (long) l * n * Sizeof.cl_uint;
    long outPitch = (long) (l + k) * n * Sizeof.cl_uint;
    DeviceTables.Converter t = tables(conv);
    synchronized (device) {
      device.copyRows(x.mem(), offset(in) * Sizeof.cl_uint, inPitch, z.mem(), offset(out) * Sizeof.cl_uint, outPitch, inPitch, in.count());
      convert(conv, t, x, in, z, offset(out), l + k, l);
    }
  }

  @Override
  public void convertBase(BaseConverter conv, PolyRange in, PolyRange out) {
    expect(in, conv.from(), in.count(), "base conversion input");
    expect(out, conv.to(), in.count(), "base conversion output");
    OpenClPolyBuffer x = own(in), z = own(out);
    convert(conv, tables(conv), x, in, z, offset(out), conv.to().size(), 0);
  }

  private void convert(
      BaseConverter conv, DeviceTables.Converter t, OpenClPolyBuffer x, PolyRange in, OpenClPolyBuffer z, long outOffset, int outLimbs, int outFirst) {
    int l = conv.from().size();
    int k = conv.to().size();
    long items = ((long) in.count() * k) << logN(conv.from());
    device.launch("base_convert", items, group(items), x.mem(), offset(in), z.mem(), outOffset, l, k, outLimbs, outFirst, logN(conv.from()),
        t.fromModuli, t.puncturedInverse, t.reciprocal, t.toModuli, t.toRatios, t.puncturedModTo, t.productModTo);
  }

  @Override
  public void scaleAndRound(RnsScaler s, PolyRange in, PolyRange out) {
    expect(in, s.input(), in.count(), "scale-and-round input");
    expect(out, s.output(), in.count(), "scale-and-round output");
    OpenClPolyBuffer x = own(in), z = own(out);
    DeviceTables.Scaler t = tables(s);
    int k = s.output().size();
    long items = ((long) in.count() * k) << logN(s.input());
    device.launch("scale_round", items, group(items), x.mem(), offset(in), z.mem(), offset(out), s.input().size(), s.q().size(), k,
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
    DeviceTables.Basis t = tables(from);
    long items = ((long) in.count() * (l - 1)) << logN(from);
    device.launch("drop_last_modulus", items, group(items), x.mem(), offset(in), z.mem(), offset(out), l, logN(from), t.moduli, t.ratios,
        t.lastInverse);
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
    long chunk = Math.max(1, Math.min(Math.min(SCRATCH_LIMIT, device.maxAllocation()) / perDigit, digits.count()));
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
        long dOff = offset(digits) + p0 * l * n;
        long oOff = offset(out) + 2 * p0 * l * n;
        if (fused) {
          int wg = nttGroup("key_switch_spread_ntt", n);
          device.launch("key_switch_spread_ntt", count * l * l * wg, wg, d.mem(), dOff, s, t.forward, l, logn, t.moduli, t.ratios,
              new ClDevice.Local((long) n * Sizeof.cl_uint));
        } else {
          long spreadItems = (count * l * l) << logn;
          device.launch("key_switch_spread", spreadItems, group(spreadItems), d.mem(), dOff, s, l, logn, t.moduli, t.ratios);
          forwardNtt(s, 0, basis, count * l * l, t);
        }
        long innerItems = (count * l) << logn;
        device.launch("key_switch_inner", innerItems, group(innerItems), s, k.mem(), offset(key), z.mem(), oOff, l, keyBasis.size(), logn,
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
      basisTables.clear();
      converterTables.clear();
      scalerTables.clear();
      if (scratch != null) {
        device.release(scratch);
        scratch = null;
      }
      device.close();
    }
  }
}
