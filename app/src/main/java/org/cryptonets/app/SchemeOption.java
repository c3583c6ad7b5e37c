package org.cryptonets.app;

import java.util.Locale;
import org.cryptonets.bfv.Scheme;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code --scheme bfv|bgv} option of the commands that run a network: which homomorphic scheme
 * encrypts the images. Both give the same logits, bit for bit; they differ in speed and in how the
 * ciphertexts are held (BGV keeps them in NTT form, so a square is three pointwise products per
 * prime). Parsed case-insensitively by picocli through this converter.
 *
 * <p>Stateless; thread-safe. {@link #convert} throws picocli's {@link TypeConversionException}
 * naming the accepted values, which the command line reports as a usage error (exit 2).
 */
public final class SchemeOption implements ITypeConverter<Scheme> {
  /**
   * The scheme used without the option: BGV, measured faster on the committed network (its squares
   * are pointwise products in NTT form; see BENCHMARKS.md, "BFV and BGV").
   */
  public static final Scheme DEFAULT = Scheme.BGV;
  /** Its name in usage lines. */
  public static final String DEFAULT_NAME = "bgv";

  @Override
  public Scheme convert(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "bfv" -> Scheme.BFV;
      case "bgv" -> Scheme.BGV;
      default -> throw new TypeConversionException("'" + value + "' is not a scheme; expected bfv or bgv");
    };
  }

  /** {@code scheme}, or the default when the option was not given. */
  public static Scheme orDefault(Scheme scheme) {
    return scheme == null ? DEFAULT : scheme;
  }
}
