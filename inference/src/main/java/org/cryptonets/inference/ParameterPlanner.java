package org.cryptonets.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.cryptonets.bfv.BfvException;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.net.IntegerNetwork;

/**
 * Chooses BFV parameters for a model, as OpenFHE does from a stated depth: from the network's
 * multiplicative depth, its logit range and its weights, pick the ring degree n, the ciphertext
 * primes, the number of plaintext primes and the level schedule (the level inputs are sent at,
 * the level after each square, the level results leave at), all within the 128-bit bound of the
 * HomomorphicEncryption.org table.
 *
 * <p>The noise model, in bits of SEAL's invariant noise budget, was measured on this library
 * (n = 8192 and 16384, 31-bit ciphertext primes, t of 20 and 29 bits; budget = what
 * {@code Decryptor.invariantNoiseBudget} reports) and rounded to the safe side:
 * <ul>
 *   <li>fresh ciphertexts switched to level L: {@code bits(Q_L) - bits(t) - 9} (measured 8);</li>
 *   <li>a linear layer: minus {@code log2} of its largest row L1 norm (measured 2 bits less);</li>
 *   <li>a square (HPS): minus {@code bits(t) + log2(n) + 1} (measured {@code bits(t) + 12} at
 *       n = 8192, {@code + 13..14} at 16384);</li>
 *   <li>switching a size-3 ciphertext to level L: at most {@code bits(Q_L) - bits(t) - 15};</li>
 *   <li>relinearizing at level L (one 31-bit digit per prime): at most
 *       {@code bits(Q_L) - bits(t) - 45} (measured 43 to 44).</li>
 * </ul>
 * A schedule is feasible when the estimate stays at least {@link #MARGIN_BITS} above zero after
 * the results are relinearized. Among feasible schedules the planner takes the lowest input
 * level, then, square by square, the lowest level after each square: every later step then runs on
 * fewer primes, and the first layers, which hold the most ciphertexts, are the cheapest. The
 * smallest ring degree with a feasible schedule wins. The committed MNIST network gets the
 * hand-tuned schedule of earlier versions (n = 8192, input level 6, levels 5 and 3).
 *
 * <p>Stateless and thread-safe. {@link #choose} throws {@link IllegalArgumentException} with the
 * reason when no 128-bit parameter set can hold the network.
 */
public final class ParameterPlanner {
  /** Bits of noise budget every schedule keeps in reserve. */
  public static final int MARGIN_BITS = 8;
  /** Ciphertext prime size. */
  public static final int PRIME_BITS = 31;
  /** Ring degrees tried, smallest first. */
  static final int[] RING_DEGREES = {8192, 16384, 32768};
  /** The library's limit on ciphertext primes. */
  static final int MAX_PRIMES = 16;

  /** The choice and why. Immutable. */
  public record Choice(CryptoNetPlan plan, List<String> reasons, int estimatedBudgetBits) {
  }

  private ParameterPlanner() {}

  /**
   * Parameters for {@code network}, whose logits need {@code logitBits} bits of magnitude, with
   * plaintext primes of {@code plainBits} bits.
   *
   * @throws IllegalArgumentException if no ring degree up to 32768 holds the network's depth at
   *     128-bit security, naming the depth and the largest budget reached
   */
  public static Choice choose(IntegerNetwork network, int logitBits, int plainBits) {
    double[] layerCosts = new double[network.depth() + 1];
    int linear = 0;
    for (IntegerNetwork.Layer layer : network.layers()) {
      if (layer instanceof IntegerNetwork.Linear l) {
        layerCosts[linear++] = Math.log(l.maxRowL1Norm() + 1.0) / Math.log(2);
      }
    }
    return choose(layerCosts, logitBits, plainBits);
  }

  /**
   * As above from the layers' noise costs ({@code log2} of each linear layer's largest row L1
   * norm, first to last; one more than the squares).
   */
  public static Choice choose(double[] linearCostBits, int logitBits, int plainBits) {
    if (plainBits < 18 || plainBits > 31) {
      throw new IllegalArgumentException("plaintext primes of " + plainBits + " bits; expected 18 to 31");
    }
    int depth = linearCostBits.length - 1;
    int count = plainPrimeCount(logitBits, plainBits);
    List<String> reasons = new ArrayList<>();
    reasons.add(String.format(Locale.ROOT, "logits need %d bits and a sign: %d plaintext prime%s of %d bits (%d bits of range)", logitBits, count,
        count == 1 ? "" : "s", plainBits, count * (plainBits - 1)));
    int best = Integer.MIN_VALUE;
    for (int n : RING_DEGREES) {
      int maxBits = SecurityLevel.TC128.maxModulusBits(n);
      int top = Math.min(MAX_PRIMES, maxBits / PRIME_BITS);
      Schedule s = schedule(n, top, linearCostBits, plainBits);
      if (s == null) {
        int reached = budgetAt(n, top, linearCostBits, plainBits, top, topLevels(top, depth), top);
        best = Math.max(best, reached);
        reasons.add(String.format(Locale.ROOT, "n = %d (%d primes of %d bits, %d-bit bound): %d square%s do not fit (estimated budget %d bits at best)", n, top,
            PRIME_BITS, maxBits, depth, depth == 1 ? "" : "s", reached));
        continue;
      }
      List<Integer> q = new ArrayList<>();
      for (int i = 0; i < top; i++) {
        q.add(PRIME_BITS);
      }
      CryptoNetPlan plan = CryptoNetPlan.of(n, q, plainBits, count, s.levels, s.output, s.input);
      reasons.add(String.format(Locale.ROOT, "n = %d, %d primes of %d bits (log2 Q = %d, 128-bit bound %d): depth %d fits; inputs at level %d, "
          + "levels after the squares %s, results at level %d; estimated noise budget left %d bits (margin %d)", n, top, PRIME_BITS, top * PRIME_BITS, maxBits,
          depth, s.input, Arrays.toString(s.levels), s.output, s.budget, MARGIN_BITS));
      return new Choice(plan, List.copyOf(reasons), s.budget);
    }
    throw new IllegalArgumentException("no 128-bit parameter set holds this network: " + String.join("; ", reasons)
        + ". Use fewer square activations, narrower weights (fewer bits per layer), or smaller plaintext primes");
  }

  /**
   * The plaintext prime size when the user gives none: the fewest primes that hold the logits
   * (each prime is a whole extra run of the network), then the smallest size that still needs
   * no more of them (a smaller t leaves more noise budget). Sizes from 20 to 31 bits.
   */
  public static int plainBitsFor(int logitBits) {
    int fewest = plainPrimeCount(logitBits, 31);
    for (int bits = 20; bits <= 31; bits++) {
      if (plainPrimeCount(logitBits, bits) == fewest) {
        return bits;
      }
    }
    return 31;
  }

  /** Plaintext primes whose product exceeds 2^(logitBits + 2): the magnitude, a sign and a spare bit. */
  public static int plainPrimeCount(int logitBits, int plainBits) {
    return Math.max(1, (logitBits + 2 + plainBits - 2) / (plainBits - 1));
  }

  private record Schedule(int input, int[] levels, int output, int budget) {
  }

  private static int[] topLevels(int top, int depth) {
    int[] levels = new int[depth];
    Arrays.fill(levels, top);
    return levels;
  }

  /** Lowest input level, then the lowest level after each square in turn; null if none fits. */
  private static Schedule schedule(int n, int top, double[] costs, int plainBits) {
    int depth = costs.length - 1;
    int input = -1;
    for (int l = 1; l <= top && input < 0; l++) {
      int[] levels = new int[depth];
      Arrays.fill(levels, l);
      if (budgetAt(n, top, costs, plainBits, l, levels, l) >= MARGIN_BITS) {
        input = l;
      }
    }
    if (input < 0) {
      return null;
    }
    int[] levels = new int[depth];
    Arrays.fill(levels, input);
    for (int i = 0; i < depth; i++) {
      for (int l = 1; l <= levels[i]; l++) {
        int[] trial = levels.clone();
        for (int j = i; j < depth; j++) {
          trial[j] = Math.min(trial[j], l);
        }
        // later squares may stay at l: keep the most room for them while lowering this one
        for (int j = i + 1; j < depth; j++) {
          trial[j] = l;
        }
        if (budgetAt(n, top, costs, plainBits, input, trial, l) >= MARGIN_BITS) {
          levels = trial;
          break;
        }
      }
    }
    int output = depth == 0 ? input : levels[depth - 1];
    for (int l = 1; l <= output; l++) {
      if (budgetAt(n, top, costs, plainBits, input, levels, l) >= MARGIN_BITS) {
        output = l;
        break;
      }
    }
    return new Schedule(input, levels, output, budgetAt(n, top, costs, plainBits, input, levels, output));
  }

  /** Estimated budget left once the results are relinearized at {@code output}. */
  static int budgetAt(int n, int top, double[] costs, int plainBits, int input, int[] levels, int output) {
    int t = plainBits;
    int logN = Integer.numberOfTrailingZeros(n);
    double budget = qBits(input) - t - (input == top ? 5 : 9);
    int level = input;
    for (int i = 0; i < costs.length; i++) {
      budget -= costs[i];
      if (i == costs.length - 1) {
        break;
      }
      if (i > 0) {
        budget = Math.min(budget, qBits(level) - t - 45); // relinearize before squaring again
      }
      budget -= t + logN + 1;
      if (levels[i] < level) {
        level = levels[i];
        budget = Math.min(budget, qBits(level) - t - 15);
      }
    }
    if (output < level) {
      level = output;
      budget = Math.min(budget, qBits(level) - t - 15);
    }
    budget = Math.min(budget, qBits(level) - t - 45); // the results are relinearized before the trip back
    return (int) Math.floor(budget);
  }

  private static int qBits(int level) {
    return level * PRIME_BITS;
  }

  /**
   * The BFV error for plaintext primes that cannot be found, said as what to do instead.
   *
   * @return a message for the user
   */
  static String explain(BfvException e, int plainBits) {
    return e.getMessage() + "; try --plain-bits " + Math.min(31, plainBits + 2) + " (more primes of each size are 1 mod 2n)";
  }
}
