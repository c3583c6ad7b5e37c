package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.assertCode;
import static org.cryptonets.bfv.BfvTestSupport.bits;
import static org.cryptonets.bfv.BfvTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvException.ErrorCode;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Proves parameter creation rejects each bad spec with its error code, enforces the 128-bit table, is deterministic, and sizes P for exact HPS. */
class BfvParametersTest {

  /** A valid n = 4096 spec (3 x 31 bits = 93 <= 109 bits): cases below break one thing in it. */
  static BfvParameterSpec base() {
    return spec(4096, bits(3, 31), 20, 2, SecurityLevel.TC128);
  }

  static BfvParameterSpec with(java.util.function.Consumer<BfvParameterSpec> edit) {
    BfvParameterSpec s = base();
    edit.accept(s);
    return s;
  }

  /** The smallest composite 2n k + 1 at or above 2^bits. */
  static long composite1Mod2n(int n, int bits) {
    long step = 2L * n;
    long c = ((1L << bits) + step - 1) / step * step + 1;
    while (BigInteger.valueOf(c).isProbablePrime(64)) {
      c += step;
    }
    return c;
  }

  /** The smallest prime at or above 2^bits that is NOT 1 mod 2n. */
  static long primeNot1Mod2n(int n, int bits) {
    BigInteger p = BigInteger.ONE.shiftLeft(bits);
    while (true) {
      p = p.nextProbablePrime();
      if ((p.longValueExact() - 1) % (2L * n) != 0) {
        return p.longValueExact();
      }
    }
  }

  static List<Long> nttPrimes(int bits, int n, int count) {
    return PrimeGenerator.nttPrimes(bits, n, count, Set.of());
  }

  static Stream<Arguments> invalidSpecs() {
    return Stream.of(
        // INVALID_RING_DEGREE
        Arguments.of("n = 1000 (not a power of two)", ErrorCode.INVALID_RING_DEGREE, (Supplier<BfvParameterSpec>) () -> with(s -> s.n = 1000)),
        Arguments.of("n = 512 (below 1024)", ErrorCode.INVALID_RING_DEGREE, (Supplier<BfvParameterSpec>) () -> with(s -> s.n = 512)),
        Arguments.of("n = 65536 (above 32768)", ErrorCode.INVALID_RING_DEGREE, (Supplier<BfvParameterSpec>) () -> with(s -> s.n = 65536)),
        Arguments.of("n = 0", ErrorCode.INVALID_RING_DEGREE, (Supplier<BfvParameterSpec>) () -> with(s -> s.n = 0)),
        // INVALID_COEFF_MODULUS
        Arguments.of("16-bit ciphertext prime size", ErrorCode.INVALID_COEFF_MODULUS,
            (Supplier<BfvParameterSpec>) () -> with(s -> s.coeffPrimeBits = List.of(31, 16))),
        Arguments.of("32-bit ciphertext prime size", ErrorCode.INVALID_COEFF_MODULUS,
            (Supplier<BfvParameterSpec>) () -> with(s -> s.coeffPrimeBits = List.of(32))),
        Arguments.of("explicit composite = 1 mod 2n", ErrorCode.INVALID_COEFF_MODULUS,
            (Supplier<BfvParameterSpec>) () -> with(s -> s.coeffPrimes = List.of(nttPrimes(30, 4096, 1).get(0), composite1Mod2n(4096, 29)))),
        Arguments.of("explicit prime not 1 mod 2n", ErrorCode.INVALID_COEFF_MODULUS,
            (Supplier<BfvParameterSpec>) () -> with(s -> s.coeffPrimes = List.of(primeNot1Mod2n(4096, 29)))),
        Arguments.of("explicit prime below 2^16", ErrorCode.INVALID_COEFF_MODULUS,
            (Supplier<BfvParameterSpec>) () -> with(s -> s.coeffPrimes = List.of(40961L))),
        Arguments.of("explicit duplicate primes", ErrorCode.INVALID_COEFF_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> {
          long p = nttPrimes(30, 4096, 1).get(0);
          s.coeffPrimes = List.of(p, p);
        })),
        Arguments.of("17 explicit primes (> 16)", ErrorCode.INVALID_COEFF_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> {
          s.coeffPrimes = nttPrimes(31, 4096, 17);
          s.security = SecurityLevel.NONE;
        })),
        Arguments.of("17 prime sizes (> 16)", ErrorCode.INVALID_COEFF_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> {
          s.coeffPrimeBits = bits(17, 31);
          s.security = SecurityLevel.NONE;
        })),
        Arguments.of("empty prime-size list", ErrorCode.INVALID_COEFF_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> s.coeffPrimeBits = List.of())),
        // INVALID_PLAIN_MODULUS
        Arguments.of("explicit composite plaintext modulus = 1 mod 2n", ErrorCode.INVALID_PLAIN_MODULUS,
            (Supplier<BfvParameterSpec>) () -> with(s -> s.plainPrimes = List.of(composite1Mod2n(4096, 20)))),
        Arguments.of("plaintext prime not 1 mod 2n", ErrorCode.INVALID_PLAIN_MODULUS,
            (Supplier<BfvParameterSpec>) () -> with(s -> s.plainPrimes = List.of(primeNot1Mod2n(4096, 20)))),
        Arguments.of("plaintext prime equal to a ciphertext prime", ErrorCode.INVALID_PLAIN_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> {
          List<Long> q = nttPrimes(30, 4096, 3);
          s.coeffPrimes = q;
          s.plainPrimes = List.of(q.get(1));
        })),
        Arguments.of("repeated plaintext prime", ErrorCode.INVALID_PLAIN_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> {
          long t = nttPrimes(20, 4096, 1).get(0);
          s.plainPrimes = List.of(t, t);
        })),
        Arguments.of("plaintext prime not below a one-prime Q", ErrorCode.INVALID_PLAIN_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> {
          s.coeffPrimeBits = List.of(20);
          s.plainPrimeBits = 25;
          s.plainPrimeCount = 1;
        })),
        Arguments.of("plaintext prime count 0", ErrorCode.INVALID_PLAIN_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> s.plainPrimeCount = 0)),
        Arguments.of("plaintext prime count 17", ErrorCode.INVALID_PLAIN_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> s.plainPrimeCount = 17)),
        Arguments.of("plaintext prime size 32 bits", ErrorCode.INVALID_PLAIN_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> s.plainPrimeBits = 32)),
        Arguments.of("plaintext prime size 1 bit", ErrorCode.INVALID_PLAIN_MODULUS, (Supplier<BfvParameterSpec>) () -> with(s -> s.plainPrimeBits = 1)),
        // INSECURE_PARAMETERS
        Arguments.of("n = 8192 with 8 x 31 bits (248 > 218)", ErrorCode.INSECURE_PARAMETERS,
            (Supplier<BfvParameterSpec>) () -> spec(8192, bits(8, 31), 25, 3, SecurityLevel.TC128)),
        Arguments.of("n = 4096 with 4 x 31 bits (124 > 109)", ErrorCode.INSECURE_PARAMETERS,
            (Supplier<BfvParameterSpec>) () -> spec(4096, bits(4, 31), 20, 2, SecurityLevel.TC128)),
        Arguments.of("n = 1024 with one 28-bit prime (28 > 27)", ErrorCode.INSECURE_PARAMETERS,
            (Supplier<BfvParameterSpec>) () -> spec(1024, List.of(28), 14, 1, SecurityLevel.TC128)),
        Arguments.of("null security level means TC128", ErrorCode.INSECURE_PARAMETERS,
            (Supplier<BfvParameterSpec>) () -> spec(4096, bits(4, 31), 20, 2, null)));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("invalidSpecs")
  void invalidSpecIsRejectedWithItsCode(String name, ErrorCode expected, Supplier<BfvParameterSpec> spec) {
    BfvParameterSpec s = spec.get();
    assertCode(expected, () -> BfvParameters.create(s));
  }

  @Test
  void baseSpecOfTheErrorTableIsValid() {
    BfvParameters p = BfvParameters.create(base());
    assertEquals(3, p.maxLevel());
    assertEquals(2, p.plainModuli().size());
  }

  /** The insecure shapes above are accepted once the spec opts out with SecurityLevel.NONE. */
  @ParameterizedTest(name = "n = {0}, {1} x {2} bits accepted with SecurityLevel.NONE (insecure toy parameters)")
  @CsvSource({"8192, 8, 31", "4096, 4, 31", "1024, 1, 28"})
  void insecureShapeAcceptedWithSecurityNone(int n, int primes, int bitsEach) {
    int plainBits = n == 1024 ? 14 : 20;
    BfvParameterSpec insecure = spec(n, bits(primes, bitsEach), plainBits, 1, SecurityLevel.TC128);
    assertCode(ErrorCode.INSECURE_PARAMETERS, () -> BfvParameters.create(insecure));
    insecure.security = SecurityLevel.NONE;
    BfvParameters p = BfvParameters.create(insecure);
    assertTrue(p.coeffBasis().productBits() > SecurityLevel.TC128.maxModulusBits(n));
    assertEquals(SecurityLevel.NONE, p.security());
    assertEquals(0, p.security().bits());
  }

  /** log2 Q exactly at the bound passes: n = 1024 with one 27-bit prime, and the default n = 8192 spec (7 x 31 = 217 bits). */
  @Test
  void boundaryOfTheSecurityTableIsAccepted() {
    BfvParameters small = BfvParameters.create(spec(1024, List.of(27), 14, 1, SecurityLevel.TC128));
    assertEquals(27, small.coeffBasis().productBits());
    BfvParameters real = BfvParameters.create(new BfvParameterSpec());
    assertTrue(real.coeffBasis().productBits() <= 218, "log2 Q = " + real.coeffBasis().productBits());
    assertEquals(SecurityLevel.TC128, real.security());
    assertEquals(128, real.security().bits());
  }

  @ParameterizedTest(name = "TC128 bound at n = {0} is {1} bits")
  @CsvSource({"1024, 27", "2048, 54", "4096, 109", "8192, 218", "16384, 438", "32768, 881"})
  void heStandardTable(int n, int maxBits) {
    assertEquals(maxBits, SecurityLevel.TC128.maxModulusBits(n));
    assertEquals(Integer.MAX_VALUE, SecurityLevel.NONE.maxModulusBits(n));
  }

  @Test
  void degreeOutsideTheTableHasNoBound() {
    assertEquals(-1, SecurityLevel.TC128.maxModulusBits(512));
    assertEquals(-1, SecurityLevel.TC128.maxModulusBits(65536));
  }

  @Test
  void primeChoiceIsDeterministic() {
    BfvParameters a = BfvParameters.create(base());
    BfvParameters b = BfvParameters.create(base());
    assertEquals(a.fingerprint(), b.fingerprint());
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(a.coeffBasis(), b.coeffBasis());
    assertEquals(a.plainModuli(), b.plainModuli());
    assertEquals(a.auxiliaryModuli(), b.auxiliaryModuli());
    assertTrue(a.fingerprint().matches("[0-9a-f]{64}"), a.fingerprint());

    // Naming the chosen primes explicitly describes the same parameter set.
    BfvParameterSpec explicit = base();
    explicit.coeffPrimes = new ArrayList<>();
    for (Modulus m : a.coeffBasis().moduli()) {
      explicit.coeffPrimes.add(m.value());
    }
    explicit.plainPrimes = new ArrayList<>();
    for (Modulus m : a.plainModuli()) {
      explicit.plainPrimes.add(m.value());
    }
    assertEquals(a.fingerprint(), BfvParameters.create(explicit).fingerprint());
  }

  @Test
  void fingerprintSeesEveryField() {
    String f = BfvParameters.create(base()).fingerprint();
    BfvParameterSpec otherT = base();
    otherT.plainPrimeBits = 21;
    BfvParameters t21 = BfvParameters.create(otherT);
    assertNotEquals(f, t21.fingerprint());
    assertNotEquals(BfvParameters.create(base()), t21);
    BfvParameterSpec otherCount = base();
    otherCount.plainPrimeCount = 1;
    assertNotEquals(f, BfvParameters.create(otherCount).fingerprint());
    BfvParameterSpec otherQ = base();
    otherQ.coeffPrimeBits = List.of(31, 31, 30);
    assertNotEquals(f, BfvParameters.create(otherQ).fingerprint());
    BfvParameterSpec otherSecurity = base();
    otherSecurity.security = SecurityLevel.NONE;
    assertNotEquals(f, BfvParameters.create(otherSecurity).fingerprint());
  }

  @Test
  void chosenPrimesHaveTheRequestedShape() {
    BfvParameterSpec s = spec(4096, List.of(31, 30, 29), 20, 2, SecurityLevel.TC128);
    BfvParameters p = BfvParameters.create(s);
    Set<Long> all = new HashSet<>();
    int[] expectedBits = {31, 30, 29};
    for (int i = 0; i < 3; i++) {
      Modulus q = p.coeffBasis().modulus(i);
      assertEquals(expectedBits[i], q.bits());
      assertEquals(1, q.value() % (2L * 4096));
      assertTrue(all.add(q.value()));
    }
    for (Modulus t : p.plainModuli()) {
      assertEquals(20, t.bits());
      assertEquals(1, t.value() % (2L * 4096));
      assertTrue(all.add(t.value()), "plaintext prime " + t + " repeats");
    }
    for (Modulus a : p.auxiliaryModuli()) {
      assertEquals(1, a.value() % (2L * 4096));
      assertTrue(all.add(a.value()), "auxiliary prime " + a + " repeats a ciphertext or plaintext prime");
    }
    assertEquals(p.plainModuli().get(0), p.plainModulus(0));
    assertEquals(BigInteger.valueOf(p.plainModulus(0).value()).multiply(BigInteger.valueOf(p.plainModulus(1).value())), p.plainProduct());
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> p.plainModulus(2));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> p.plainModulus(-1));
  }

  @Test
  void basisAtLevelIsThePrefix() {
    BfvParameters p = BfvParameters.create(new BfvParameterSpec());
    RnsBasis full = p.coeffBasis();
    assertEquals(7, p.maxLevel());
    for (int level = 1; level <= p.maxLevel(); level++) {
      RnsBasis b = p.basisAt(level);
      assertEquals(level, b.size());
      assertTrue(b.isPrefixOf(full));
      assertEquals(full.moduli().subList(0, level), b.moduli());
      assertEquals(p.n(), b.n());
    }
    assertSame(full, p.basisAt(p.maxLevel()));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> p.basisAt(0));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> p.basisAt(8));
  }

  static Stream<BfvParameterSpec> sizingSpecs() {
    return Stream.of(
        new BfvParameterSpec(),
        spec(2048, bits(5, 31), 20, 2, SecurityLevel.NONE),
        spec(4096, List.of(31, 24, 18), 30, 3, SecurityLevel.TC128),
        spec(1024, List.of(27), 14, 1, SecurityLevel.TC128));
  }

  /**
   * For every level and plaintext prime: P > t n Q_l (so round(t x / Q_l) of a tensor coefficient,
   * |x| <= n Q_l^2 / 2, is held centred in P; stronger than the class's documented P > t n Q_l / 2),
   * and Q_l P > n Q_l^2 (the tensor itself is exact in Q_l u P).
   */
  @ParameterizedTest
  @MethodSource("sizingSpecs")
  void auxiliaryBasisIsLargeEnoughAtEveryLevel(BfvParameterSpec spec) {
    BfvParameters p = BfvParameters.create(spec);
    BigInteger n = BigInteger.valueOf(p.n());
    for (int level = 1; level <= p.maxLevel(); level++) {
      BfvParameters.LevelTables lt = p.levelTables(level);
      BigInteger q = lt.q.product();
      BigInteger bigP = lt.p.product();
      assertEquals(p.basisAt(level), lt.q);
      assertTrue(lt.p.isPrefixOf(new RnsBasis(p.n(), p.auxiliaryModuli())), "P is a prefix of the auxiliary primes");
      assertEquals(lt.q.concat(lt.p), lt.qp);
      assertTrue(bigP.multiply(q).compareTo(n.multiply(q).multiply(q)) > 0, "Q P > n Q^2 at level " + level);
      for (Modulus t : p.plainModuli()) {
        BigInteger tnq = BigInteger.valueOf(t.value()).multiply(n).multiply(q);
        assertTrue(bigP.compareTo(tnq.shiftRight(1)) > 0, "P > t n Q / 2 at level " + level + ", t = " + t);
        assertTrue(bigP.compareTo(tnq) > 0, "P > t n Q at level " + level + ", t = " + t);
      }
    }
  }

  /**
   * The worst case for the auxiliary prime search (largest n, 16 + 16 31-bit primes) still succeeds.
   * AUXILIARY_BASIS_UNAVAILABLE is not reachable through {@link BfvParameters#create}: at most 16 +
   * 16 + 19 = 51 distinct 31-bit primes = 1 mod 2n are ever requested (16 ciphertext, 16 plaintext,
   * ceil((16*31 + 31 + 15 + 3) / 30) = 19 auxiliary), while even at n = 32768 about 2^30 / (ln(2^31)
   * * 2^15) ~ 1500 such primes exist; this test pins that worst case instead.
   */
  @Test
  void largestShapeStillFindsAuxiliaryPrimes() {
    BfvParameters p = BfvParameters.create(spec(32768, bits(16, 31), 31, 16, SecurityLevel.NONE));
    assertEquals(16, p.maxLevel());
    assertEquals(16, p.plainModuli().size());
    int auxBits = 0;
    for (Modulus m : p.auxiliaryModuli()) {
      auxBits += m.bits() - 1;
    }
    int need = p.coeffBasis().productBits() + 31 + 15 + 3;
    assertTrue(auxBits >= need, auxBits + " auxiliary bits for " + need);
    assertFalse(p.toString().isEmpty());
  }
}
