package org.cryptonets.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.Test;

/**
 * {@link CpuBackend#warmUp}: skipped on the scalar path and when {@value CpuBackend#WARMUP_PROPERTY}
 * is {@code false} (as the test JVMs of this build set it), run once per JVM otherwise, refused on a
 * closed backend, and the warmed-up kernels still compute the scalar path's results. The only test
 * of this JVM that runs the warm-up: the flag it checks is per JVM.
 */
class CpuBackendWarmUpTest {
  @Test
  void warmUpRunsOncePerJvmOnlyOnTheVectorPathAndWhenNotTurnedOff() {
    String saved = System.getProperty(CpuBackend.WARMUP_PROPERTY);
    try {
      System.setProperty(CpuBackend.WARMUP_PROPERTY, "true");
      try (CpuBackend scalar = CpuBackend.create(1, false)) {
        scalar.warmUp();
      }
      assertEquals(0, CpuBackend.warmUps(), "the scalar path has nothing to warm up");
      try (CpuBackend vector = CpuBackend.create(2, true)) {
        System.setProperty(CpuBackend.WARMUP_PROPERTY, "false");
        vector.warmUp();
        assertEquals(0, CpuBackend.warmUps(), CpuBackend.WARMUP_PROPERTY + "=false skips it");
        System.setProperty(CpuBackend.WARMUP_PROPERTY, "true");
        vector.warmUp();
        assertEquals(1, CpuBackend.warmUps());
        vector.warmUp();
        try (CpuBackend another = CpuBackend.create(1, true)) {
          another.warmUp();
        }
        assertEquals(1, CpuBackend.warmUps(), "once per JVM, whichever backend asks again");
        try (CpuBackend scalar = CpuBackend.create(1, false)) {
          assertArrayEquals(productOfFixedPolynomials(scalar), productOfFixedPolynomials(vector));
        }
      }
      CpuBackend closed = CpuBackend.create(1, true);
      closed.close();
      EngineException e = assertThrows(EngineException.class, closed::warmUp);
      assertEquals(EngineException.Code.BUFFER_INVALID, e.code());
    } finally {
      if (saved == null) {
        System.clearProperty(CpuBackend.WARMUP_PROPERTY);
      } else {
        System.setProperty(CpuBackend.WARMUP_PROPERTY, saved);
      }
    }
  }

  /** A forward NTT of one fixed polynomial, times another. */
  private static long[] productOfFixedPolynomials(CpuBackend backend) {
    RnsBasis basis = Fixtures.basis(1024, 2);
    try (PolyBuffer a = backend.allocate(basis, 1); PolyBuffer b = backend.allocate(basis, 1); PolyBuffer c = backend.allocate(basis, 1)) {
      long[] x = Fixtures.random(basis, 1, 7);
      long[] y = Fixtures.random(basis, 1, 8);
      backend.upload(x, a.all());
      backend.upload(y, b.all());
      backend.forwardNtt(a.all());
      backend.multiply(a.all(), b.all(), c.all());
      long[] out = new long[x.length];
      backend.download(c.all(), out);
      return out;
    }
  }
}
