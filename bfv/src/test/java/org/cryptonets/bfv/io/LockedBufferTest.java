package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.cryptonets.bfv.BfvException;
import org.cryptonets.bfv.LockedBuffer;
import org.junit.jupiter.api.Test;

/**
 * Secret memory is native (a direct buffer), zeroed when closed, unusable afterwards, and locked
 * where the platform allows; a failed lock is a warning, never an error.
 */
class LockedBufferTest {
  @Test
  void holdsBytesOffHeapAndWipesOnClose() {
    LockedBuffer b = LockedBuffer.allocate(10_000);
    assertTrue(b.view().isDirect(), "secret bytes must not live in a heap array");
    for (int i = 0; i < b.size(); i++) {
      assertEquals(0, b.get(i), "fresh memory is zeroed");
      b.put(i, (byte) (i | 1));
    }
    ByteBuffer view = b.view();
    assertEquals(1, view.get(0));
    System.out.println("locked against swapping: " + b.isLocked());
    b.close();
    assertFalse(b.isLocked());
    for (int i = 0; i < 10_000; i++) {
      assertEquals(0, view.get(i), "a view kept past close reads zeros, not the secret");
    }
    assertThrows(BfvException.class, () -> b.get(0));
    assertThrows(BfvException.class, b::view);
    b.close();
  }

  @Test
  void locksWhenTheMemoryLimitAllows() throws Exception {
    // Locking may be refused (a small RLIMIT_MEMLOCK, another OS), which must only be a warning; so
    // assert it only where /proc says the limit has room for the buffer.
    java.nio.file.Path limits = java.nio.file.Path.of("/proc/self/limits");
    long soft = -1;
    if (java.nio.file.Files.isReadable(limits)) {
      for (String line : java.nio.file.Files.readAllLines(limits)) {
        if (line.startsWith("Max locked memory")) {
          String value = line.substring("Max locked memory".length()).trim().split("\\s+")[0];
          soft = value.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(value);
        }
      }
    }
    try (LockedBuffer b = LockedBuffer.allocate(8192)) {
      org.junit.jupiter.api.Assumptions.assumeTrue(soft >= 65536, "RLIMIT_MEMLOCK " + soft + " leaves no room to lock");
      assertTrue(b.isLocked(), "mlock of 8 KiB should succeed with RLIMIT_MEMLOCK = " + soft);
    }
  }

  @Test
  void refusesBadIndices() {
    try (LockedBuffer b = LockedBuffer.allocate(4)) {
      assertThrows(BfvException.class, () -> b.get(4));
      assertThrows(BfvException.class, () -> b.put(-1, (byte) 0));
    }
    assertThrows(BfvException.class, () -> LockedBuffer.allocate(-1));
  }
}
