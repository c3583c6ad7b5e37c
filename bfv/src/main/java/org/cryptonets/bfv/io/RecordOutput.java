package org.cryptonets.bfv.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.zip.CRC32C;

/**
 * Writes one record's bytes through a staging buffer into a channel, keeping the CRC-32C of
 * everything written and packing values into a little-endian bit stream. The staging buffer is
 * supplied by the caller so secret material can pass through locked native memory only.
 *
 * <p>Not thread-safe.
 */
final class RecordOutput {
  private final WritableByteChannel channel;
  private final ByteBuffer buffer;
  private final CRC32C crc = new CRC32C();
  private long acc;
  private int accBits;
  private long written;

  RecordOutput(WritableByteChannel channel, ByteBuffer staging) {
    this.channel = channel;
    this.buffer = staging.clear().order(ByteOrder.LITTLE_ENDIAN);
  }

  private void room(int bytes) throws IOException {
    if (buffer.remaining() < bytes) {
      flush();
    }
  }

  private void flush() throws IOException {
    buffer.flip();
    crc.update(buffer.duplicate());
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  private void aligned() {
    if (accBits != 0) {
      throw new IllegalStateException("byte field written in the middle of a bit stream");
    }
  }

  void u8(int v) throws IOException {
    aligned();
    room(1);
    buffer.put((byte) v);
    written++;
  }

  void u16(int v) throws IOException {
    aligned();
    room(2);
    buffer.putShort((short) v);
    written += 2;
  }

  void u32(long v) throws IOException {
    aligned();
    room(4);
    buffer.putInt((int) v);
    written += 4;
  }

  void u64(long v) throws IOException {
    aligned();
    room(8);
    buffer.putLong(v);
    written += 8;
  }

  void bytes(byte[] b) throws IOException {
    aligned();
    for (byte x : b) {
      room(1);
      buffer.put(x);
    }
    written += b.length;
  }

  /** Appends the low {@code bits} bits of {@code v} (at most 62) to the bit stream. */
  void bits(long v, int bits) throws IOException {
    if (bits > 32) {
      bits32(v & 0xFFFFFFFFL, 32);
      bits32(v >>> 32, bits - 32);
    } else {
      bits32(v, bits);
    }
  }

  private void bits32(long v, int bits) throws IOException {
    acc |= (v & ((1L << bits) - 1)) << accBits;
    accBits += bits;
    if (accBits >= 32) {
      room(4);
      buffer.putInt((int) acc);
      written += 4;
      acc >>>= 32;
      accBits -= 32;
    }
  }

  /** Ends the bit stream, padding with zero bits to a whole byte. */
  void alignToByte() throws IOException {
    while (accBits > 0) {
      room(1);
      buffer.put((byte) acc);
      written++;
      acc >>>= 8;
      accBits = Math.max(0, accBits - 8);
    }
    acc = 0;
  }

  /** Bytes of the record so far. */
  long written() {
    return written;
  }

  /** Flushes and appends the CRC-32C of everything written; returns the record's total bytes. */
  long finish() throws IOException {
    alignToByte();
    flush();
    buffer.putInt((int) crc.getValue());
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
    return written + BfvFileFormat.TRAILER_BYTES;
  }

  /** Zeroes the staging buffer (after writing secret material). */
  void wipe() {
    buffer.clear();
    while (buffer.hasRemaining()) {
      buffer.put((byte) 0);
    }
    buffer.clear();
    acc = 0;
  }
}
