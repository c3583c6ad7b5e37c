package org.cryptonets.backend.opencl;

import com.aparapi.Config;
import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.kernel.KernelManager;
import com.aparapi.internal.opencl.OpenCLLoader;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RingDegree;
import org.cryptonets.engine.RnsBasis;

/**
 * The elementwise kernel family (add, subtract, negate, multiply modulo each limb's prime) written
 * as an Aparapi kernel, working on host arrays: Aparapi runs its kernels in an OpenCL context of its
 * own, on Java arrays it copies to the device and back on every execute, so it cannot read the
 * {@code cl_mem} buffers of {@link OpenClBackend}. That backend uses this class instead of its
 * hand-written kernels when {@value OpenClBackend#APARAPI_PROPERTY} is {@code true}, copying its
 * operands out of device memory and the result back in.
 *
 * <p>Arrays hold consecutive polynomials of the basis, each {@code basis.size()} limbs of
 * {@code basis.n()} residues, as the backends' host arrays do, but as {@code int}: residues are
 * below 2^31, so this halves the bytes Aparapi moves. Inputs must be residues in [0, q_i); that is
 * not checked here (it would cost a pass over the data), and other values give unspecified results.
 * Results equal {@link Modulus#add}, {@link Modulus#subtract}, {@link Modulus#negate} and
 * {@link Modulus#multiply} bit for bit: the kernel uses the same Barrett constants.
 *
 * <p>Fallback detection. Where Aparapi cannot run a kernel on OpenCL (no OpenCL library, a
 * translation or build failure, a kernel that allocates objects), it logs a warning and runs the
 * kernel as Java on a thread pool, which is correct but silently orders of magnitude slower. This
 * class pins its kernel to one Aparapi OpenCL device and, around every execute, checks that Aparapi
 * is in its automatic mode with that device still preferred and none marked failed; otherwise it
 * throws {@code DEVICE_FAILURE} with the reason Aparapi logged. A result computed by the fallback is
 * never returned as success.
 *
 * <p>Aparapi keeps device preferences per kernel class, process-wide, so the last instance opened
 * decides the device for all; an instance whose device was re-pinned by another fails loudly rather
 * than run elsewhere. Thread-safe: operations run one at a time under this object's monitor.
 * Throws {@link EngineException}: {@code BACKEND_UNAVAILABLE} from {@link #open} when Aparapi sees no
 * such OpenCL device, {@code SHAPE_MISMATCH} for arrays that do not fit the basis or an output that
 * is an input, {@code DEVICE_FAILURE} when a kernel did not run on the OpenCL device,
 * {@code BUFFER_INVALID} after {@link #close()}.
 */
public final class AparapiElementwise implements AutoCloseable {
  /** Work-group size, as the hand-written elementwise kernels use. */
  private static final int GROUP = 256;
  /** Indexed by the operation codes of {@link AparapiModKernel}. */
  private static final String[] OP_NAMES = {"add", "subtract", "negate", "multiply"};

  /** Aparapi's logger, held so the capturing handler stays attached (loggers are weakly held). */
  private static final Logger APARAPI_LOG;
  /** Warnings Aparapi logs on this thread during an execute: the fallback's reason. */
  private static final ThreadLocal<List<String>> CAPTURED = new ThreadLocal<>();

  static {
    // Loading Aparapi's Config sets every root logging handler to its own level (WARNING unless
    // -Dcom.aparapi says otherwise); put them back, so opting in to Aparapi does not silence the
    // application's logging.
    Handler[] root = Logger.getLogger("").getHandlers();
    Level[] levels = new Level[root.length];
    for (int i = 0; i < root.length; i++) {
      levels[i] = root[i].getLevel();
    }
    APARAPI_LOG = Logger.getLogger(Config.getLoggerName());
    for (int i = 0; i < root.length; i++) {
      root[i].setLevel(levels[i]);
    }
    APARAPI_LOG.addHandler(new Handler() {
      @Override
      public void publish(LogRecord r) {
        List<String> sink = CAPTURED.get();
        if (sink != null && r.getLevel().intValue() >= Level.WARNING.intValue()) {
          sink.add(r.getMessage() + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")"));
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
  }

  private final OpenCLDevice device;
  private final AparapiModKernel kernel = new AparapiModKernel();
  /**
   * Negate's second operand: it reads none, but Aparapi passes (and copies) every array field, so
   * one residue rather than a second copy of the input.
   */
  private final int[] unused = new int[1];
  /** The basis whose constants the kernel's table fields hold; guarded by this. */
  private RnsBasis tablesFor;
  private boolean closed;

  private AparapiElementwise(OpenCLDevice device) {
    this.device = device;
    // Pin the kernel class to this device: on failure Aparapi drops it from the list, and then
    // nothing but its Java thread pool is left, which the checks below recognize.
    KernelManager.instance().setPreferredDevices(kernel, new LinkedHashSet<>(List.of(device)));
  }

  /**
   * Opens the Aparapi OpenCL device with exactly these platform and device names (as OpenCL reports
   * them, so the ones {@link OpenClDevices} shows); both null means Aparapi's first OpenCL device.
   *
   * @throws EngineException {@code BACKEND_UNAVAILABLE} if Aparapi's native library did not load
   *     (then it can only run Java) or it sees no matching device; the message lists what it sees
   */
  public static AparapiElementwise open(String platformName, String deviceName) {
    List<OpenCLDevice> all;
    try {
      all = OpenCLDevice.listDevices(null);
    } catch (RuntimeException | LinkageError e) {
      throw new EngineException(EngineException.Code.BACKEND_UNAVAILABLE, "Aparapi cannot list OpenCL devices: " + e, e);
    }
    if (!OpenCLLoader.isOpenCLAvailable()) {
      throw new EngineException(
          EngineException.Code.BACKEND_UNAVAILABLE,
          "Aparapi cannot use OpenCL: its JNI library (libaparapi from com.aparapi:aparapi-jni, which links libOpenCL.so.1) did not load,"
              + " so it would run every kernel as Java threads");
    }
    List<String> seen = new ArrayList<>();
    for (OpenCLDevice d : all) {
      String platform = d.getOpenCLPlatform().getName();
      seen.add("'" + d.getName() + "' on '" + platform + "'");
      boolean any = platformName == null && deviceName == null;
      if (any || (same(platformName, platform) && same(deviceName, d.getName()))) {
        return new AparapiElementwise(d);
      }
    }
    String asked = platformName == null && deviceName == null ? "an OpenCL device" : "OpenCL device '" + deviceName + "' on platform '" + platformName + "'";
    throw new EngineException(
        EngineException.Code.BACKEND_UNAVAILABLE, "Aparapi cannot find " + asked + "; it sees " + (seen.isEmpty() ? "no OpenCL device at all" : seen));
  }

  private static boolean same(String asked, String actual) {
    return asked == null || (actual != null && asked.trim().equals(actual.trim()));
  }

  /** The device's name and platform, as Aparapi reports them. */
  public String device() {
    return describe(device);
  }

  /** The Aparapi device the kernels are pinned to, for tests that run their own kernels on it. */
  OpenCLDevice aparapiDevice() {
    return device;
  }

  /**
   * Puts the kernel in a legacy Aparapi execution mode, as {@code -Dcom.aparapi.executionMode} would
   * (that property is read once per process, so tests cannot set it): lets tests see the refusal.
   */
  @SuppressWarnings("deprecation")
  synchronized void forceExecutionMode(Kernel.EXECUTION_MODE mode) {
    kernel.setExecutionModeWithoutFallback(mode);
  }

  /** {@code out[k] = a[k] + b[k] mod q}. */
  public void add(RnsBasis basis, int[] a, int[] b, int[] out) {
    run(AparapiModKernel.ADD, basis, a, b, out);
  }

  /** {@code out[k] = a[k] - b[k] mod q}. */
  public void subtract(RnsBasis basis, int[] a, int[] b, int[] out) {
    run(AparapiModKernel.SUBTRACT, basis, a, b, out);
  }

  /** {@code out[k] = -a[k] mod q}. */
  public void negate(RnsBasis basis, int[] a, int[] out) {
    run(AparapiModKernel.NEGATE, basis, a, null, out);
  }

  /** {@code out[k] = a[k] * b[k] mod q}. */
  public void multiply(RnsBasis basis, int[] a, int[] b, int[] out) {
    run(AparapiModKernel.MULTIPLY, basis, a, b, out);
  }

  private synchronized void run(int op, RnsBasis basis, int[] a, int[] b, int[] out) {
    if (closed) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "the Aparapi elementwise kernels on " + device() + " are closed");
    }
    int poly = basis.size() * basis.n();
    if (a.length % poly != 0 || out.length != a.length || (b != null && b.length != a.length)) {
      throw new EngineException(
          EngineException.Code.SHAPE_MISMATCH,
          "arrays of " + a.length + (b == null ? "" : ", " + b.length) + " and " + out.length + " residues for polynomials of " + poly + " over " + basis);
    }
    if (out == a || out == b) {
      // Aparapi would give the one Java array two device buffers; which copy lands last is its business.
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "the output array must not be an input array");
    }
    if (a.length == 0) {
      return;
    }
    if (!basis.equals(tablesFor)) {
      int l = basis.size();
      int[] moduli = new int[l];
      long[] factor = new long[l];
      int[] in = new int[l];
      int[] outShift = new int[l];
      for (int i = 0; i < l; i++) {
        Modulus m = basis.modulus(i);
        moduli[i] = (int) m.value();
        factor[i] = m.barrettFactor();
        in[i] = m.barrettShiftIn();
        outShift[i] = m.barrettShiftOut();
      }
      kernel.moduli = moduli;
      kernel.barrettFactor = factor;
      kernel.barrettShiftIn = in;
      kernel.barrettShiftOut = outShift;
      kernel.limbs = l;
      kernel.logn = RingDegree.log2(basis.n());
      tablesFor = basis;
    }
    kernel.op = op;
    kernel.a = a;
    kernel.b = b == null ? unused : b;
    kernel.out = out;
    try {
      executeOnOpenCl(kernel, device, a.length, OP_NAMES[op] + " of " + a.length / poly + " polynomials over " + basis);
    } finally {
      // Drop the references so the caller's arrays are not kept alive by the kernel.
      kernel.a = null;
      kernel.b = null;
      kernel.out = null;
    }
  }

  /**
   * Executes {@code kernel} over {@code size} work-items and throws unless it ran on {@code device}
   * through OpenCL. Package-private so tests can drive kernels of their own (ones that cannot be
   * translated) through the same checks.
   *
   * @throws EngineException {@code DEVICE_FAILURE} naming {@code what}, where it ran or would have
   *     run instead, and what Aparapi logged
   */
  @SuppressWarnings("deprecation")
  static void executeOnOpenCl(Kernel kernel, OpenCLDevice device, int size, String what) {
    // A legacy execution mode (com.aparapi.executionMode, Kernel.setExecutionMode) bypasses the
    // device preferences entirely; JTP or SEQ would be Java outright. Refuse before computing.
    Kernel.EXECUTION_MODE mode = kernel.getExecutionMode();
    if (mode != Kernel.EXECUTION_MODE.AUTO) {
      throw notOnOpenCl(what, device, "Aparapi is set to execution mode " + mode + " (com.aparapi.executionMode or setExecutionMode) instead of AUTO", List.of());
    }
    Device before = kernel.getTargetDevice();
    if (!device.equals(before)) {
      throw notOnOpenCl(what, device, "Aparapi would run it on " + describe(before) + failedEarlier(kernel), List.of());
    }
    List<String> log = new ArrayList<>();
    CAPTURED.set(log);
    try {
      // No device in the range: Aparapi then takes the kernel's preferred device, and after a
      // failure its own fallback, which is the path the checks below must catch.
      kernel.execute(size % GROUP == 0 && device.getMaxWorkGroupSize() >= GROUP ? Range.create(size, GROUP) : Range.create(size));
    } catch (RuntimeException | AssertionError | LinkageError e) {
      throw new EngineException(EngineException.Code.DEVICE_FAILURE, what + " on Aparapi device " + describe(device) + " failed: " + e + logged(log), e);
    } finally {
      CAPTURED.remove();
    }
    mode = kernel.getExecutionMode();
    Device after = kernel.getTargetDevice();
    List<Device> failed = KernelManager.instance().getPreferences(kernel).getFailedDevices();
    if (mode != Kernel.EXECUTION_MODE.AUTO || !device.equals(after) || !failed.isEmpty()) {
      throw notOnOpenCl(what, device, "Aparapi fell back to " + (mode != Kernel.EXECUTION_MODE.AUTO ? "execution mode " + mode : describe(after))
          + " and computed it there (result discarded)" + failedEarlier(kernel), log);
    }
  }

  private static EngineException notOnOpenCl(String what, OpenCLDevice device, String why, List<String> log) {
    return new EngineException(
        EngineException.Code.DEVICE_FAILURE, what + " did not run on the Aparapi OpenCL device " + describe(device) + ": " + why + logged(log));
  }

  private static String failedEarlier(Kernel kernel) {
    List<Device> failed = KernelManager.instance().getPreferences(kernel).getFailedDevices();
    if (failed.isEmpty()) {
      return "";
    }
    List<String> names = new ArrayList<>();
    for (Device d : failed) {
      names.add(describe(d));
    }
    return "; Aparapi has marked " + names + " failed for " + kernel.getClass().getSimpleName();
  }

  private static String logged(List<String> log) {
    return log.isEmpty() ? "" : "; Aparapi logged: " + String.join(" | ", log);
  }

  private static String describe(Device d) {
    if (d == null) {
      return "its Java thread pool (no preferred device left)";
    }
    if (d instanceof OpenCLDevice) {
      OpenCLDevice cl = (OpenCLDevice) d;
      return "'" + cl.getName() + "' (" + cl.getOpenCLPlatform().getName() + ")";
    }
    return d.getShortDescription();
  }

  /** Releases Aparapi's OpenCL program and buffers for this kernel; later calls throw {@code BUFFER_INVALID}. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      kernel.dispose();
    }
  }
}
