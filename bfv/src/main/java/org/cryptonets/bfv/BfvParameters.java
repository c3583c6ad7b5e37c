package org.cryptonets.bfv;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;

/**
 * A validated, immutable RNS-BFV parameter set: ring degree n, the ciphertext modulus Q as a chain
 * of primes (level l uses the first l), k plaintext primes t_j = 1 mod 2n for batching and CRT, and
 * the auxiliary primes P that ciphertext multiplication extends into (HPS: P > t n Q / 2 at every
 * level, so the tensor and its scaled result are exact).
 *
 * <p>Security is enforced: log2 Q must not exceed the HomomorphicEncryption.org standard's bound for
 * n at 128 bits unless the spec asks for {@link SecurityLevel#NONE}. Relinearization keys use RNS
 * digits of Q itself (no special prime), so Q is the whole key modulus the bound applies to.
 *
 * <p>Immutable; thread-safe (per-level tables are built lazily in concurrent maps).
 */
public final class BfvParameters {
  private final int n;
  private final RnsBasis q;
  private final List<Modulus> plain;
  private final List<Modulus> auxiliary;
  private final SecurityLevel security;
  private final String fingerprint;
  private final ConcurrentHashMap<Integer, LevelTables> levels = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, PlainContext> contexts = new ConcurrentHashMap<>();

  private BfvParameters(int n, RnsBasis q, List<Modulus> plain, List<Modulus> auxiliary, SecurityLevel security) {
    this.n = n;
    this.q = q;
    this.plain = Collections.unmodifiableList(new ArrayList<>(plain));
    this.auxiliary = Collections.unmodifiableList(new ArrayList<>(auxiliary));
    this.security = security;
    this.fingerprint = computeFingerprint();
  }

  /**
   * Validates a spec.
   *
   * @throws BfvException INVALID_RING_DEGREE, INVALID_COEFF_MODULUS, INVALID_PLAIN_MODULUS,
   *     INSECURE_PARAMETERS or AUXILIARY_BASIS_UNAVAILABLE, with what was expected
   */
  public static BfvParameters create(BfvParameterSpec spec) {
    int n = spec.n;
    if (n < 1024 || n > 32768 || Integer.bitCount(n) != 1) {
      throw new BfvException(BfvException.ErrorCode.INVALID_RING_DEGREE, "n = " + n + "; expected a power of two from 1024 to 32768");
    }
    SecurityLevel security = spec.security == null ? SecurityLevel.TC128 : spec.security;
    List<Long> qPrimes = new ArrayList<>();
    if (!spec.coeffPrimes.isEmpty()) {
      qPrimes.addAll(spec.coeffPrimes);
    } else {
      if (spec.coeffPrimeBits.isEmpty()) {
        throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, "no ciphertext primes; expected at least one prime size");
      }
      for (int bits : spec.coeffPrimeBits) {
        if (bits < 17 || bits > 31) {
          throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, "ciphertext prime size " + bits + " bits; expected 17 to 31");
        }
        try {
          qPrimes.add(PrimeGenerator.nttPrimes(bits, n, 1, new HashSet<>(qPrimes)).get(0));
        } catch (EngineException e) {
          throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, e.getMessage());
        }
      }
    }
    List<Modulus> qModuli = new ArrayList<>();
    for (long p : qPrimes) {
      if (p < (1L << 16) || p >= (1L << 31)) {
        throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, "ciphertext prime " + p + " is outside [2^16, 2^31)");
      }
      if (!BigInteger.valueOf(p).isProbablePrime(64)) {
        throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, "ciphertext modulus " + p + " is not prime");
      }
      if ((p - 1) % (2L * n) != 0) {
        throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, "ciphertext prime " + p + " is not 1 mod 2n = " + (2L * n));
      }
      Modulus m = Modulus.of(p);
      if (qModuli.contains(m)) {
        throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, "ciphertext prime " + p + " appears twice");
      }
      qModuli.add(m);
    }
    if (qModuli.size() > 16) {
      throw new BfvException(BfvException.ErrorCode.INVALID_COEFF_MODULUS, qModuli.size() + " ciphertext primes; at most 16 are supported");
    }
    RnsBasis q = new RnsBasis(n, qModuli);
    int maxBits = security.maxModulusBits(n);
    if (maxBits < 0 || q.productBits() > maxBits) {
      throw new BfvException(
          BfvException.ErrorCode.INSECURE_PARAMETERS,
          "log2 Q = " + q.productBits() + " bits at n = " + n + " is above the " + (maxBits < 0 ? "(no table entry)" : maxBits + "-bit")
              + " bound for 128-bit security (HomomorphicEncryption.org standard); use fewer or smaller primes, a larger n, or SecurityLevel.NONE in tests");
    }
    List<Long> tPrimes = new ArrayList<>();
    if (!spec.plainPrimes.isEmpty()) {
      tPrimes.addAll(spec.plainPrimes);
    } else {
      if (spec.plainPrimeCount < 1 || spec.plainPrimeCount > 16) {
        throw new BfvException(BfvException.ErrorCode.INVALID_PLAIN_MODULUS, spec.plainPrimeCount + " plaintext primes; expected 1 to 16");
      }
      if (spec.plainPrimeBits < 2 || spec.plainPrimeBits > 31) {
        throw new BfvException(BfvException.ErrorCode.INVALID_PLAIN_MODULUS, "plaintext prime size " + spec.plainPrimeBits + " bits; expected up to 31");
      }
      try {
        tPrimes.addAll(PrimeGenerator.nttPrimes(spec.plainPrimeBits, n, spec.plainPrimeCount, new HashSet<>(qPrimes)));
      } catch (EngineException e) {
        throw new BfvException(BfvException.ErrorCode.INVALID_PLAIN_MODULUS, e.getMessage());
      }
    }
    List<Modulus> tModuli = new ArrayList<>();
    for (long t : tPrimes) {
      if (t < 2 || t >= (1L << 31) || !BigInteger.valueOf(t).isProbablePrime(64)) {
        throw new BfvException(BfvException.ErrorCode.INVALID_PLAIN_MODULUS, "plaintext modulus " + t + " is not a prime below 2^31");
      }
      if ((t - 1) % (2L * n) != 0) {
        throw new BfvException(
            BfvException.ErrorCode.INVALID_PLAIN_MODULUS, "plaintext prime " + t + " is not 1 mod 2n = " + (2L * n) + ", which batching needs");
      }
      Modulus m = Modulus.of(t);
      if (qModuli.contains(m) || tModuli.contains(m)) {
        throw new BfvException(BfvException.ErrorCode.INVALID_PLAIN_MODULUS, "plaintext prime " + t + " repeats or is also a ciphertext prime");
      }
      if (t >= q.modulus(0).value() && q.size() == 1) {
        throw new BfvException(BfvException.ErrorCode.INVALID_PLAIN_MODULUS, "plaintext prime " + t + " is not below Q");
      }
      tModuli.add(m);
    }
    int tBits = 0;
    for (Modulus t : tModuli) {
      tBits = Math.max(tBits, t.bits());
    }
    int needBits = q.productBits() + tBits + Integer.numberOfTrailingZeros(n) + 3;
    Set<Long> used = new HashSet<>(qPrimes);
    used.addAll(tPrimes);
    List<Modulus> aux = new ArrayList<>();
    try {
      int count = (needBits + 29) / 30;
      for (long p : PrimeGenerator.nttPrimes(31, n, count, used)) {
        aux.add(Modulus.of(p));
      }
    } catch (EngineException e) {
      throw new BfvException(BfvException.ErrorCode.AUXILIARY_BASIS_UNAVAILABLE, "need " + needBits + " bits of auxiliary primes: " + e.getMessage());
    }
    return new BfvParameters(n, q, tModuli, aux, security);
  }

  private String computeFingerprint() {
    StringBuilder sb = new StringBuilder("BFV-RNS/v1;n=").append(n).append(";q=");
    for (Modulus m : q.moduli()) {
      sb.append(m.value()).append(',');
    }
    sb.append(";t=");
    for (Modulus m : plain) {
      sb.append(m.value()).append(',');
    }
    sb.append(";security=").append(security.name());
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.US_ASCII));
      StringBuilder hex = new StringBuilder();
      for (byte b : h) {
        hex.append(String.format("%02x", b));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  public int n() {
    return n;
  }

  /** The full ciphertext modulus (top level). */
  public RnsBasis coeffBasis() {
    return q;
  }

  /** Number of primes at the top level. */
  public int maxLevel() {
    return q.size();
  }

  /** The ciphertext basis at a level (its first {@code level} primes). */
  public RnsBasis basisAt(int level) {
    checkLevel(level);
    return levelTables(level).q;
  }

  public List<Modulus> plainModuli() {
    return plain;
  }

  public Modulus plainModulus(int index) {
    checkPlainIndex(index);
    return plain.get(index);
  }

  /** Product of the plaintext primes: the CRT plaintext range. */
  public BigInteger plainProduct() {
    BigInteger p = BigInteger.ONE;
    for (Modulus m : plain) {
      p = p.multiply(BigInteger.valueOf(m.value()));
    }
    return p;
  }

  public List<Modulus> auxiliaryModuli() {
    return auxiliary;
  }

  public SecurityLevel security() {
    return security;
  }

  /** SHA-256 (hex) of the canonical description: equal parameters give equal fingerprints. */
  public String fingerprint() {
    return fingerprint;
  }

  void checkLevel(int level) {
    if (level < 1 || level > q.size()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "level " + level + " outside [1, " + q.size() + "]");
    }
  }

  void checkPlainIndex(int index) {
    if (index < 0 || index >= plain.size()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "plaintext modulus index " + index + " outside [0, " + plain.size() + ")");
    }
  }

  LevelTables levelTables(int level) {
    return levels.computeIfAbsent(level, l -> new LevelTables(this, l));
  }

  /** Tables for plaintext prime {@code plainIndex} at {@code level}. */
  PlainContext context(int plainIndex, int level) {
    checkPlainIndex(plainIndex);
    checkLevel(level);
    return contexts.computeIfAbsent(((long) plainIndex << 32) | level, k -> new PlainContext(this, levelTables(level), plain.get(plainIndex)));
  }

  /** Basis conversion tables of one level, independent of t. */
  static final class LevelTables {
    final int level;
    final RnsBasis q;
    final RnsBasis p;
    final RnsBasis qp;
    final BaseConverter qToP;
    final BaseConverter pToQ;

    LevelTables(BfvParameters params, int level) {
      this.level = level;
      this.q = params.q.prefix(level);
      int tBits = 0;
      for (Modulus m : params.plain) {
        tBits = Math.max(tBits, m.bits());
      }
      int need = q.productBits() + tBits + Integer.numberOfTrailingZeros(params.n) + 3;
      List<Modulus> chosen = new ArrayList<>();
      int have = 0;
      for (Modulus m : params.auxiliary) {
        if (have >= need) {
          break;
        }
        chosen.add(m);
        have += m.bits() - 1;
      }
      this.p = new RnsBasis(params.n, chosen);
      this.qp = q.concat(p);
      this.qToP = new BaseConverter(q, p);
      this.pToQ = new BaseConverter(p, q);
    }
  }

  /** Per-(t, level) constants: Delta = floor(Q/t) mod q_i, Q mod t, the scalers. */
  static final class PlainContext {
    final Modulus t;
    final LevelTables tables;
    final long[] delta;
    final long[] deltaShoup;
    final long qModT;
    final RnsScaler multiplyScaler;
    final RnsScaler decryptScaler;
    final RnsBasis plainBasis;

    PlainContext(BfvParameters params, LevelTables tables, Modulus t) {
      this.t = t;
      this.tables = tables;
      BigInteger bigQ = tables.q.product();
      BigInteger bigT = BigInteger.valueOf(t.value());
      BigInteger d = bigQ.divide(bigT);
      delta = new long[tables.q.size()];
      deltaShoup = new long[delta.length];
      for (int i = 0; i < delta.length; i++) {
        Modulus qi = tables.q.modulus(i);
        delta[i] = d.mod(BigInteger.valueOf(qi.value())).longValueExact();
        deltaShoup[i] = qi.shoup(delta[i]);
      }
      qModT = bigQ.mod(bigT).longValueExact();
      multiplyScaler = RnsScaler.forMultiplication(tables.q, tables.p, t);
      decryptScaler = RnsScaler.forDecryption(tables.q, t);
      plainBasis = decryptScaler.output();
    }

    /** round(Q m / t) mod q_i for a plaintext coefficient m in [0, t): Delta m + round((Q mod t) m / t). */
    long scaledResidue(long m, int i) {
      Modulus qi = tables.q.modulus(i);
      long carry = (qModT * m + (t.value() >>> 1)) / t.value();
      long dm = qi.multiplyShoup(m, delta[i], deltaShoup[i]);
      return qi.add(dm, qi.reduce(carry));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BfvParameters && ((BfvParameters) o).fingerprint.equals(fingerprint);
  }

  @Override
  public int hashCode() {
    return fingerprint.hashCode();
  }

  @Override
  public String toString() {
    return "BfvParameters(n=" + n + ", log2 Q=" + q.productBits() + " (" + q.size() + " primes), t=" + plain + ", P=" + auxiliary.size()
        + " primes, security=" + security + ")";
  }
}
