package org.cryptonets.backend.opencl;

import java.nio.ByteBuffer;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * Two pinned host buffers through which the backend moves residues between Java arrays and device
 * memory, a piece of whole polynomials at a time: while the device copies one piece out of one
 * buffer, host threads convert the next piece into the other. The conversion (64-bit Java values to
 * 32-bit device words, and back) runs on the common fork-join pool.
 *
 * <p>Why not JOCL's array transfers, which the backend used before: each upload allocated a Java
 * {@code int[]} as large as the transfer and narrowed into it on one thread, and the driver then
 * copied from pageable memory through a bounce buffer of its own. On an H200 host (16 Intel cores,
 * 2026-11-30) uploading one plaintext prime's batch, 784 x 2 polynomials of 7 limbs (360 MB as
 * device words), took 0.23 s: 1.5 GB/s, where the link carries tens of GB/s. BENCHMARKS.md gives the
 * figures after this change.
 *
 * <p>The pieces are at most {@link #PIECE_BYTES} (or one unit, if a single unit is larger). The
 * memory is mapped once and stays mapped until {@link #close}.
 *
 * <p>Thread safety: one transfer at a time (the methods are synchronized; the device's monitor is
 * taken inside, never around them). Throws the device's {@code EngineException}s, and whatever the
 * caller's {@link Filler} or {@link Drainer} throws, after waiting for transfers in flight.
 */
final class HostStaging implements AutoCloseable {
  /** Bytes of each of the two buffers, unless one unit needs more. */
  static final long PIECE_BYTES = 16L << 20;

  /** Writes units [first, first + count) in host order, consecutively from byte 0 of {@code piece}. */
  interface Filler {
    void fill(ByteBuffer piece, int first, int count);
  }

  /** Reads units [first, first + count), consecutive from byte 0 of {@code piece}, into the caller's arrays. */
  interface Drainer {
    void drain(ByteBuffer piece, int first, int count);
  }

  private final ClDevice device;
  private final long pieceLimit;
  private final cl_mem[] memory = new cl_mem[2];
  private final ByteBuffer[] views = new ByteBuffer[2];
  private final cl_event[] inFlight = new cl_event[2];
  private long bytes;

  HostStaging(ClDevice device, long pieceLimit) {
    this.device = device;
    this.pieceLimit = pieceLimit;
  }

  /**
   * Uploads {@code units} units of {@code unitBytes} bytes to device bytes {@code firstByte + u *
   * pitch} (unit u), each piece filled by {@code filler} first. Returns once every piece has
   * reached the device.
   */
  synchronized void upload(cl_mem dst, long firstByte, long pitch, long unitBytes, int units, Filler filler) {
    if (units == 0) {
      return;
    }
    int per = unitsPerPiece(unitBytes, units);
    int slot = 0;
    try {
      for (int first = 0; first < units; first += per) {
        int count = Math.min(per, units - first);
        device.await(inFlight[slot]);
        inFlight[slot] = null;
        filler.fill(views[slot], first, count);
        inFlight[slot] = device.writeAsync(dst, firstByte + first * pitch, pitch, unitBytes, count, views[slot]);
        slot ^= 1;
      }
    } catch (RuntimeException | Error e) {
      // the buffers must not be refilled while a copy out of them is in flight; the first failure wins
      try {
        settle();
      } catch (RuntimeException later) {
        e.addSuppressed(later);
      }
      throw e;
    }
    settle();
  }

  /**
   * Downloads {@code units} units of {@code unitBytes} bytes from device bytes {@code firstByte + u *
   * pitch}, each piece handed to {@code drainer} once it is on the host; sees all earlier launches.
   */
  synchronized void download(cl_mem src, long firstByte, long pitch, long unitBytes, int units, Drainer drainer) {
    if (units == 0) {
      device.finish();
      return;
    }
    int per = unitsPerPiece(unitBytes, units);
    for (int first = 0; first < units; first += per) {
      int count = Math.min(per, units - first);
      device.readInto(src, firstByte + first * pitch, pitch, unitBytes, count, views[0]);
      drainer.drain(views[0], first, count);
    }
  }

  /** Waits for both buffers' transfers; the first failure is thrown after both are waited for. */
  private void settle() {
    RuntimeException failure = null;
    for (int s = 0; s < 2; s++) {
      try {
        device.await(inFlight[s]);
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      } finally {
        inFlight[s] = null;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Units per piece, after making both buffers large enough for one piece. */
  private int unitsPerPiece(long unitBytes, int units) {
    long per = Math.max(1, Math.min(units, pieceLimit / unitBytes));
    long need = per * unitBytes;
    if (need > bytes) {
      release();
      for (int s = 0; s < 2; s++) {
        memory[s] = device.allocatePinned(need);
        views[s] = device.map(memory[s], need);
      }
      bytes = need;
    }
    return (int) per;
  }

  private void release() {
    for (int s = 0; s < 2; s++) {
      if (memory[s] != null) {
        device.unmap(memory[s], views[s]);
        device.release(memory[s]);
        memory[s] = null;
        views[s] = null;
      }
    }
    bytes = 0;
  }

  /** Frees the buffers; the device must still be open. */
  @Override
  public synchronized void close() {
    release();
  }
}
