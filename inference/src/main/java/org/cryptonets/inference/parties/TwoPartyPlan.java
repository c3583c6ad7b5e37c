package org.cryptonets.inference.parties;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Modulus;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.net.QuantizationSpec;

/**
 * What both parties must agree on besides the BFV parameters, stored as attributes in the
 * evaluation-keys file so the cloud derives everything from the files it is given:
 * <ul>
 *   <li>the planner's schedule (one {@link CryptoNetPlan}, the only plan class): the input level
 *       the owner switches its fresh ciphertexts down to before sending (the c0 halves only; the
 *       cloud switches the c1 it regenerates from the seed the same way), the level after each
 *       square and the output level;
 *   <li>the model: its file name, its SHA-256 and the quantization widths, so every party rebuilds
 *       the same integer network and another model is refused by name;
 *   <li>the result modulus 2^b: the cloud relinearizes the results at the output level, where the
 *       key-switching noise is still small next to Q, and switches them to 2^b for the download;
 *   <li>the value range the plaintext primes were sized for, so the owner can tell decrypted
 *       values that cannot come from the network (wrong key, damage) from real ones.
 * </ul>
 *
 * <p>Immutable; thread-safe. {@link #fromAttributes} throws {@link SerializationException}
 * INVALID_FIELD for missing or inconsistent attributes.
 */
public final class TwoPartyPlan {
  /**
   * Bits of the result modulus above the largest plaintext prime. Switching to 2^b adds a rounding
   * error of about sqrt(n / 18) (21 at n = 8192) that decryption tolerates up to 2^b / (2t); eleven
   * bits put that bound near 1024, about 48 standard deviations away.
   */
  public static final int RESULT_MARGIN_BITS = CryptoNetPlan.RESULT_MARGIN_BITS;

  static final String LEVELS = "plan.levels";
  static final String OUTPUT_LEVEL = "plan.output-level";
  static final String INPUT_LEVEL = "plan.input-level";
  static final String VALUE_BITS = "plan.value-bits";
  static final String RESULT_BITS = "plan.result-bits";
  static final String MODEL_NAME = "model.name";
  static final String MODEL_SHA256 = "model.sha256";
  static final String MODEL_WIDTHS = "model.widths";
  static final String SCHEME = "plan.scheme";

  private final CryptoNetPlan schedule;
  private final int valueBits;
  private final int resultBits;
  private final String modelName;
  private final String modelSha256;
  private final QuantizationSpec widths;

  private TwoPartyPlan(CryptoNetPlan schedule, int valueBits, int resultBits, String modelName, String modelSha256, QuantizationSpec widths) {
    this.schedule = schedule;
    this.valueBits = valueBits;
    this.resultBits = resultBits;
    this.modelName = modelName;
    this.modelSha256 = modelSha256;
    this.widths = widths;
  }

  /**
   * What the keys record for a schedule chosen by the planner (or given by a test).
   *
   * @param valueBits bits of the largest |logit| the plaintext primes were sized for
   * @param modelName the model's file name, for messages
   * @param modelSha256 the SHA-256 of the model file the keys are made for
   * @param widths the quantization widths every party rebuilds the integer network with
   */
  public static TwoPartyPlan of(BfvParameters params, CryptoNetPlan plan, int valueBits, String modelName, String modelSha256, QuantizationSpec widths) {
    int maxT = 0;
    for (Modulus t : params.plainModuli()) {
      maxT = Math.max(maxT, t.bits());
    }
    return new TwoPartyPlan(plan, valueBits, maxT + RESULT_MARGIN_BITS, modelName, modelSha256, widths);
  }

  /** The attributes that store this plan. */
  public Map<String, String> toAttributes() {
    Map<String, String> m = new LinkedHashMap<>();
    StringBuilder levels = new StringBuilder();
    for (int i = 0; i < schedule.depth(); i++) {
      levels.append(levels.length() == 0 ? "" : ",").append(schedule.levelAfterSquare(i));
    }
    m.put(LEVELS, levels.toString());
    m.put(OUTPUT_LEVEL, Integer.toString(schedule.outputLevel()));
    m.put(INPUT_LEVEL, Integer.toString(schedule.inputLevel()));
    m.put(VALUE_BITS, Integer.toString(valueBits));
    m.put(RESULT_BITS, Integer.toString(resultBits));
    m.put(MODEL_NAME, modelName);
    m.put(MODEL_SHA256, modelSha256);
    m.put(MODEL_WIDTHS, widths.compact());
    m.put(SCHEME, schedule.scheme().name().toLowerCase(java.util.Locale.ROOT));
    return m;
  }

  /**
   * Reads a plan back from attributes and checks it against the parameters.
   *
   * @throws SerializationException INVALID_FIELD naming the attribute that is missing or wrong
   */
  public static TwoPartyPlan fromAttributes(BfvParameters params, Map<String, String> attributes, String file) {
    int top = params.maxLevel();
    String levelText = require(attributes, LEVELS, file);
    int[] levels;
    try {
      levels = levelText.isEmpty() ? new int[0] : Arrays.stream(levelText.split(",", -1)).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    } catch (NumberFormatException e) {
      throw invalid(file, LEVELS + " = '" + levelText + "' is not a list of levels like 5,3");
    }
    int output = number(attributes, OUTPUT_LEVEL, file, 1, top);
    int input = number(attributes, INPUT_LEVEL, file, 1, top);
    int value = number(attributes, VALUE_BITS, file, 1, 1000);
    int maxT = 0;
    for (Modulus t : params.plainModuli()) {
      maxT = Math.max(maxT, t.bits());
    }
    int result = number(attributes, RESULT_BITS, file, maxT + 1, org.cryptonets.bfv.CompressedCiphertexts.MAX_BITS);
    int previous = input;
    for (int l : levels) {
      if (l < 1 || l > previous) {
        throw invalid(file, LEVELS + " = " + levelText + " with input level " + input + ": levels must not increase and must stay in [1, " + top + "]");
      }
      previous = l;
    }
    if (output > previous) {
      throw invalid(file, OUTPUT_LEVEL + " = " + output + " is above the level after the last square (" + previous + ")");
    }
    String name = require(attributes, MODEL_NAME, file);
    String sha = require(attributes, MODEL_SHA256, file);
    if (!sha.matches("[0-9a-f]{64}")) {
      throw invalid(file, MODEL_SHA256 + " = '" + sha + "' is not a SHA-256 in hexadecimal");
    }
    QuantizationSpec widths;
    try {
      widths = QuantizationSpec.parse(require(attributes, MODEL_WIDTHS, file));
    } catch (IllegalArgumentException e) {
      throw invalid(file, MODEL_WIDTHS + ": " + e.getMessage());
    }
    if (widths.weightBits().size() != levels.length + 1) {
      throw invalid(file, MODEL_WIDTHS + " = " + widths.compact() + " has " + widths.weightBits().size() + " layer widths; the plan has " + levels.length
          + " squares, so expected " + (levels.length + 1));
    }
    List<Integer> qBits = new ArrayList<>();
    for (Modulus q : params.coeffBasis().moduli()) {
      qBits.add(q.bits());
    }
    // keys written before BGV existed say nothing about the scheme: they are BFV keys
    String schemeText = attributes.getOrDefault(SCHEME, "bfv");
    org.cryptonets.bfv.Scheme scheme;
    switch (schemeText) {
      case "bfv" -> scheme = org.cryptonets.bfv.Scheme.BFV;
      case "bgv" -> scheme = org.cryptonets.bfv.Scheme.BGV;
      default -> throw invalid(file, SCHEME + " = '" + schemeText + "'; expected bfv or bgv");
    }
    CryptoNetPlan schedule = CryptoNetPlan.of(params.n(), qBits, params.plainModulus(0).bits(), params.plainModuli().size(), levels, output, input)
        .withScheme(scheme);
    return new TwoPartyPlan(schedule, value, result, name, sha, widths);
  }

  private static String require(Map<String, String> attributes, String key, String file) {
    String v = attributes.get(key);
    if (v == null) {
      throw invalid(file, "attribute " + key + " is missing; keys from an older or foreign keygen?");
    }
    return v;
  }

  private static int number(Map<String, String> attributes, String key, String file, int min, int max) {
    String v = require(attributes, key, file);
    try {
      int x = Integer.parseInt(v.trim());
      if (x < min || x > max) {
        throw invalid(file, key + " = " + x + " is outside [" + min + ", " + max + "]");
      }
      return x;
    } catch (NumberFormatException e) {
      throw invalid(file, key + " = '" + v + "' is not a whole number");
    }
  }

  private static SerializationException invalid(String file, String message) {
    return new SerializationException(SerializationException.Code.INVALID_FIELD, file + ": " + message);
  }

  /** The schedule as the evaluator takes it (the one plan class; these keys' parameters). */
  public CryptoNetPlan toCryptoNetPlan(BfvParameters params) {
    return schedule;
  }

  /** The scheme the keys, the images and the results are made under. */
  public org.cryptonets.bfv.Scheme scheme() {
    return schedule.scheme();
  }

  /** Level of the ciphertexts the owner sends. */
  public int inputLevel() {
    return schedule.inputLevel();
  }

  /** Level at which results are relinearized and compressed. */
  public int outputLevel() {
    return schedule.outputLevel();
  }

  /** The model's file name when the keys were made. */
  public String modelName() {
    return modelName;
  }

  /** SHA-256 of the model file the keys were made for. */
  public String modelSha256() {
    return modelSha256;
  }

  /** Quantization widths of the integer network. */
  public QuantizationSpec widths() {
    return widths;
  }

  /**
   * Checks that {@code sha256} is the model these keys were made for.
   *
   * @throws IllegalArgumentException naming both models otherwise
   */
  public void checkModel(String name, String sha256, String keysFile) {
    if (!modelSha256.equals(sha256)) {
      throw new IllegalArgumentException(keysFile + " was made for the model " + modelName + " (SHA-256 " + modelSha256 + "), not for " + name
          + " (SHA-256 " + sha256 + "); pass --model with the model the keys were made for, or run keygen with this one");
    }
  }

  /** Bits of the largest |logit| the plaintext range was sized for. */
  public int valueBits() {
    return valueBits;
  }

  /** Exponent of the result modulus 2^b. */
  public int resultBits() {
    return resultBits;
  }

  @Override
  public String toString() {
    return "TwoPartyPlan(levels after squares " + Arrays.toString(java.util.stream.IntStream.range(0, schedule.depth()).map(schedule::levelAfterSquare).toArray())
        + ", input level " + schedule.inputLevel() + ", results at level " + schedule.outputLevel()
        + " relinearized and switched to 2^" + resultBits + ", logits up to " + valueBits + " bits, model " + modelName + ", widths " + widths.compact() + ")";
  }
}
