package org.cryptonets.backend.opencl;

import static org.jocl.CL.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_FALSE;
import static org.jocl.CL.CL_MAP_READ;
import static org.jocl.CL.CL_MAP_WRITE;
import static org.jocl.CL.CL_MEM_ALLOC_HOST_PTR;
import static org.jocl.CL.CL_MEM_COPY_HOST_PTR;
import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.CL_TRUE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.cryptonets.engine.EngineException;
import org.cryptonets.kernels.KernelSource;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.jocl.cl_queue_properties;

/**
 * One OpenCL device opened for the backend: context, in-order command queue and the built kernel
 * program, plus every JOCL call the backend makes, each turned into an {@link EngineException}
 * {@code DEVICE_FAILURE} naming the device and the operation or kernel when OpenCL reports an error.
 *
 * <p>Thread-safe: setting a kernel's arguments and enqueueing it happen under this object's monitor,
 * because an OpenCL kernel object holds its arguments and is not safe to share otherwise. Callers
 * that enqueue several commands that must stay together (shared scratch memory) hold the monitor
 * across them. Blocking transfers also hold it, so they serialize with launches.
 */
final class ClDevice implements AutoCloseable {
  /** Marks a {@code __local} kernel argument of the given byte size. */
  record Local(long bytes) {}

  /**
   * A {@code uint2} kernel argument (first, stride): a strided range of polynomials, addressed by
   * the kernels as {@code PolyRange.index(k) = first + k * stride}.
   */
  record Span(int first, int stride) {}

  private final OpenClDevices.Choice choice;
  private final cl_context context;
  private final cl_command_queue queue;
  private final cl_program program;
  private final Map<String, cl_kernel> kernels = new HashMap<>();
  private final long maxWorkGroup;
  private final long localMemory;
  private final long maxAllocation;
  /** Null unless counting: then every launch, transfer and buffer command is recorded here. */
  private final WorkCounter counter;
  private boolean closed;

  ClDevice(OpenClDevices.Choice choice) {
    this(choice, KernelSource.program(), null);
  }

  /** Counting launches, transfers and buffer commands into {@code counter} when it is not null. */
  ClDevice(OpenClDevices.Choice choice, WorkCounter counter) {
    this(choice, KernelSource.program(), counter);
  }

  /** With explicit program source: tests use it to check how build failures are reported. */
  ClDevice(OpenClDevices.Choice choice, String source) {
    this(choice, source, null);
  }

  private ClDevice(OpenClDevices.Choice choice, String source, WorkCounter counter) {
    this.choice = choice;
    this.counter = counter;
    cl_context ctx = null;
    cl_command_queue q = null;
    cl_program prog = null;
    try {
      cl_context_properties props = new cl_context_properties();
      props.addProperty(CL.CL_CONTEXT_PLATFORM, choice.platform());
      ctx = CL.clCreateContext(props, 1, new cl_device_id[] {choice.device()}, null, null, null);
      String version = OpenClDevices.deviceString(choice.device(), CL_DEVICE_VERSION);
      // clCreateCommandQueue is deprecated from OpenCL 2.0 on, and its successor is absent before.
      q = version.startsWith("OpenCL 1.")
          ? createLegacyQueue(ctx, choice.device())
          : CL.clCreateCommandQueueWithProperties(ctx, choice.device(), new cl_queue_properties(), null);
      maxWorkGroup = OpenClDevices.deviceLong(choice.device(), CL_DEVICE_MAX_WORK_GROUP_SIZE);
      localMemory = OpenClDevices.deviceLong(choice.device(), CL_DEVICE_LOCAL_MEM_SIZE);
      maxAllocation = OpenClDevices.deviceLong(choice.device(), CL_DEVICE_MAX_MEM_ALLOC_SIZE);
      prog = build(ctx, choice.device(), source);
    } catch (CLException e) {
      release(prog, q, ctx);
      throw failure("opening the device", e);
    } catch (RuntimeException e) {
      release(prog, q, ctx);
      throw e;
    }
    this.context = ctx;
    this.queue = q;
    this.program = prog;
  }

  @SuppressWarnings("deprecation")
  private static cl_command_queue createLegacyQueue(cl_context ctx, cl_device_id device) {
    return CL.clCreateCommandQueue(ctx, device, 0, null);
  }

  private cl_program build(cl_context ctx, cl_device_id device, String source) {
    cl_program prog = CL.clCreateProgramWithSource(ctx, 1, new String[] {source}, null, null);
    try {
      CL.clBuildProgram(prog, 1, new cl_device_id[] {device}, "-cl-std=CL1.2", null, null);
    } catch (CLException e) {
      String log = buildLog(prog, device);
      CL.clReleaseProgram(prog);
      throw new EngineException(
          EngineException.Code.DEVICE_FAILURE,
          name() + ": building the OpenCL kernels failed (" + e.getMessage() + "); build log:\n" + log,
          e);
    }
    return prog;
  }

  private static String buildLog(cl_program prog, cl_device_id device) {
    try {
      long[] size = new long[1];
      CL.clGetProgramBuildInfo(prog, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
      byte[] buf = new byte[(int) size[0]];
      CL.clGetProgramBuildInfo(prog, device, CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
      int len = buf.length;
      while (len > 0 && buf[len - 1] == 0) {
        len--;
      }
      return new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    } catch (CLException e) {
      return "(build log unavailable: " + e.getMessage() + ")";
    }
  }

  private static void release(cl_program prog, cl_command_queue q, cl_context ctx) {
    try {
      if (prog != null) {
        CL.clReleaseProgram(prog);
      }
      if (q != null) {
        CL.clReleaseCommandQueue(q);
      }
      if (ctx != null) {
        CL.clReleaseContext(ctx);
      }
    } catch (CLException ignored) {
      // Already failing; the original error is the one worth reporting.
    }
  }

  String name() {
    return choice.deviceName() + " (" + choice.platformName() + ")";
  }

  String summary() {
    return choice.summary() + ", platform " + choice.platformName();
  }

  /** The platform and device as chosen, with the names OpenCL reports (to find the same device elsewhere). */
  OpenClDevices.Choice choice() {
    return choice;
  }

  long localMemory() {
    return localMemory;
  }

  long maxAllocation() {
    return maxAllocation;
  }

  private EngineException failure(String what, CLException e) {
    return new EngineException(EngineException.Code.DEVICE_FAILURE, name() + ": " + what + " failed: " + e.getMessage(), e);
  }

  private void checkOpen() {
    if (closed) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, name() + ": the OpenCL backend is closed");
    }
  }

  private cl_kernel kernel(String name) {
    cl_kernel k = kernels.get(name);
    if (k == null) {
      try {
        k = CL.clCreateKernel(program, name, null);
      } catch (CLException e) {
        throw failure("creating kernel " + name, e);
      }
      kernels.put(name, k);
    }
    return k;
  }

  /** The largest work-group size the device allows for this kernel (after its register use). */
  synchronized long kernelWorkGroupLimit(String name) {
    checkOpen();
    cl_kernel k = kernel(name);
    long[] v = new long[1];
    try {
      CL.clGetKernelWorkGroupInfo(k, choice.device(), CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(v), null);
    } catch (CLException e) {
      throw failure("querying kernel " + name, e);
    }
    return Math.min(v[0], maxWorkGroup);
  }

  /**
   * Enqueues a one-dimensional launch of {@code global} items in groups of {@code local} (0 lets
   * the driver choose). Arguments: {@link cl_mem}, {@link Long} (ulong), {@link Integer} (uint),
   * {@link Span} (uint2) or {@link Local}. Does nothing for zero items, which OpenCL would reject.
   */
  synchronized void launch(String name, long global, long local, Object... args) {
    checkOpen();
    if (global == 0) {
      return;
    }
    cl_kernel k = kernel(name);
    if (counter != null) {
      counter.launched(name);
    }
    try {
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        if (a instanceof cl_mem m) {
          CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
        } else if (a instanceof Long v) {
          CL.clSetKernelArg(k, i, Sizeof.cl_ulong, Pointer.to(new long[] {v}));
        } else if (a instanceof Integer v) {
          CL.clSetKernelArg(k, i, Sizeof.cl_uint, Pointer.to(new int[] {v}));
        } else if (a instanceof Span r) {
          CL.clSetKernelArg(k, i, Sizeof.cl_uint2, Pointer.to(new int[] {r.first(), r.stride()}));
        } else if (a instanceof Local l) {
          CL.clSetKernelArg(k, i, l.bytes(), null);
        } else {
          throw new IllegalArgumentException("kernel argument " + i + " of " + name + " has unsupported type " + a);
        }
      }
      CL.clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {global}, local == 0 ? null : new long[] {local}, 0, null, null);
    } catch (CLException e) {
      throw failure("kernel " + name + " (" + global + " items, groups of " + (local == 0 ? "auto" : local) + ")", e);
    }
  }

  /** A device buffer of {@code bytes} (at least 4) bytes, uninitialized. */
  synchronized cl_mem allocate(long bytes, String what) {
    checkOpen();
    if (bytes > maxAllocation) {
      throw new EngineException(
          EngineException.Code.DEVICE_FAILURE,
          name() + ": " + what + " needs " + bytes + " bytes, above the device's largest allocation of " + maxAllocation);
    }
    try {
      return CL.clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(4, bytes), null, null);
    } catch (CLException e) {
      throw failure("allocating " + bytes + " bytes for " + what, e);
    }
  }

  /** A read-only buffer initialized from host data (copied before this returns). */
  synchronized cl_mem constant(int[] data, String what) {
    return constant(Pointer.to(data.length == 0 ? new int[1] : data), Math.max(1, data.length) * (long) Sizeof.cl_uint, what);
  }

  synchronized cl_mem constant(long[] data, String what) {
    return constant(Pointer.to(data.length == 0 ? new long[1] : data), Math.max(1, data.length) * (long) Sizeof.cl_ulong, what);
  }

  private cl_mem constant(Pointer p, long bytes, String what) {
    checkOpen();
    if (counter != null) {
      counter.uploaded(bytes);
    }
    try {
      return CL.clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, p, null);
    } catch (CLException e) {
      throw failure("uploading " + what, e);
    }
  }

  synchronized void fillZero(cl_mem mem, long bytes) {
    checkOpen();
    if (counter != null) {
      counter.add("buffer_fill", KernelCosts.bufferFill(Math.max(4, bytes)));
    }
    try {
      CL.clEnqueueFillBuffer(queue, mem, Pointer.to(new int[1]), Sizeof.cl_uint, 0, Math.max(4, bytes), 0, null, null);
    } catch (CLException e) {
      throw failure("clearing a buffer", e);
    }
  }

  /**
   * Blocking write from a Java array: the host array may be reused as soon as this returns. The
   * backend's own transfers go through {@link HostStaging}; this is the array path that Aparapi
   * takes, kept for {@code AparapiTimingTest}'s comparison.
   */
  synchronized void write(cl_mem mem, long byteOffset, int[] data) {
    checkOpen();
    if (data.length == 0) {
      return;
    }
    if (counter != null) {
      counter.uploaded((long) data.length * Sizeof.cl_uint);
    }
    try {
      CL.clEnqueueWriteBuffer(queue, mem, CL_TRUE, byteOffset, (long) data.length * Sizeof.cl_uint, Pointer.to(data), 0, null, null);
    } catch (CLException e) {
      throw failure("uploading " + data.length + " residues", e);
    }
  }

  /** Blocking read; as the queue is in order, it sees the results of all earlier launches. */
  synchronized void read(cl_mem mem, long byteOffset, int[] data) {
    checkOpen();
    if (data.length == 0) {
      finish();
      return;
    }
    if (counter != null) {
      counter.downloaded((long) data.length * Sizeof.cl_uint);
    }
    try {
      CL.clEnqueueReadBuffer(queue, mem, CL_TRUE, byteOffset, (long) data.length * Sizeof.cl_uint, Pointer.to(data), 0, null, null);
    } catch (CLException e) {
      throw failure("downloading " + data.length + " residues (or an earlier kernel)", e);
    }
  }

  /**
   * A host buffer the driver allocates ({@code CL_MEM_ALLOC_HOST_PTR}: page-locked on GPU drivers),
   * mapped once for reading and writing; {@link HostStaging} fills it and transfers from it, which
   * lets the driver copy by DMA instead of through its own pageable bounce buffer.
   */
  synchronized cl_mem allocatePinned(long bytes) {
    checkOpen();
    try {
      return CL.clCreateBuffer(context, CL_MEM_ALLOC_HOST_PTR | CL_MEM_READ_WRITE, bytes, null, null);
    } catch (CLException e) {
      throw failure("allocating " + bytes + " bytes of pinned host memory", e);
    }
  }

  /** Maps a whole {@link #allocatePinned} buffer (blocking); the view is in native byte order. */
  synchronized ByteBuffer map(cl_mem mem, long bytes) {
    checkOpen();
    try {
      ByteBuffer view = CL.clEnqueueMapBuffer(queue, mem, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0, bytes, 0, null, null, null);
      return view.order(ByteOrder.nativeOrder());
    } catch (CLException e) {
      throw failure("mapping " + bytes + " bytes of pinned host memory", e);
    }
  }

  /** Unmaps a view of {@link #map} (enqueued; the buffer may be released right after). */
  synchronized void unmap(cl_mem mem, ByteBuffer view) {
    if (closed) {
      return;
    }
    try {
      CL.clEnqueueUnmapMemObject(queue, mem, view, 0, null, null);
    } catch (CLException e) {
      throw failure("unmapping pinned host memory", e);
    }
  }

  /**
   * Enqueues a write of {@code rows} runs of {@code rowBytes}, consecutive from the start of the
   * host view {@code from}, to device bytes {@code byteOffset + r * pitch}, without waiting. The
   * caller keeps {@code from} untouched until {@link #await} of the returned event.
   */
  synchronized cl_event writeAsync(cl_mem mem, long byteOffset, long pitch, long rowBytes, long rows, ByteBuffer from) {
    checkOpen();
    if (counter != null) {
      counter.uploaded(rowBytes * rows);
    }
    cl_event done = new cl_event();
    try {
      if (rows == 1 || pitch == rowBytes) {
        CL.clEnqueueWriteBuffer(queue, mem, CL_FALSE, byteOffset, rowBytes * rows, Pointer.to(from), 0, null, done);
      } else {
        CL.clEnqueueWriteBufferRect(
            queue, mem, CL_FALSE, new long[] {byteOffset, 0, 0}, new long[] {0, 0, 0}, new long[] {rowBytes, rows, 1},
            pitch, pitch * rows, rowBytes, rowBytes * rows, Pointer.to(from), 0, null, done);
      }
    } catch (CLException e) {
      throw failure("uploading " + rows + " runs of " + rowBytes + " bytes", e);
    }
    return done;
  }

  /** Waits for a transfer of {@link #writeAsync} and releases its event; null does nothing. */
  void await(cl_event done) {
    if (done == null) {
      return;
    }
    try {
      CL.clWaitForEvents(1, new cl_event[] {done});
    } catch (CLException e) {
      throw failure("waiting for an upload", e);
    } finally {
      CL.clReleaseEvent(done);
    }
  }

  /**
   * Blocking read of {@code rows} runs of {@code rowBytes} from device bytes {@code byteOffset + r *
   * pitch} into the start of the host view {@code into}, consecutively; sees all earlier launches.
   */
  synchronized void readInto(cl_mem mem, long byteOffset, long pitch, long rowBytes, long rows, ByteBuffer into) {
    checkOpen();
    if (counter != null) {
      counter.downloaded(rowBytes * rows);
    }
    try {
      if (rows == 1 || pitch == rowBytes) {
        CL.clEnqueueReadBuffer(queue, mem, CL_TRUE, byteOffset, rowBytes * rows, Pointer.to(into), 0, null, null);
      } else {
        CL.clEnqueueReadBufferRect(
            queue, mem, CL_TRUE, new long[] {byteOffset, 0, 0}, new long[] {0, 0, 0}, new long[] {rowBytes, rows, 1},
            pitch, pitch * rows, rowBytes, rowBytes * rows, Pointer.to(into), 0, null, null);
      }
    } catch (CLException e) {
      throw failure("downloading " + rows + " runs of " + rowBytes + " bytes (or an earlier kernel)", e);
    }
  }

  synchronized void copy(cl_mem src, long srcByte, cl_mem dst, long dstByte, long bytes) {
    checkOpen();
    if (bytes == 0) {
      return;
    }
    if (counter != null) {
      counter.add("buffer_copy", KernelCosts.bufferCopy(bytes));
    }
    try {
      CL.clEnqueueCopyBuffer(queue, src, dst, srcByte, dstByte, bytes, 0, null, null);
    } catch (CLException e) {
      throw failure("copying " + bytes + " bytes", e);
    }
  }

  /** Copies {@code rows} runs of {@code rowBytes} between buffers with different row pitches. */
  synchronized void copyRows(cl_mem src, long srcByte, long srcPitch, cl_mem dst, long dstByte, long dstPitch, long rowBytes, long rows) {
    checkOpen();
    if (rows == 0 || rowBytes == 0) {
      return;
    }
    if (counter != null) {
      counter.add("buffer_copy", KernelCosts.bufferCopy(rowBytes * rows));
    }
    try {
      CL.clEnqueueCopyBufferRect(
          queue, src, dst, new long[] {srcByte, 0, 0}, new long[] {dstByte, 0, 0}, new long[] {rowBytes, rows, 1},
          srcPitch, srcPitch * rows, dstPitch, dstPitch * rows, 0, null, null);
    } catch (CLException e) {
      throw failure("copying " + rows + " runs of " + rowBytes + " bytes", e);
    }
  }

  synchronized void finish() {
    checkOpen();
    try {
      CL.clFinish(queue);
    } catch (CLException e) {
      throw failure("waiting for queued kernels", e);
    }
  }

  /**
   * Drops a buffer reference. OpenCL frees the memory only once queued commands using it are done,
   * so a buffer may be released right after enqueueing the launch that reads it.
   */
  void release(cl_mem mem) {
    if (mem == null) {
      return;
    }
    try {
      CL.clReleaseMemObject(mem);
    } catch (CLException e) {
      throw failure("releasing a buffer", e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      CL.clFinish(queue);
    } catch (CLException ignored) {
      // The device is being shut down; an error of earlier work no longer has anyone to report to.
    }
    closed = true;
    for (cl_kernel k : kernels.values()) {
      CL.clReleaseKernel(k);
    }
    kernels.clear();
    release(program, queue, context);
  }

  boolean isClosed() {
    return closed;
  }
}
