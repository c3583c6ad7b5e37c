package org.cryptonets.bfv;

import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RnsBasis;

/**
 * Deterministic expansion of a 32-byte seed into a pseudorandom stream: AES-256 in counter mode.
 * Counter block j is (domain: 4 bytes LE, nonce: 8 bytes LE, j: 4 bytes big-endian), exactly the
 * standard CTR keystream for the IV (domain, nonce, 0) over its first 2^32 blocks. The blocks are encrypted with the JDK's AES/ECB
 * transformation, which uses the AES instructions on every JDK from 17 on, while the JDK's own CTR
 * mode is not intrinsified everywhere and runs ten times slower. A domain and a nonce select
 * independent streams, so one seed yields the uniform halves of a whole batch of ciphertexts
 * (nonce = index) and the evaluating side regenerates them from the seed alone.
 *
 * <p>Not thread-safe: one instance per thread.
 *
 * @throws BfvException INVALID_ARGUMENT if the seed is not 32 bytes
 */
public final class SeedExpander {
  public static final int SEED_BYTES = 32;
  private static final int BLOCK = 1 << 14;

  private static final java.lang.invoke.VarHandle INT =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final java.lang.invoke.VarHandle INT_BE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final java.lang.invoke.VarHandle LONG =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final Cipher cipher;
  private final byte[] counters = new byte[BLOCK];
  private final byte[] out = new byte[BLOCK];
  private int position = BLOCK;
  private int nextBlock;

  public SeedExpander(byte[] seed, int domain, long nonce) {
    if (seed == null || seed.length != SEED_BYTES) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "seed must be " + SEED_BYTES + " bytes, got " + (seed == null ? "none" : seed.length));
    }
    restart(domain, nonce);
    try {
      cipher = Cipher.getInstance("AES/ECB/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/ECB/NoPadding is required by every Java platform", e);
    }
  }

  /**
   * Moves this expander to the stream of ({@code domain}, {@code nonce}) under the same seed, as a
   * new expander would be: the key schedule is kept, which saves most of a construction's cost
   * (about 45 us, measured with JDK 17 on the development VM; two per ciphertext in encryption).
   */
  public void restart(int domain, long nonce) {
    // VarHandle stores, not a ByteBuffer: the buffer's puts were 9 % of BGV encryption in a JDK 17
    // profile (two expanders per ciphertext, 1,024 blocks each).
    for (int b = 0; b < BLOCK; b += 16) {
      INT.set(counters, b, domain);
      LONG.set(counters, b + 4, nonce);
    }
    nextBlock = 0;
    position = BLOCK;
  }

  private void refill() {
    for (int b = 0; b < BLOCK; b += 16) {
      INT_BE.set(counters, b + 12, nextBlock++);
    }
    try {
      cipher.update(counters, 0, BLOCK, out, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES keystream failed", e);
    }
    position = 0;
  }

  public int nextInt() {
    if (position > BLOCK - 4) {
      refill();
    }
    int v = (int) INT.get(out, position);
    position += 4;
    return v;
  }

  public long nextLong() {
    if (position > BLOCK - 8) {
      refill();
    }
    long v = (long) LONG.get(out, position);
    position += 8;
    return v;
  }

  /** Uniform residues for every limb of one polynomial, written to {@code out[off + i*n + j]}. */
  public void uniform(RnsBasis basis, long[] out, int off) {
    int n = basis.n();
    for (int i = 0; i < basis.size(); i++) {
      Modulus m = basis.modulus(i);
      long q = m.value();
      long mask = (1L << m.bits()) - 1;
      boolean pairs = m.bits() <= 32;
      int base = off + i * n;
      // The same words in the same order as a nextInt() per draw (the evaluating side regenerates
      // these values from the seed), read a block at a time: the per-draw refill check and call
      // were most of this loop's cost.
      int j = 0;
      while (j < n) {
        if (position > BLOCK - 4) {
          refill();
        }
        int p = position;
        byte[] buf = this.out;
        // Eight words per 32 bytes while all eight are accepted: one sign test of the ANDed
        // differences (a word below q leaves a negative difference) instead of a branch per word,
        // and no bounds check per word. The same words and decisions as the loops below, which
        // take over at the first block with a rejection. Measured in BENCHMARKS.md (sixth session
        // of 2026-11-30, "Uniform sampling reads eight words").
        while (pairs && j <= n - 8 && p <= BLOCK - 32) {
          long w0 = (long) LONG.get(buf, p);
          long w1 = (long) LONG.get(buf, p + 8);
          long w2 = (long) LONG.get(buf, p + 16);
          long w3 = (long) LONG.get(buf, p + 24);
          long a0 = w0 & mask;
          long a1 = (w0 >>> 32) & mask;
          long a2 = w1 & mask;
          long a3 = (w1 >>> 32) & mask;
          long a4 = w2 & mask;
          long a5 = (w2 >>> 32) & mask;
          long a6 = w3 & mask;
          long a7 = (w3 >>> 32) & mask;
          if (((a0 - q) & (a1 - q) & (a2 - q) & (a3 - q) & (a4 - q) & (a5 - q) & (a6 - q) & (a7 - q)) >= 0) {
            break;
          }
          int o = base + j;
          out[o] = a0;
          out[o + 1] = a1;
          out[o + 2] = a2;
          out[o + 3] = a3;
          out[o + 4] = a4;
          out[o + 5] = a5;
          out[o + 6] = a6;
          out[o + 7] = a7;
          j += 8;
          p += 32;
        }
        // Two words per 8-byte read while both are accepted (primes just below a power of two, as
        // the parameters use, reject a fraction 2^-10 or less of the pairs), then one word, which
        // may be rejected. Measured in BENCHMARKS.md ("uniform sampling").
        while (pairs && j < n - 1 && p <= BLOCK - 8) {
          long w = (long) LONG.get(buf, p);
          long v0 = w & mask;
          long v1 = (w >>> 32) & mask;
          if (v0 >= q || v1 >= q) {
            break;
          }
          out[base + j] = v0;
          out[base + j + 1] = v1;
          j += 2;
          p += 8;
        }
        if (j < n && p <= BLOCK - 4) {
          long v = (int) INT.get(buf, p) & mask;
          p += 4;
          if (v < q) {
            out[base + j++] = v;
          }
        }
        position = p;
      }
    }
  }

  /**
   * Centred binomial noise with eta = 21 (standard deviation sqrt(10.5) ~ 3.24, the HE standard's
   * sigma ~ 3.2): the difference of the popcounts of two 21-bit words.
   */
  public void centeredBinomial(int[] out) {
    final long mask = (1L << 21) - 1;
    // The words of a nextLong() per draw, read a block at a time (as uniform does).
    int j = 0;
    while (j < out.length) {
      if (position > BLOCK - 8) {
        refill();
      }
      int p = position;
      byte[] buf = this.out;
      int end = j + Math.min(out.length - j, (BLOCK - p) >>> 3);
      for (; j < end; j++, p += 8) {
        long r = (long) LONG.get(buf, p);
        out[j] = Long.bitCount(r & mask) - Long.bitCount((r >>> 21) & mask);
      }
      position = p;
    }
  }

  /** Uniform ternary values in {-1, 0, 1}. */
  public void ternary(int[] out) {
    for (int j = 0; j < out.length; j++) {
      int v;
      do {
        v = nextInt() & 3;
      } while (v == 3);
      out[j] = v - 1;
    }
  }

  /** Clears the internal keystream buffer. */
  /**
   * The uniform residues over {@code q} of the streams with nonces {@code firstNonce + k}, k in [0,
   * count), into {@code out[k * q.size() * q.n() ..]}: the values a new expander per nonce gives
   * ({@link #uniform}), from one expander per parallel part restarted for each nonce. A new
   * expander per ciphertext (a cipher lookup, the AES key schedule and two fresh 16 KB buffers)
   * took about 0.9 s of a cold {@code infer}'s C2 compilation (JFR) and most of a fresh JVM's
   * second seed expansion (0.34-0.36 s against 0.04-0.05 s now, BENCHMARKS.md).
   *
   * @throws BfvException INVALID_ARGUMENT for a seed that is not 32 bytes, a negative count or an
   *     {@code out} that does not hold exactly {@code count} polynomials over {@code q}
   */
  public static void uniformStreams(byte[] seed, int domain, long firstNonce, int count, RnsBasis q, long[] out) {
    int len = q.size() * q.n();
    if (count < 0 || out.length != (long) count * len) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "an array of " + out.length + " residues for " + count + " polynomials of " + len);
    }
    if (count == 0) {
      return;
    }
    int parts = Math.min(count, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1);
    java.util.stream.IntStream.range(0, parts).parallel().forEach(part -> {
      int lo = (int) ((long) part * count / parts);
      int hi = (int) ((long) (part + 1) * count / parts);
      SeedExpander x = new SeedExpander(seed, domain, firstNonce + lo);
      try {
        for (int k = lo; k < hi; k++) {
          x.restart(domain, firstNonce + k);
          x.uniform(q, out, k * len);
        }
      } finally {
        x.wipe();
      }
    });
  }

  public void wipe() {
    Arrays.fill(out, (byte) 0);
    position = BLOCK;
  }
}
