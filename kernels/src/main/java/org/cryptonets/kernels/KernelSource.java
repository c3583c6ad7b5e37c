package org.cryptonets.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The OpenCL C sources of the device backends, packaged as class-path resources under
 * {@code org/cryptonets/kernels/}: {@code common} (modular arithmetic every other file uses),
 * {@code ntt}, {@code modarith}, {@code baseconv} and {@code keyswitch}.
 *
 * <p>The families are kept in separate files for reading, but a backend builds them as one program
 * ({@link #program()}) so the shared helpers are compiled once and every kernel is available from a
 * single build.
 *
 * <p>Stateless; thread-safe.
 */
public final class KernelSource {
  /** Every family, in the order a program must contain them (common first). */
  public static final List<String> FAMILIES = List.of("common", "ntt", "modarith", "baseconv", "keyswitch");

  private KernelSource() {}

  /**
   * The source of one family, e.g. {@code "ntt"}.
   *
   * @throws IllegalArgumentException if no such family exists
   * @throws UncheckedIOException if the resource cannot be read (a broken jar)
   */
  public static String load(String family) {
    if (!FAMILIES.contains(family)) {
      throw new IllegalArgumentException("no OpenCL kernel family '" + family + "'; known: " + FAMILIES);
    }
    String resource = family + ".cl";
    try (InputStream in = KernelSource.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new UncheckedIOException(new IOException("resource org/cryptonets/kernels/" + resource + " is missing from the class path"));
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read org/cryptonets/kernels/" + resource, e);
    }
  }

  /**
   * All families concatenated into one compilable program, each preceded by a {@code #line}
   * directive so compiler messages name the family file and its own line numbers.
   *
   * @throws UncheckedIOException if a resource cannot be read
   */
  public static String program() {
    StringBuilder sb = new StringBuilder();
    for (String family : FAMILIES) {
      sb.append("#line 1 \"").append(family).append(".cl\"\n").append(load(family)).append('\n');
    }
    return sb.toString();
  }
}
