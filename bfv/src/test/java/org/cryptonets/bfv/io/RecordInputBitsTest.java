package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link RecordInput#bitsInto} against a stream packed here with BigInteger (value k at bit offset
 * lead + k * bits, little-endian) and against {@code count} calls of {@link RecordInput#bits}: the
 * same values, then the same state (the value after them, and the padding check at the end), with
 * staging buffers small enough that the bulk read crosses many refills.
 */
class RecordInputBitsTest {
  /** The stream: {@code lead} bits of 1s, the values, a 5-bit marker 0b10110, zero padding. */
  private static byte[] pack(int lead, long[] values, int bits) {
    BigInteger stream = BigInteger.ONE.shiftLeft(lead).subtract(BigInteger.ONE);
    int at = lead;
    for (long v : values) {
      stream = stream.or(BigInteger.valueOf(v).shiftLeft(at));
      at += bits;
    }
    stream = stream.or(BigInteger.valueOf(0b10110).shiftLeft(at));
    at += 5;
    byte[] out = new byte[(at + 7) / 8];
    byte[] big = stream.toByteArray(); // big-endian, maybe with a sign byte
    for (int i = 0; i < out.length && i < big.length; i++) {
      out[i] = big[big.length - 1 - i];
    }
    return out;
  }

  private static RecordInput input(byte[] bytes, int staging) {
    return new RecordInput(ByteSource.of(bytes, "stream"), 0, bytes.length, ByteBuffer.allocate(staging), "test: ");
  }

  @ParameterizedTest(name = "{0} bits x {1} after {2} lead bits, staging {3} bytes")
  @CsvSource({
    "31, 1000, 0, 16", "31, 1000, 3, 64", "31, 8192, 7, 4096", "29, 777, 1, 24", "32, 300, 0, 16", "32, 300, 5, 20",
    "1, 100, 0, 16", "7, 999, 6, 17", "8, 64, 0, 16", "20, 513, 19, 33", "30, 1, 2, 16", "31, 0, 4, 16"})
  void bulkReadsEqualPerValueReads(int bits, int count, int lead, int staging) throws IOException {
    SplittableRandom random = new SplittableRandom(bits * 1000L + count + lead);
    long[] values = new long[count];
    for (int k = 0; k < count; k++) {
      int pick = random.nextInt(8);
      values[k] = pick == 0 ? 0 : pick == 1 ? (1L << bits) - 1 : random.nextLong(1L << bits);
    }
    byte[] bytes = pack(lead, values, bits);
    RecordInput bulk = input(bytes, staging);
    RecordInput single = input(bytes, staging);
    if (lead > 0) {
      assertEquals((1L << lead) - 1, bulk.bits(lead));
      assertEquals((1L << lead) - 1, single.bits(lead));
    }
    long[] got = new long[count + 2];
    bulk.bitsInto(bits, got, 1, count);
    long[] one = new long[count + 2];
    for (int k = 0; k < count; k++) {
      one[k + 1] = single.bits(bits);
    }
    long[] expected = new long[count + 2];
    System.arraycopy(values, 0, expected, 1, count);
    assertArrayEquals(expected, one, "per-value reads");
    assertArrayEquals(expected, got, "bulk read (and nothing outside its range)");
    assertEquals(0b10110, bulk.bits(5), "the value after the bulk read");
    assertEquals(0b10110, single.bits(5));
    bulk.alignToByte();
    single.alignToByte();
  }

  /**
   * The parallel reader's path: after {@code lead} whole bytes of the stream were read bit-wise
   * (some may still wait in the accumulator), {@link RecordInput#streamBytes} hands over the bytes
   * of the values, and {@link RecordInput#unpackBits} from any byte offset of them gives the same
   * values as the BigInteger packing; the stream then continues with the marker.
   */
  @ParameterizedTest(name = "{0} bits x {1} after {2} lead bytes, staging {3} bytes")
  @CsvSource({"31, 1024, 0, 16", "31, 8192, 1, 4096", "29, 800, 2, 24", "32, 296, 3, 20", "1, 104, 0, 16", "7, 1000, 1, 17", "18, 64, 4, 33"})
  void streamedBytesUnpackToTheValues(int bits, int count, int leadBytes, int staging) throws IOException {
    SplittableRandom random = new SplittableRandom(bits * 7L + count);
    long[] values = new long[count];
    for (int k = 0; k < count; k++) {
      int pick = random.nextInt(8);
      values[k] = pick == 0 ? 0 : pick == 1 ? (1L << bits) - 1 : random.nextLong(1L << bits);
    }
    int lead = 8 * leadBytes;
    byte[] bytes = pack(lead, values, bits);
    RecordInput in = input(bytes, staging);
    if (lead > 0) {
      // a 1-bit read pulls a whole word into the accumulator: the rest of it must come out first
      for (int b = 0; b < lead; b++) {
        assertEquals(1, in.bits(1));
      }
    }
    assertEquals(true, in.byteAligned());
    int valueBytes = count * bits / 8;
    byte[] raw = new byte[valueBytes + 3];
    in.streamBytes(raw, 3, valueBytes);
    long[] got = new long[count + 2];
    RecordInput.unpackBits(raw, 3, bits, got, 1, count);
    long[] expected = new long[count + 2];
    System.arraycopy(values, 0, expected, 1, count);
    assertArrayEquals(expected, got);
    // a second half unpacked on its own, from its own first byte
    int half = count / 2 / 8 * 8;
    long[] tail = new long[count - half];
    RecordInput.unpackBits(raw, 3 + half * bits / 8, bits, tail, 0, count - half);
    assertArrayEquals(java.util.Arrays.copyOfRange(values, half, count), tail);
    assertEquals(0b10110, in.bits(5), "the stream continues after the streamed bytes");
    in.alignToByte();
    RecordInput unaligned = input(bytes, staging);
    unaligned.bits(3);
    assertEquals(false, unaligned.byteAligned());
    assertThrows(IllegalStateException.class, () -> unaligned.streamBytes(new byte[4], 0, 4));
  }

  @ParameterizedTest(name = "{0} bits")
  @CsvSource({"0", "33", "62"})
  void widthsOutsideOneToThirtyTwoAreRefused(int bits) {
    RecordInput in = input(new byte[64], 16);
    assertThrows(IllegalArgumentException.class, () -> in.bitsInto(bits, new long[4], 0, 4));
  }

  @ParameterizedTest(name = "{0} values of 31 bits from {1} bytes")
  @CsvSource({"10, 30", "100, 300"})
  void aStreamShorterThanTheReadIsALengthError(int count, int bytes) {
    RecordInput in = input(new byte[bytes], 16);
    SerializationException e = assertThrows(SerializationException.class, () -> in.bitsInto(31, new long[count], 0, count));
    assertEquals(SerializationException.Code.LENGTH_OUT_OF_RANGE, e.code(), e.getMessage());
  }
}
