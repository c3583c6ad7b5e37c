package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Proves the engine-api plumbing: {@link PolyRange} bounds, strides, sub-ranges and host lengths (with
 * SHAPE_MISMATCH for runs outside the buffer), {@link Backends} with no provider on engine-api's own
 * class path (BACKEND_UNAVAILABLE saying none exist), and {@link EngineException} carrying its code
 * in the message and accessor. The backend-only codes (VALUE_OUT_OF_RANGE, BUFFER_INVALID,
 * DEVICE_FAILURE) are triggered in backend-cpu's tests.
 */
class EngineSpiTest {

  /** A host-only buffer: enough to exercise PolyRange without a backend. */
  private static PolyBuffer fake(RnsBasis basis, int polys) {
    return new PolyBuffer() {
      @Override
      public RnsBasis basis() {
        return basis;
      }

      @Override
      public int polys() {
        return polys;
      }

      @Override
      public Backend backend() {
        return null;
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void rangesCoverTheirRunAndReportHostLength() {
    RnsBasis b = RnsBasis.of(32, 193, 257, 449);
    PolyBuffer buf = fake(b, 5);
    PolyRange all = buf.all();
    assertEquals(0, all.first());
    assertEquals(5, all.count());
    assertSame(b, all.basis());
    assertSame(buf, all.buffer());
    assertEquals(5L * 3 * 32, all.hostLength());
    PolyRange r = buf.range(1, 3);
    PolyRange s = r.sub(1, 2);
    assertEquals(2, s.first());
    assertEquals(2, s.count());
    assertEquals(2L * 3 * 32, s.hostLength());
    assertEquals(0, buf.range(5, 0).count());
    assertEquals(1, r.stride());
    assertEquals(3, r.index(2));
  }

  @Test
  void stridedRangesIndexEveryStrideThPolynomial() {
    PolyBuffer buf = fake(RnsBasis.of(16, 97, 193), 7);
    PolyRange odd = buf.range(1, 3, 2); // 1, 3, 5
    assertEquals(2, odd.stride());
    assertEquals(1, odd.index(0));
    assertEquals(5, odd.index(2));
    assertEquals(3L * 2 * 16, odd.hostLength());
    PolyRange tail = odd.sub(1, 2); // 3, 5
    assertEquals(3, tail.first());
    assertEquals(2, tail.stride());
    assertEquals(5, tail.index(1));
    PolyRange last = buf.range(0, 3, 3); // 0, 3, 6: the last index is the last polynomial
    assertEquals(6, last.index(2));
    assertEquals(0, buf.range(7, 0, 5).count());
  }

  @ParameterizedTest
  @CsvSource({"1,4,2", "1,2,6", "0,1,0", "0,2,-1", "6,2,1"})
  void stridedRangesOutsideTheBufferOrWithBadStrideAreShapeMismatch(int first, int count, int stride) {
    PolyBuffer buf = fake(RnsBasis.of(16, 97), 7);
    EngineException e = assertThrows(EngineException.class, () -> buf.range(first, count, stride));
    assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
  }

  @ParameterizedTest
  @CsvSource({"-1,1", "0,6", "5,1", "3,-1", "2147483647,1"})
  void rangesOutsideTheBufferAreShapeMismatch(int first, int count) {
    PolyBuffer buf = fake(RnsBasis.of(16, 97), 5);
    EngineException e = assertThrows(EngineException.class, () -> buf.range(first, count));
    assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
  }

  @ParameterizedTest
  @CsvSource({"-1,1", "0,4", "2,2", "1,-1"})
  void subRangesOutsideTheRunAreShapeMismatch(int offset, int length) {
    PolyRange r = fake(RnsBasis.of(16, 97), 5).range(1, 3);
    EngineException e = assertThrows(EngineException.class, () -> r.sub(offset, length));
    assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
  }

  @Test
  void noProviderOnTheEngineClassPath() {
    assertEquals(List.of(), Backends.providers());
    EngineException e = assertThrows(EngineException.class, () -> Backends.open("cpu"));
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("none on the class path"), e.getMessage());
    assertTrue(e.getMessage().contains(Backends.PROPERTY), e.getMessage());
  }

  @Test
  void exceptionCarriesCodeMessageAndCause() {
    IOException cause = new IOException("disk");
    for (EngineException.Code c : EngineException.Code.values()) {
      EngineException e = new EngineException(c, "what");
      assertSame(c, e.code());
      assertEquals(c + ": what", e.getMessage());
      EngineException withCause = new EngineException(c, "why", cause);
      assertSame(cause, withCause.getCause());
      assertSame(c, withCause.code());
    }
    // The codes whose triggers the test suites cover; a new code needs a new triggering test.
    assertEquals(List.of("INVALID_MODULUS", "INVALID_RING_DEGREE", "SHAPE_MISMATCH", "VALUE_OUT_OF_RANGE",
        "BACKEND_UNAVAILABLE", "BUFFER_INVALID", "DEVICE_FAILURE", "INVALID_ARGUMENT"),
        EnumSet.allOf(EngineException.Code.class).stream().map(Enum::name).collect(java.util.stream.Collectors.toList()));
  }
}
