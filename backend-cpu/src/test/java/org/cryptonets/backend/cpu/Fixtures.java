package org.cryptonets.backend.cpu;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;

/** Shared test data: cached bases of NTT primes, seeded random polynomials, host/buffer moves. */
final class Fixtures {
  private static final Map<String, RnsBasis> BASES = new ConcurrentHashMap<>();

  private Fixtures() {}

  /** The k largest 31-bit NTT primes for n. */
  static RnsBasis basis(int n, int k) {
    return BASES.computeIfAbsent("q" + n + "/" + k, key -> of(n, PrimeGenerator.nttPrimes(31, n, k, Set.of())));
  }

  /** An auxiliary basis of k 30-bit NTT primes for n, disjoint from every {@link #basis}. */
  static RnsBasis auxiliary(int n, int k) {
    return BASES.computeIfAbsent("p" + n + "/" + k, key -> of(n, PrimeGenerator.nttPrimes(30, n, k, Set.of())));
  }

  static RnsBasis of(int n, List<Long> primes) {
    return RnsBasis.of(n, primes.stream().mapToLong(Long::longValue).toArray());
  }

  /**
   * Host data for {@code polys} polynomials over {@code b}, uniform in [0, q_i) except that the first
   * coefficients of each limb are the extremes 0, q - 1, 1, (q - 1) / 2.
   */
  static long[] random(RnsBasis b, int polys, long seed) {
    Random rnd = new Random(seed);
    int n = b.n();
    int l = b.size();
    long[] h = new long[polys * l * n];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        long q = b.modulus(i).value();
        int base = (p * l + i) * n;
        for (int j = 0; j < n; j++) {
          h[base + j] = rnd.nextLong(q);
        }
        int e = (p + i) % 4; // rotate the extremes so every polynomial and limb gets different ones
        h[base + e] = 0;
        h[base + (e + 1) % 4] = q - 1;
        h[base + (e + 2) % 4] = 1;
        h[base + (e + 3) % 4] = (q - 1) / 2;
      }
    }
    return h;
  }

  /**
   * Overwrites coefficients {@code first, first + 1, ...} of polynomial {@code poly} with the
   * residues of {@code xs} (host layout over {@code b}).
   */
  static void put(long[] host, RnsBasis b, int poly, int first, List<BigInteger> xs) {
    int n = b.n();
    int l = b.size();
    for (int e = 0; e < xs.size(); e++) {
      long[] r = b.decompose(xs.get(e));
      for (int i = 0; i < l; i++) {
        host[(poly * l + i) * n + first + e] = r[i];
      }
    }
  }

  /** Integers around (Q - 1) / 2 and (Q + 1) / 2, where a base conversion chooses between lifts. */
  static List<BigInteger> nearHalf(BigInteger q, int radius) {
    List<BigInteger> xs = new ArrayList<>();
    BigInteger half = q.shiftRight(1);
    for (int d = -radius; d <= radius; d++) {
      xs.add(half.add(BigInteger.valueOf(d)));
    }
    return xs;
  }

  /**
   * Integers x in [0, bound) with t x / Q within one unit of a half-integer, where scale-and-round
   * chooses between two roundings: floor((2j + 1) Q / 2t) + {-1, 0, 1, 2} for spread-out j.
   */
  static List<BigInteger> nearRoundingEdges(BigInteger q, long t, BigInteger bound, int count, long seed) {
    Random rnd = new Random(seed);
    List<BigInteger> xs = new ArrayList<>();
    BigInteger twoT = BigInteger.valueOf(2 * t);
    BigInteger jMax = bound.multiply(BigInteger.valueOf(t)).divide(q); // j below t * bound / Q
    while (xs.size() < count) {
      BigInteger j = xs.isEmpty() ? BigInteger.ZERO : new BigInteger(jMax.bitLength(), rnd).mod(jMax);
      BigInteger base = j.shiftLeft(1).add(BigInteger.ONE).multiply(q).divide(twoT);
      for (int e = -1; e <= 2; e++) {
        BigInteger x = base.add(BigInteger.valueOf(e));
        if (x.signum() >= 0 && x.compareTo(bound) < 0) {
          xs.add(x);
        }
      }
    }
    return xs;
  }

  static PolyBuffer load(Backend be, RnsBasis b, long[] host) {
    PolyBuffer buf = be.allocate(b, host.length / (b.size() * b.n()));
    be.upload(host, buf.all());
    return buf;
  }

  static long[] read(Backend be, PolyRange r) {
    long[] h = new long[Math.toIntExact(r.hostLength())];
    be.download(r, h);
    return h;
  }

  static long[] read(Backend be, PolyBuffer b) {
    return read(be, b.all());
  }
}
