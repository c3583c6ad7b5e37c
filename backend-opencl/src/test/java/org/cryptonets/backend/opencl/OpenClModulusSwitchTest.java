package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cryptonets.backend.cpu.CpuBackend;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The native BGV modulus switch ({@link OpenClBackend#dropLastModulusNtt}) against
 * {@link PlainPreservingSwitch#apply} and the CPU backend, bit for bit, on both device paths: the
 * fused local-memory launches (whole ring in one block) and the global-memory sequence (local block
 * capped at 256 coefficients), over contiguous and strided ranges.
 */
class OpenClModulusSwitchTest {
  private static OpenClBackend fused;
  private static OpenClBackend global;
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    DeviceRequirement.require();
    fused = OpenClBackend.open(null, null, 1 << 16);
    global = OpenClBackend.open(null, null, 256);
    cpu = CpuBackend.create(1, false);
  }

  @AfterAll
  static void close() {
    for (Backend b : new Backend[] {fused, global, cpu}) {
      if (b != null) {
        b.close();
      }
    }
  }

  /**
   * A basis of {@code low} primes of {@code lowBits} bits followed by one of {@code lastBits} bits
   * (distinct primes). A last prime above twice the others makes the correction exceed them, so its
   * reduction modulo q_i is exercised.
   */
  static RnsBasis basis(int n, int low, int lowBits, int lastBits) {
    List<Long> primes = new ArrayList<>(PrimeGenerator.nttPrimes(lowBits, n, low, List.of()));
    primes.add(PrimeGenerator.nttPrimes(lastBits, n, 1, primes).get(0));
    return RnsBasis.of(n, primes.stream().mapToLong(Long::longValue).toArray());
  }

  static long[] random(RnsBasis b, int polys, long seed) {
    Random r = new Random(seed);
    int n = b.n();
    int l = b.size();
    long[] host = new long[polys * l * n];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        long q = b.modulus(i).value();
        for (int j = 0; j < n; j++) {
          host[(p * l + i) * n + j] = Math.floorMod(r.nextLong(), q);
        }
      }
    }
    return host;
  }

  /** The reference on consecutive host polynomials. */
  static long[] reference(PlainPreservingSwitch s, long[] in, int count) {
    int inLength = s.from().size() * s.from().n();
    int outLength = s.to().size() * s.to().n();
    long[] out = new long[count * outLength];
    for (int p = 0; p < count; p++) {
      s.apply(in, p * inLength, out, p * outLength);
    }
    return out;
  }

  /**
   * Runs the switch on {@code be} over {@code count} polynomials: contiguous when {@code stride} is
   * 1, else polynomials first, first + stride, ... of buffers of count * stride polynomials (every
   * other one filled with noise that must stay untouched in the input and be left alone in the output).
   */
  static long[] run(Backend be, PlainPreservingSwitch s, long[] host, int count, int stride, int first) {
    int polys = count * stride;
    int inLength = s.from().size() * s.from().n();
    int outLength = s.to().size() * s.to().n();
    long[] noiseIn = random(s.from(), polys, 99);
    long[] noiseOut = random(s.to(), polys, 98);
    for (int k = 0; k < count; k++) {
      System.arraycopy(host, k * inLength, noiseIn, (first + k * stride) * inLength, inLength);
    }
    try (PolyBuffer in = be.allocate(s.from(), polys); PolyBuffer out = be.allocate(s.to(), polys)) {
      be.upload(noiseIn, in.all());
      be.upload(noiseOut, out.all());
      be.dropLastModulusNtt(s, new PolyRange(in, first, count, stride), new PolyRange(out, first, count, stride));
      long[] inAfter = new long[noiseIn.length];
      long[] outAfter = new long[noiseOut.length];
      be.download(in.all(), inAfter);
      be.download(out.all(), outAfter);
      assertArrayEquals(noiseIn, inAfter, "the input must be left unchanged");
      long[] result = new long[count * outLength];
      for (int k = 0; k < polys; k++) {
        boolean selected = k >= first && (k - first) % stride == 0 && (k - first) / stride < count;
        if (selected) {
          System.arraycopy(outAfter, k * outLength, result, (k - first) / stride * outLength, outLength);
        } else {
          for (int j = 0; j < outLength; j++) {
            assertEquals(noiseOut[k * outLength + j], outAfter[k * outLength + j], "output polynomial " + k + " is not in the range");
          }
        }
      }
      return result;
    }
  }

  @ParameterizedTest(name = "n = {0}, {1} x {2}-bit primes + {3}-bit last, t = {4}, {5} polys, stride {6}")
  @CsvSource({
      // n, low primes, their bits, last prime bits, t, count, stride
      "1024, 1, 31, 31, 65537, 1, 1",
      "1024, 2, 31, 30, 2, 3, 1",
      "1024, 2, 20, 31, 65537, 3, 2",
      "2048, 3, 30, 31, 1024, 2, 3",
      "4096, 5, 31, 31, 2147483647, 2, 1",
      "8192, 5, 30, 31, 786433, 3, 2",
      "8192, 2, 24, 31, 1073741827, 1, 1",
  })
  void matchesReferenceAndCpu(int n, int low, int lowBits, int lastBits, long t, int count, int stride) {
    RnsBasis b = basis(n, low, lowBits, lastBits);
    PlainPreservingSwitch s = new PlainPreservingSwitch(b, t);
    long[] host = random(b, count, 31L * n + low + t);
    long[] expected = reference(s, host, count);
    int first = stride == 1 ? 0 : 1;
    assertArrayEquals(expected, run(cpu, s, host, count, stride, first), "cpu vs reference");
    assertArrayEquals(expected, run(fused, s, host, count, stride, first), "opencl (local memory) vs reference");
    assertArrayEquals(expected, run(global, s, host, count, stride, first), "opencl (global stages) vs reference");
  }

  /**
   * Last limbs whose corrections sit on the centring boundaries: r = 0, 1, (q-1)/2, (q+1)/2 and
   * q - 1 (built in coefficient form as x = r t mod q_l, then transformed forward), other limbs random.
   */
  @Test
  void centringBoundaries() {
    int n = 1024;
    RnsBasis b = basis(n, 2, 20, 31);
    long t = 65537;
    PlainPreservingSwitch s = new PlainPreservingSwitch(b, t);
    Modulus last = b.modulus(2);
    long q = last.value();
    long[] host = random(b, 2, 5);
    long[] edges = {0, 1, (q - 1) / 2, (q + 1) / 2, q - 1, q / 2, q / 2 + 1};
    for (int p = 0; p < 2; p++) {
      long[] limb = new long[n];
      for (int j = 0; j < n; j++) {
        long r = edges[(j + p) % edges.length];
        limb[j] = last.multiply(r, last.reduce(t));
      }
      b.ntt(2).forward(limb, 0);
      System.arraycopy(limb, 0, host, (p * 3 + 2) * n, n);
    }
    long[] expected = reference(s, host, 2);
    assertArrayEquals(expected, run(cpu, s, host, 2, 1, 0));
    assertArrayEquals(expected, run(fused, s, host, 2, 1, 0));
    assertArrayEquals(expected, run(global, s, host, 2, 1, 0));
  }

  /** Several switches on one backend: each its own cached tables, and the tables survive reuse. */
  @Test
  void switchesOfDifferentPlainModuliShareNothing() {
    RnsBasis b = basis(2048, 3, 31, 31);
    long[] host = random(b, 2, 7);
    for (int round = 0; round < 2; round++) {
      for (long t : new long[] {3, 65537, 40961}) {
        PlainPreservingSwitch s = new PlainPreservingSwitch(b, t);
        assertArrayEquals(reference(s, host, 2), run(fused, s, host, 2, 1, 0), "t = " + t + ", round " + round);
      }
      PlainPreservingSwitch lower = new PlainPreservingSwitch(b.prefix(3), 65537);
      long[] lowerHost = random(b.prefix(3), 2, 8);
      assertArrayEquals(reference(lower, lowerHost, 2), run(global, lower, lowerHost, 2, 1, 0), "three primes, round " + round);
    }
  }

  @Test
  void rejectsWrongShapes() {
    RnsBasis b = basis(1024, 2, 31, 31);
    PlainPreservingSwitch s = new PlainPreservingSwitch(b, 65537);
    try (PolyBuffer in = fused.allocate(b, 2); PolyBuffer out = fused.allocate(b.prefix(2), 2); PolyBuffer same = fused.allocate(b, 2);
        PolyBuffer onCpu = cpu.allocate(b.prefix(2), 2)) {
      EngineException e = assertThrows(EngineException.class, () -> fused.dropLastModulusNtt(s, in.all(), same.all()));
      assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
      e = assertThrows(EngineException.class, () -> fused.dropLastModulusNtt(s, in.all(), out.range(0, 1)));
      assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
      e = assertThrows(EngineException.class, () -> fused.dropLastModulusNtt(s, out.all(), out.all()));
      assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
      e = assertThrows(EngineException.class, () -> fused.dropLastModulusNtt(s, in.all(), onCpu.all()));
      assertEquals(EngineException.Code.BUFFER_INVALID, e.code());
      // Zero polynomials: nothing to do, nothing enqueued.
      fused.dropLastModulusNtt(s, in.range(0, 0), out.range(0, 0));
    }
  }

  /** The default of {@link Backend#dropLastModulusNtt} (host round trip) on {@code gpu}, through a proxy. */
  static Backend hostRoundTrip(OpenClBackend gpu) {
    InvocationHandler h = (proxy, method, args) -> {
      if (method.getName().equals("dropLastModulusNtt")) {
        return InvocationHandler.invokeDefault(proxy, method, args);
      }
      try {
        return method.invoke(gpu, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    };
    return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
  }

  /**
   * Opt-in ({@code -Dcryptonets.opencl.timing=true}): the native switch against the default host
   * round trip at n = 8192, 6 primes, 300 polynomials (a batch of 100 size-3 ciphertexts). Prints
   * only; also checks the two agree.
   */
  @Test
  @EnabledIfSystemProperty(named = "cryptonets.opencl.timing", matches = "true")
  void nativeVersusHostRoundTrip() {
    int n = 8192;
    int count = 300;
    RnsBasis b = basis(n, 5, 31, 31);
    PlainPreservingSwitch s = new PlainPreservingSwitch(b, 65537);
    Backend roundTrip = hostRoundTrip(fused);
    System.out.println("device: " + fused.device());
    try (PolyBuffer in = fused.allocate(b, count); PolyBuffer a = fused.allocate(s.to(), count); PolyBuffer c = fused.allocate(s.to(), count)) {
      fused.upload(random(b, count, 1), in.all());
      int reps = Integer.getInteger("cryptonets.opencl.timing.reps", 3);
      for (int round = 0; round < 2; round++) {
        long t0 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          fused.dropLastModulusNtt(s, in.all(), a.all());
        }
        fused.synchronize();
        long t1 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          roundTrip.dropLastModulusNtt(s, in.all(), c.all());
        }
        fused.synchronize();
        long t2 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          fused.forwardNtt(c.all());
        }
        fused.synchronize();
        long t3 = System.nanoTime();
        System.out.printf("round %d, n=%d, 6 primes, %d polys: native %.1f ms, host round trip %.1f ms"
            + " (for scale: forward NTT of the 5-prime output %.1f ms)%n", round, n, count, (t1 - t0) / 1e6 / reps, (t2 - t1) / 1e6 / reps,
            (t3 - t2) / 1e6 / reps);
      }
      roundTrip.dropLastModulusNtt(s, in.all(), c.all());
      long[] x = new long[(int) a.all().hostLength()];
      long[] y = new long[x.length];
      fused.download(a.all(), x);
      fused.download(c.all(), y);
      assertArrayEquals(y, x);
      assertTrue(x.length > 0);
    }
  }
}
