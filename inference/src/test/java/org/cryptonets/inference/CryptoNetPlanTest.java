package org.cryptonets.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import org.cryptonets.bfv.BfvParameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Plan sizing: the plaintext primes hold the measured range; bad level schedules are refused. */
class CryptoNetPlanTest {
  @ParameterizedTest
  @CsvSource({"54, 29, 2", "54, 31, 2", "58, 29, 3", "20, 25, 1", "80, 27, 4"})
  void plaintextPrimesHoldTheRange(int valueBits, int primeBits, int expectedCount) {
    CryptoNetPlan plan = CryptoNetPlan.forValueBits(valueBits, primeBits);
    assertEquals(expectedCount, plan.plainPrimeCount());
    BfvParameters p = plan.parameters();
    // Values up to 2^valueBits in magnitude must be inside (-T/2, T/2] with a bit to spare.
    assertTrue(p.plainProduct().compareTo(BigInteger.ONE.shiftLeft(valueBits + 2)) > 0);
    assertTrue(p.coeffBasis().productBits() <= 218);
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {"8,3;2", "5,6;2", "5,3;4", "0,3;2", "5,3;0"})
  void badLevelSchedulesAreRefused(String afterSquares, String output) {
    int[] levels = java.util.Arrays.stream(afterSquares.split(",")).mapToInt(Integer::parseInt).toArray();
    assertThrows(IllegalArgumentException.class, () -> CryptoNetPlan.of(8192, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, levels, Integer.parseInt(output)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {"5", "a,b", "5,,2"})
  void badLevelPropertyIsRefused(String text) {
    assertThrows(IllegalArgumentException.class, () -> CryptoNetPlan.parseLevels(text));
  }
}
