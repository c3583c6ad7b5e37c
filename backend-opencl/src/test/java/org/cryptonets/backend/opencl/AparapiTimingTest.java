package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import com.aparapi.internal.kernel.KernelManager;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.jocl.Sizeof;
import org.jocl.cl_mem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in wall-clock comparison of the Aparapi elementwise kernel with the hand-written OpenCL one,
 * pointwise multiply (and add) of 64 polynomials x 7 limbs x 8192 coefficients, on the selected device. Run
 * with {@code mvn -pl backend-opencl test -Dtest=AparapiTimingTest -Dcryptonets.opencl.timing=true}
 * (repetitions: {@code -Dcryptonets.opencl.timing.reps}); it only prints, since timings depend on
 * the machine.
 *
 * <p>Five ways, each timed as the median of its repetitions after two warm-up calls:
 * <ol>
 *   <li>hand-written kernel on operands already in device memory (the backend's default multiply);
 *   <li>hand-written kernel with host transfers of int arrays (write a, write b, launch, read out),
 *       the same work Aparapi does on every execute;
 *   <li>the same through the Backend API on long arrays (upload with range checks, download);
 *   <li>Aparapi on int host arrays ({@link AparapiElementwise#multiply});
 *   <li>the backend's Aparapi path on device-resident operands (download both, Aparapi, upload).
 * </ol>
 */
@EnabledIfSystemProperty(named = "cryptonets.opencl.timing", matches = "true")
class AparapiTimingTest {
  private static final int N = 8192;
  private static final int LIMBS = 7;
  private static final int POLYS = 64;

  private interface Step {
    void run();
  }

  private static double medianMs(int reps, Step step) {
    step.run();
    step.run();
    double[] t = new double[reps];
    for (int k = 0; k < reps; k++) {
      long t0 = System.nanoTime();
      step.run();
      t[k] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(t);
    return t[reps / 2];
  }

  @Test
  void aparapiVersusHandWritten() {
    DeviceRequirement.require();
    List<Long> primes = PrimeGenerator.nttPrimes(31, N, LIMBS, List.of());
    RnsBasis basis = RnsBasis.of(N, primes.stream().mapToLong(Long::longValue).toArray());
    int reps = Integer.getInteger("cryptonets.opencl.timing.reps", 5);
    long[] la = OpenClEquivalenceTest.randomResidues(basis, POLYS, new Random(1));
    long[] lb = OpenClEquivalenceTest.randomResidues(basis, POLYS, new Random(2));
    long[] lout = new long[la.length];
    int[] a = new int[la.length];
    int[] b = new int[la.length];
    for (int k = 0; k < a.length; k++) {
      a[k] = (int) la[k];
      b[k] = (int) lb[k];
    }
    int[] outCl = new int[a.length];
    int[] outAparapi = new int[a.length];
    long bytes = (long) a.length * Sizeof.cl_uint;
    System.out.printf("multiply of %d polynomials x %d limbs x %d: %d residues, %.1f MB per operand as int%n", POLYS, LIMBS, N, a.length, bytes / 1e6);

    try (OpenClBackend gpu = OpenClBackend.open(null, null, 1 << 16, false);
        OpenClBackend viaAparapi = AparapiEquivalenceTest.requireAparapi(() -> OpenClBackend.open(null, null, 1 << 16, true));
        AparapiElementwise elementwise = AparapiElementwise.open(null, null);
        ClDevice cl = new ClDevice(OpenClDevices.select(null, null));
        PolyBuffer x = gpu.allocate(basis, POLYS);
        PolyBuffer y = gpu.allocate(basis, POLYS);
        PolyBuffer z = gpu.allocate(basis, POLYS);
        PolyBuffer ax = viaAparapi.allocate(basis, POLYS);
        PolyBuffer ay = viaAparapi.allocate(basis, POLYS);
        PolyBuffer az = viaAparapi.allocate(basis, POLYS)) {
      System.out.println("device: " + gpu.device());
      System.out.println("aparapi: " + elementwise.device());
      gpu.upload(la, x.all());
      gpu.upload(lb, y.all());
      viaAparapi.upload(la, ax.all());
      viaAparapi.upload(lb, ay.all());
      DeviceTables.Basis tables = new DeviceTables.Basis(cl, basis);
      cl_mem ma = cl.allocate(bytes, "a");
      cl_mem mb = cl.allocate(bytes, "b");
      cl_mem mo = cl.allocate(bytes, "out");
      ClDevice.Span all = new ClDevice.Span(0, 1);
      int logn = Integer.numberOfTrailingZeros(N);
      try {
        // Add as well as multiply: add is pure memory traffic, so it shows the transfers' share.
        for (String op : List.of("multiply", "add")) {
          boolean mul = op.equals("multiply");
          for (int round = 0; round < 3; round++) {
            double resident = medianMs(reps, () -> {
              if (mul) {
                gpu.multiply(x.all(), y.all(), z.all());
              } else {
                gpu.add(x.all(), y.all(), z.all());
              }
              gpu.synchronize();
            });
            double withTransfers = medianMs(reps, () -> {
              cl.write(ma, 0, a);
              cl.write(mb, 0, b);
              if (mul) {
                cl.launch("poly_multiply", a.length, 256, ma, all, mb, all, mo, all, tables.moduli, tables.ratios, LIMBS, logn);
              } else {
                cl.launch("poly_add", a.length, 256, ma, all, mb, all, mo, all, tables.moduli, LIMBS, logn);
              }
              cl.read(mo, 0, outCl);
            });
            double backendApi = medianMs(reps, () -> {
              gpu.upload(la, x.all());
              gpu.upload(lb, y.all());
              if (mul) {
                gpu.multiply(x.all(), y.all(), z.all());
              } else {
                gpu.add(x.all(), y.all(), z.all());
              }
              gpu.download(z.all(), lout);
            });
            double aparapiHost = medianMs(reps, () -> {
              if (mul) {
                elementwise.multiply(basis, a, b, outAparapi);
              } else {
                elementwise.add(basis, a, b, outAparapi);
              }
            });
            double aparapiBackend = medianMs(reps, () -> {
              if (mul) {
                viaAparapi.multiply(ax.all(), ay.all(), az.all());
              } else {
                viaAparapi.add(ax.all(), ay.all(), az.all());
              }
            });
            System.out.printf("%s round %d, median of %d (ms): 1. hand-written resident %.2f | 2. hand-written + int transfers %.2f"
                + " | 3. hand-written via Backend upload/download %.2f | 4. Aparapi on int arrays %.2f | 5. backend's Aparapi path %.2f%n",
                op, round, reps, resident, withTransfers, backendApi, aparapiHost, aparapiBackend);
          }
          assertArrayEquals(outCl, outAparapi, op + ": hand-written and Aparapi results differ");
          long[] fromAparapiBackend = new long[la.length];
          viaAparapi.download(az.all(), fromAparapiBackend);
          assertArrayEquals(lout, fromAparapiBackend, op + ": the backend's two paths differ");
        }
        // Evidence that the Aparapi numbers are OpenCL ones: every device Aparapi started the kernel on.
        System.out.println("Aparapi ran AparapiModKernel on: " + KernelManager.instance().getProfile(AparapiModKernel.class).getDevices().stream()
            .map(com.aparapi.device.Device::getShortDescription).toList());
      } finally {
        cl.release(ma);
        cl.release(mb);
        cl.release(mo);
        tables.release(cl);
      }
    }
  }
}
