package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.assertCode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.SplittableRandom;
import org.cryptonets.bfv.BfvException.ErrorCode;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Decryption of compressed results against a reference written out in full: the phase c0 + c1 s mod
 * 2^bits by the schoolbook negacyclic product, round(t x / 2^bits) mod t and the budget with
 * BigIntegers, the slots by the host encoder, times the result factor. Both ways the decryptor forms
 * the phase are covered: two primes and NTTs where they hold c1 s exactly (bits < 49 here), the host
 * product where they do not. Toy, insecure parameters (n = 2048, security NONE): tests only.
 */
class CompressedDecryptionTest {
  static Backend backend;
  static BfvParameters toyInsecure;
  static KeyGenerator keys;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    toyInsecure = BfvParameters.create(BfvTestSupport.spec(2048, BfvTestSupport.bits(3, 31), 20, 1, SecurityLevel.NONE));
    keys = new KeyGenerator(toyInsecure, backend, BfvTestSupport.deterministicRandom(31));
  }

  @AfterAll
  static void tearDown() {
    keys.secretKey().close();
    backend.close();
  }

  /** The reference: slots and budget of compressed ciphertext k, its slots multiplied by g mod t. */
  static long[] referenceSlots(CompressedCiphertexts c, int k, long g, int[] budgetOut) {
    int n = toyInsecure.n();
    int bits = c.bits();
    long[] v = c.values();
    long[] x = java.util.Arrays.copyOfRange(v, 2 * k * n, 2 * k * n + n);
    for (int i = 0; i < n; i++) {
      int si = keys.secretKey().coefficient(i);
      for (int j = 0; j < n; j++) {
        long term = si * v[2 * k * n + n + j];
        if (i + j < n) {
          x[i + j] += term;
        } else {
          x[i + j - n] -= term;
        }
      }
    }
    BigInteger modulus = BigInteger.ONE.shiftLeft(bits);
    BigInteger half = BigInteger.ONE.shiftLeft(bits - 1);
    BigInteger t = BigInteger.valueOf(toyInsecure.plainModulus(0).value());
    long[] m = new long[n];
    BigInteger max = BigInteger.ZERO;
    for (int j = 0; j < n; j++) {
      BigInteger xj = BigInteger.valueOf(x[j]).mod(modulus);
      m[j] = t.multiply(xj).add(half).shiftRight(bits).mod(t).longValueExact();
      BigInteger r = t.multiply(xj).mod(modulus);
      BigInteger centred = r.compareTo(half) >= 0 ? modulus.subtract(r) : r;
      max = max.max(centred);
    }
    budgetOut[0] = Math.max(0, bits - 1 - max.bitLength());
    long[] slots = new BatchEncoder(toyInsecure, 0).decode(new Plaintext(toyInsecure, 0, m));
    for (int j = 0; j < n; j++) {
      slots[j] = BigInteger.valueOf(slots[j]).multiply(BigInteger.valueOf(g)).mod(t).longValueExact();
    }
    return slots;
  }

  /** Uniform values: the slots are noise, but every one must still match the reference exactly. */
  @ParameterizedTest(name = "{0}-bit results, factor {1}")
  @CsvSource({"40, 1", "40, 777", "48, 5", "49, 5", "52, 12345", "62, 3"})
  void uniformCiphertextsDecryptAsTheReference(int bits, long factor) {
    int n = toyInsecure.n();
    int count = 3;
    SplittableRandom r = new SplittableRandom(bits * 100L + factor);
    long[] values = new long[2 * count * n];
    for (int i = 0; i < values.length; i++) {
      values[i] = r.nextLong() >>> (64 - bits);
    }
    CompressedCiphertexts c = CompressedCiphertexts.of(toyInsecure, 0, bits, count, values);
    Decryptor.Decrypted got = new Decryptor(toyInsecure, backend, keys.secretKey()).decryptWithBudget(c, factor);
    for (int k = 0; k < count; k++) {
      int[] budget = new int[1];
      assertArrayEquals(referenceSlots(c, k, factor, budget), got.slots()[k], "ciphertext " + k);
      assertEquals(budget[0], got.budgets()[k], "budget of ciphertext " + k);
    }
  }

  /** Encrypted slots come back exactly, times the factor, with budget left, on both phase paths. */
  @ParameterizedTest(name = "{0}-bit results")
  @CsvSource({"40", "55"})
  void encryptedSlotsComeBackTimesTheFactor(int bits) {
    BatchEncoder enc = new BatchEncoder(toyInsecure, 0);
    long t = enc.plainModulus().value();
    SplittableRandom r = new SplittableRandom(bits);
    long[][] slots = new long[2][];
    for (int k = 0; k < 2; k++) {
      slots[k] = BfvTestSupport.randomSlots(r, toyInsecure.n(), t / 2);
    }
    try (CiphertextBatch batch = new Encryptor(toyInsecure, backend, keys.secretKey()).encrypt(List.of(enc.encode(slots[0]), enc.encode(slots[1])))) {
      CompressedCiphertexts c = CompressedCiphertexts.compress(batch, bits);
      long g = 4321;
      Decryptor dec = new Decryptor(toyInsecure, backend, keys.secretKey());
      Decryptor.Decrypted got = dec.decryptWithBudget(c, g);
      for (int k = 0; k < 2; k++) {
        int[] budget = new int[1];
        assertArrayEquals(referenceSlots(c, k, g, budget), got.slots()[k], "ciphertext " + k);
        assertEquals(budget[0], got.budgets()[k]);
        assertTrue(budget[0] > 0, "budget " + budget[0]);
        for (int j = 0; j < toyInsecure.n(); j++) {
          assertEquals(Math.floorMod(slots[k][j] * g, t), got.slots()[k][j], "slot " + j);
        }
      }
      assertArrayEquals(got.budgets(), dec.invariantNoiseBudget(c));
    }
  }

  @Test
  void refusesFactorsOutsideTheField() {
    CompressedCiphertexts c = CompressedCiphertexts.of(toyInsecure, 0, 40, 1, new long[2 * toyInsecure.n()]);
    Decryptor dec = new Decryptor(toyInsecure, backend, keys.secretKey());
    long t = toyInsecure.plainModulus(0).value();
    for (long g : new long[] {0, -1, t, t + 1}) {
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> dec.decryptWithBudget(c, g));
    }
    BfvParameters other = BfvParameters.create(BfvTestSupport.spec(2048, BfvTestSupport.bits(3, 31), 21, 1, SecurityLevel.NONE));
    CompressedCiphertexts foreign = CompressedCiphertexts.of(other, 0, 40, 1, new long[2 * other.n()]);
    assertCode(ErrorCode.PARAMETER_MISMATCH, () -> dec.decryptWithBudget(foreign, 1));
  }
}
