package org.cryptonets.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The owner's decryption of results across the plaintext primes: values encrypted under every
 * prime, compressed as results travel, come back as the same signed integers, in the long view
 * where the CRT range fits 62 bits and as BigIntegers beyond it, with the predictions of their
 * argmax. Toy, insecure parameters (n = 2048, security NONE): tests only.
 */
class DataOwnerDecryptionTest {
  @ParameterizedTest(name = "{0} plaintext primes of 20 bits, narrow {1}, after a warm-up {2}")
  @CsvSource({"2, true, false", "4, false, false", "2, true, true"})
  void resultsComeBackAsTheSignedValuesEncrypted(int primes, boolean narrow, boolean warmUpFirst) {
    BfvParameterSpec spec = BfvParameterSpec.of(2048, List.of(31, 31, 31), 20, primes);
    spec.security = SecurityLevel.NONE;
    BfvParameters toyInsecure = BfvParameters.create(spec);
    int images = 1500;
    int classes = 3;
    SplittableRandom r = new SplittableRandom(primes);
    int[][] values = new int[images][classes];
    for (int[] row : values) {
      for (int c = 0; c < classes; c++) {
        row[c] = r.nextInt(-100_000, 100_001);
      }
    }
    try (Backend backend = Backends.open("cpu");
        DataOwner owner = new DataOwner(toyInsecure, Scheme.BFV, backend, new java.security.SecureRandom())) {
      List<CompressedResults> results = new ArrayList<>();
      for (int j = 0; j < primes; j++) {
        try (CiphertextBatch c = owner.encryptImages(values, j, toyInsecure.maxLevel())) {
          results.add(CompressedResults.of(Scheme.BFV, CompressedCiphertexts.compress(c, CompressedCiphertexts.minBits(toyInsecure, j) + 10), 1));
        }
      }
      if (warmUpFirst) {
        // decryptions of random results under the same key must leave nothing behind
        owner.warmUpDecryption(classes, results.get(0).ciphertexts().bits(), 3);
      }
      DataOwner.Decryption d = owner.decryptResults(results, images, 17);
      assertEquals(narrow, d.hasLongLogits());
      assertTrue(d.trustworthy(), "budget " + d.minNoiseBudget() + ", out of range " + d.outOfRange().size());
      BigInteger[][] logits = d.logits();
      int[] predictions = d.predictions();
      for (int s = 0; s < images; s++) {
        for (int c = 0; c < classes; c++) {
          assertEquals(BigInteger.valueOf(values[s][c]), logits[s][c], "image " + s + ", class " + c);
          for (int j = 0; j < primes; j++) {
            assertEquals(Math.floorMod(values[s][c], toyInsecure.plainModulus(j).value()), d.residues()[j][c][s]);
          }
        }
        assertEquals(IntegerNetwork.predict(logits[s]), predictions[s], "image " + s);
        if (narrow) {
          assertArrayEquals(java.util.Arrays.stream(values[s]).asLongStream().toArray(), d.longLogits()[s]);
        }
      }
      if (!narrow) {
        assertThrows(IllegalStateException.class, d::longLogits);
      }
      // a logit range too small for the values: every image is reported, none silently trusted
      DataOwner.Decryption tight = owner.decryptResults(results, images, 10);
      assertFalse(tight.trustworthy());
      assertTrue(tight.outOfRange().size() > images / 2, tight.outOfRange().size() + " images out of range");
    }
  }

  /** Warm-up shapes outside what results can have, or more calls than allowed, are refused. */
  @ParameterizedTest(name = "{0} classes, {1} bits, {2} calls: {3}")
  @CsvSource({
    "0, 40, 1, classes", "1025, 40, 1, classes", "3, 40, 0, calls", "3, 40, 101, calls", "3, 63, 1, bits", "3, 5, 1, bits"
  })
  void warmUpRefusesShapesResultsCannotHave(int classes, int bits, int calls, String named) {
    BfvParameterSpec spec = BfvParameterSpec.of(2048, List.of(31, 31, 31), 20, 2);
    spec.security = SecurityLevel.NONE;
    BfvParameters toyInsecure = BfvParameters.create(spec);
    try (Backend backend = Backends.open("cpu");
        DataOwner owner = new DataOwner(toyInsecure, Scheme.BGV, backend, new java.security.SecureRandom())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> owner.warmUpDecryption(classes, bits, calls));
      assertTrue(e.getMessage().contains(named) && e.getMessage().contains("expected"), e.getMessage());
      // the smallest valid shape runs (a BGV owner: results with a random factor)
      owner.warmUpDecryption(1, CompressedCiphertexts.minBits(toyInsecure, 0), 1);
    }
  }
}
