package org.cryptonets.bfv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.IntMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CryptoNet shape on real 128-bit parameters (n = 8192, seven 31-bit primes): encrypt, a scalar
 * layer with bias, square, a scalar layer on size-3 ciphertexts, relinearize, square, a scalar layer,
 * decrypt; every slot compared with the same arithmetic mod t in the clear, and the noise budget
 * checked to stay positive.
 */
class BfvPipelineTest {
  static Backend backend;
  static BfvParameters params;
  static KeyGenerator keys;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    params = BfvParameters.create(BfvParameterSpec.of(8192, List.of(31, 31, 31, 31, 31, 31, 31), 25, 1));
    keys = new KeyGenerator(params, backend, new SecureRandom());
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  static long[] randomSlots(SplittableRandom r, int n, long bound) {
    long[] v = new long[n];
    for (int j = 0; j < n; j++) {
      v[j] = r.nextLong(-bound, bound + 1);
    }
    return v;
  }

  @Test
  void symmetricAndPublicRoundTrip() {
    BatchEncoder enc = new BatchEncoder(params, 0);
    long t = enc.plainModulus().value();
    SplittableRandom r = new SplittableRandom(1);
    long[] slots = randomSlots(r, 8192, 1000);
    Decryptor dec = new Decryptor(params, backend, keys.secretKey());
    for (Encryptor e : List.of(new Encryptor(params, backend, keys.secretKey()), new Encryptor(params, backend, keys.createPublicKey()))) {
      try (CiphertextBatch c = e.encrypt(List.of(enc.encode(slots)))) {
        long[] got = dec.decryptSlots(c)[0];
        for (int j = 0; j < slots.length; j++) {
          assertEquals(Math.floorMod(slots[j], t), got[j], "slot " + j);
        }
        int budget = dec.invariantNoiseBudget(c)[0];
        assertTrue(budget > 150, "fresh budget " + budget);
      }
    }
  }

  @Test
  void cryptoNetShapeIsExact() {
    BatchEncoder enc = new BatchEncoder(params, 0);
    long t = enc.plainModulus().value();
    SplittableRandom r = new SplittableRandom(2);
    int inputs = 6;
    int n = params.n();
    long[][] x = new long[inputs][];
    List<Plaintext> pts = new ArrayList<>();
    for (int k = 0; k < inputs; k++) {
      x[k] = randomSlots(r, n, 15);
      pts.add(enc.encode(x[k]));
    }
    int[] w1 = new int[4 * inputs];
    for (int i = 0; i < w1.length; i++) {
      w1[i] = r.nextInt(-20, 21);
    }
    long[] b1 = {5, -7, 11, 0};
    int[] w2 = new int[3 * 4];
    for (int i = 0; i < w2.length; i++) {
      w2[i] = r.nextInt(-20, 21);
    }
    int[] w3 = new int[2 * 3];
    for (int i = 0; i < w3.length; i++) {
      w3[i] = r.nextInt(-5, 6);
    }
    Evaluator ev = new Evaluator(params, backend);
    Decryptor dec = new Decryptor(params, backend, keys.secretKey());
    RelinKeys rk = keys.createRelinKeys();
    long[][] got;
    int budget;
    try (CiphertextBatch in = new Encryptor(params, backend, keys.secretKey()).encrypt(pts);
        CiphertextBatch l1 = ev.multiplyAccumulate(IntMatrix.fromDense(4, inputs, w1), in)) {
      ev.addPlainConstantsInPlace(l1, b1);
      try (CiphertextBatch s1 = ev.square(l1);
          CiphertextBatch l2 = ev.multiplyAccumulate(IntMatrix.fromDense(3, 4, w2), s1);
          CiphertextBatch r2 = ev.relinearize(l2, rk);
          CiphertextBatch s2 = ev.square(r2);
          CiphertextBatch l3 = ev.multiplyAccumulate(IntMatrix.fromDense(2, 3, w3), s2);
          CiphertextBatch low = ev.modSwitchTo(l3, 3)) {
        got = dec.decryptSlots(low);
        budget = java.util.Arrays.stream(dec.invariantNoiseBudget(low)).min().getAsInt();
        long[][] got7 = dec.decryptSlots(l3);
        assertArrayEquals(got7[0], got[0]);
      }
    }
    for (int j = 0; j < n; j++) {
      long[] h1 = new long[4];
      for (int o = 0; o < 4; o++) {
        long s = b1[o];
        for (int k = 0; k < inputs; k++) {
          s += w1[o * inputs + k] * x[k][j];
        }
        h1[o] = Math.floorMod(s, t) * Math.floorMod(s, t) % t;
      }
      long[] h2 = new long[3];
      for (int o = 0; o < 3; o++) {
        long s = 0;
        for (int k = 0; k < 4; k++) {
          s = Math.floorMod(s + w2[o * 4 + k] * h1[k], t);
        }
        h2[o] = s * s % t;
      }
      for (int o = 0; o < 2; o++) {
        long s = 0;
        for (int k = 0; k < 3; k++) {
          s = Math.floorMod(s + w3[o * 3 + k] * h2[k], t);
        }
        assertEquals(s, got[o][j], "output " + o + " slot " + j);
      }
    }
    assertTrue(budget > 5, "budget after the network " + budget);
    System.out.println("noise budget left: " + budget);
  }
}
