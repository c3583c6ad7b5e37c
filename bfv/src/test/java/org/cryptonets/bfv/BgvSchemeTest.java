package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.assertCode;
import static org.cryptonets.bfv.BfvTestSupport.bits;
import static org.cryptonets.bfv.BfvTestSupport.deterministicRandom;
import static org.cryptonets.bfv.BfvTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongBinaryOperator;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvException.ErrorCode;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BGV on insecure toy parameters (n = 2048, five 31-bit primes, two 20-bit plaintext primes; the
 * 128-bit bound at n = 2048 is 54 bits): every operation against the clear arithmetic mod t, the
 * correction factors, known answers for keys and fresh ciphertexts, the noise budget running out
 * being reported, and misuse (mixed schemes) refused with its error code.
 */
class BgvSchemeTest {
  static Backend backend;
  static BfvParameters toyInsecure;
  static KeyGenerator keys;
  static BgvPublicKey publicKey;
  static BgvRelinKeys relin;
  static BgvEncryptor symmetric;
  static BgvEncryptor asymmetric;
  static BgvDecryptor decryptor;
  static BgvEvaluator ev;
  static BatchEncoder[] encoders;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    toyInsecure = BfvParameters.create(spec(2048, bits(5, 31), 20, 2, SecurityLevel.NONE));
    keys = new KeyGenerator(toyInsecure, backend, deterministicRandom(201));
    publicKey = keys.createBgvPublicKey();
    relin = keys.createBgvRelinKeys();
    symmetric = new BgvEncryptor(toyInsecure, backend, null, keys.secretKey(), deterministicRandom(202));
    asymmetric = new BgvEncryptor(toyInsecure, backend, publicKey, null, deterministicRandom(203));
    decryptor = new BgvDecryptor(toyInsecure, backend, keys.secretKey());
    ev = new BgvEvaluator(toyInsecure, backend);
    encoders = new BatchEncoder[] {new BatchEncoder(toyInsecure, 0), new BatchEncoder(toyInsecure, 1)};
  }

  @AfterAll
  static void tearDown() {
    ev.close();
    decryptor.close();
    symmetric.close();
    asymmetric.close();
    relin.close();
    publicKey.close();
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

  static CiphertextBatch encrypt(BgvEncryptor e, int index, long[][] slots, int level) {
    List<Plaintext> pts = new ArrayList<>();
    for (long[] s : slots) {
      pts.add(encoders[index].encode(s));
    }
    return e.encrypt(pts, level);
  }

  static void assertDecrypts(long[][] expected, CiphertextBatch c, String what) {
    long t = t(c.plainIndex());
    long[][] got = decryptor.decryptSlots(c);
    assertEquals(expected.length, got.length, what + ": count");
    for (int k = 0; k < expected.length; k++) {
      for (int j = 0; j < expected[k].length; j++) {
        if (Math.floorMod(expected[k][j], t) != got[k][j]) {
          assertEquals(Math.floorMod(expected[k][j], t), got[k][j], what + ": ciphertext " + k + ", slot " + j);
        }
      }
    }
  }

  static long[][] map2(long[][] a, long[][] b, long t, LongBinaryOperator f) {
    long[][] out = new long[a.length][a[0].length];
    for (int k = 0; k < a.length; k++) {
      for (int j = 0; j < a[k].length; j++) {
        out[k][j] = Math.floorMod(f.applyAsLong(a[k][j], b[k][j]), t);
      }
    }
    return out;
  }

  static int minBudget(CiphertextBatch c) {
    return java.util.Arrays.stream(decryptor.noiseBudget(c)).min().getAsInt();
  }

  // ------------------------------------------------------------------------------------ encryption

  static Stream<Arguments> encryptions() {
    List<Arguments> cases = new ArrayList<>();
    for (int level = 1; level <= 5; level++) {
      for (int index = 0; index < 2; index++) {
        cases.add(Arguments.of("symmetric", level, index));
        if (level > 1) {
          // One 31-bit prime is below a public-key encryption's noise t (e u + e0 + e1 s) for t of 20 bits.
          cases.add(Arguments.of("public key", level, index));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} at level {1}, t#{2}")
  @MethodSource("encryptions")
  void freshCiphertextsDecryptAtEveryLevel(String kind, int level, int index) {
    long[][] x = randomSlots(new SplittableRandom(level * 10 + index), 2, t(index));
    BgvEncryptor e = kind.equals("symmetric") ? symmetric : asymmetric;
    try (CiphertextBatch c = encrypt(e, index, x, level)) {
      assertEquals(Scheme.BGV, c.scheme());
      assertTrue(c.isNttForm());
      assertEquals(1, c.correctionFactor());
      assertEquals(level, c.level());
      assertEquals(kind.equals("symmetric"), c.seed() != null);
      assertDecrypts(x, c, kind + " level " + level);
      assertTrue(minBudget(c) > 0);
    }
  }

  /**
   * Plaintexts encoded on the backend encrypt as Plaintext objects do, across a partial last chunk
   * (70 ciphertexts, chunks of 64), with either key; the encoded buffer must be over the plaintext
   * prime, and slot values outside [0, t) are refused.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"symmetric", "public key"})
  void encodedPlaintextsEncryptAsPlaintextObjectsDo(String kind) {
    BgvEncryptor e = kind.equals("symmetric") ? symmetric : asymmetric;
    int n = toyInsecure.n();
    long[][] x = randomSlots(new SplittableRandom(kind.length()), 70, t(1));
    try (org.cryptonets.engine.PolyBuffer encoded = encoders[1].encodeOnBackend(backend, 70, (k, target, offset) -> System.arraycopy(x[k], 0, target, offset, n));
        CiphertextBatch fromBuffer = e.encryptEncoded(encoded.all(), 1, 3);
        CiphertextBatch fromObjects = encrypt(e, 1, x, 3)) {
      assertEquals(1, fromBuffer.plainIndex());
      assertDecrypts(x, fromBuffer, kind + ", encoded on the backend");
      assertDecrypts(x, fromObjects, kind + ", Plaintext objects");
      try (CiphertextBatch sub = e.encryptEncoded(encoded.range(5, 4), 1, 2)) {
        assertDecrypts(java.util.Arrays.copyOfRange(x, 5, 9), sub, kind + ", a sub-range at level 2");
      }
      BfvTestSupport.assertCode(BfvException.ErrorCode.INVALID_ARGUMENT, () -> e.encryptEncoded(encoded.all(), 0, 3));
    }
    try (CiphertextBatch wrongBasis = encrypt(e, 1, x, 1)) {
      BfvTestSupport.assertCode(BfvException.ErrorCode.INVALID_ARGUMENT, () -> e.encryptEncoded(wrongBasis.component(0), 1, 3));
    }
    org.cryptonets.engine.EngineException tooLarge = org.junit.jupiter.api.Assertions.assertThrows(org.cryptonets.engine.EngineException.class,
        () -> encoders[0].encodeOnBackend(backend, 2, (k, target, offset) -> target[offset + 7] = t(0)).close());
    assertEquals(org.cryptonets.engine.EngineException.Code.VALUE_OUT_OF_RANGE, tooLarge.code());
  }

  /** A symmetric batch's c1 is exactly the seed's expansion at its level: the receiver rebuilds it. */
  @ParameterizedTest(name = "level {0}")
  @ValueSource(ints = {1, 3, 5})
  void seededC1IsTheSeedExpansionInNttForm(int level) {
    long[][] x = randomSlots(new SplittableRandom(77), 3, t(0));
    try (CiphertextBatch c = encrypt(symmetric, 0, x, level)) {
      int len = level * toyInsecure.n();
      long[] c1 = new long[3 * len];
      BgvEncryptor.expandSeed(toyInsecure, c.seed(), level, 0, c1, 3);
      long[] all = BfvTestSupport.download(c);
      for (int k = 0; k < 3; k++) {
        assertArrayEquals(java.util.Arrays.copyOfRange(c1, k * len, (k + 1) * len), java.util.Arrays.copyOfRange(all, (2 * k + 1) * len, (2 * k + 2) * len));
      }
      long[] tail = new long[2 * len];
      BgvEncryptor.expandSeed(toyInsecure, c.seed(), level, 1, tail, 2);
      assertArrayEquals(java.util.Arrays.copyOfRange(c1, len, 3 * len), tail, "expansion from an offset");
    }
  }

  /**
   * Known answer: a symmetric encryption's phase c0 + c1 s is exactly m (centred) + t e, with e
   * centred-binomial (|e| <= 21), checked coefficient by coefficient with BigInteger.
   */
  @Test
  void freshPhaseIsPlaintextPlusTTimesSmallNoise() {
    long t = t(1);
    long[][] x = randomSlots(new SplittableRandom(5), 1, t);
    Plaintext p = encoders[1].encode(x[0]);
    try (CiphertextBatch c = symmetric.encrypt(List.of(p), 4)) {
      long[] phase = phaseCoefficients(c, 0);
      RnsBasis basis = toyInsecure.basisAt(4);
      long[] m = p.coefficients();
      int n = toyInsecure.n();
      long[] residues = new long[4];
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < 4; i++) {
          residues[i] = phase[i * n + j];
        }
        BigInteger v = basis.composeCentered(residues);
        long centred = m[j] > t / 2 ? m[j] - t : m[j];
        BigInteger[] qr = v.subtract(BigInteger.valueOf(centred)).divideAndRemainder(BigInteger.valueOf(t));
        assertEquals(BigInteger.ZERO, qr[1], "phase - m is a multiple of t at " + j);
        assertTrue(qr[0].abs().longValueExact() <= 21, "noise " + qr[0] + " at " + j);
      }
    }
  }

  /** c0 + c1 s in coefficient form, limb after limb, for ciphertext k, via the secret key on the host side of the test. */
  static long[] phaseCoefficients(CiphertextBatch c, int k) {
    RnsBasis basis = toyInsecure.basisAt(c.level());
    int n = toyInsecure.n();
    int l = basis.size();
    long[] all = BfvTestSupport.download(c);
    long[] s = new long[l * n];
    int[] ternary = keys.secretKey().ternary();
    for (int i = 0; i < l; i++) {
      for (int j = 0; j < n; j++) {
        s[i * n + j] = Math.floorMod(ternary[j], basis.modulus(i).value());
      }
      basis.ntt(i).forward(s, i * n);
    }
    long[] out = new long[l * n];
    int size = c.size();
    for (int i = 0; i < l; i++) {
      Modulus q = basis.modulus(i);
      for (int j = 0; j < n; j++) {
        long c0 = all[((k * size) * l + i) * n + j];
        long c1 = all[((k * size + 1) * l + i) * n + j];
        out[i * n + j] = q.add(c0, q.multiply(c1, s[i * n + j]));
      }
      basis.ntt(i).inverse(out, i * n);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------ evaluation

  interface CtOp {
    CiphertextBatch apply(CiphertextBatch a, CiphertextBatch b);
  }

  static Stream<Arguments> binaryOps() {
    return Stream.of(
        Arguments.of("add", (CtOp) (a, b) -> ev.add(a, b), (LongBinaryOperator) Long::sum),
        Arguments.of("subtract", (CtOp) (a, b) -> ev.subtract(a, b), (LongBinaryOperator) (x, y) -> x - y),
        Arguments.of("negate", (CtOp) (a, b) -> ev.negate(a), (LongBinaryOperator) (x, y) -> -x),
        Arguments.of("multiplyScalar -99991", (CtOp) (a, b) -> ev.multiplyScalar(a, -99991), (LongBinaryOperator) (x, y) -> -99991 * x),
        Arguments.of("multiply", (CtOp) (a, b) -> ev.multiply(a, b), (LongBinaryOperator) Math::multiplyExact),
        Arguments.of("multiply, relinearize", (CtOp) (a, b) -> {
          try (CiphertextBatch p = ev.multiply(a, b)) {
            return ev.relinearize(p, relin);
          }
        }, (LongBinaryOperator) Math::multiplyExact),
        Arguments.of("multiply, relinearize, switch 2 levels", (CtOp) (a, b) -> {
          try (CiphertextBatch p = ev.multiply(a, b); CiphertextBatch r = ev.relinearize(p, relin)) {
            return ev.modSwitchTo(r, 3);
          }
        }, (LongBinaryOperator) Math::multiplyExact),
        Arguments.of("switch a, add b of another factor", (CtOp) (a, b) -> {
          try (CiphertextBatch sa = ev.modSwitchTo(a, 4); CiphertextBatch sb = ev.modSwitchTo(b, 4); CiphertextBatch sb2 = ev.multiplyScalar(sb, 1)) {
            // Same level, different factors are impossible from one chain; make one by a product.
            return ev.add(sa, sb2);
          }
        }, (LongBinaryOperator) Long::sum));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("binaryOps")
  void operationMatchesClearArithmetic(String name, CtOp op, LongBinaryOperator clear) {
    for (int index = 0; index < 2; index++) {
      long t = t(index);
      SplittableRandom r = new SplittableRandom(name.hashCode() + index);
      long[][] a = randomSlots(r, 3, t);
      long[][] b = randomSlots(r, 3, t);
      try (CiphertextBatch ca = encrypt(symmetric, index, a, 5); CiphertextBatch cb = encrypt(asymmetric, index, b, 5); CiphertextBatch out = op.apply(ca, cb)) {
        assertTrue(out.isNttForm());
        assertDecrypts(map2(a, b, t, clear), out, name + " t#" + index);
        assertTrue(minBudget(out) > 0, name + ": budget left");
      }
    }
  }

  /** Batches whose factors differ (one switched, one squared and switched) still add correctly. */
  @Test
  void addingBatchesOfDifferentFactorsAlignsThem() {
    long t = t(0);
    SplittableRandom r = new SplittableRandom(9);
    long[][] a = randomSlots(r, 2, t);
    long[][] b = randomSlots(r, 2, t);
    try (CiphertextBatch ca = encrypt(symmetric, 0, a, 5); CiphertextBatch cb = encrypt(symmetric, 0, b, 5);
        CiphertextBatch sa = ev.modSwitchTo(ca, 3); CiphertextBatch b4 = ev.modSwitchTo(cb, 4); CiphertextBatch sq = ev.square(b4);
        CiphertextBatch rl = ev.relinearize(sq, relin); CiphertextBatch sb = ev.modSwitchToNext(rl)) {
      assertNotEquals(sa.correctionFactor(), sb.correctionFactor(), "the factors differ");
      try (CiphertextBatch sum = ev.add(sa, sb)) {
        assertEquals(sa.correctionFactor(), sum.correctionFactor());
        assertDecrypts(map2(a, b, t, (x, y) -> x + y * y % t), sum, "a + b^2 across factors");
      }
    }
  }

  /** Known factors: fresh 1, after dropping q_4 (0-based) it is q_4^-1 mod t, a square f^2, a product f_a f_b. */
  @Test
  void correctionFactorsFollowTheSwitchedPrimes() {
    Modulus t = toyInsecure.plainModulus(0);
    long q4 = toyInsecure.coeffBasis().modulus(4).value();
    long q3 = toyInsecure.coeffBasis().modulus(3).value();
    long inv4 = t.inverse(q4 % t.value());
    long inv3 = t.inverse(q3 % t.value());
    long[][] a = randomSlots(new SplittableRandom(3), 1, t.value());
    try (CiphertextBatch c = encrypt(symmetric, 0, a, 5); CiphertextBatch s1 = ev.modSwitchToNext(c); CiphertextBatch sq = ev.square(s1, 3)) {
      assertEquals(inv4, s1.correctionFactor());
      assertEquals(t.multiply(t.multiply(inv4, inv4), inv3), sq.correctionFactor());
      assertDecrypts(map2(a, a, t.value(), (x, y) -> x * y), sq, "square switched while squaring");
    }
  }

  /**
   * Linear layer with bias, squares and switches via the scheme-agnostic interface, in chunks and
   * through multiplyAccumulateSquareInto: into a lower level (the interface's default) and at the
   * input's level (the backend's operation, which the CPU backend fuses for the sparse layer; the
   * dense one takes its default), bit for bit against the separate operations.
   */
  @ParameterizedTest
  @ValueSource(doubles = {1.0, 0.2})
  void fusedLinearSquareIntoMatchesSeparateOperations(double density) {
    HomomorphicEvaluator h = ev;
    long t = t(1);
    SplittableRandom r = new SplittableRandom(21);
    boolean sparse = density < 1;
    int inputs = sparse ? 12 : 4;
    int outputs = sparse ? 20 : 5;
    long[][] x = randomSlots(r, inputs, t);
    int[] w = new int[outputs * inputs];
    for (int k = 0; k < w.length; k++) {
      w[k] = r.nextDouble() < density ? r.nextInt(-30, 31) : 0;
    }
    long[] bias = new long[outputs];
    for (int k = 0; k < outputs; k++) {
      bias[k] = r.nextLong(-5000, 5001);
    }
    IntMatrix weights = IntMatrix.fromDense(outputs, inputs, w);
    assertEquals(sparse, weights.density() <= 0.3, "layer kind not exercised: density " + weights.density());
    long[][] expected = new long[outputs][toyInsecure.n()];
    for (int o = 0; o < outputs; o++) {
      for (int j = 0; j < toyInsecure.n(); j++) {
        long s = Math.floorMod(bias[o], t);
        for (int k = 0; k < inputs; k++) {
          s = Math.floorMod(s + w[o * inputs + k] * x[k][j], t);
        }
        expected[o][j] = s * s % t;
      }
    }
    try (CiphertextBatch in = encrypt(symmetric, 1, x, 5); CiphertextBatch next = h.allocate(1, 4, 3, outputs, false)) {
      // Two chunks of outputs, as EncryptedCryptoNet fuses them.
      int[][] chunks = {{0, 3}, {3, outputs}};
      for (int[] ch : chunks) {
        try (CiphertextBatch part = h.allocate(1, 5, 2, ch[1] - ch[0], true)) {
          h.multiplyAccumulateInto(weights.rows(ch[0], ch[1]), in, part);
          h.addPlainConstantsInPlace(part, java.util.Arrays.copyOfRange(bias, ch[0], ch[1]));
          h.squareInto(part, next, ch[0]);
        }
      }
      assertDecrypts(expected, next, "fused");
      try (CiphertextBatch viaDefault = h.allocate(1, 4, 3, outputs, false)) {
        h.multiplyAccumulateSquareInto(weights, in, bias, viaDefault);
        assertArrayEquals(BfvTestSupport.download(next), BfvTestSupport.download(viaDefault), "multiplyAccumulateSquareInto into level 4");
        assertEquals(next.correctionFactor(), viaDefault.correctionFactor());
      }
      try (CiphertextBatch separate = h.allocate(1, 5, 3, outputs, false); CiphertextBatch viaBackend = h.allocate(1, 5, 3, outputs, false)) {
        for (int[] ch : chunks) {
          try (CiphertextBatch part = h.allocate(1, 5, 2, ch[1] - ch[0], true)) {
            h.multiplyAccumulateInto(weights.rows(ch[0], ch[1]), in, part);
            h.addPlainConstantsInPlace(part, java.util.Arrays.copyOfRange(bias, ch[0], ch[1]));
            h.squareInto(part, separate, ch[0]);
          }
        }
        h.multiplyAccumulateSquareInto(weights, in, bias, viaBackend);
        assertArrayEquals(BfvTestSupport.download(separate), BfvTestSupport.download(viaBackend), "multiplyAccumulateSquareInto at the input's level");
        assertEquals(separate.correctionFactor(), viaBackend.correctionFactor());
        assertDecrypts(expected, viaBackend, "multiplyAccumulateSquareInto at the input's level");
      }
      try (CiphertextBatch lin = h.multiplyAccumulate(weights, in)) {
        h.addPlainConstantsInPlace(lin, bias);
        try (CiphertextBatch sq = h.square(lin, 4)) {
          assertArrayEquals(BfvTestSupport.download(sq), BfvTestSupport.download(next), "fused and separate square-and-switch differ");
          assertEquals(sq.correctionFactor(), next.correctionFactor());
        }
      }
      try (CiphertextBatch rl = h.relinearize(next, relin); CiphertextBatch low = h.modSwitchTo(rl, 2)) {
        assertDecrypts(expected, low, "relinearized, switched to level 2");
        CompressedResults back = h.compressForReturn(low, 40);
        assertEquals(Scheme.BGV, back.scheme());
        assertEquals(40 * 2L * outputs * toyInsecure.n(), back.ciphertexts().serializedBits(), "BFV's compressed size");
        long[][] got = decryptor.decryptSlots(back);
        for (int o = 0; o < outputs; o++) {
          assertArrayEquals(expected[o], got[o], "compressed result " + o);
        }
        assertTrue(java.util.Arrays.stream(decryptor.noiseBudget(back)).min().getAsInt() > 0);
      }
    }
  }

  /** The owner's factor is [-Q f^-1]_t, with Q of the level converted: a known answer. */
  @Test
  void resultFactorIsMinusQTimesFactorInverse() {
    long[][] a = randomSlots(new SplittableRandom(4), 1, t(0));
    try (CiphertextBatch c = encrypt(symmetric, 0, a, 5); CiphertextBatch low = ev.modSwitchTo(c, 2)) {
      CompressedResults back = ev.compressForReturn(low, 36);
      BigInteger bigT = BigInteger.valueOf(t(0));
      BigInteger q = toyInsecure.basisAt(2).product();
      long expected = q.negate().multiply(BigInteger.valueOf(low.correctionFactor()).modInverse(bigT)).mod(bigT).longValueExact();
      assertEquals(expected, back.plainFactor());
      assertArrayEquals(a[0], decryptor.decryptSlots(back)[0]);
      // The BFV decryptor alone sees k f m: the factor is needed.
      long[] raw = new Decryptor(toyInsecure, backend, keys.secretKey()).decryptSlots(back.ciphertexts())[0];
      assertArrayEquals(a[0], back.recover(new long[][] {raw})[0]);
    }
  }

  // ------------------------------------------------------------------------------------ noise

  /**
   * Squaring without relinearizing or switching until the budget is gone: the budget decreases
   * strictly, and once it reaches 0 decryption refuses (INVALID_CIPHERTEXT) instead of answering.
   */
  @Test
  void exhaustedBudgetIsReportedNotDecrypted() {
    long t = t(0);
    long[][] x = randomSlots(new SplittableRandom(8), 1, t);
    long[][] clear = x;
    CiphertextBatch c = encrypt(symmetric, 0, x, 5);
    int previous = minBudget(c);
    boolean refused = false;
    for (int round = 0; round < 8 && !refused; round++) {
      try (CiphertextBatch sq = ev.square(c)) {
        c.close();
        c = ev.relinearize(sq, relin);
      }
      clear = map2(clear, clear, t, (a, b) -> a * b);
      int budget = minBudget(c);
      assertTrue(budget < previous, "budget " + budget + " after round " + round + ", was " + previous);
      previous = budget;
      if (budget > 0) {
        assertDecrypts(clear, c, "round " + round);
      } else {
        CiphertextBatch dead = c;
        assertCode(ErrorCode.INVALID_CIPHERTEXT, () -> decryptor.decryptSlots(dead));
        refused = true;
      }
    }
    c.close();
    assertTrue(refused, "the budget never ran out");
  }

  // ------------------------------------------------------------------------------------ misuse

  @Test
  void mixingSchemesIsRefused() {
    long[][] x = randomSlots(new SplittableRandom(1), 1, t(0));
    Encryptor bfvEncryptor = new Encryptor(toyInsecure, backend, keys.secretKey());
    Evaluator bfv = new Evaluator(toyInsecure, backend);
    try (CiphertextBatch bgvCt = encrypt(symmetric, 0, x, 5); CiphertextBatch bfvCt = bfvEncryptor.encrypt(List.of(encoders[0].encode(x[0])));
        RelinKeys bfvRelin = keys.createRelinKeys()) {
      assertEquals(Scheme.BFV, bfvCt.scheme());
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.square(bfvCt));
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.add(bgvCt, bfvCt));
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> bfv.square(bgvCt));
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> bfv.multiplyAccumulate(IntMatrix.fromDense(1, 1, new int[] {1}), bgvCt));
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> decryptor.decryptSlots(bfvCt));
      assertCode(ErrorCode.PARAMETER_MISMATCH, () -> CompressedCiphertexts.compress(bgvCt, 30));
      try (CiphertextBatch sq = ev.square(bgvCt); CiphertextBatch bsq = bfv.square(bfvCt)) {
        assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.relinearize(sq, (RelinearizationKeys) bfvRelin));
        assertCode(ErrorCode.PARAMETER_MISMATCH, () -> bfv.relinearize(bsq, (RelinearizationKeys) relin));
      }
      assertCode(ErrorCode.INVALID_CIPHERTEXT, () -> ev.relinearize(bgvCt, relin));
      try (CiphertextBatch empty = ev.allocate(0, 5, 2, 1, true)) {
        assertEquals(0, empty.correctionFactor());
        assertCode(ErrorCode.INVALID_CIPHERTEXT, () -> decryptor.decryptSlots(empty));
      }
      try (CiphertextBatch sq = ev.square(bgvCt); CiphertextBatch out = ev.allocate(0, 4, 3, 2, true); CiphertextBatch switched = ev.modSwitchToNext(bgvCt);
          CiphertextBatch sq2 = ev.square(switched)) {
        ev.squareInto(bgvCt, out, 0);
        // Same level, other factor: parts of one batch must agree.
        assertCode(ErrorCode.PARAMETER_MISMATCH, () -> ev.squareInto(switched, out, 1));
        assertNotNull(sq2);
      }
      IntMatrix one = IntMatrix.fromDense(1, 1, new int[] {1});
      try (CiphertextBatch sq = ev.square(bgvCt); CiphertextBatch out = ev.allocate(0, 5, 3, 1, true); CiphertextBatch low = ev.modSwitchToNext(bgvCt);
          CiphertextBatch two = ev.allocate(0, 5, 3, 2, true)) {
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.multiplyAccumulateSquareInto(one, bgvCt, new long[2], out));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.multiplyAccumulateSquareInto(one, bgvCt, new long[1], two));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> ev.multiplyAccumulateSquareInto(one, low, new long[1], out));
        assertCode(ErrorCode.INVALID_CIPHERTEXT, () -> ev.multiplyAccumulateSquareInto(one, sq, new long[1], out));
        assertCode(ErrorCode.PARAMETER_MISMATCH, () -> bfv.multiplyAccumulateSquareInto(one, bgvCt, new long[1], out));
      }
    } finally {
      bfv.close();
    }
  }
}
