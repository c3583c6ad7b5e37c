package org.cryptonets.inference;

import java.util.ArrayList;
import java.util.List;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecurityLevel;

/**
 * How a CryptoNet runs under encryption: the BFV parameters (ring degree, ciphertext primes, the
 * plaintext primes whose CRT product must hold every intermediate value) and the level schedule
 * (after which squares to drop primes, and the level results are sent back at).
 *
 * <p>Immutable; thread-safe.
 *
 * @throws IllegalArgumentException from {@link #of} for inconsistent settings
 */
public final class CryptoNetPlan {
  private final int n;
  private final List<Integer> coeffPrimeBits;
  private final int plainPrimeBits;
  private final int plainPrimeCount;
  private final int[] levelAfterSquare;
  private final int outputLevel;
  private final int inputLevel;
  private final Scheme scheme;

  private CryptoNetPlan(int n, List<Integer> coeffPrimeBits, int plainPrimeBits, int plainPrimeCount, int[] levelAfterSquare, int outputLevel, int inputLevel,
      Scheme scheme) {
    this.scheme = scheme;
    this.n = n;
    this.coeffPrimeBits = List.copyOf(coeffPrimeBits);
    this.plainPrimeBits = plainPrimeBits;
    this.plainPrimeCount = plainPrimeCount;
    this.levelAfterSquare = levelAfterSquare.clone();
    this.outputLevel = outputLevel;
    this.inputLevel = inputLevel;
  }

  /**
   * A plan with the default input level: one prime below the top (fresh noise is tiny, so the
   * switch costs no budget and makes every later step cheaper), unless the first square must stay
   * at the top.
   */
  public static CryptoNetPlan of(int n, List<Integer> coeffPrimeBits, int plainPrimeBits, int plainPrimeCount, int[] levelAfterSquare, int outputLevel) {
    int top = coeffPrimeBits.size();
    int first = levelAfterSquare.length == 0 ? top : levelAfterSquare[0];
    int input = Math.min(top, Math.max(top - 1, first));
    return of(n, coeffPrimeBits, plainPrimeBits, plainPrimeCount, levelAfterSquare, outputLevel, input);
  }

  /**
   * A plan with an explicit input level (the level the owner's ciphertexts are sent and evaluated
   * at).
   *
   * @throws IllegalArgumentException if the levels increase along the network or leave [1, top]
   */
  public static CryptoNetPlan of(int n, List<Integer> coeffPrimeBits, int plainPrimeBits, int plainPrimeCount, int[] levelAfterSquare, int outputLevel,
      int inputLevel) {
    int top = coeffPrimeBits.size();
    if (inputLevel < 1 || inputLevel > top) {
      throw new IllegalArgumentException("input level " + inputLevel + " must be in [1, " + top + "]");
    }
    int previous = inputLevel;
    for (int l : levelAfterSquare) {
      if (l < 1 || l > previous) {
        throw new IllegalArgumentException("level schedule " + java.util.Arrays.toString(levelAfterSquare) + " must not increase and must stay in [1, " + top + "]");
      }
      previous = l;
    }
    if (outputLevel < 1 || outputLevel > previous) {
      throw new IllegalArgumentException("output level " + outputLevel + " must be in [1, " + previous + "]");
    }
    return new CryptoNetPlan(n, coeffPrimeBits, plainPrimeBits, plainPrimeCount, levelAfterSquare, outputLevel, inputLevel, Scheme.BFV);
  }

  /**
   * The same schedule for {@code scheme}. The levels mean the same for both: the level inputs are
   * encrypted at, the level ciphertexts are at once each square's primes are dropped (BFV drops them
   * in the square's product, BGV after the next linear layer and relinearization), the level
   * results leave at.
   */
  public CryptoNetPlan withScheme(Scheme scheme) {
    return new CryptoNetPlan(n, coeffPrimeBits, plainPrimeBits, plainPrimeCount, levelAfterSquare, outputLevel, inputLevel, scheme);
  }

  /** The scheme the network runs under. */
  public Scheme scheme() {
    return scheme;
  }

  /**
   * The default plan for a network whose largest intermediate value needs {@code valueBits} bits
   * (magnitude): n = 8192, seven 31-bit ciphertext primes (217 bits, within the 218-bit bound for
   * 128-bit security), and enough plaintext primes of {@code plainPrimeBits} bits that their
   * product exceeds 2^(valueBits + 2) (sign plus one bit of margin).
   */
  public static CryptoNetPlan forValueBits(int valueBits, int plainPrimeBits) {
    int count = (valueBits + 2 + plainPrimeBits - 2) / (plainPrimeBits - 1);
    List<Integer> q = new ArrayList<>(List.of(31, 31, 31, 31, 31, 31, 31));
    int[] levels = parseLevels(System.getProperty(LEVELS_PROPERTY, DEFAULT_LEVELS));
    return of(8192, q, plainPrimeBits, count, java.util.Arrays.copyOf(levels, levels.length - 1), levels[levels.length - 1]);
  }

  /** System property overriding the level schedule: levels after each square, then the output level. */
  public static final String LEVELS_PROPERTY = "cryptonets.levels";
  /**
   * Level 5 after the first square keeps the relinearization noise (about 2^43) far below Delta at
   * the second square; 3 after the second keeps the results relinearizable before they are switched
   * to 2^(bits(t) + 11) for the trip back (measured budgets are in BENCHMARKS.md).
   */
  public static final String DEFAULT_LEVELS = "5,3,3";

  /**
   * Bits above t of the power-of-two modulus the results are switched to for the trip back: enough
   * that the rounding of that switch (about sqrt(n)) stays far below 2^bits / (2t).
   */
  public static final int RESULT_MARGIN_BITS = 11;

  static int[] parseLevels(String text) {
    String[] parts = text.split(",");
    if (parts.length < 2) {
      throw new IllegalArgumentException(LEVELS_PROPERTY + "='" + text + "': expected levels after each square and the output level, e.g. 5,3,2");
    }
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(LEVELS_PROPERTY + "='" + text + "': '" + parts[i] + "' is not a level number");
      }
    }
    return out;
  }

  public BfvParameters parameters() {
    return parameters(SecurityLevel.TC128);
  }

  /** The parameters at a chosen security level; anything but TC128 is for tests only. */
  public BfvParameters parameters(SecurityLevel security) {
    BfvParameterSpec spec = BfvParameterSpec.of(n, coeffPrimeBits, plainPrimeBits, plainPrimeCount);
    spec.security = security;
    return BfvParameters.create(spec);
  }

  public int n() {
    return n;
  }

  public int plainPrimeCount() {
    return plainPrimeCount;
  }

  public int plainPrimeBits() {
    return plainPrimeBits;
  }

  /** Level to switch to after square number i (0-based); equal to the current level means no switch. */
  public int levelAfterSquare(int i) {
    return i < levelAfterSquare.length ? levelAfterSquare[i] : -1;
  }

  public int outputLevel() {
    return outputLevel;
  }

  /** The level inputs are sent and evaluated at. */
  public int inputLevel() {
    return inputLevel;
  }

  /** Bits of each ciphertext prime, first to last. */
  public List<Integer> coeffPrimeBits() {
    return coeffPrimeBits;
  }

  /** Number of squares the schedule covers. */
  public int depth() {
    return levelAfterSquare.length;
  }

  /** Exponent of the power-of-two modulus the results travel under, for plaintext primes of {@code plainBits}. */
  public static int resultBits(int plainBits) {
    return plainBits + RESULT_MARGIN_BITS;
  }

  @Override
  public String toString() {
    return "CryptoNetPlan(" + scheme + ", n=" + n + ", q bits=" + coeffPrimeBits + ", " + plainPrimeCount + " plaintext primes of " + plainPrimeBits
        + " bits, input level " + inputLevel + ", levels after squares " + java.util.Arrays.toString(levelAfterSquare) + ", output level " + outputLevel + ")";
  }
}
