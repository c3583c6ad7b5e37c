package org.cryptonets.bench;

import org.cryptonets.backend.opencl.KernelWork;

/**
 * A roofline model of one GPU: a kernel takes max(bytes / bandwidth, multiply instructions /
 * throughput) plus a fixed overhead per launch; host-device transfers take bytes / link bandwidth.
 *
 * <p>{@link #H200}: NVIDIA H200 SXM. Memory: HBM3e, 4.8 TB/s (data sheet). 32-bit integer multiply:
 * the CUDA C++ Programming Guide's arithmetic-instruction throughput table gives 64 results per
 * clock per SM for 32-bit integer multiply, multiply-add and extended-precision multiply-add at
 * compute capability 9.0; 132 SMs at the 1.98 GHz boost clock (H100/H200 SXM data sheet) make
 * 64 x 132 x 1.98e9 = 16.7e12 multiply instructions per second. Launch overhead: 5 us (an assumed
 * figure for an enqueue on an in-order OpenCL queue, including the tail of a short kernel; CUDA
 * graphs would cut it). Link: PCIe Gen5 x16 at about 55 GB/s effective.
 *
 * <p>Immutable; thread-safe. The constructor throws {@link IllegalArgumentException} for a value that
 * is not positive (the overhead may be zero).
 */
record GpuModel(String name, double bytesPerSecond, double multipliesPerSecond, double launchSeconds, double linkBytesPerSecond) {
  static final GpuModel H200 = new GpuModel("NVIDIA H200 SXM (roofline)", 4.8e12, 64.0 * 132 * 1.98e9, 5e-6, 55e9);

  GpuModel {
    if (!(bytesPerSecond > 0) || !(multipliesPerSecond > 0) || !(launchSeconds >= 0) || !(linkBytesPerSecond > 0)) {
      throw new IllegalArgumentException("GPU model values must be positive: " + bytesPerSecond + ", " + multipliesPerSecond + ", " + launchSeconds
          + ", " + linkBytesPerSecond);
    }
  }

  /** The projected time of some launches of one kernel, with its parts. */
  record Time(double memorySeconds, double computeSeconds, double overheadSeconds) {
    double seconds() {
      return Math.max(memorySeconds, computeSeconds) + overheadSeconds;
    }

    /** "memory" or "compute": whichever bound the max. */
    String bound() {
      return computeSeconds > memorySeconds ? "compute" : "memory";
    }

    Time plus(Time o) {
      return new Time(memorySeconds + o.memorySeconds, computeSeconds + o.computeSeconds, overheadSeconds + o.overheadSeconds);
    }
  }

  static final Time ZERO = new Time(0, 0, 0);

  /**
   * The roofline of counted work: memory from operand and table bytes ({@link KernelWork#memoryBytes}),
   * or, with {@code noCacheReuse}, from every issued load plus the writes (the pessimistic bound).
   */
  Time time(KernelWork w, boolean noCacheReuse) {
    double bytes = noCacheReuse ? w.issuedReadBytes() + w.residueWriteBytes() : w.memoryBytes();
    return new Time(bytes / bytesPerSecond, w.multiplyInstructions() / multipliesPerSecond, w.launches() * launchSeconds);
  }

  /** Seconds to move {@code bytes} over the host link. */
  double linkSeconds(long bytes) {
    return bytes / linkBytesPerSecond;
  }
}
