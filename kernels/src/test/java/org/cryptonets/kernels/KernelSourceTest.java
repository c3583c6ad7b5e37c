package org.cryptonets.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelSourceTest {
  @Test
  void everyFamilyLoadsAndDefinesKernels() {
    for (String family : KernelSource.FAMILIES) {
      String src = KernelSource.load(family);
      assertTrue(src.length() > 100, family);
      if (!family.equals("common")) {
        assertTrue(src.contains("__kernel"), family + " has no kernel");
      }
    }
  }

  @Test
  void programStartsWithCommonHelpers() {
    String p = KernelSource.program();
    assertTrue(p.indexOf("uint add_mod(") < p.indexOf("__kernel"));
    // Every kernel addresses its strided polynomial ranges through these helpers.
    assertTrue(p.indexOf("ulong limb_at(") < p.indexOf("__kernel"));
    assertTrue(p.indexOf("ulong row_at(") < p.indexOf("__kernel"));
    assertTrue(p.contains("#line 1 \"keyswitch.cl\""));
  }

  @Test
  void unknownFamilyIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> KernelSource.load("fft"));
  }
}
