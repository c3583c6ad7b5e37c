package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.assertCode;
import static org.cryptonets.bfv.BfvTestSupport.bits;
import static org.cryptonets.bfv.BfvTestSupport.deterministicRandom;
import static org.cryptonets.bfv.BfvTestSupport.download;
import static org.cryptonets.bfv.BfvTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvException.ErrorCode;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.PolyBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Proves encryption round-trips under the right key only, seeds regenerate c1, and batch encoding is the slot-wise ring isomorphism. */
class EncryptDecryptTest {
  static Backend backend;
  /** Insecure toy parameters (n = 2048, Q = 2 x 31 bits > 54, SecurityLevel.NONE), t = 12289 so slot collisions have a visible chance. */
  static BfvParameters toyInsecure;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    BfvParameterSpec s = spec(2048, bits(2, 31), 0, 0, SecurityLevel.NONE);
    s.plainPrimes = List.of(12289L, 40961L);
    toyInsecure = BfvParameters.create(s);
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  static long[] uniformSlots(SplittableRandom r, int n, long t) {
    long[] v = new long[n];
    for (int j = 0; j < n; j++) {
      v[j] = r.nextLong(t);
    }
    return v;
  }

  static Stream<Arguments> roundTripSettings() {
    return Stream.of(
        Arguments.of("n=1024, Q=27 bits (1 prime), t=14 bits x1, TC128", spec(1024, List.of(27), 14, 1, SecurityLevel.TC128)),
        Arguments.of("n=2048, Q=2x31 bits, t=17 bits x2, insecure toy (NONE)", spec(2048, bits(2, 31), 17, 2, SecurityLevel.NONE)),
        Arguments.of("n=4096, Q=3x30 bits, t=20 bits x2, TC128", spec(4096, bits(3, 30), 20, 2, SecurityLevel.TC128)),
        Arguments.of("n=8192, Q=7x31 bits, t=25 bits x3, TC128", spec(8192, bits(7, 31), 25, 3, SecurityLevel.TC128)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("roundTripSettings")
  void publicAndSymmetricRoundTrip(String name, BfvParameterSpec spec) {
    BfvParameters params = BfvParameters.create(spec);
    int n = params.n();
    KeyGenerator kg = new KeyGenerator(params, backend, deterministicRandom(11));
    Decryptor dec = new Decryptor(params, backend, kg.secretKey());
    try (PublicKey pk = kg.createPublicKey()) {
      Encryptor publicEnc = new Encryptor(params, backend, pk, null, deterministicRandom(12));
      Encryptor symmetricEnc = new Encryptor(params, backend, null, kg.secretKey(), deterministicRandom(13));
      assertFalse(publicEnc.isSymmetric());
      assertTrue(symmetricEnc.isSymmetric());
      SplittableRandom r = new SplittableRandom(name.hashCode());
      for (int index = 0; index < params.plainModuli().size(); index++) {
        BatchEncoder enc = new BatchEncoder(params, index);
        long t = enc.plainModulus().value();
        long[][] slots = new long[3][];
        List<Plaintext> pts = new ArrayList<>();
        for (int k = 0; k < slots.length; k++) {
          slots[k] = uniformSlots(r, n, t);
          pts.add(enc.encode(slots[k]));
        }
        for (Encryptor e : List.of(publicEnc, symmetricEnc)) {
          String what = name + ", t#" + index + (e.isSymmetric() ? ", symmetric" : ", public key");
          try (CiphertextBatch c = e.encrypt(pts)) {
            assertEquals(3, c.count());
            assertEquals(2, c.size());
            assertEquals(params.maxLevel(), c.level());
            assertEquals(index, c.plainIndex());
            assertTrue(c.isNttForm());
            long[][] got = dec.decryptSlots(c);
            Plaintext[] polys = dec.decrypt(c);
            for (int k = 0; k < slots.length; k++) {
              assertArrayEquals(slots[k], got[k], what + ", ciphertext " + k);
              assertArrayEquals(pts.get(k).coefficients(), polys[k].coefficients(), what + ", ciphertext " + k + " as a polynomial");
            }
            for (int b : dec.invariantNoiseBudget(c)) {
              assertTrue(b > 0, what + ": fresh noise budget " + b);
            }
          }
        }
      }
    }
  }

  /** A key other than the one used to encrypt gives slots that match no more often than chance (n / t ~ 0.17 here). */
  @Test
  void otherSecretKeyDoesNotDecrypt() {
    int n = toyInsecure.n();
    KeyGenerator right = new KeyGenerator(toyInsecure, backend, deterministicRandom(21));
    KeyGenerator wrong = new KeyGenerator(toyInsecure, backend, deterministicRandom(22));
    BatchEncoder enc = new BatchEncoder(toyInsecure, 0);
    long t = enc.plainModulus().value();
    long[] slots = uniformSlots(new SplittableRandom(23), n, t);
    List<Encryptor> encryptors;
    try (PublicKey pk = right.createPublicKey()) {
      encryptors = List.of(
          new Encryptor(toyInsecure, backend, pk, null, deterministicRandom(24)),
          new Encryptor(toyInsecure, backend, null, right.secretKey(), deterministicRandom(25)));
      for (Encryptor e : encryptors) {
        try (CiphertextBatch c = e.encrypt(List.of(enc.encode(slots)))) {
          assertArrayEquals(slots, new Decryptor(toyInsecure, backend, right.secretKey()).decryptSlots(c)[0]);
          Decryptor bad = new Decryptor(toyInsecure, backend, wrong.secretKey());
          long[] got = bad.decryptSlots(c)[0];
          int equal = 0;
          for (int j = 0; j < n; j++) {
            if (got[j] == slots[j]) {
              equal++;
            }
          }
          assertTrue(equal <= 8, equal + " of " + n + " slots equal under the wrong key (chance: " + (double) n / t + ")");
          assertEquals(0, bad.invariantNoiseBudget(c)[0], "noise budget under the wrong key");
        }
      }
    }
  }

  /**
   * c1 of a symmetric batch is stored in NTT form exactly as sampled (the uniform distribution is the
   * same in either form), so {@link Encryptor#expandSeed} reproduces the downloaded c1 residue for
   * residue, and c0 plus the expanded seed is a complete ciphertext again.
   */
  @Test
  void seedRegeneratesC1() {
    BfvParameters params = toyInsecure;
    int n = params.n();
    int l = params.maxLevel();
    KeyGenerator kg = new KeyGenerator(params, backend, deterministicRandom(31));
    BatchEncoder enc = new BatchEncoder(params, 1);
    SplittableRandom r = new SplittableRandom(32);
    int count = 5;
    List<Plaintext> pts = new ArrayList<>();
    long[][] slots = new long[count][];
    for (int k = 0; k < count; k++) {
      slots[k] = uniformSlots(r, n, enc.plainModulus().value());
      pts.add(enc.encode(slots[k]));
    }
    Encryptor e = new Encryptor(params, backend, null, kg.secretKey(), deterministicRandom(33));
    try (CiphertextBatch c = e.encrypt(pts)) {
      byte[] seed = c.seed();
      assertNotNull(seed);
      assertEquals(SeedExpander.SEED_BYTES, seed.length);
      assertTrue(c.isNttForm());
      long[] c0 = new long[count * l * n];
      long[] c1 = new long[count * l * n];
      backend.download(c.component(0), c0);
      backend.download(c.component(1), c1);
      long[] expanded = new long[count * l * n];
      Encryptor.expandSeed(params, seed, expanded, count);
      assertArrayEquals(c1, expanded);

      // Another seed expands to something else.
      byte[] other = seed.clone();
      other[0] ^= 1;
      long[] otherC1 = new long[count * l * n];
      Encryptor.expandSeed(params, other, otherC1, count);
      assertFalse(Arrays.equals(c1, otherC1));

      // The receiving side: c0 as sent, c1 from the seed alone.
      PolyBuffer rebuilt = backend.allocate(params.coeffBasis(), 2 * count);
      long[] interleaved = new long[2 * count * l * n];
      for (int k = 0; k < count; k++) {
        System.arraycopy(c0, k * l * n, interleaved, 2 * k * l * n, l * n);
        System.arraycopy(expanded, k * l * n, interleaved, (2 * k + 1) * l * n, l * n);
      }
      backend.upload(interleaved, rebuilt.all());
      try (CiphertextBatch received = new CiphertextBatch(params, 1, l, 2, count, rebuilt, true)) {
        long[][] got = new Decryptor(params, backend, kg.secretKey()).decryptSlots(received);
        for (int k = 0; k < count; k++) {
          assertArrayEquals(slots[k], got[k], "ciphertext " + k);
        }
      }
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> Encryptor.expandSeed(params, seed, new long[count * l * n - 1], count));
      long polyBits = (long) n * (params.coeffBasis().modulus(0).bits() + params.coeffBasis().modulus(1).bits());
      assertEquals(2 * count * polyBits, c.serializedBits(false));
      assertEquals(count * polyBits + 8L * SeedExpander.SEED_BYTES, c.serializedBits(true));
    }
  }

  /**
   * Known answer for symmetric encryption: the phase c0 + c1 s of every ciphertext is exactly
   * round(Q_level m / t) + e modulo each prime of the level (a BigInteger reference), with e the
   * centred binomial noise re-drawn from the noise seed, the first 32 bytes the encryptor takes from
   * its random source. Both plaintext primes, at the top level and one below.
   */
  @ParameterizedTest(name = "plaintext prime {0}, level below the top {1}")
  @org.junit.jupiter.params.provider.CsvSource({"0, 0", "1, 0", "0, 1", "1, 1"})
  void symmetricPhaseIsTheRoundedScaledMessagePlusTheSeededNoise(int plainIndex, int below) {
    BfvParameters params = BfvParameters.create(spec(2048, bits(3, 31), 20, 2, SecurityLevel.NONE));
    int n = params.n();
    int level = params.maxLevel() - below;
    KeyGenerator kg = new KeyGenerator(params, backend, deterministicRandom(61));
    BatchEncoder enc = new BatchEncoder(params, plainIndex);
    long t = enc.plainModulus().value();
    SplittableRandom r = new SplittableRandom(62 + plainIndex);
    List<Plaintext> pts = List.of(enc.encode(uniformSlots(r, n, t)), enc.encode(uniformSlots(r, n, t)), enc.encode(uniformSlots(r, n, t)));
    Encryptor e = new Encryptor(params, backend, null, kg.secretKey(), deterministicRandom(63));
    java.security.SecureRandom same = deterministicRandom(63);
    byte[] noiseSeed = new byte[SeedExpander.SEED_BYTES];
    same.nextBytes(noiseSeed);
    org.cryptonets.engine.RnsBasis q = params.basisAt(level);
    java.math.BigInteger bigQ = q.product();
    long[] ternary = new long[n];
    for (int j = 0; j < n; j++) {
      ternary[j] = kg.secretKey().ternary()[j];
    }
    try (CiphertextBatch c = e.encrypt(pts, level);
        org.cryptonets.engine.PolyBuffer sk = backend.allocate(q, 1);
        org.cryptonets.engine.PolyBuffer phase = backend.allocate(q, pts.size())) {
      assertEquals(level, c.level());
      backend.uploadIntegers(ternary, sk.all(), true);
      backend.multiplyBroadcast(c.component(1), sk.all(), phase.all());
      backend.add(phase.all(), c.component(0), phase.all());
      backend.inverseNtt(phase.all());
      long[] host = new long[(int) phase.all().hostLength()];
      backend.download(phase.all(), host);
      int[] noise = new int[n];
      for (int k = 0; k < pts.size(); k++) {
        SeedExpander x = new SeedExpander(noiseSeed, KeyGenerator.DOMAIN_ENCRYPT_NOISE, k);
        x.restart(KeyGenerator.DOMAIN_ENCRYPT_NOISE, k);
        x.centeredBinomial(noise);
        long[] m = pts.get(k).coefficientsUnsafe();
        for (int j = 0; j < n; j++) {
          // round(Q m / t) = floor((2 Q m + t) / (2 t))
          java.math.BigInteger scaled = bigQ.multiply(java.math.BigInteger.valueOf(2 * m[j])).add(java.math.BigInteger.valueOf(t))
              .divide(java.math.BigInteger.valueOf(2 * t)).add(java.math.BigInteger.valueOf(noise[j]));
          for (int i = 0; i < q.size(); i++) {
            long expected = scaled.mod(java.math.BigInteger.valueOf(q.modulus(i).value())).longValue();
            assertEquals(expected, host[(k * q.size() + i) * n + j], "ciphertext " + k + ", prime " + i + ", coefficient " + j);
          }
        }
      }
    }
  }

  @Test
  void encryptionIsRandomizedAndReproducibleFromItsRandomSource() {
    BfvParameters params = toyInsecure;
    KeyGenerator kg = new KeyGenerator(params, backend, deterministicRandom(41));
    BatchEncoder enc = new BatchEncoder(params, 0);
    Plaintext p = enc.encode(uniformSlots(new SplittableRandom(42), params.n(), enc.plainModulus().value()));
    Decryptor dec = new Decryptor(params, backend, kg.secretKey());
    try (PublicKey pk = kg.createPublicKey()) {
      for (boolean symmetric : new boolean[] {false, true}) {
        Encryptor e = symmetric
            ? new Encryptor(params, backend, null, kg.secretKey(), deterministicRandom(43))
            : new Encryptor(params, backend, pk, null, deterministicRandom(43));
        try (CiphertextBatch a = e.encrypt(List.of(p)); CiphertextBatch b = e.encrypt(List.of(p))) {
          long[] ha = download(a);
          long[] hb = download(b);
          int half = ha.length / 2;
          assertFalse(Arrays.equals(Arrays.copyOf(ha, half), Arrays.copyOf(hb, half)), "c0 of two encryptions, symmetric=" + symmetric);
          assertFalse(Arrays.equals(Arrays.copyOfRange(ha, half, ha.length), Arrays.copyOfRange(hb, half, hb.length)), "c1, symmetric=" + symmetric);
          assertArrayEquals(dec.decryptSlots(a)[0], dec.decryptSlots(b)[0]);
          if (symmetric) {
            assertFalse(Arrays.equals(a.seed(), b.seed()));
          } else {
            assertNull(a.seed());
            assertEquals(a.serializedBits(false), a.serializedBits(true));
          }
        }
        // The same random source gives the same ciphertext: all randomness comes from it.
        Encryptor again = symmetric
            ? new Encryptor(params, backend, null, kg.secretKey(), deterministicRandom(43))
            : new Encryptor(params, backend, pk, null, deterministicRandom(43));
        Encryptor first = symmetric
            ? new Encryptor(params, backend, null, kg.secretKey(), deterministicRandom(43))
            : new Encryptor(params, backend, pk, null, deterministicRandom(43));
        try (CiphertextBatch a = first.encrypt(List.of(p)); CiphertextBatch b = again.encrypt(List.of(p))) {
          assertArrayEquals(download(a), download(b));
        }
      }
    }
    // Key generation is reproducible from its random source too.
    KeyGenerator same = new KeyGenerator(params, backend, deterministicRandom(41));
    assertArrayEquals(kg.secretKey().ternary(), same.secretKey().ternary());
  }

  @Test
  void encryptRejectsEmptyAndMixedBatches() {
    KeyGenerator kg = new KeyGenerator(toyInsecure, backend, deterministicRandom(51));
    Encryptor e = new Encryptor(toyInsecure, backend, null, kg.secretKey(), deterministicRandom(52));
    Plaintext p0 = new BatchEncoder(toyInsecure, 0).encode(new long[] {1});
    Plaintext p1 = new BatchEncoder(toyInsecure, 1).encode(new long[] {1});
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> e.encrypt(List.of()));
    assertCode(ErrorCode.PARAMETER_MISMATCH, () -> e.encrypt(List.of(p0, p1)));
  }

  /** A closed secret key is unusable (its host copy and device buffers are wiped). */
  @Test
  void closedSecretKeyIsRejected() {
    KeyGenerator kg = new KeyGenerator(toyInsecure, backend, deterministicRandom(55));
    SecretKey sk = kg.secretKey();
    Encryptor e = new Encryptor(toyInsecure, backend, null, sk, deterministicRandom(56));
    Plaintext p = new BatchEncoder(toyInsecure, 0).encode(new long[] {3});
    sk.close();
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> e.encrypt(List.of(p)));
    assertCode(ErrorCode.INVALID_ARGUMENT, sk::ternary);
    sk.close();
  }

  // ---- BatchEncoder ----

  @Test
  void encoderRoundTripsAndReducesSignedValues() {
    BatchEncoder enc = new BatchEncoder(toyInsecure, 1);
    int n = toyInsecure.n();
    long t = enc.plainModulus().value();
    assertEquals(n, enc.slotCount());
    assertEquals(toyInsecure.plainModulus(1), enc.plainModulus());
    long[] signed = BfvTestSupport.randomSlots(new SplittableRandom(61), n, 3 * t);
    long[] decoded = enc.decode(enc.encode(signed));
    for (int j = 0; j < n; j++) {
      assertEquals(Math.floorMod(signed[j], t), decoded[j], "slot " + j);
    }
    // Fewer values than slots: the rest are zero.
    long[] few = enc.decode(enc.encode(new long[] {5, -1, 7}));
    assertEquals(5, few[0]);
    assertEquals(t - 1, few[1]);
    assertEquals(7, few[2]);
    for (int j = 3; j < n; j++) {
      assertEquals(0, few[j]);
    }
    // The encoded coefficients are canonical residues.
    for (long c : enc.encode(signed).coefficients()) {
      assertTrue(c >= 0 && c < t);
    }
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> enc.encode(new long[n + 1]));
    Plaintext other = new BatchEncoder(toyInsecure, 0).encode(new long[] {1});
    assertCode(ErrorCode.PARAMETER_MISMATCH, () -> enc.decode(other));
  }

  /** A constant in every slot is the constant polynomial: all ones encode to 1, all c to c. */
  @Test
  void constantSlotsEncodeToConstantPolynomial() {
    for (int index = 0; index < 2; index++) {
      BatchEncoder enc = new BatchEncoder(toyInsecure, index);
      int n = toyInsecure.n();
      long t = enc.plainModulus().value();
      for (long c : new long[] {1, 0, 1234, t - 1}) {
        long[] slots = new long[n];
        Arrays.fill(slots, c);
        long[] expected = new long[n];
        expected[0] = c;
        assertArrayEquals(expected, enc.encode(slots).coefficients(), "all slots " + c + ", t = " + t);
      }
    }
  }

  static long[] negacyclicProduct(long[] a, long[] b, long t) {
    int n = a.length;
    long[] c = new long[n];
    for (int i = 0; i < n; i++) {
      if (a[i] == 0) {
        continue;
      }
      for (int j = 0; j < n; j++) {
        long p = a[i] * b[j] % t;
        int k = i + j;
        if (k < n) {
          c[k] = (c[k] + p) % t;
        } else {
          c[k - n] = (c[k - n] - p + t) % t;
        }
      }
    }
    return c;
  }

  /**
   * encode(a) * encode(b) computed as polynomials mod (x^n + 1, t) by a schoolbook reference decodes
   * to a * b slot by slot, and the coefficient-wise sum to a + b (insecure toy n = 2048).
   */
  @Test
  void encodingIsARingIsomorphism() {
    BatchEncoder enc = new BatchEncoder(toyInsecure, 1);
    int n = toyInsecure.n();
    long t = enc.plainModulus().value();
    SplittableRandom r = new SplittableRandom(71);
    long[] a = uniformSlots(r, n, t);
    long[] b = uniformSlots(r, n, t);
    long[] pa = enc.encode(a).coefficients();
    long[] pb = enc.encode(b).coefficients();
    long[] product = enc.decode(new Plaintext(toyInsecure, 1, negacyclicProduct(pa, pb, t)));
    long[] sum = new long[n];
    for (int j = 0; j < n; j++) {
      sum[j] = (pa[j] + pb[j]) % t;
    }
    long[] decodedSum = enc.decode(new Plaintext(toyInsecure, 1, sum));
    for (int j = 0; j < n; j++) {
      assertEquals(a[j] * b[j] % t, product[j], "product slot " + j);
      assertEquals((a[j] + b[j]) % t, decodedSum[j], "sum slot " + j);
    }
    // x (the monomial) is not a constant: its slots are the distinct primitive 2n-th roots of unity.
    long[] x = new long[n];
    x[1] = 1;
    long[] roots = enc.decode(new Plaintext(toyInsecure, 1, x));
    assertEquals(n, Arrays.stream(roots).distinct().count());
    for (long root : roots) {
      assertEquals(t - 1, enc.plainModulus().pow(root, n), "root^n = -1");
    }
  }

  @Test
  void plaintextRejectsOutOfRangeCoefficients() {
    int n = toyInsecure.n();
    long t = toyInsecure.plainModulus(0).value();
    long[] tooBig = new long[n];
    tooBig[7] = t;
    long[] negative = new long[n];
    negative[0] = -1;
    assertCode(ErrorCode.VALUE_OUT_OF_RANGE, () -> new Plaintext(toyInsecure, 0, tooBig));
    assertCode(ErrorCode.VALUE_OUT_OF_RANGE, () -> new Plaintext(toyInsecure, 0, negative));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> new Plaintext(toyInsecure, 0, new long[n - 1]));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> new Plaintext(toyInsecure, 2, new long[n]));
    // The range is per plaintext prime: t_0 itself is a valid coefficient for the larger t_1.
    assertEquals(t, new Plaintext(toyInsecure, 1, tooBig).coefficients()[7]);
    long[] max = new long[n];
    max[0] = t - 1;
    assertEquals(t - 1, new Plaintext(toyInsecure, 0, max).coefficients()[0]);
    // Plaintext copies in and out.
    Plaintext p = new Plaintext(toyInsecure, 0, max);
    max[0] = 0;
    assertEquals(t - 1, p.coefficients()[0]);
    p.coefficients()[0] = 0;
    assertEquals(t - 1, p.coefficients()[0]);
  }
}
