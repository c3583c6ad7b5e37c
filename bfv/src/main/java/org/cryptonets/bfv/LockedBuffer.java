package org.cryptonets.bfv;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Memory for secret material (the secret key's coefficients and its serialized form), kept off
 * the Java heap so the garbage collector never copies it and heap dumps do not contain it, locked
 * into RAM with {@code mlock(2)} so it is never written to swap, marked {@code MADV_DONTDUMP} so
 * core dumps leave it out, and zeroed on {@link #close()}.
 *
 * <p>Locking is best effort: when {@code mlock} fails (RLIMIT_MEMLOCK too small, an unprivileged
 * container, a platform without it) or JNA cannot load its native part, the buffer still works,
 * unlocked, and a warning is logged once per process on the {@link System.Logger} named after this
 * class. {@link #isLocked()} says which case holds.
 *
 * <p>The native block is zeroed and unlocked on close but only freed when it becomes unreachable:
 * a {@link #view()} kept past close then reads zeros instead of freed memory.
 *
 * <p>Not thread-safe. Accessors throw {@link BfvException} INVALID_ARGUMENT after close or for an
 * index outside the buffer.
 */
public final class LockedBuffer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LockedBuffer.class.getName());
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  /** Linux's MADV_DONTDUMP; other systems ignore or reject it, which only costs the core-dump exclusion. */
  private static final int MADV_DONTDUMP = 16;

  /** The libc calls used, bound through JNA (no C compiler needed at build time). */
  interface CLibrary extends Library {
    int mlock(Pointer address, long length) throws LastErrorException;

    int munlock(Pointer address, long length) throws LastErrorException;

    int madvise(Pointer address, long length, int advice) throws LastErrorException;

    int getpagesize();
  }

  private static final class Libc {
    static final CLibrary INSTANCE = load();

    private static CLibrary load() {
      try {
        return Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
      } catch (Throwable e) {
        // LinkageError (no libjnidispatch for this platform) or a missing libc: run unlocked.
        warn("cannot load the C library through JNA (" + e + ")");
        return null;
      }
    }
  }

  private final int size;
  /** The whole native block (kept so the block lives as long as this object), or null. */
  private final Memory block;
  /** The page-aligned part of {@link #block} that holds the data. */
  private final Pointer data;
  private final long lockedLength;
  private final ByteBuffer bytes;
  private boolean locked;
  private boolean closed;

  private LockedBuffer(int size) {
    this.size = size;
    CLibrary c = Libc.INSTANCE;
    Memory m = null;
    Pointer p = null;
    long length = 0;
    ByteBuffer b;
    if (c != null) {
      try {
        long page = Math.max(4096, c.getpagesize());
        // Whole pages, page-aligned, inside the malloc'd block: mlock and madvise act on pages, and
        // no other allocation shares them.
        length = Math.max(page, (size + page - 1) / page * page);
        m = new Memory(length + page);
        long address = Pointer.nativeValue(m);
        long offset = (page - address % page) % page;
        p = m.share(offset, length);
        m.clear();
        b = p.getByteBuffer(0, size);
      } catch (Throwable e) {
        warn("cannot allocate native memory through JNA (" + e + ")");
        m = null;
        p = null;
        b = ByteBuffer.allocateDirect(size);
      }
    } else {
      b = ByteBuffer.allocateDirect(size);
    }
    this.block = m;
    this.data = p;
    this.lockedLength = length;
    this.bytes = b.order(ByteOrder.LITTLE_ENDIAN);
    if (p != null) {
      try {
        c.mlock(p, length);
        locked = true;
      } catch (LastErrorException | UnsatisfiedLinkError e) {
        warn("mlock of " + length + " bytes failed (" + e.getMessage() + "); raise RLIMIT_MEMLOCK (ulimit -l) to keep secret keys out of swap");
      }
      try {
        c.madvise(p, length, MADV_DONTDUMP);
      } catch (LastErrorException | UnsatisfiedLinkError e) {
        // Not Linux, or an old kernel: core dumps may contain the key; nothing else is affected.
        LOG.log(System.Logger.Level.DEBUG, "madvise(MADV_DONTDUMP) failed: " + e.getMessage());
      }
    }
  }

  private static void warn(String message) {
    if (WARNED.compareAndSet(false, true)) {
      LOG.log(System.Logger.Level.WARNING, "secret key memory is not locked against swapping: " + message);
    }
  }

  /**
   * A zeroed buffer of {@code size} bytes.
   *
   * @throws BfvException INVALID_ARGUMENT for a negative size
   */
  public static LockedBuffer allocate(int size) {
    if (size < 0) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "buffer size " + size + " is negative");
    }
    return new LockedBuffer(size);
  }

  public int size() {
    return size;
  }

  /** True if the memory is locked against swapping. */
  public boolean isLocked() {
    return locked && !closed;
  }

  public byte get(int index) {
    check(index);
    return bytes.get(index);
  }

  public void put(int index, byte value) {
    check(index);
    bytes.put(index, value);
  }

  /**
   * A little-endian view of the whole buffer with its own position and limit, for channel I/O and
   * checksums without a heap copy. Do not keep it past {@link #close()}.
   */
  public ByteBuffer view() {
    if (closed) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "locked buffer used after close");
    }
    return bytes.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Overwrites the contents with zeros. */
  public void wipe() {
    if (data != null) {
      data.setMemory(0, size, (byte) 0);
    } else {
      for (int i = 0; i < size; i++) {
        bytes.put(i, (byte) 0);
      }
    }
  }

  private void check(int index) {
    if (closed) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "locked buffer used after close");
    }
    if (index < 0 || index >= size) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "index " + index + " outside a buffer of " + size + " bytes");
    }
  }

  /** Zeroes and unlocks the memory; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    wipe();
    closed = true;
    if (locked) {
      try {
        Libc.INSTANCE.munlock(data, lockedLength);
      } catch (LastErrorException | UnsatisfiedLinkError e) {
        LOG.log(System.Logger.Level.DEBUG, "munlock failed: " + e.getMessage());
      }
      locked = false;
    }
    // block is freed by JNA's cleaner once this object and every view are unreachable.
    assert block == null || block.valid();
  }
}
