package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.cryptonets.backend.cpu.CpuBackend;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Misuse and device-selection errors, each with its {@link EngineException.Code}. */
class OpenClErrorTest {
  private static OpenClBackend gpu;
  private static RnsBasis q;
  private static RnsBasis other;

  @BeforeAll
  static void open() {
    DeviceRequirement.require();
    gpu = OpenClBackend.open(null, null, 1 << 16);
    List<Long> primes = PrimeGenerator.nttPrimes(31, 1024, 3, List.of());
    q = RnsBasis.of(1024, primes.get(0), primes.get(1));
    other = RnsBasis.of(1024, primes.get(0), primes.get(2));
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
    }
  }

  private static EngineException expectCode(EngineException.Code code, Executable call) {
    EngineException e = assertThrows(EngineException.class, call);
    assertEquals(code, e.code(), e.getMessage());
    return e;
  }

  @Test
  void shapeMismatches() {
    try (PolyBuffer a = gpu.allocate(q, 4); PolyBuffer b = gpu.allocate(other, 4); PolyBuffer c = gpu.allocate(q, 6)) {
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.add(a.all(), b.all(), a.all()));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.multiply(a.range(0, 2), a.range(0, 3), a.range(0, 2)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.multiplyBroadcast(a.all(), c.range(0, 2), a.all()));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.tensor(a.all(), a.all(), a.range(0, 4)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.tensorSquare(a.range(0, 3), c.range(0, 4)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.tensorSquare(c.range(0, 4), c.range(0, 6)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.dropLastModulus(a.all(), c.range(0, 4)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.addConstants(a.all(), new long[3], false));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.upload(new long[5], a.all()));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.download(a.all(), new long[5]));
      expectCode(
          EngineException.Code.SHAPE_MISMATCH,
          () -> gpu.multiplyAccumulate(IntMatrix.fromDense(1, 3, new int[] {1, 2, 3}), a.range(0, 2), 1, c.range(0, 1)));
      expectCode(
          EngineException.Code.SHAPE_MISMATCH,
          () -> gpu.multiplyAccumulate(IntMatrix.fromDense(1, 2, new int[] {1, 2}), c.range(0, 2), 1, c.range(2, 1)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.keySwitch(a.range(0, 1), b.all(), c.range(0, 2)));
    }
  }

  @Test
  void partialOverlapIsRejected() {
    try (PolyBuffer a = gpu.allocate(q, 4)) {
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.add(a.range(0, 2), a.range(0, 2), a.range(1, 2)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.copy(a.range(0, 3), a.range(1, 3)));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.keySwitch(a.range(0, 1), a.range(0, 4), a.range(0, 2)));
    }
  }

  @Test
  void foreignBuffersAreRejected() {
    try (CpuBackend cpu = CpuBackend.create(1, false);
        PolyBuffer mine = gpu.allocate(q, 2);
        PolyBuffer theirs = cpu.allocate(q, 2);
        OpenClBackend second = OpenClBackend.open(null, null, 1 << 16)) {
      expectCode(EngineException.Code.BUFFER_INVALID, () -> gpu.add(mine.all(), theirs.all(), mine.all()));
      expectCode(EngineException.Code.BUFFER_INVALID, () -> gpu.forwardNtt(theirs.all()));
      expectCode(EngineException.Code.BUFFER_INVALID, () -> cpu.forwardNtt(mine.all()));
      PolyBuffer secondBuffer = second.allocate(q, 2);
      expectCode(EngineException.Code.BUFFER_INVALID, () -> gpu.negate(secondBuffer.all(), mine.all()));
      secondBuffer.close();
    }
  }

  @Test
  void closedBuffersAreRejected() {
    PolyBuffer a = gpu.allocate(q, 2);
    PolyBuffer b = gpu.allocate(q, 2);
    PolyRange all = a.all();
    a.close();
    a.close();
    expectCode(EngineException.Code.BUFFER_INVALID, () -> gpu.add(all, b.all(), b.all()));
    expectCode(EngineException.Code.BUFFER_INVALID, () -> gpu.download(all, new long[(int) all.hostLength()]));
    expectCode(EngineException.Code.BUFFER_INVALID, () -> gpu.inverseNtt(all));
    b.close();
  }

  @Test
  void closingTheBackendInvalidatesItsBuffers() {
    OpenClBackend second = OpenClBackend.open(null, null, 1 << 16);
    PolyBuffer a = second.allocate(q, 1);
    second.close();
    second.close();
    expectCode(EngineException.Code.BUFFER_INVALID, () -> second.negate(a.all(), a.all()));
    expectCode(EngineException.Code.BUFFER_INVALID, () -> second.allocate(q, 1));
    a.close();
  }

  @Test
  void uploadsOutsideTheModulusAreRejected() {
    try (PolyBuffer a = gpu.allocate(q, 1)) {
      long[] host = new long[(int) a.all().hostLength()];
      host[1500] = q.modulus(1).value();
      expectCode(EngineException.Code.VALUE_OUT_OF_RANGE, () -> gpu.upload(host, a.all()));
      host[1500] = -1;
      expectCode(EngineException.Code.VALUE_OUT_OF_RANGE, () -> gpu.upload(host, a.all()));
      expectCode(
          EngineException.Code.VALUE_OUT_OF_RANGE, () -> gpu.addConstants(a.all(), new long[] {0, q.modulus(1).value()}, true));
    }
  }

  @Test
  void integersAndGeneratedValuesOutsideTheirRangeAreRejected() {
    try (PolyBuffer a = gpu.allocate(q, 2)) {
      long[] values = new long[2 * q.n()];
      values[q.n() + 7] = 1L << 62;
      EngineException e = expectCode(EngineException.Code.VALUE_OUT_OF_RANGE, () -> gpu.uploadIntegers(values, a.all(), true));
      assertTrue(e.getMessage().contains("polynomial 1, coefficient 7"), e.getMessage());
      values[q.n() + 7] = -(1L << 62);
      expectCode(EngineException.Code.VALUE_OUT_OF_RANGE, () -> gpu.uploadIntegers(values, a.all(), false));
      expectCode(EngineException.Code.SHAPE_MISMATCH, () -> gpu.uploadIntegers(new long[q.n()], a.all(), false));
      long q1 = q.modulus(1).value();
      e = expectCode(EngineException.Code.VALUE_OUT_OF_RANGE, () -> gpu.generate(a.all(), (p, target, offset) -> target[offset + q.n() + 5] = q1));
      assertTrue(e.getMessage().contains("limb 1, coefficient 5"), e.getMessage());
    }
  }

  @Test
  void oversizedAllocationIsADeviceFailure() {
    expectCode(EngineException.Code.DEVICE_FAILURE, () -> gpu.allocate(q, Integer.MAX_VALUE / 2));
  }

  @Test
  void buildFailuresCarryTheBuildLog() {
    OpenClDevices.Choice choice = OpenClDevices.select(null, null);
    EngineException e = assertThrows(
        EngineException.class, () -> new ClDevice(choice, "__kernel void broken(__global uint* a) { a[0] = undeclared_name; }").close());
    assertEquals(EngineException.Code.DEVICE_FAILURE, e.code());
    assertTrue(e.getMessage().contains("build log"), e.getMessage());
    assertTrue(e.getMessage().contains("undeclared_name"), e.getMessage());
  }

  @Test
  void unknownPlatformOrDeviceNamesWhatExists() {
    List<String> listing = OpenClDevices.describe();
    assertTrue(listing.get(0).startsWith("platform 0: "), listing.toString());
    EngineException e = assertThrows(EngineException.class, () -> OpenClDevices.select("no-such-platform", null));
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("no-such-platform") && e.getMessage().contains("available"), e.getMessage());
    e = assertThrows(EngineException.class, () -> OpenClDevices.select("0", "99"));
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("'99'") && e.getMessage().contains("device"), e.getMessage());
    e = assertThrows(EngineException.class, () -> OpenClDevices.select(null, "no-such-device"));
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, e.code());
  }

  @Test
  void devicesAreSelectedByIndexOrName() {
    OpenClDevices.Choice first = OpenClDevices.select("0", "0");
    String platformWord = first.platformName().split(" ")[0].toUpperCase(java.util.Locale.ROOT);
    String deviceWord = first.deviceName().split("[ -]")[0].toLowerCase(java.util.Locale.ROOT);
    OpenClDevices.Choice byName = OpenClDevices.select(platformWord, deviceWord);
    assertEquals(first.deviceName(), byName.deviceName());
    assertEquals(first.deviceName(), OpenClDevices.select(null, deviceWord).deviceName());
  }

  @Test
  void selectionPropertiesAreHonoured() {
    String saved = System.getProperty(OpenClDevices.PLATFORM_PROPERTY);
    try {
      System.setProperty(OpenClDevices.PLATFORM_PROPERTY, "no-such-platform");
      String why = OpenClDevices.unavailableReason();
      assertTrue(why != null && why.contains("no-such-platform"), String.valueOf(why));
      expectCode(EngineException.Code.BACKEND_UNAVAILABLE, () -> Backends.open("opencl"));
      System.setProperty(OpenClDevices.PLATFORM_PROPERTY, "0");
      assertNull(OpenClDevices.unavailableReason());
    } finally {
      if (saved == null) {
        System.clearProperty(OpenClDevices.PLATFORM_PROPERTY);
      } else {
        System.setProperty(OpenClDevices.PLATFORM_PROPERTY, saved);
      }
    }
  }

  @Test
  void providerIsRegisteredAndOpens() {
    BackendProvider provider = Backends.providers().stream().filter(p -> p.name().equals("opencl")).findFirst().orElseThrow();
    assertNull(provider.unavailableReason());
    try (Backend b = Backends.open("opencl")) {
      assertEquals("opencl", b.name());
      assertTrue(b.device().startsWith("OpenCL "), b.device());
      assertFalse(b.device().isBlank());
    }
  }
}
