package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aparapi.Kernel;
import com.aparapi.internal.kernel.KernelManager;
import java.util.LinkedHashSet;
import java.util.List;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.Test;

/**
 * Aparapi's silent fallback to Java threads must surface as {@code DEVICE_FAILURE}: for a kernel
 * that cannot be translated to OpenCL (it allocates an object), and for a kernel forced into a Java
 * execution mode, as {@code -Dcom.aparapi.executionMode=JTP} does.
 */
class AparapiFallbackTest {
  /** Something to allocate: Aparapi translates no {@code new} of an object. */
  static final class Cell {
    int value;
  }

  /** A kernel Aparapi cannot translate, so it falls back to its Java thread pool. */
  static final class AllocatingKernel extends Kernel {
    int[] out;

    @Override
    public void run() {
      Cell c = new Cell();
      c.value = getGlobalId() * 3;
      out[getGlobalId()] = c.value;
    }
  }

  @Test
  void untranslatableKernelFailsLoudlyAfterTheSilentFallback() {
    try (AparapiElementwise elementwise = AparapiEquivalenceTest.requireAparapi(() -> AparapiElementwise.open(null, null))) {
      AllocatingKernel k = new AllocatingKernel();
      KernelManager.instance().setPreferredDevices(k, new LinkedHashSet<>(List.of(elementwise.aparapiDevice())));
      k.out = new int[1024];
      EngineException e = assertThrows(EngineException.class, () -> AparapiElementwise.executeOnOpenCl(k, elementwise.aparapiDevice(), 1024, "allocating kernel"));
      assertEquals(EngineException.Code.DEVICE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("fell back"), e.getMessage());
      // Aparapi's own reason for giving up on OpenCL is carried in the message.
      assertTrue(e.getMessage().contains("new"), e.getMessage());
      // The fallback really did compute the result in Java: the failure is what kept it quiet before.
      int[] expected = new int[1024];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = 3 * i;
      }
      assertArrayEquals(expected, k.out);
      // Aparapi now goes straight to Java for this kernel class; that is refused before running.
      EngineException again = assertThrows(EngineException.class, () -> AparapiElementwise.executeOnOpenCl(k, elementwise.aparapiDevice(), 1024, "allocating kernel"));
      assertTrue(again.getMessage().contains("marked"), again.getMessage());
      k.dispose();
    }
  }

  @Test
  @SuppressWarnings("deprecation")
  void javaExecutionModeFailsLoudly() {
    RnsBasis basis = RnsBasis.of(16, PrimeGenerator.nttPrimes(31, 16, 1, List.of()).get(0));
    for (Kernel.EXECUTION_MODE mode : List.of(Kernel.EXECUTION_MODE.JTP, Kernel.EXECUTION_MODE.SEQ)) {
      try (AparapiElementwise elementwise = AparapiEquivalenceTest.requireAparapi(() -> AparapiElementwise.open(null, null))) {
        elementwise.forceExecutionMode(mode);
        int[] a = new int[16];
        int[] out = new int[16];
        EngineException e = assertThrows(EngineException.class, () -> elementwise.multiply(basis, a, a.clone(), out));
        assertEquals(EngineException.Code.DEVICE_FAILURE, e.code());
        assertTrue(e.getMessage().contains("execution mode " + mode), e.getMessage());
      }
    }
  }

  @Test
  void rejectsMisshapenArraysAndUseAfterClose() {
    RnsBasis basis = RnsBasis.of(16, PrimeGenerator.nttPrimes(31, 16, 1, List.of()).get(0));
    AparapiElementwise elementwise = AparapiEquivalenceTest.requireAparapi(() -> AparapiElementwise.open(null, null));
    int[] a = new int[32];
    assertEquals(EngineException.Code.SHAPE_MISMATCH,
        assertThrows(EngineException.class, () -> elementwise.add(basis, a, new int[16], new int[32])).code());
    assertEquals(EngineException.Code.SHAPE_MISMATCH,
        assertThrows(EngineException.class, () -> elementwise.add(basis, new int[24], new int[24], new int[24])).code());
    assertEquals(EngineException.Code.SHAPE_MISMATCH, assertThrows(EngineException.class, () -> elementwise.negate(basis, a, a)).code());
    elementwise.close();
    assertEquals(EngineException.Code.BUFFER_INVALID,
        assertThrows(EngineException.class, () -> elementwise.add(basis, a, a.clone(), new int[32])).code());
  }

  @Test
  void unknownDeviceIsUnavailable() {
    AparapiEquivalenceTest.requireAparapi(() -> AparapiElementwise.open(null, null)).close();
    EngineException e = assertThrows(EngineException.class, () -> AparapiElementwise.open("no such platform", "no such device"));
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, e.code());
  }
}
