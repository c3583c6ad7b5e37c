package org.cryptonets.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.cryptonets.bfv.BfvException;
import org.cryptonets.bfv.Scheme;
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
 * For BGV (measured the same way, n = 8192, budget = SEAL's BGV measure, bits(Q_L) - bits(phase) -
 * 1, from {@code BgvDecryptor.noiseBudget}) the model tracks the phase's size in bits:
 * <ul>
 *   <li>fresh at level L (encrypted there directly): {@code bits(t) + 6} (measured 4 to 5);</li>
 *   <li>a linear layer: plus {@code log2} of its largest row L1 norm (measured 1.4 bits less);</li>
 *   <li>a square (at its input's level, three pointwise products): {@code 2 x + log2(n) - 8}
 *       (measured {@code 2 x + 3..5} at n = 8192);</li>
 *   <li>relinearizing: at least {@code bits(t) + 45} (key switching with one 31-bit digit per
 *       prime, about {@code t q sqrt(n) sigma} per digit), plus one bit;</li>
 *   <li>dropping primes of D bits: {@code max(x - D, bits(t) + 8) + 1} (the switch's rounding
 *       leaves a floor of about {@code t sqrt(n)}; measured bits(t) + 8).</li>
 * </ul>
 * BGV primes are dropped after the linear layer that follows a square and its relinearization,
 * and the logits are relinearized before the last switch, so both switches divide the
 * key-switching noise too. The budget must stay above the margin at every step, not only at the
 * end: a BGV phase that wraps around Q is lost.
 *
 * <p>A schedule is feasible when the estimate stays at least {@link #MARGIN_BITS} above zero after
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
    return choose(network, logitBits, plainBits, Scheme.BFV);
  }

  /** As above for {@code scheme}. */
  public static Choice choose(IntegerNetwork network, int logitBits, int plainBits, Scheme scheme) {
    return choose(linearCosts(network), logitBits, plainBits, scheme);
  }

  /** log2 of each linear layer's largest row L1 norm, first to last. */
  static double[] linearCosts(IntegerNetwork network) {
    double[] layerCosts = new double[network.depth() + 1];
    int linear = 0;
    for (IntegerNetwork.Layer layer : network.layers()) {
      if (layer instanceof IntegerNetwork.Linear l) {
        layerCosts[linear++] = Math.log(l.maxRowL1Norm() + 1.0) / Math.log(2);
      }
    }
    return layerCosts;
  }

  /**
   * As above from the layers' noise costs ({@code log2} of each linear layer's largest row L1
   * norm, first to last; one more than the squares).
   */
  public static Choice choose(double[] linearCostBits, int logitBits, int plainBits) {
    return choose(linearCostBits, logitBits, plainBits, Scheme.BFV);
  }

  /** As above for {@code scheme}. */
  public static Choice choose(double[] linearCostBits, int logitBits, int plainBits, Scheme scheme) {
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
      Schedule s = schedule(scheme, n, top, linearCostBits, plainBits);
      if (s == null) {
        int reached = budget(scheme, n, top, linearCostBits, plainBits, top, topLevels(top, depth), top);
        best = Math.max(best, reached);
        reasons.add(String.format(Locale.ROOT, "n = %d (%d primes of %d bits, %d-bit bound): %d square%s do not fit (estimated budget %d bits at best)", n, top,
            PRIME_BITS, maxBits, depth, depth == 1 ? "" : "s", reached));
        continue;
      }
      List<Integer> q = new ArrayList<>();
      for (int i = 0; i < top; i++) {
        q.add(PRIME_BITS);
      }
      CryptoNetPlan plan = CryptoNetPlan.of(n, q, plainBits, count, s.levels, s.output, s.input).withScheme(scheme);
      reasons.add(String.format(Locale.ROOT, scheme + ": n = %d, %d primes of %d bits (log2 Q = %d, 128-bit bound %d): depth %d fits; inputs at level %d, "
          + "levels after the squares %s, results at level %d; estimated noise budget left %d bits (margin %d)", n, top, PRIME_BITS, top * PRIME_BITS, maxBits,
          depth, s.input, Arrays.toString(s.levels), s.output, s.budget, MARGIN_BITS));
      return new Choice(plan, List.copyOf(reasons), s.budget);
    }
    throw new IllegalArgumentException("no 128-bit parameter set holds this network: " + String.join("; ", reasons)
        + ". Use fewer square activations, narrower weights (fewer bits per layer), or smaller plaintext primes");
  }

  /**
   * The scheme and parameters when the user names no scheme: BGV, measured several times faster
   * than BFV at the same ring degree (its squares are pointwise products in NTT form), unless BGV
   * needs a larger ring than BFV for this network. BGV's noise cannot fall below about t sqrt(n)
   * after a modulus switch, so deep networks with large plaintext primes can need more primes
   * under BGV (the three-square Fashion-MNIST model: n = 16384 under BGV, 8192 under BFV), and a
   * ring twice as large costs more than BGV saves.
   *
   * @throws IllegalArgumentException if neither scheme has a 128-bit parameter set for the network
   */
  public static Choice chooseScheme(IntegerNetwork network, int logitBits, int plainBits) {
    return chooseScheme(linearCosts(network), logitBits, plainBits);
  }

  /** As above from the layers' noise costs (see {@link #choose(double[], int, int)}). */
  public static Choice chooseScheme(double[] linearCostBits, int logitBits, int plainBits) {
    Choice bgv = null;
    Choice bfv = null;
    IllegalArgumentException bgvFailure = null;
    try {
      bgv = choose(linearCostBits, logitBits, plainBits, Scheme.BGV);
    } catch (IllegalArgumentException e) {
      bgvFailure = e;
    }
    if (bgv != null && bgv.plan().n() == RING_DEGREES[0]) {
      return withReason(bgv, "scheme BGV (the default: squares are pointwise products in NTT form)");
    }
    try {
      bfv = choose(linearCostBits, logitBits, plainBits, Scheme.BFV);
    } catch (IllegalArgumentException e) {
      if (bgvFailure != null) {
        throw bgvFailure;
      }
    }
    if (bgv == null) {
      return withReason(bfv, "scheme BFV: no BGV parameter set holds this network");
    }
    if (bfv != null && bfv.plan().n() < bgv.plan().n()) {
      return withReason(bfv, "scheme BFV: BGV would need n = " + bgv.plan().n() + " where BFV fits n = " + bfv.plan().n());
    }
    return withReason(bgv, "scheme BGV (the default: squares are pointwise products in NTT form)");
  }

  private static Choice withReason(Choice c, String reason) {
    List<String> reasons = new ArrayList<>();
    reasons.add(reason);
    reasons.addAll(c.reasons());
    return new Choice(c.plan(), List.copyOf(reasons), c.estimatedBudgetBits());
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

  record Schedule(int input, int[] levels, int output, int budget) {
  }

  private static int[] topLevels(int top, int depth) {
    int[] levels = new int[depth];
    Arrays.fill(levels, top);
    return levels;
  }

  /** Lowest input level, then the lowest level after each square in turn; null if none fits. */
  private static Schedule schedule(Scheme scheme, int n, int top, double[] costs, int plainBits) {
    if (scheme == Scheme.BGV) {
      return scheduleBgv(n, top, costs, plainBits);
    }
    int depth = costs.length - 1;
    int input = -1;
    for (int l = 1; l <= top && input < 0; l++) {
      int[] levels = new int[depth];
      Arrays.fill(levels, l);
      if (budget(scheme, n, top, costs, plainBits, l, levels, l) >= MARGIN_BITS) {
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
        if (budget(scheme, n, top, costs, plainBits, input, trial, l) >= MARGIN_BITS) {
          levels = trial;
          break;
        }
      }
    }
    int output = depth == 0 ? input : levels[depth - 1];
    for (int l = 1; l <= output; l++) {
      if (budget(scheme, n, top, costs, plainBits, input, levels, l) >= MARGIN_BITS) {
        output = l;
        break;
      }
    }
    return new Schedule(input, levels, output, budget(scheme, n, top, costs, plainBits, input, levels, output));
  }

  private static int budget(Scheme scheme, int n, int top, double[] costs, int plainBits, int input, int[] levels, int output) {
    return scheme == Scheme.BGV ? budgetBgv(n, costs, plainBits, input, levels, output) : budgetAt(n, top, costs, plainBits, input, levels, output);
  }

  /**
   * The BGV schedule: the lowest input level, then the lowest level after each square in turn, then
   * the lowest output level, among those whose estimate stays at least {@link #MARGIN_BITS} above
   * zero at every step. Unlike BFV, dropping primes can make a later square fit (the phase shrinks
   * with the modulus down to a floor), so the search walks the network (depth first, lowest level
   * first, pruning a branch as soon as its budget falls below the margin) instead of lowering the
   * levels of a schedule that already fits; null if none fits.
   */
  static Schedule scheduleBgv(int n, int top, double[] costs, int plainBits) {
    int depth = costs.length - 1;
    for (int input = 1; input <= top; input++) {
      int[] levels = new int[depth];
      double noise = plainBits + 6;
      double worst = qBits(input) - noise - 1;
      Schedule s = worst < MARGIN_BITS ? null : walkBgv(n, costs, plainBits, input, 0, input, noise, worst, levels);
      if (s != null) {
        return s;
      }
    }
    return null;
  }

  /** Block {@code i} (linear layer i, then square i unless it is the last) from {@code level}. */
  private static Schedule walkBgv(int n, double[] costs, int t, int input, int i, int level, double noise, double worst, int[] levels) {
    int depth = costs.length - 1;
    noise += costs[i];
    worst = Math.min(worst, qBits(level) - noise - 1);
    if (i > 0) {
      noise = Math.max(noise, t + BGV_RELINEARIZE_BITS) + 1;
      worst = Math.min(worst, qBits(level) - noise - 1);
    }
    if (worst < MARGIN_BITS) {
      return null;
    }
    if (i == 0 && depth > 0) {
      double squared = 2 * noise + Integer.numberOfTrailingZeros(n) - 8;
      double w = Math.min(worst, qBits(level) - squared - 1);
      return w < MARGIN_BITS ? null : walkBgv(n, costs, t, input, 1, level, squared, w, levels);
    }
    for (int to = 1; to <= level; to++) {
      double switched = to < level ? Math.max(noise - (qBits(level) - qBits(to)), t + BGV_SWITCH_FLOOR_BITS) + 1 : noise;
      double w = Math.min(worst, qBits(to) - switched - 1);
      if (w < MARGIN_BITS) {
        continue;
      }
      if (i == depth) {
        if (depth > 0) {
          levels[depth - 1] = to;
        }
        return new Schedule(input, levels.clone(), to, (int) Math.floor(w));
      }
      levels[i - 1] = to;
      double squared = 2 * switched + Integer.numberOfTrailingZeros(n) - 8;
      double w2 = Math.min(w, qBits(to) - squared - 1);
      if (w2 < MARGIN_BITS) {
        continue;
      }
      Schedule s = walkBgv(n, costs, t, input, i + 1, to, squared, w2, levels);
      if (s != null) {
        return s;
      }
    }
    return null;
  }

  /** BGV noise, in bits of the phase, added by relinearization above bits(t). */
  static final int BGV_RELINEARIZE_BITS = 45;
  /** BGV noise floor a modulus switch leaves, above bits(t). */
  static final int BGV_SWITCH_FLOOR_BITS = 8;

  /**
   * Estimated BGV budget: the smallest, over every step, of bits(Q_L) - bits(phase) - 1 (see the
   * class comment). {@code levels[i]} is the level the ciphertexts are switched to after square i's
   * next linear layer; the last square's is the output level.
   */
  static int budgetBgv(int n, double[] costs, int plainBits, int input, int[] levels, int output) {
    int t = plainBits;
    int logN = Integer.numberOfTrailingZeros(n);
    int level = input;
    double noise = t + 6;
    double worst = qBits(level) - noise - 1;
    int depth = costs.length - 1;
    for (int i = 0; i <= depth; i++) {
      noise += costs[i];
      worst = Math.min(worst, qBits(level) - noise - 1);
      if (i > 0) {
        noise = Math.max(noise, t + BGV_RELINEARIZE_BITS) + 1;
        worst = Math.min(worst, qBits(level) - noise - 1);
        int to = i == depth ? output : levels[i - 1];
        if (to < level) {
          noise = Math.max(noise - (qBits(level) - qBits(to)), t + BGV_SWITCH_FLOOR_BITS) + 1;
          level = to;
          worst = Math.min(worst, qBits(level) - noise - 1);
        }
      }
      if (i < depth) {
        noise = 2 * noise + logN - 8;
        worst = Math.min(worst, qBits(level) - noise - 1);
      }
    }
    if (depth == 0 && output < level) {
      noise = Math.max(noise - (qBits(level) - qBits(output)), t + BGV_SWITCH_FLOOR_BITS) + 1;
      worst = Math.min(worst, qBits(output) - noise - 1);
    }
    return (int) Math.floor(worst);
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
