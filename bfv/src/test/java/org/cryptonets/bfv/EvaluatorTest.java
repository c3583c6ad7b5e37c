package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.assertCode;
import static org.cryptonets.bfv.BfvTestSupport.bits;
import static org.cryptonets.bfv.BfvTestSupport.deterministicRandom;
import static org.cryptonets.bfv.BfvTestSupport.download;
import static org.cryptonets.bfv.BfvTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvException.ErrorCode;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.IntMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Proves every evaluator operation matches clear arithmetic mod t, form-independently and within budget, and misuse fails with its code. */
class EvaluatorTest {
  static Backend backend;
  static Backend otherBackend;
  /** Insecure toy parameters: 155-bit Q at n = 2048 (the 128-bit bound is 54 bits). */
  static BfvParameters toyInsecure;
  static KeyGenerator keys;
  static RelinKeys relin;
  static Encryptor encryptor;
  static Decryptor decryptor;
  static Evaluator ev;
  static BatchEncoder[] encoders;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    otherBackend = Backends.open("cpu");
    toyInsecure = BfvParameters.create(spec(2048, bits(5, 31), 20, 2, SecurityLevel.NONE));
    keys = new KeyGenerator(toyInsecure, backend, deterministicRandom(101));
    relin = keys.createRelinKeys();
    encryptor = new Encryptor(toyInsecure, backend, null, keys.secretKey(), deterministicRandom(102));
    decryptor = new Decryptor(toyInsecure, backend, keys.secretKey());
    ev = new Evaluator(toyInsecure, backend);
    encoders = new BatchEncoder[] {new BatchEncoder(toyInsecure, 0), new BatchEncoder(toyInsecure, 1)};
  }

  @AfterAll
  static void tearDown() {
    relin.close();
    otherBackend.close();
    backend.close();
  }

  static long t(int index) {
    return toyInsecure.plainModulus(index).value();
  }

  static long[][] randomSlots(SplittableRandom r, int count, long t) {
    long[][] v = new long[count][toyInsecure.n()];
    for (long[] row : v) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextLong(t);
      }
    }
    return v;
  }

  static CiphertextBatch encrypt(int index, long[][] slots) {
    List<Plaintext> pts = new ArrayList<>();
    for (long[] s : slots) {
      pts.add(encoders[index].encode(s));
    }
    return encryptor.encrypt(pts);
  }

  /** Checks every slot of every ciphertext against {@code expected} reduced mod t. */
  static void assertDecrypts(long[][] expected, CiphertextBatch c, String what) {
    long t = t(c.plainIndex());
    long[][] got = decryptor.decryptSlots(c);
    assertEquals(expected.length, got.length, what + ": ciphertext count");
    for (int k = 0; k < expected.length; k++) {
      for (int j = 0; j < expected[k].length; j++) {
        if (Math.floorMod(expected[k][j], t) != got[k][j]) {
          assertEquals(Math.floorMod(expected[k][j], t), got[k][j], what + ": ciphertext " + k + ", slot " + j);
        }
      }
    }
  }

  static int minBudget(CiphertextBatch c) {
    int min = Integer.MAX_VALUE;
    for (int b : decryptor.invariantNoiseBudget(c)) {
      min = Math.min(min, b);
    }
    return min;
  }

  /** A copy of the batch in the requested form (the original is left as it is). */
  static CiphertextBatch copyIn(CiphertextBatch c, boolean ntt) {
    CiphertextBatch copy = ev.modSwitchTo(c, c.level());
    if (ntt) {
      ev.toNtt(copy);
    } else {
      ev.toCoefficients(copy);
    }
    assertEquals(ntt, copy.isNttForm());
    return copy;
  }

  /** Downloads the batch in coefficient form (converting it). */
  static long[] coefficients(CiphertextBatch c) {
    ev.toCoefficients(c);
    return download(c);
  }

  static long[][] map2(long[][] a, long[][] b, long t, java.util.function.LongBinaryOperator f) {
    long[][] out = new long[a.length][a[0].length];
    for (int k = 0; k < a.length; k++) {
      for (int j = 0; j < a[k].length; j++) {
        out[k][j] = Math.floorMod(f.applyAsLong(a[k][j], b[k][j]), t);
      }
    }
    return out;
  }

  /** An encrypted operand with its slots: size 2 is fresh, size 3 a product of two fresh ciphertexts. */
  record Operand(long[][] slots, CiphertextBatch ct) {}

  static Operand operand(int size, int index, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long t = t(index);
    long[][] u = randomSlots(r, 3, t);
    if (size == 2) {
      return new Operand(u, encrypt(index, u));
    }
    long[][] v = randomSlots(r, 3, t);
    try (CiphertextBatch cu = encrypt(index, u); CiphertextBatch cv = encrypt(index, v)) {
      CiphertextBatch product = ev.multiply(cu, cv);
      assertEquals(3, product.size());
      return new Operand(map2(u, v, t, Math::multiplyExact), product);
    }
  }

  interface CtOp {
    CiphertextBatch apply(CiphertextBatch a, CiphertextBatch b);
  }

  interface ClearOp {
    long apply(long x, long y);
  }

  static Stream<Arguments> linearOps() {
    return Stream.of(
        Arguments.of("add 2 + 2", 2, 2, (CtOp) (a, b) -> ev.add(a, b), (ClearOp) Long::sum),
        Arguments.of("add 2 + 3", 2, 3, (CtOp) (a, b) -> ev.add(a, b), (ClearOp) Long::sum),
        Arguments.of("add 3 + 2", 3, 2, (CtOp) (a, b) -> ev.add(a, b), (ClearOp) Long::sum),
        Arguments.of("add 3 + 3", 3, 3, (CtOp) (a, b) -> ev.add(a, b), (ClearOp) Long::sum),
        Arguments.of("subtract 2 - 2", 2, 2, (CtOp) (a, b) -> ev.subtract(a, b), (ClearOp) (x, y) -> x - y),
        Arguments.of("subtract 2 - 3", 2, 3, (CtOp) (a, b) -> ev.subtract(a, b), (ClearOp) (x, y) -> x - y),
        Arguments.of("subtract 3 - 2", 3, 2, (CtOp) (a, b) -> ev.subtract(a, b), (ClearOp) (x, y) -> x - y),
        Arguments.of("negate size 2", 2, 2, (CtOp) (a, b) -> ev.negate(a), (ClearOp) (x, y) -> -x),
        Arguments.of("negate size 3", 3, 2, (CtOp) (a, b) -> ev.negate(a), (ClearOp) (x, y) -> -x),
        Arguments.of("multiplyScalar -7, size 2", 2, 2, (CtOp) (a, b) -> ev.multiplyScalar(a, -7), (ClearOp) (x, y) -> -7 * x),
        Arguments.of("multiplyScalar -99991, size 3", 3, 2, (CtOp) (a, b) -> ev.multiplyScalar(a, -99991), (ClearOp) (x, y) -> -99991 * x),
        Arguments.of("multiplyScalar 0, size 2", 2, 2, (CtOp) (a, b) -> ev.multiplyScalar(a, 0), (ClearOp) (x, y) -> 0));
  }

  /**
   * Each linear operation decrypts to the clear result, and computing it on NTT-form inputs gives
   * bit for bit the coefficient-form result (after converting), with the output in the input form.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("linearOps")
  void linearOperationMatchesClearAndIsFormIndependent(String name, int sizeA, int sizeB, CtOp op, ClearOp clear) {
    long t = t(0);
    Operand a = operand(sizeA, 0, 1000 + sizeA);
    Operand b = operand(sizeB, 0, 2000 + sizeB);
    try (CiphertextBatch ca = a.ct(); CiphertextBatch cb = b.ct();
        CiphertextBatch an = copyIn(ca, true); CiphertextBatch bn = copyIn(cb, true);
        CiphertextBatch ac = copyIn(ca, false); CiphertextBatch bc = copyIn(cb, false);
        CiphertextBatch rn = op.apply(an, bn); CiphertextBatch rc = op.apply(ac, bc)) {
      assertTrue(rn.isNttForm(), name + " keeps NTT form");
      assertFalse(rc.isNttForm(), name + " keeps coefficient form");
      assertEquals(Math.max(sizeA, name.startsWith("add") || name.startsWith("subtract") ? sizeB : 0), rc.size());
      assertDecrypts(map2(a.slots(), b.slots(), t, clear::apply), rc, name);
      assertArrayEquals(coefficients(rc), coefficients(rn), name + ": NTT and coefficient form differ");
    }
  }

  /** Mixed forms: the operands are brought to NTT form and the result equals the NTT-form result. */
  @Test
  void addOfMixedFormsConvertsToNtt() {
    Operand a = operand(2, 1, 31);
    Operand b = operand(3, 1, 32);
    try (CiphertextBatch ca = a.ct(); CiphertextBatch cb = b.ct();
        CiphertextBatch bc = copyIn(cb, false); CiphertextBatch an = copyIn(ca, true); CiphertextBatch bn = copyIn(cb, true);
        CiphertextBatch mixed = ev.subtract(ca, bc); CiphertextBatch ntt = ev.subtract(an, bn)) {
      assertTrue(mixed.isNttForm());
      assertDecrypts(map2(a.slots(), b.slots(), t(1), (x, y) -> x - y), mixed, "mixed subtract");
      assertArrayEquals(coefficients(ntt), coefficients(mixed));
    }
  }

  interface InPlaceOp {
    CiphertextBatch apply(CiphertextBatch a);
  }

  static Stream<Arguments> plainOps() {
    long t = t(0);
    long[] constants = {-5, t + 3, 1L << 40};
    long[] p = new long[toyInsecure.n()];
    SplittableRandom r = new SplittableRandom(7);
    for (int j = 0; j < p.length; j++) {
      p[j] = r.nextLong(t);
    }
    Plaintext plain = encoders[0].encode(p);
    return Stream.of(2, 3).flatMap(size -> Stream.of(
        Arguments.of("addPlainConstantsInPlace, size " + size, size, (InPlaceOp) a -> {
          ev.addPlainConstantsInPlace(a, constants);
          return a;
        }, (java.util.function.BiFunction<long[][], Long, long[][]>) (x, tt) -> {
          long[][] out = new long[x.length][x[0].length];
          for (int k = 0; k < x.length; k++) {
            for (int j = 0; j < x[k].length; j++) {
              out[k][j] = Math.floorMod(x[k][j] + Math.floorMod(constants[k], tt), tt);
            }
          }
          return out;
        }),
        Arguments.of("addPlainInPlace, size " + size, size, (InPlaceOp) a -> {
          ev.addPlainInPlace(a, plain);
          return a;
        }, (java.util.function.BiFunction<long[][], Long, long[][]>) (x, tt) -> {
          long[][] out = new long[x.length][x[0].length];
          for (int k = 0; k < x.length; k++) {
            for (int j = 0; j < x[k].length; j++) {
              out[k][j] = (x[k][j] + p[j]) % tt;
            }
          }
          return out;
        }),
        Arguments.of("multiplyPlain, size " + size, size, (InPlaceOp) a -> ev.multiplyPlain(a, plain),
            (java.util.function.BiFunction<long[][], Long, long[][]>) (x, tt) -> {
              long[][] out = new long[x.length][x[0].length];
              for (int k = 0; k < x.length; k++) {
                for (int j = 0; j < x[k].length; j++) {
                  out[k][j] = x[k][j] * p[j] % tt;
                }
              }
              return out;
            })));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("plainOps")
  void plainOperandOperationMatchesClearAndIsFormIndependent(
      String name, int size, InPlaceOp op, java.util.function.BiFunction<long[][], Long, long[][]> clear) {
    Operand a = operand(size, 0, 3000 + size);
    try (CiphertextBatch ca = a.ct(); CiphertextBatch an = copyIn(ca, true); CiphertextBatch ac = copyIn(ca, false)) {
      CiphertextBatch rn = op.apply(an);
      CiphertextBatch rc = op.apply(ac);
      try {
        assertEquals(size, rc.size());
        assertDecrypts(clear.apply(a.slots(), t(0)), rc, name);
        assertDecrypts(clear.apply(a.slots(), t(0)), rn, name + " (NTT input)");
        assertArrayEquals(coefficients(rc), coefficients(rn), name + ": NTT and coefficient form differ");
      } finally {
        if (rn != an) {
          rn.close();
        }
        if (rc != ac) {
          rc.close();
        }
      }
    }
  }

  /** The plain-weight layer on size 2 and size 3 batches: r = sum_k w[r][k] x_k, in either form, bit-identical. */
  @ParameterizedTest(name = "multiplyAccumulate on size {0}")
  @ValueSource(ints = {2, 3})
  void multiplyAccumulateMatchesClear(int size) {
    long t = t(1);
    Operand a = operand(size, 1, 4000 + size);
    SplittableRandom r = new SplittableRandom(41 + size);
    int rows = 4;
    int cols = 3;
    int[] w = new int[rows * cols];
    for (int i = 0; i < w.length; i++) {
      w[i] = i % 5 == 0 ? 0 : r.nextInt(-50, 51);
    }
    w[cols] = IntMatrix.MAX_ABS_WEIGHT;
    w[cols + 1] = -IntMatrix.MAX_ABS_WEIGHT;
    IntMatrix m = IntMatrix.fromDense(rows, cols, w);
    long[][] expected = new long[rows][toyInsecure.n()];
    for (int o = 0; o < rows; o++) {
      for (int j = 0; j < expected[o].length; j++) {
        long s = 0;
        for (int k = 0; k < cols; k++) {
          s += w[o * cols + k] * a.slots()[k][j];
        }
        expected[o][j] = s;
      }
    }
    try (CiphertextBatch ca = a.ct(); CiphertextBatch an = copyIn(ca, true); CiphertextBatch ac = copyIn(ca, false);
        CiphertextBatch rn = ev.multiplyAccumulate(m, an); CiphertextBatch rc = ev.multiplyAccumulate(m, ac)) {
      assertEquals(rows, rc.count());
      assertEquals(size, rc.size());
      assertTrue(rn.isNttForm());
      assertFalse(rc.isNttForm());
      assertDecrypts(expected, rc, "multiplyAccumulate");
      assertArrayEquals(coefficients(rc), coefficients(rn));
    }
  }

  /**
   * a * b of two different ciphertexts and a^2 decrypt to the slot-wise products; the result does
   * not depend on input form, multiply is commutative, and multiply(a, a) equals square(a), all bit
   * for bit; relinearization keeps the slots and gives size 2.
   */
  @Test
  void multiplySquareAndRelinearize() {
    long t = t(0);
    Operand a = operand(2, 0, 51);
    Operand b = operand(2, 0, 52);
    try (CiphertextBatch ca = a.ct(); CiphertextBatch cb = b.ct();
        CiphertextBatch an = copyIn(ca, true); CiphertextBatch bn = copyIn(cb, true);
        CiphertextBatch ac = copyIn(ca, false); CiphertextBatch bc = copyIn(cb, false);
        CiphertextBatch ab = ev.multiply(an, bn); CiphertextBatch abCoeff = ev.multiply(ac, bc); CiphertextBatch ba = ev.multiply(cb, ca);
        CiphertextBatch sq = ev.square(ca); CiphertextBatch aa = ev.multiply(ac, an);
        CiphertextBatch abRelin = ev.relinearize(ab, relin)) {
      assertEquals(3, ab.size());
      assertFalse(ab.isNttForm());
      assertEquals(toyInsecure.maxLevel(), ab.level());
      long[][] product = map2(a.slots(), b.slots(), t, (x, y) -> x * y);
      assertDecrypts(product, ab, "multiply");
      assertDecrypts(map2(a.slots(), a.slots(), t, (x, y) -> x * y), sq, "square");
      assertArrayEquals(download(ab), download(abCoeff), "multiply: NTT vs coefficient inputs");
      assertArrayEquals(download(ab), download(ba), "multiply is commutative");
      assertArrayEquals(download(sq), download(aa), "multiply(a, a) = square(a)");
      assertEquals(2, abRelin.size());
      assertFalse(abRelin.isNttForm());
      assertDecrypts(product, abRelin, "relinearized product");
      // Relinearization does not depend on the form of its input either.
      ev.toNtt(ab);
      try (CiphertextBatch again = ev.relinearize(ab, relin)) {
        assertArrayEquals(download(abRelin), download(again));
      }
      // A relinearized product multiplies again: (a b) * a.
      try (CiphertextBatch aba = ev.multiply(abRelin, ca)) {
        assertDecrypts(map2(product, a.slots(), t, (x, y) -> x * y), aba, "(a b) a");
      }
    }
  }

  @Test
  void modSwitchKeepsSlotsAndDropsPrimes() {
    Operand a = operand(3, 1, 61);
    try (CiphertextBatch ca = a.ct(); CiphertextBatch next = ev.modSwitchToNext(ca); CiphertextBatch low = ev.modSwitchTo(ca, 2);
        CiphertextBatch same = ev.modSwitchTo(ca, ca.level()); CiphertextBatch stepwise = ev.modSwitchToNext(next)) {
      assertEquals(toyInsecure.maxLevel() - 1, next.level());
      assertEquals(3, next.size());
      assertEquals(toyInsecure.basisAt(next.level()), next.buffer().basis());
      assertDecrypts(a.slots(), next, "modSwitchToNext");
      assertEquals(2, low.level());
      assertDecrypts(a.slots(), low, "modSwitchTo(2)");
      assertNotSame(ca, same);
      assertEquals(ca.level(), same.level());
      assertArrayEquals(download(ca), download(same));
      // modSwitchTo is repeated modSwitchToNext.
      try (CiphertextBatch three = ev.modSwitchTo(ca, toyInsecure.maxLevel() - 2)) {
        assertArrayEquals(download(stepwise), download(three));
      }
      // From NTT form too, bit for bit.
      try (CiphertextBatch n = copyIn(ca, true); CiphertextBatch fromNtt = ev.modSwitchToNext(n)) {
        assertArrayEquals(download(next), download(fromNtt));
      }
    }
  }

  /** Multiplication and relinearization below the top level use that level's tables and the top-level keys' prefix. */
  @Test
  void multiplyAndRelinearizeBelowTheTopLevel() {
    long t = t(1);
    Operand a = operand(2, 1, 65);
    Operand b = operand(2, 1, 66);
    long[][] product = map2(a.slots(), b.slots(), t, (x, y) -> x * y);
    try (CiphertextBatch ca = a.ct(); CiphertextBatch cb = b.ct();
        CiphertextBatch a4 = ev.modSwitchTo(ca, 4); CiphertextBatch b4 = ev.modSwitchTo(cb, 4);
        CiphertextBatch ab4 = ev.multiply(a4, b4); CiphertextBatch ab3 = ev.modSwitchTo(ab4, 3);
        CiphertextBatch relinearized = ev.relinearize(ab3, relin); CiphertextBatch sq = ev.square(a4, 3)) {
      assertEquals(4, ab4.level());
      assertDecrypts(product, ab4, "multiply at level 4");
      assertEquals(3, relinearized.level());
      assertEquals(2, relinearized.size());
      assertDecrypts(product, relinearized, "relinearize at level 3");
      assertTrue(minBudget(relinearized) > 0);
      assertDecrypts(map2(a.slots(), a.slots(), t, (x, y) -> x * y), sq, "square from level 4 into 3");
    }
  }

  /** square(a, level) is modSwitchTo(square(a), level): same slots, same residues. */
  @ParameterizedTest(name = "square into level {0}")
  @ValueSource(ints = {5, 4, 3, 2})
  void squareIntoLevelEqualsSquareThenModSwitch(int level) {
    long t = t(0);
    Operand a = operand(2, 0, 71);
    try (CiphertextBatch ca = a.ct(); CiphertextBatch direct = ev.square(ca, level); CiphertextBatch full = ev.square(ca);
        CiphertextBatch switched = ev.modSwitchTo(full, level)) {
      assertEquals(level, direct.level());
      assertEquals(3, direct.size());
      assertDecrypts(map2(a.slots(), a.slots(), t, (x, y) -> x * y), direct, "square into level " + level);
      assertArrayEquals(download(switched), download(direct));
    }
  }

  /**
   * The class contract: thread-safe for calls on different batches. Two threads squaring their own
   * batches on one evaluator (sharing its multiplication scratch) get the single-threaded residues.
   */
  @Test
  void concurrentMultiplicationsOnOneEvaluator() throws Exception {
    Operand a = operand(2, 0, 75);
    Operand b = operand(2, 0, 76);
    long[][] expected = new long[2][];
    try (CiphertextBatch sa = ev.square(a.ct(), 4); CiphertextBatch sb = ev.square(b.ct(), 4)) {
      expected[0] = download(sa);
      expected[1] = download(sb);
    }
    CiphertextBatch[] inputs = {a.ct(), b.ct()};
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
      List<java.util.concurrent.Future<Integer>> results = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        int which = w;
        results.add(pool.submit(() -> {
          start.await();
          int wrong = 0;
          for (int it = 0; it < 12; it++) {
            try (CiphertextBatch s = ev.square(inputs[which], 4)) {
              if (!java.util.Arrays.equals(expected[which], download(s))) {
                wrong++;
              }
            }
          }
          return wrong;
        }));
      }
      for (int w = 0; w < 2; w++) {
        assertEquals(0, results.get(w).get(), "wrong squares in thread " + w);
      }
    } finally {
      pool.shutdownNow();
      inputs[0].close();
      inputs[1].close();
    }
  }

  /** The allocation-free variants (squareInto, multiplyAccumulateInto, copyInto) give the same residues as the allocating ones. */
  @Test
  void intoVariantsEqualTheAllocatingOperations() {
    Operand a = operand(2, 1, 77);
    Operand b = operand(2, 1, 78);
    IntMatrix w = IntMatrix.fromDense(2, 3, new int[] {1, -2, 3, 0, 5, -6});
    try (CiphertextBatch ca = a.ct(); CiphertextBatch cb = b.ct();
        CiphertextBatch sa = ev.square(ca, 4); CiphertextBatch sb = ev.square(cb, 4);
        CiphertextBatch squares = ev.allocate(1, 4, 3, 6, false);
        CiphertextBatch copies = ev.allocate(1, 4, 3, 7, false);
        CiphertextBatch mac = ev.multiplyAccumulate(w, ca);
        CiphertextBatch macInto = ev.allocate(1, ca.level(), 2, 2, false)) {
      ev.squareInto(ca, squares, 0);
      ev.squareInto(cb, squares, 3);
      long[] both = new long[2 * download(sa).length];
      System.arraycopy(download(sa), 0, both, 0, both.length / 2);
      System.arraycopy(download(sb), 0, both, both.length / 2, both.length / 2);
      assertArrayEquals(both, download(squares));
      ev.copyInto(sb, copies, 4);
      ev.copyInto(sa, copies, 1);
      long[] c = download(copies);
      long[] cSa = download(sa);
      long[] cSb = download(sb);
      int per = cSa.length / 3;
      assertArrayEquals(new long[per], java.util.Arrays.copyOfRange(c, 0, per), "untouched ciphertext 0");
      assertArrayEquals(cSa, java.util.Arrays.copyOfRange(c, per, 4 * per));
      assertArrayEquals(cSb, java.util.Arrays.copyOfRange(c, 4 * per, 7 * per));
      ev.multiplyAccumulateInto(w, ca, macInto);
      assertEquals(ca.isNttForm(), macInto.isNttForm());
      assertArrayEquals(download(mac), download(macInto));

      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.squareInto(ca, ev.allocate(1, 4, 3, 3, true), 0));
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.squareInto(ca, ev.allocate(1, 4, 2, 3, false), 0));
      assertCode(ErrorCode.INVALID_CIPHERTEXT, () -> ev.squareInto(sa, ev.allocate(1, 4, 3, 3, false), 0));
      try (CiphertextBatch low = ev.modSwitchTo(ca, 3)) {
        assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.squareInto(low, ev.allocate(1, 4, 3, 3, false), 0));
      }
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.squareInto(ca, ev.allocate(0, 4, 3, 3, false), 0));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.squareInto(ca, squares, 4));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.squareInto(ca, squares, -1));
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.copyInto(ca, copies, 0));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.copyInto(sa, copies, 5));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.multiplyAccumulateInto(w, ca, ev.allocate(1, ca.level(), 2, 3, false)));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.allocate(1, 0, 2, 1, false));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.allocate(2, 1, 2, 1, false));
    }
  }

  /** Batches larger than one multiplication / encryption chunk (64) are handled across the boundary. */
  @Test
  void batchesLargerThanOneChunk() {
    long t = t(1);
    long[][] x = randomSlots(new SplittableRandom(81), 65, t);
    try (CiphertextBatch c = encrypt(1, x); CiphertextBatch sq = ev.square(c, 4); CiphertextBatch full = ev.square(c);
        CiphertextBatch switched = ev.modSwitchTo(full, 4)) {
      assertDecrypts(x, c, "65 fresh ciphertexts");
      assertDecrypts(map2(x, x, t, (u, v) -> u * v), sq, "65 squares");
      assertArrayEquals(download(switched), download(sq));
    }
  }

  /**
   * The CryptoNet shape to depth 2 (layer, bias, square, layer on size 3, relinearize, square,
   * layer) on both plaintext primes, CRT-composed to the exact signed integer result; the noise
   * budget is fresh > after one square > after two > 0.
   */
  @Test
  void cryptoNetShapeToDepthTwoIsExact() {
    int n = toyInsecure.n();
    int inputs = 5;
    SplittableRandom r = new SplittableRandom(91);
    long[][] x = new long[inputs][n];
    for (long[] row : x) {
      for (int j = 0; j < n; j++) {
        row[j] = r.nextLong(-7, 8);
      }
    }
    int[] w1 = new int[4 * inputs];
    int[] w2 = new int[3 * 4];
    int[] w3 = new int[2 * 3];
    for (int[] w : new int[][] {w1, w2, w3}) {
      for (int i = 0; i < w.length; i++) {
        w[i] = r.nextInt(-3, 4);
      }
    }
    long[] b1 = {5, -7, 3, 0};
    long[][] exact = new long[2][n];
    for (int j = 0; j < n; j++) {
      long[] h1 = new long[4];
      for (int o = 0; o < 4; o++) {
        long s = b1[o];
        for (int k = 0; k < inputs; k++) {
          s += w1[o * inputs + k] * x[k][j];
        }
        h1[o] = s * s;
      }
      long[] h2 = new long[3];
      for (int o = 0; o < 3; o++) {
        long s = 0;
        for (int k = 0; k < 4; k++) {
          s += w2[o * 4 + k] * h1[k];
        }
        h2[o] = s * s;
      }
      for (int o = 0; o < 2; o++) {
        for (int k = 0; k < 3; k++) {
          exact[o][j] += w3[o * 3 + k] * h2[k];
        }
      }
    }
    long[][][] perPrime = new long[2][][];
    for (int index = 0; index < 2; index++) {
      int fresh;
      int afterOne;
      int afterTwo;
      try (CiphertextBatch in = encrypt(index, x); CiphertextBatch l1 = ev.multiplyAccumulate(IntMatrix.fromDense(4, inputs, w1), in)) {
        fresh = minBudget(in);
        ev.addPlainConstantsInPlace(l1, b1);
        try (CiphertextBatch s1 = ev.square(l1);
            CiphertextBatch l2 = ev.multiplyAccumulate(IntMatrix.fromDense(3, 4, w2), s1);
            CiphertextBatch r2 = ev.relinearize(l2, relin);
            CiphertextBatch s2 = ev.square(r2);
            CiphertextBatch l3 = ev.multiplyAccumulate(IntMatrix.fromDense(2, 3, w3), s2)) {
          afterOne = minBudget(s1);
          afterTwo = minBudget(s2);
          perPrime[index] = decryptor.decryptSlots(l3);
          assertDecrypts(exact, l3, "network output mod t_" + index);
          assertTrue(minBudget(l3) > 0, "budget after the last layer");
        }
      }
      assertTrue(fresh > afterOne, "fresh " + fresh + " > after one square " + afterOne);
      assertTrue(afterOne > afterTwo, "after one square " + afterOne + " > after two " + afterTwo);
      assertTrue(afterTwo > 0, "after two squares " + afterTwo);
    }
    CrtComposer crt = new CrtComposer(toyInsecure);
    for (int o = 0; o < 2; o++) {
      for (int j = 0; j < n; j++) {
        assertTrue(BigInteger.valueOf(exact[o][j]).abs().bitLength() <= crt.capacityBits());
        assertEquals(exact[o][j], crt.composeLong(new long[] {perPrime[0][o][j], perPrime[1][o][j]}), "output " + o + " slot " + j);
      }
    }
  }

  /** Real 128-bit parameters (n = 8192, 7 x 31 bits): public-key times symmetric ciphertext, plain ops, relinearize, switch down. */
  @Test
  void realParametersMultiplyDifferentCiphertexts() {
    BfvParameters real = BfvParameters.create(spec(8192, bits(7, 31), 25, 1, SecurityLevel.TC128));
    KeyGenerator kg = new KeyGenerator(real, backend, deterministicRandom(111));
    BatchEncoder enc = new BatchEncoder(real, 0);
    long t = enc.plainModulus().value();
    SplittableRandom r = new SplittableRandom(112);
    long[] a = new long[real.n()];
    long[] b = new long[real.n()];
    long[] p = new long[real.n()];
    for (int j = 0; j < a.length; j++) {
      a[j] = r.nextLong(t);
      b[j] = r.nextLong(t);
      p[j] = r.nextLong(t);
    }
    Evaluator e = new Evaluator(real, backend);
    Decryptor d = new Decryptor(real, backend, kg.secretKey());
    try (PublicKey pk = kg.createPublicKey(); RelinKeys rk = kg.createRelinKeys();
        CiphertextBatch ca = new Encryptor(real, backend, pk, null, deterministicRandom(113)).encrypt(List.of(enc.encode(a)));
        CiphertextBatch cb = new Encryptor(real, backend, null, kg.secretKey(), deterministicRandom(114)).encrypt(List.of(enc.encode(b)));
        CiphertextBatch ab = e.multiply(ca, cb);
        CiphertextBatch abr = e.relinearize(ab, rk);
        CiphertextBatch abp = e.multiplyPlain(abr, enc.encode(p));
        CiphertextBatch low = e.modSwitchTo(abp, 3)) {
      e.addPlainInPlace(low, enc.encode(b));
      long[] got = d.decryptSlots(low)[0];
      for (int j = 0; j < a.length; j++) {
        long expected = (BigInteger.valueOf(a[j]).multiply(BigInteger.valueOf(b[j])).multiply(BigInteger.valueOf(p[j])).mod(BigInteger.valueOf(t)).longValueExact() + b[j]) % t;
        assertEquals(expected, got[j], "slot " + j);
      }
      assertTrue(minBudgetOf(d, low) > 0);
      assertTrue(minBudgetOf(d, ab) < minBudgetOf(d, ca));
    }
  }

  static int minBudgetOf(Decryptor d, CiphertextBatch c) {
    int min = Integer.MAX_VALUE;
    for (int b : d.invariantNoiseBudget(c)) {
      min = Math.min(min, b);
    }
    return min;
  }

  // ---- misuse ----

  static Stream<Arguments> misuse() {
    return Stream.of(
        Arguments.of("add across plaintext primes", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct(); CiphertextBatch b = operand(2, 1, 2).ct()) {
            ev.add(a, b);
          }
        }),
        Arguments.of("multiply across plaintext primes", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct(); CiphertextBatch b = operand(2, 1, 2).ct()) {
            ev.multiply(a, b);
          }
        }),
        Arguments.of("subtract across levels", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct(); CiphertextBatch b = ev.modSwitchToNext(a)) {
            ev.subtract(a, b);
          }
        }),
        Arguments.of("add across counts", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          long[][] one = randomSlots(new SplittableRandom(3), 1, t(0));
          try (CiphertextBatch a = operand(2, 0, 1).ct(); CiphertextBatch b = encrypt(0, one)) {
            ev.add(a, b);
          }
        }),
        Arguments.of("square of size 3", ErrorCode.INVALID_CIPHERTEXT, (Executable) () -> {
          try (CiphertextBatch a = operand(3, 0, 1).ct()) {
            ev.square(a);
          }
        }),
        Arguments.of("multiply size 3 by size 2", ErrorCode.INVALID_CIPHERTEXT, (Executable) () -> {
          try (CiphertextBatch a = operand(3, 0, 1).ct(); CiphertextBatch b = operand(2, 0, 2).ct()) {
            ev.multiply(b, a);
          }
        }),
        Arguments.of("relinearize size 2", ErrorCode.INVALID_CIPHERTEXT, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct()) {
            ev.relinearize(a, relin);
          }
        }),
        Arguments.of("modSwitchToNext at level 1", ErrorCode.INVALID_CIPHERTEXT, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct(); CiphertextBatch low = ev.modSwitchTo(a, 1)) {
            ev.modSwitchToNext(low);
          }
        }),
        Arguments.of("modSwitchTo above the current level", ErrorCode.INVALID_ARGUMENT, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct(); CiphertextBatch low = ev.modSwitchTo(a, 2)) {
            ev.modSwitchTo(low, 3);
          }
        }),
        Arguments.of("square into level 0", ErrorCode.INVALID_ARGUMENT, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct()) {
            ev.square(a, 0);
          }
        }),
        Arguments.of("multiplyAccumulate with 4 columns for 3 ciphertexts", ErrorCode.INVALID_ARGUMENT, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct()) {
            ev.multiplyAccumulate(IntMatrix.fromDense(1, 4, new int[] {1, 2, 3, 4}), a);
          }
        }),
        Arguments.of("addPlainConstantsInPlace with 2 constants for 3 ciphertexts", ErrorCode.INVALID_ARGUMENT, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct()) {
            ev.addPlainConstantsInPlace(a, new long[] {1, 2});
          }
        }),
        Arguments.of("addPlainInPlace with a plaintext of the other prime", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct()) {
            ev.addPlainInPlace(a, encoders[1].encode(new long[] {1}));
          }
        }),
        Arguments.of("multiplyPlain with a plaintext of the other prime", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (CiphertextBatch a = operand(2, 0, 1).ct()) {
            ev.multiplyPlain(a, encoders[1].encode(new long[] {1}));
          }
        }),
        Arguments.of("relinearization keys of other parameters", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          Other o = other();
          try (CiphertextBatch a = operand(3, 0, 1).ct(); RelinKeys rk = o.keys.createRelinKeys()) {
            ev.relinearize(a, rk);
          }
        }),
        Arguments.of("secret key of other parameters to a Decryptor", ErrorCode.PARAMETER_MISMATCH,
            (Executable) () -> new Decryptor(toyInsecure, backend, other().keys.secretKey())),
        Arguments.of("public key of other parameters to an Encryptor", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (PublicKey pk = other().keys.createPublicKey()) {
            new Encryptor(toyInsecure, backend, pk);
          }
        }),
        Arguments.of("secret key of other parameters to an Encryptor", ErrorCode.PARAMETER_MISMATCH,
            (Executable) () -> new Encryptor(toyInsecure, backend, other().keys.secretKey())),
        Arguments.of("ciphertext of other parameters to the Evaluator", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (CiphertextBatch c = other().encrypt()) {
            ev.negate(c);
          }
        }),
        Arguments.of("ciphertext of other parameters to the Decryptor", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          try (CiphertextBatch c = other().encrypt()) {
            decryptor.decryptSlots(c);
          }
        }),
        Arguments.of("ciphertext on another backend", ErrorCode.PARAMETER_MISMATCH, (Executable) () -> {
          Evaluator elsewhere = new Evaluator(toyInsecure, otherBackend);
          try (CiphertextBatch a = operand(2, 0, 1).ct()) {
            elsewhere.negate(a);
          }
        }),
        Arguments.of("plaintext coefficient equal to t", ErrorCode.VALUE_OUT_OF_RANGE, (Executable) () -> {
          long[] c = new long[toyInsecure.n()];
          c[3] = t(0);
          new Plaintext(toyInsecure, 0, c);
        }),
        Arguments.of("negative plaintext coefficient", ErrorCode.VALUE_OUT_OF_RANGE, (Executable) () -> {
          long[] c = new long[toyInsecure.n()];
          c[0] = -1;
          new Plaintext(toyInsecure, 1, c);
        }));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("misuse")
  void misuseFailsWithItsCode(String name, ErrorCode expected, Executable action) {
    assertCode(expected, action);
  }

  /** Parameters that differ from the toy set only in t (21-bit primes), with their own keys. */
  record Other(BfvParameters params, KeyGenerator keys) {
    CiphertextBatch encrypt() {
      return new Encryptor(params, backend, null, keys.secretKey(), deterministicRandom(6)).encrypt(List.of(new BatchEncoder(params, 0).encode(new long[] {1})));
    }
  }

  static Other other;

  static synchronized Other other() {
    if (other == null) {
      BfvParameters p = BfvParameters.create(spec(2048, bits(5, 31), 21, 2, SecurityLevel.NONE));
      other = new Other(p, new KeyGenerator(p, backend, deterministicRandom(5)));
    }
    return other;
  }
}
