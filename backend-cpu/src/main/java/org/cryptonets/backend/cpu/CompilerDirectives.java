package org.cryptonets.backend.cpu;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.management.ObjectName;

/**
 * Asks HotSpot's C2, once per JVM, never to inline the {@link VectorKernels} entry points (the
 * {@link LimbKernels} methods) into their callers, so that each kernel is its own compilation unit.
 *
 * <p>Why: Vector API code is fast only where C2 intrinsifies every operation, which needs the
 * whole chain of vector calls inlined. When a kernel was inlined into a large caller (a task
 * lambda that calls four kernels), C2 ran out of inlining budget part-way and left single vector
 * operations as real calls: each then boxes its vectors, and a CryptoNet run allocated 9 to 25 GB of
 * vector objects, most of it in the ciphertext squaring. A kernel compiled on its own is small
 * enough to be intrinsified completely; the call costs nanoseconds against hundreds of elements. (The
 * opposite directive, forcing the small helpers inline, made it worse, measured.) The directive is
 * added at run time through the JDK's DiagnosticCommand MBean, as {@code jcmd
 * Compiler.directives_add} does, so library users get it without JVM flags.
 *
 * <p>Best effort: without the MBean (a trimmed runtime) nothing changes but speed. Thread-safe.
 */
final class CompilerDirectives {
  private static final String CLASS = "org/cryptonets/backend/cpu/VectorKernels.";
  private static Boolean installed;

  private CompilerDirectives() {}

  /** Installs the directive on the first call; true when HotSpot accepted it. */
  static synchronized boolean install() {
    if (installed == null) {
      installed = tryInstall();
    }
    return installed;
  }

  /**
   * Vector methods kept out of their callers besides the entry points: the NTT's stages and the
   * halves of base conversion and scale-and-round. With the 32-bit multiply masks (see
   * VectorKernels.mul32) a whole transform, and a whole base conversion, no longer fitted one
   * compilation unit and ran 2-5x slower (boxed vectors); each stage on its own is intrinsified.
   */
  static final List<String> STAGES = List.of("forwardStageWide", "inverseStageWide", "forwardStageInVector", "inverseStageInVector",
      "forwardStageWideMin", "inverseStageWideMin", "forwardStageInVectorMin", "inverseStageInVectorMin",
      "forwardStagePairedMin", "inverseStagePairedMin", "forwardStageSwapped", "inverseStageSwapped",
      "convertBaseFractions", "convertBaseRow", "scaleAndRoundQuotients", "scaleAndRoundRow");

  /**
   * The kernel entry points kept out of their callers: every method of {@link LimbKernels}, and
   * the NTT's stages ({@link #STAGES}).
   */
  static Set<String> entryPoints() {
    Set<String> names = new TreeSet<>(STAGES);
    for (Method m : LimbKernels.class.getDeclaredMethods()) {
      names.add(m.getName());
    }
    return names;
  }

  static String directiveJson() {
    StringBuilder list = new StringBuilder();
    for (String m : entryPoints()) {
      list.append(list.length() == 0 ? "" : ", ").append("\"-").append(CLASS).append(m).append('"');
    }
    return "[{ match: \"*.*\", c2: { inline: [" + list + "] } }]";
  }

  private static boolean tryInstall() {
    Path file = null;
    try {
      file = Files.createTempFile("cryptonets-directives", ".json");
      Files.write(file, directiveJson().getBytes(StandardCharsets.US_ASCII));
      Object result = ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"),
          "compilerDirectivesAdd",
          new Object[] {new String[] {file.toString()}},
          new String[] {String[].class.getName()});
      return String.valueOf(result).contains("added");
    } catch (Exception | LinkageError e) {
      return false;
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (java.io.IOException ignored) {
          // A leftover temporary file holds no secret.
        }
      }
    }
  }
}
