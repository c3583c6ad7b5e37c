package org.cryptonets.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

class CompilerDirectivesTest {
  @Test
  void hotSpotAcceptsTheDirective() {
    assertTrue(CompilerDirectives.install(), "the DiagnosticCommand MBean refused " + CompilerDirectives.directiveJson());
    assertTrue(CompilerDirectives.install(), "a second call must report the directive already in force");
  }

  /**
   * Every public kernel and every NTT stage is kept out of its callers; no other private helper
   * is, or kernels would box.
   */
  @Test
  void directiveNamesTheEntryPointsAndNoHelper() {
    String json = CompilerDirectives.directiveJson();
    int entryPoints = 0;
    for (Method m : VectorKernels.class.getDeclaredMethods()) {
      boolean listed = json.contains("\"-org/cryptonets/backend/cpu/VectorKernels." + m.getName() + "\"");
      if (CompilerDirectives.STAGES.contains(m.getName())) {
        assertTrue(listed, "NTT stage " + m.getName() + " missing from " + json);
      } else if (Modifier.isPrivate(m.getModifiers())) {
        assertFalse(listed, "private helper " + m.getName() + " must stay inlinable");
      } else if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())) {
        assertTrue(listed, "kernel " + m.getName() + " missing from " + json);
        entryPoints++;
      }
    }
    assertEquals(LimbKernels.class.getDeclaredMethods().length, entryPoints);
    for (String stage : CompilerDirectives.STAGES) {
      assertTrue(java.util.Arrays.stream(VectorKernels.class.getDeclaredMethods()).anyMatch(m -> m.getName().equals(stage)), "no method " + stage);
    }
  }
}
