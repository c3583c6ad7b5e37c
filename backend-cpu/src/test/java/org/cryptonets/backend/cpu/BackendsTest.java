package org.cryptonets.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.EngineException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves backend discovery with the CPU provider on the class path: {@link Backends} finds
 * {@code cpu} through the ServiceLoader, opens it by name and by the {@code cryptonets.backend}
 * property, and fails with BACKEND_UNAVAILABLE listing {@code cpu} for unknown names; and that
 * {@code cryptonets.threads} / {@code cryptonets.cpu.vector} configure the backend, with
 * INVALID_ARGUMENT for thread counts that are not positive whole numbers.
 */
class BackendsTest {
  private static final List<String> PROPERTIES = List.of(Backends.PROPERTY, CpuBackend.THREADS_PROPERTY, CpuBackend.VECTOR_PROPERTY);

  @AfterEach
  void clearProperties() {
    PROPERTIES.forEach(System::clearProperty);
  }

  @Test
  void cpuProviderIsDiscovered() {
    List<BackendProvider> all = Backends.providers();
    BackendProvider cpu = all.stream().filter(p -> p.name().equals("cpu")).findFirst().orElseThrow();
    assertInstanceOf(CpuBackendProvider.class, cpu);
    assertNull(cpu.unavailableReason());
  }

  @ParameterizedTest
  @ValueSource(strings = {"nope", "", "CPU", "opencl-typo"})
  void unknownNamesAreBackendUnavailableAndListCpu(String name) {
    EngineException e = assertThrows(EngineException.class, () -> Backends.open(name));
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("available: ") && e.getMessage().contains("cpu"), e.getMessage());
  }

  /**
   * Opening a backend that can run probes no other provider (probing OpenCL loads its driver, whose
   * signal handlers can kill a JVM started without libjsig); a backend that cannot run, or an
   * unknown name, probes them all to list why.
   */
  @Test
  void openingARunnableBackendProbesNoOtherProvider() {
    int before = ProbeCountingProvider.PROBES.get();
    try (Backend be = Backends.open("cpu")) {
      assertEquals("cpu", be.name());
    }
    assertEquals(before, ProbeCountingProvider.PROBES.get(), "opening cpu asked the other provider why it cannot run");
    EngineException e = assertThrows(EngineException.class, () -> Backends.open(ProbeCountingProvider.NAME));
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("cannot run here: " + ProbeCountingProvider.REASON) && e.getMessage().contains("cpu"), e.getMessage());
    e = assertThrows(EngineException.class, () -> Backends.open("nope"));
    assertTrue(e.getMessage().contains(ProbeCountingProvider.NAME + " (unavailable: " + ProbeCountingProvider.REASON + ")"), e.getMessage());
    assertTrue(ProbeCountingProvider.PROBES.get() > before);
  }

  @Test
  void openByNameAndByProperty() {
    try (Backend be = Backends.open("cpu")) {
      assertInstanceOf(CpuBackend.class, be);
      assertEquals("cpu", be.name());
    }
    try (Backend be = Backends.open()) { // property unset: the default
      assertEquals(Backends.DEFAULT, be.name());
    }
    System.setProperty(Backends.PROPERTY, "nope");
    assertEquals(EngineException.Code.BACKEND_UNAVAILABLE, assertThrows(EngineException.class, Backends::open).code());
    System.setProperty(Backends.PROPERTY, "cpu");
    try (Backend be = Backends.open()) {
      assertEquals("cpu", be.name());
    }
  }

  @Test
  void systemPropertiesConfigureThreadsAndVectorPath() {
    System.setProperty(CpuBackend.THREADS_PROPERTY, " 3 ");
    System.setProperty(CpuBackend.VECTOR_PROPERTY, "false");
    try (CpuBackend be = (CpuBackend) new CpuBackendProvider().create()) {
      assertEquals(3, be.threads());
      assertFalse(be.vectorized());
      assertTrue(be.device().contains("3 thread(s)") && be.device().contains("scalar"), be.device());
    }
    System.setProperty(CpuBackend.THREADS_PROPERTY, "1");
    System.setProperty(CpuBackend.VECTOR_PROPERTY, "true");
    try (CpuBackend be = (CpuBackend) Backends.open("cpu")) {
      assertEquals(1, be.threads());
      assertTrue(be.vectorized());
    }
    System.clearProperty(CpuBackend.THREADS_PROPERTY);
    System.clearProperty(CpuBackend.VECTOR_PROPERTY);
    try (CpuBackend be = CpuBackend.fromSystemProperties()) {
      assertEquals(Runtime.getRuntime().availableProcessors(), be.threads());
      assertEquals(CpuBackend.vectorModulePresent(), be.vectorized());
    }
    assertTrue(CpuBackend.vectorModulePresent(), "surefire runs with --add-modules jdk.incubator.vector");
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "", "2.5", "0", "-4"})
  void badThreadCountsAreInvalidArgument(String threads) {
    System.setProperty(CpuBackend.THREADS_PROPERTY, threads);
    EngineException e = assertThrows(EngineException.class, () -> Backends.open("cpu"));
    assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
  }

  @Test
  void providersAreListedOnceEachInNameOrder() {
    List<String> names = Backends.providers().stream().map(BackendProvider::name).collect(Collectors.toList());
    assertTrue(names.contains("cpu"), names.toString());
    assertEquals(names.stream().sorted().distinct().collect(Collectors.toList()), names);
  }
}
