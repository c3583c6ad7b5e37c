package org.cryptonets.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parameter choice from depth, logit range and weights. */
class ParameterPlannerTest {
  @Test
  void committedNetworkGetsTheHandTunedSchedule() {
    IntegerNetwork net = IntegerNetwork.loadDefault();
    ParameterPlanner.Choice c = ParameterPlanner.choose(net, 54, 29);
    CryptoNetPlan p = c.plan();
    assertEquals(8192, p.n());
    assertEquals(7, p.coeffPrimeBits().size());
    assertEquals(2, p.plainPrimeCount());
    assertEquals(6, p.inputLevel());
    assertEquals(5, p.levelAfterSquare(0));
    assertEquals(3, p.levelAfterSquare(1));
    assertEquals(3, p.outputLevel());
    assertTrue(c.estimatedBudgetBits() >= ParameterPlanner.MARGIN_BITS, c.reasons().toString());
  }

  @ParameterizedTest(name = "depth {0}: n = {1}")
  @CsvSource({"1, 8192", "2, 8192", "3, 16384", "4, 16384"})
  void deeperNetworksGetLargerRings(int depth, int expectedN) {
    double[] costs = new double[depth + 1];
    java.util.Arrays.fill(costs, 12);
    ParameterPlanner.Choice c = ParameterPlanner.choose(costs, 20 * (1 << depth), 29);
    assertEquals(expectedN, c.plan().n(), c.reasons().toString());
    assertEquals(depth, c.plan().depth());
    int previous = c.plan().inputLevel();
    for (int i = 0; i < depth; i++) {
      assertTrue(c.plan().levelAfterSquare(i) <= previous);
      previous = c.plan().levelAfterSquare(i);
    }
    // the parameters really are 128-bit secure and buildable
    assertTrue(c.plan().parameters().coeffBasis().productBits() <= (expectedN == 8192 ? 218 : 438));
  }

  @Test
  void tooDeepIsRefusedWithTheReason() {
    double[] costs = new double[10];
    java.util.Arrays.fill(costs, 14);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParameterPlanner.choose(costs, 200, 29));
    assertTrue(e.getMessage().contains("no 128-bit parameter set holds this network"), e.getMessage());
    assertTrue(e.getMessage().contains("9 squares do not fit"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"54, 29, 2", "54, 31, 2", "58, 29, 3", "20, 25, 1", "80, 27, 4", "190, 29, 7"})
  void plaintextPrimeCount(int logitBits, int plainBits, int expected) {
    assertEquals(expected, ParameterPlanner.plainPrimeCount(logitBits, plainBits));
    assertTrue(expected * (plainBits - 1) >= logitBits + 2);
  }

  @ParameterizedTest(name = "{0} logit bits -> primes of {1} bits")
  @CsvSource({"54, 29", "55, 30", "56, 30", "57, 31", "134, 29", "20, 23", "200, 30"})
  void automaticPlainBitsNeedTheFewestPrimes(int logitBits, int expected) {
    int bits = ParameterPlanner.plainBitsFor(logitBits);
    assertEquals(expected, bits);
    assertEquals(ParameterPlanner.plainPrimeCount(logitBits, 31), ParameterPlanner.plainPrimeCount(logitBits, bits));
    if (bits > 20) {
      assertTrue(ParameterPlanner.plainPrimeCount(logitBits, bits - 1) > ParameterPlanner.plainPrimeCount(logitBits, 31));
    }
  }

  /** The BGV model by hand (class comment of ParameterPlanner): phase bits step by step. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // depth 0, t = 29: fresh 35 at level 2, +10 = 45 (budget 62 - 46 = 16); switch to 1: max(45 - 31, 37) + 1 = 38 > 31 bits
      "depth 0, switched too low|10|29|2||1|-8",
      // same, kept at level 2
      "depth 0, kept|10|29|2||2|16",
      // depth 1, t = 29, input 4: 35, +10 = 45, square 2*45 + 5 = 95 (124 - 96 = 28), +5 = 100, relin 101 (22),
      // switch 62 bits: max(39, 37) + 1 = 40 at level 2 (62 - 41 = 21)
      "depth 1|10 5|29|4|2|2|21"})
  void bgvBudgetByHand(String name, String costs, int t, int input, String levels, int output, int expected) {
    double[] c = java.util.Arrays.stream(costs.split(" ")).mapToDouble(Double::parseDouble).toArray();
    int[] l = levels == null ? new int[0] : java.util.Arrays.stream(levels.split(" ")).mapToInt(Integer::parseInt).toArray();
    assertEquals(expected, ParameterPlanner.budgetBgv(8192, c, t, input, l, output));
  }

  @Test
  void committedNetworkHasABgvSchedule() {
    IntegerNetwork net = IntegerNetwork.loadDefault();
    ParameterPlanner.Choice c = ParameterPlanner.choose(net, 54, 29, org.cryptonets.bfv.Scheme.BGV);
    CryptoNetPlan p = c.plan();
    assertEquals(org.cryptonets.bfv.Scheme.BGV, p.scheme());
    assertEquals(8192, p.n(), c.reasons().toString());
    assertEquals(2, p.depth());
    assertTrue(c.estimatedBudgetBits() >= ParameterPlanner.MARGIN_BITS, c.reasons().toString());
    assertTrue(p.outputLevel() <= p.levelAfterSquare(1) && p.levelAfterSquare(1) <= p.levelAfterSquare(0) && p.levelAfterSquare(0) <= p.inputLevel());
  }

  /**
   * Without a named scheme: BGV where it fits the smallest ring, BFV where BGV would need a larger
   * ring than BFV (deep networks with large plaintext primes), and the reason says which.
   */
  @ParameterizedTest(name = "depth {0}, {1} logit bits")
  @CsvSource({"2, 54, BGV, 8192", "3, 134, BFV, 8192"})
  void theSchemeFollowsTheRingEachNeeds(int depth, int logitBits, org.cryptonets.bfv.Scheme expected, int n) {
    double[] costs = new double[depth + 1];
    java.util.Arrays.fill(costs, 8);
    ParameterPlanner.Choice c = ParameterPlanner.chooseScheme(costs, logitBits, 29);
    assertEquals(expected, c.plan().scheme(), c.reasons().toString());
    assertEquals(n, c.plan().n(), c.reasons().toString());
    assertTrue(c.reasons().get(0).startsWith("scheme " + expected), c.reasons().get(0));
    if (expected == org.cryptonets.bfv.Scheme.BFV) {
      assertTrue(ParameterPlanner.choose(costs, logitBits, 29, org.cryptonets.bfv.Scheme.BGV).plan().n() > n);
    }
  }

  /** The search and the step-by-step estimate are the same model: the schedule found scores its own budget. */
  @ParameterizedTest(name = "depth {0}")
  @CsvSource({"1, 8192", "2, 8192", "3, 16384", "4, 16384"})
  void bgvSearchAgreesWithTheEstimate(int depth, int n) {
    double[] costs = new double[depth + 1];
    java.util.Arrays.fill(costs, 10);
    int top = n == 8192 ? 7 : 14;
    ParameterPlanner.Schedule s = ParameterPlanner.scheduleBgv(n, top, costs, 29);
    org.junit.jupiter.api.Assertions.assertNotNull(s);
    assertEquals(s.budget(), ParameterPlanner.budgetBgv(n, costs, 29, s.input(), s.levels(), s.output()));
    assertTrue(s.budget() >= ParameterPlanner.MARGIN_BITS);
    // levels never rise along the network
    int previous = s.input();
    for (int l : s.levels()) {
      assertTrue(l <= previous);
      previous = l;
    }
    assertTrue(s.output() <= previous);
  }

  @Test
  void estimateIsMonotoneInTheLevels() {
    double[] costs = {10, 15, 12};
    int high = ParameterPlanner.budgetAt(8192, 7, costs, 29, 6, new int[] {5, 3}, 3);
    int low = ParameterPlanner.budgetAt(8192, 7, costs, 29, 6, new int[] {4, 3}, 3);
    assertTrue(high > low, high + " vs " + low);
  }
}
