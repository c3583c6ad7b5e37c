package org.cryptonets.bfv.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Reads the bytes [start, end) of a source sequentially through a caller-supplied staging buffer,
 * keeping the CRC-32C of every byte loaded and unpacking a little-endian bit stream. Running past
 * {@code end} is a format error (the record's declared length was too short for its content).
 *
 * <p>Not thread-safe.
 */
final class RecordInput {
  private final ByteSource source;
  private final long end;
  private final ByteBuffer buffer;
  private final CRC32C crc = new CRC32C();
  private final String context;
  private long next;
  private long acc;
  private int accBits;

  RecordInput(ByteSource source, long start, long end, ByteBuffer staging, String context) {
    this.source = source;
    this.end = end;
    this.next = start;
    this.buffer = staging.clear().order(ByteOrder.LITTLE_ENDIAN);
    this.buffer.limit(0);
    this.context = context;
  }

  private void need(int bytes) throws IOException {
    if (buffer.remaining() >= bytes) {
      return;
    }
    buffer.compact();
    while (buffer.position() < bytes || buffer.hasRemaining() && next < end) {
      long left = end - next;
      if (left <= 0) {
        break;
      }
      ByteBuffer window = buffer.duplicate();
      if (window.remaining() > left) {
        window.limit((int) (window.position() + left));
      }
      int from = window.position();
      int got = source.read(next, window);
      if (got <= 0) {
        throw new SerializationException(SerializationException.Code.TRUNCATED, context + "the file ended at byte " + next + " inside the record");
      }
      crc.update(window.duplicate().flip().position(from));
      buffer.position(from + got);
      next += got;
    }
    buffer.flip();
    if (buffer.remaining() < bytes) {
      throw new SerializationException(
          SerializationException.Code.LENGTH_OUT_OF_RANGE, context + "the payload is shorter than its fields need (ends at byte " + end + ")");
    }
  }

  int u8() throws IOException {
    need(1);
    return buffer.get() & 0xFF;
  }

  int u16() throws IOException {
    need(2);
    return buffer.getShort() & 0xFFFF;
  }

  long u32() throws IOException {
    need(4);
    return buffer.getInt() & 0xFFFFFFFFL;
  }

  long u64() throws IOException {
    need(8);
    return buffer.getLong();
  }

  void bytes(byte[] dst) throws IOException {
    for (int i = 0; i < dst.length; i++) {
      need(1);
      dst[i] = buffer.get();
    }
  }

  void skip(long count) throws IOException {
    while (count > 0) {
      need(1);
      int k = (int) Math.min(buffer.remaining(), count);
      buffer.position(buffer.position() + k);
      count -= k;
    }
  }

  /** The next {@code bits} bits (at most 62) of the bit stream. */
  long bits(int bits) throws IOException {
    if (bits > 32) {
      long low = bits32(32);
      return low | bits32(bits - 32) << 32;
    }
    return bits32(bits);
  }

  /**
   * The next {@code count} values of {@code bits} bits each (1 to 32) into {@code dst[off ..]}: the
   * same values, and the same bytes consumed, as {@code count} calls of {@link #bits}. Written out,
   * with the bit accumulator in locals, because the per-value calls took 13 ns a value: half of
   * {@code infer}'s time to read a batch (38.5 million residues per plaintext prime), on one core.
   */
  void bitsInto(int bits, long[] dst, int off, int count) throws IOException {
    if (bits < 1 || bits > 32) {
      throw new IllegalArgumentException("bulk reads take 1 to 32 bits, not " + bits);
    }
    long mask = (1L << bits) - 1;
    int k = off;
    int end = off + count;
    while (k < end) {
      if (buffer.remaining() < 4) {
        // near the end of the staged bytes: one value the slow way, which refills the buffer
        dst[k++] = bits32(bits);
        continue;
      }
      long a = acc;
      int ab = accBits;
      int pos = buffer.position();
      // each value takes at most one 4-byte word: read words while 4 bytes are still staged
      int lastWord = buffer.limit() - 4;
      while (k < end && pos <= lastWord) {
        if (ab < bits) {
          a |= (buffer.getInt(pos) & 0xFFFFFFFFL) << ab;
          pos += 4;
          ab += 32;
        }
        dst[k++] = a & mask;
        a >>>= bits;
        ab -= bits;
      }
      buffer.position(pos);
      acc = a;
      accBits = ab;
    }
  }

  private long bits32(int bits) throws IOException {
    while (accBits < bits) {
      if (accBits <= 32 && buffer.remaining() >= 4) {
        acc |= (buffer.getInt() & 0xFFFFFFFFL) << accBits;
        accBits += 32;
      } else {
        need(1);
        acc |= (buffer.get() & 0xFFL) << accBits;
        accBits += 8;
      }
    }
    long v = acc & ((1L << bits) - 1);
    acc = bits == 64 ? 0 : acc >>> bits;
    accBits -= bits;
    return v;
  }

  /**
   * Ends the bit stream, which is the last thing in every payload: the bits left to the next byte
   * boundary must be zero padding. A 32-bit read never takes in bytes beyond the stream here,
   * because the payload length was checked against the stream length before reading.
   *
   * @throws SerializationException INVALID_FIELD for nonzero padding, LENGTH_OUT_OF_RANGE if whole
   *     bytes follow the stream
   */
  void alignToByte() {
    if (accBits >= 8) {
      throw new SerializationException(SerializationException.Code.LENGTH_OUT_OF_RANGE, context + "bytes follow the last value of the bit stream");
    }
    if (acc != 0) {
      throw new SerializationException(SerializationException.Code.INVALID_FIELD, context + "nonzero padding bits after the last value");
    }
    acc = 0;
    accBits = 0;
  }

  /** Whether the bit stream stands on a byte boundary: only whole bytes wait in its accumulator. */
  boolean byteAligned() {
    return (accBits & 7) == 0;
  }

  /**
   * The next {@code len} bytes of a byte-aligned bit stream into {@code dst[off..off + len)}: first
   * the whole bytes waiting in the accumulator, then the staged and later bytes, so that
   * {@link #unpackBits} on them gives what {@link #bitsInto} would have read.
   *
   * @throws SerializationException TRUNCATED or LENGTH_OUT_OF_RANGE as any read past the end
   * @throws IllegalStateException if the stream is not on a byte boundary
   */
  void streamBytes(byte[] dst, int off, int len) throws IOException {
    if (!byteAligned()) {
      throw new IllegalStateException("the bit stream is " + (accBits & 7) + " bits past a byte boundary");
    }
    int k = off;
    int end = off + len;
    while (k < end && accBits > 0) {
      dst[k++] = (byte) acc;
      acc >>>= 8;
      accBits -= 8;
    }
    while (k < end) {
      need(1);
      int take = Math.min(buffer.remaining(), end - k);
      buffer.get(dst, k, take);
      k += take;
    }
  }

  private static final java.lang.invoke.VarHandle INT_LE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Unpacks {@code count} values of {@code bits} bits (1 to 32) each from the little-endian bit
   * stream that starts at byte {@code from} of {@code raw}, into {@code dst[off..off + count)}: the
   * values {@link #bitsInto} reads from the same bytes. Stateless, so that a batch's polynomials,
   * each starting on a byte, can be unpacked in parallel.
   *
   * @throws IndexOutOfBoundsException if {@code raw} ends before the values do
   */
  static void unpackBits(byte[] raw, int from, int bits, long[] dst, int off, int count) {
    if (bits < 1 || bits > 32) {
      throw new IllegalArgumentException("bulk reads take 1 to 32 bits, not " + bits);
    }
    long mask = (1L << bits) - 1;
    long a = 0;
    int ab = 0;
    int pos = from;
    int lastWord = raw.length - 4;
    for (int k = off, end = off + count; k < end; k++) {
      while (ab < bits) {
        if (pos <= lastWord) {
          a |= ((int) INT_LE.get(raw, pos) & 0xFFFFFFFFL) << ab;
          pos += 4;
          ab += 32;
        } else {
          a |= (raw[pos++] & 0xFFL) << ab;
          ab += 8;
        }
      }
      dst[k] = a & mask;
      a >>>= bits;
      ab -= bits;
    }
  }

  /** Absolute position of the next byte to be parsed. */
  long position() {
    return next - buffer.remaining();
  }

  /** Bytes left before {@code end}. */
  long remaining() {
    return end - position();
  }

  /** CRC-32C of every byte from start to {@link #position()}; valid once everything up to end was consumed. */
  int crc() {
    return (int) crc.getValue();
  }

  /** Zeroes the staging buffer (after reading secret material). */
  void wipe() {
    buffer.clear();
    while (buffer.hasRemaining()) {
      buffer.put((byte) 0);
    }
    buffer.clear();
    acc = 0;
  }
}
