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
   * What the option says in usage lines. Without it the planner chooses ({@code
   * ParameterPlanner.chooseScheme}): BGV, measured several times faster on the committed network
   * (its squares are pointwise products in NTT form; BENCHMARKS.md, "BFV and BGV"), unless BGV
   * needs a larger ring than BFV for the model.
   */
  public static final String DESCRIPTION = "bfv or bgv (default: bgv, or bfv where bgv would need a larger ring)";

  @Override
  public Scheme convert(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "bfv" -> Scheme.BFV;
      case "bgv" -> Scheme.BGV;
      default -> throw new TypeConversionException("'" + value + "' is not a scheme; expected bfv or bgv");
    };
  }

}
