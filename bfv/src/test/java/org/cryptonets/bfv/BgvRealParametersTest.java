package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.deterministicRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * BGV at the CryptoNet's 128-bit parameters (n = 8192, seven 31-bit ciphertext primes, log2 Q = 217
 * within the 218-bit bound; two 20-bit plaintext primes): a square decrypts to x^2 slot-wise, and
 * the depth-2 chain (multiply-accumulate + bias, square, relinearize, switch, multiply-accumulate
 * + bias, square, relinearize, switch, convert, compress, decrypt) equals the same arithmetic in the
 * clear mod t. Prints the noise budget after every step: the measurements behind a BGV noise model.
 */
class BgvRealParametersTest {
  static Backend backend;
  static BfvParameters params;
  static KeyGenerator keys;
  static BgvRelinKeys relin;
  static BgvPublicKey publicKey;
  static BgvEncryptor symmetric;
  static BgvDecryptor decryptor;
  static BgvEvaluator ev;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    params = BfvParameters.create(BfvParameterSpec.of(8192, BfvTestSupport.bits(7, 31), 20, 2));
    assertEquals(SecurityLevel.TC128, params.security());
    keys = new KeyGenerator(params, backend, deterministicRandom(301));
    relin = keys.createBgvRelinKeys();
    publicKey = keys.createBgvPublicKey();
    symmetric = new BgvEncryptor(params, backend, null, keys.secretKey(), deterministicRandom(302));
    decryptor = new BgvDecryptor(params, backend, keys.secretKey());
    ev = new BgvEvaluator(params, backend);
  }

  @AfterAll
  static void tearDown() {
    ev.close();
    decryptor.close();
    symmetric.close();
    relin.close();
    publicKey.close();
    backend.close();
  }

  static long[][] slots(SplittableRandom r, int count, long t) {
    long[][] v = new long[count][params.n()];
    for (long[] row : v) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextLong(t);
      }
    }
    return v;
  }

  static CiphertextBatch encrypt(BgvEncryptor e, int index, long[][] x, int level) {
    BatchEncoder encoder = new BatchEncoder(params, index);
    List<Plaintext> pts = new ArrayList<>();
    for (long[] s : x) {
      pts.add(encoder.encode(s));
    }
    return e.encrypt(pts, level);
  }

  static int budget(CiphertextBatch c) {
    return java.util.Arrays.stream(decryptor.noiseBudget(c)).min().getAsInt();
  }

  @Test
  void squareDecryptsToSquareSlotwise() {
    for (int index = 0; index < 2; index++) {
      long t = params.plainModulus(index).value();
      long[][] x = slots(new SplittableRandom(index), 2, t);
      try (CiphertextBatch c = encrypt(symmetric, index, x, 7); CiphertextBatch sq = ev.square(c)) {
        long[][] got = decryptor.decryptSlots(sq);
        for (int k = 0; k < 2; k++) {
          for (int j = 0; j < params.n(); j++) {
            if (got[k][j] != x[k][j] * x[k][j] % t) {
              assertEquals(x[k][j] * x[k][j] % t, got[k][j], "t#" + index + " ciphertext " + k + " slot " + j);
            }
          }
        }
      }
    }
  }

  /** Fresh budgets at each level, symmetric and public-key: printed for the noise model. */
  @Test
  void freshBudgetsPerLevel() {
    long t = params.plainModulus(0).value();
    long[][] x = slots(new SplittableRandom(3), 1, t);
    try (BgvEncryptor asymmetric = new BgvEncryptor(params, backend, publicKey, null, deterministicRandom(303))) {
      StringBuilder sb = new StringBuilder("BGV fresh budget (n = 8192, t of 20 bits): level: bits(Q) symmetric public-key;");
      for (int level = 7; level >= 1; level--) {
        try (CiphertextBatch s = encrypt(symmetric, 0, x, level); CiphertextBatch p = encrypt(asymmetric, 0, x, level)) {
          int bs = budget(s);
          int bp = budget(p);
          sb.append(' ').append(level).append(": ").append(params.basisAt(level).productBits()).append(' ').append(bs).append(' ').append(bp).append(';');
          assertTrue(bs > 0, "fresh symmetric budget at level " + level);
          assertArrayEquals(x[0], decryptor.decryptSlots(s)[0]);
          // One 31-bit prime cannot hold a public-key encryption's noise t (e u + e0 + e1 s) ~ 2^32.
          if (level > 1) {
            assertTrue(bp > 0, "fresh public-key budget at level " + level);
            assertArrayEquals(x[0], decryptor.decryptSlots(p)[0]);
          }
        }
      }
      System.out.println(sb);
    }
  }

  @Test
  void depthTwoChainEqualsClearArithmetic() {
    int index = 1;
    long t = params.plainModulus(index).value();
    SplittableRandom r = new SplittableRandom(2024);
    int inputs = 6;
    int hidden = 4;
    int outputs = 3;
    long[][] x = slots(r, inputs, t);
    int[] w1 = new int[hidden * inputs];
    int[] w2 = new int[outputs * hidden];
    for (int k = 0; k < w1.length; k++) {
      w1[k] = r.nextInt(-20, 21);
    }
    for (int k = 0; k < w2.length; k++) {
      w2[k] = r.nextInt(-20, 21);
    }
    long[] b1 = {r.nextLong(-1000, 1001), r.nextLong(-1000, 1001), r.nextLong(-1000, 1001), r.nextLong(-1000, 1001)};
    long[] b2 = {r.nextLong(-1000, 1001), r.nextLong(-1000, 1001), r.nextLong(-1000, 1001)};
    IntMatrix m1 = IntMatrix.fromDense(hidden, inputs, w1);
    IntMatrix m2 = IntMatrix.fromDense(outputs, hidden, w2);
    int l1 = maxRowL1(w1, hidden, inputs);
    int l2 = maxRowL1(w2, outputs, hidden);
    // The clear reference mod t.
    long[][] h = new long[hidden][params.n()];
    long[][] y = new long[outputs][params.n()];
    for (int j = 0; j < params.n(); j++) {
      for (int o = 0; o < hidden; o++) {
        long s = Math.floorMod(b1[o], t);
        for (int k = 0; k < inputs; k++) {
          s = Math.floorMod(s + w1[o * inputs + k] * x[k][j], t);
        }
        h[o][j] = s * s % t;
      }
      for (int o = 0; o < outputs; o++) {
        long s = Math.floorMod(b2[o], t);
        for (int k = 0; k < hidden; k++) {
          s = Math.floorMod(s + w2[o * hidden + k] * h[k][j], t);
        }
        y[o][j] = s * s % t;
      }
    }
    HomomorphicEvaluator e = ev;
    StringBuilder log = new StringBuilder("BGV depth-2 chain budgets (n = 8192, t of 20 bits):");
    try (CiphertextBatch in = encrypt(symmetric, index, x, 7)) {
      log.append(" fresh@7 ").append(budget(in));
      try (CiphertextBatch lin1 = e.multiplyAccumulate(m1, in)) {
        e.addPlainConstantsInPlace(lin1, b1);
        log.append(", linear (row L1 ").append(l1).append(") ").append(budget(lin1));
        try (CiphertextBatch sq1 = e.square(lin1)) {
          log.append(", square ").append(budget(sq1));
          try (CiphertextBatch rl1 = e.relinearize(sq1, relin)) {
            log.append(", relinearize ").append(budget(rl1));
            try (CiphertextBatch lv1 = e.modSwitchTo(rl1, 6)) {
              log.append(", switch@6 ").append(budget(lv1));
              assertArrayEquals(h, decryptor.decryptSlots(lv1), "hidden layer");
              try (CiphertextBatch lin2 = e.multiplyAccumulate(m2, lv1)) {
                e.addPlainConstantsInPlace(lin2, b2);
                log.append(", linear (row L1 ").append(l2).append(") ").append(budget(lin2));
                try (CiphertextBatch sq2 = e.square(lin2)) {
                  log.append(", square ").append(budget(sq2));
                  try (CiphertextBatch rl2 = e.relinearize(sq2, relin)) {
                    log.append(", relinearize ").append(budget(rl2));
                    try (CiphertextBatch lv2 = e.modSwitchTo(rl2, 4)) {
                      log.append(", switch@4 ").append(budget(lv2));
                      assertArrayEquals(y, decryptor.decryptSlots(lv2), "outputs before compression");
                      CompressedResults back = e.compressForReturn(lv2, 40);
                      log.append(", compressed to 2^40 (BFV budget) ").append(java.util.Arrays.stream(decryptor.noiseBudget(back)).min().getAsInt());
                      assertArrayEquals(y, decryptor.decryptSlots(back), "compressed results");
                      assertEquals(2L * outputs * params.n() * 40, back.ciphertexts().serializedBits());
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    System.out.println(log);
  }

  static int maxRowL1(int[] w, int rows, int cols) {
    int max = 0;
    for (int r = 0; r < rows; r++) {
      int s = 0;
      for (int c = 0; c < cols; c++) {
        s += Math.abs(w[r * cols + c]);
      }
      max = Math.max(max, s);
    }
    return max;
  }
}
