package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.cryptonets.backend.cpu.CpuBackend;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Aparapi path of the OpenCL backend ({@value OpenClBackend#APARAPI_PROPERTY}) against the CPU
 * backend, bit for bit, for add, subtract, negate and multiply at n = 8192 over 31-bit primes, with
 * contiguous, strided and in-place ranges. Under CI, Aparapi must run on the OpenCL device (PoCL
 * there): a missing Aparapi device fails the run instead of skipping it.
 */
class AparapiEquivalenceTest {
  private static final int N = 8192;
  private static OpenClBackend viaAparapi;
  private static CpuBackend cpu;
  private static RnsBasis four;
  private static RnsBasis two;

  /** Opens what {@code open} opens, or skips the test (fails it under CI) when Aparapi has no OpenCL device. */
  static <T> T requireAparapi(Supplier<T> open) {
    DeviceRequirement.require();
    try {
      return open.get();
    } catch (EngineException e) {
      if (e.code() != EngineException.Code.BACKEND_UNAVAILABLE) {
        throw e;
      }
      if (DeviceRequirement.underCi()) {
        fail("Aparapi must run on the OpenCL device under CI but cannot: " + e.getMessage(), e);
      }
      System.err.println("SKIPPING Aparapi tests (not under CI): " + e.getMessage());
      Assumptions.abort("Aparapi unavailable: " + e.getMessage());
      throw e;
    }
  }

  @BeforeAll
  static void open() {
    viaAparapi = requireAparapi(() -> OpenClBackend.open(null, null, 1 << 16, true));
    cpu = CpuBackend.create(1, false);
    List<Long> primes = PrimeGenerator.nttPrimes(31, N, 6, List.of());
    four = RnsBasis.of(N, primes.get(0), primes.get(1), primes.get(2), primes.get(3));
    two = RnsBasis.of(N, primes.get(4), primes.get(5));
  }

  @AfterAll
  static void close() {
    if (viaAparapi != null) {
      viaAparapi.close();
    }
    if (cpu != null) {
      cpu.close();
    }
  }

  /** One buffer on each backend holding the same random residues. */
  private static final class Twin implements AutoCloseable {
    final PolyBuffer onAparapi;
    final PolyBuffer onCpu;

    Twin(RnsBasis basis, int polys, long seed) {
      onAparapi = viaAparapi.allocate(basis, polys);
      onCpu = cpu.allocate(basis, polys);
      long[] host = OpenClEquivalenceTest.randomResidues(basis, polys, new Random(seed));
      viaAparapi.upload(host, onAparapi.all());
      cpu.upload(host, onCpu.all());
    }

    PolyBuffer on(Backend b) {
      return b == cpu ? onCpu : onAparapi;
    }

    void assertSame(String what) {
      long[] expected = new long[(int) onCpu.all().hostLength()];
      long[] actual = new long[expected.length];
      cpu.download(onCpu.all(), expected);
      viaAparapi.download(onAparapi.all(), actual);
      OpenClEquivalenceTest.assertArrays(expected, actual, what);
    }

    @Override
    public void close() {
      onAparapi.close();
      onCpu.close();
    }
  }

  private static void apply(String op, Backend backend, PolyRange a, PolyRange b, PolyRange out) {
    switch (op) {
      case "add" -> backend.add(a, b, out);
      case "subtract" -> backend.subtract(a, b, out);
      case "negate" -> backend.negate(a, out);
      case "multiply" -> backend.multiply(a, b, out);
      default -> throw new IllegalArgumentException(op);
    }
  }

  @ParameterizedTest(name = "{0}, {1}, {2} limbs")
  @CsvSource({
    "add, contiguous, 4", "subtract, contiguous, 4", "negate, contiguous, 4", "multiply, contiguous, 4",
    "add, strided, 2", "subtract, strided, 2", "negate, strided, 2", "multiply, strided, 2",
    "add, in-place, 4", "subtract, in-place, 2", "negate, in-place, 4", "multiply, in-place, 2"})
  void matchesCpuBackend(String op, String layout, int limbs) {
    RnsBasis basis = limbs == 4 ? four : two;
    int polys = 3;
    long seed = op.hashCode() * 31L + layout.hashCode();
    try (Twin x = new Twin(basis, 2 * polys, seed); Twin y = new Twin(basis, 2 * polys, seed + 1); Twin z = new Twin(basis, 2 * polys, seed + 2)) {
      for (Backend backend : List.<Backend>of(cpu, viaAparapi)) {
        PolyRange a;
        PolyRange b;
        PolyRange out;
        switch (layout) {
          case "contiguous" -> {
            a = x.on(backend).range(0, polys);
            b = y.on(backend).range(polys, polys);
            out = z.on(backend).range(1, polys);
          }
          case "strided" -> {
            // The c0s and c1s of a batch: both operands interleaved in one buffer.
            a = x.on(backend).range(0, polys, 2);
            b = x.on(backend).range(1, polys, 2);
            out = z.on(backend).range(1, polys, 2);
          }
          default -> {
            a = x.on(backend).range(0, polys);
            b = y.on(backend).range(0, polys);
            out = a;
          }
        }
        apply(op, backend, a, b, out);
      }
      // Every buffer, not just the output: nothing else may have been written.
      x.assertSame(op + " " + layout + ": first operand's buffer");
      y.assertSame(op + " " + layout + ": second operand's buffer");
      z.assertSame(op + " " + layout + ": output buffer");
    }
  }

  @Test
  void deviceNamesTheAparapiPath() {
    assertTrue(viaAparapi.device().contains("Aparapi"), viaAparapi.device());
  }

  @Test
  void propertySelectsTheAparapiPath() {
    String before = System.getProperty(OpenClBackend.APARAPI_PROPERTY);
    try {
      System.setProperty(OpenClBackend.APARAPI_PROPERTY, "true");
      try (OpenClBackend b = OpenClBackend.open()) {
        assertTrue(b.device().contains("Aparapi"), b.device());
      }
      System.setProperty(OpenClBackend.APARAPI_PROPERTY, "false");
      try (OpenClBackend b = OpenClBackend.open()) {
        assertTrue(!b.device().contains("Aparapi"), b.device());
      }
      System.setProperty(OpenClBackend.APARAPI_PROPERTY, "yes");
      EngineException e = assertThrows(EngineException.class, OpenClBackend::open);
      assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
    } finally {
      if (before == null) {
        System.clearProperty(OpenClBackend.APARAPI_PROPERTY);
      } else {
        System.setProperty(OpenClBackend.APARAPI_PROPERTY, before);
      }
    }
  }
}
