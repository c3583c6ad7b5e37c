package org.cryptonets.bfv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RnsBasis;

/**
 * Deterministic expansion of a 32-byte seed into a pseudorandom stream: AES-256 in counter mode from
 * the JDK's provider (hardware AES where available). A domain and a nonce select independent
 * streams, so one seed yields the uniform halves of a whole batch of ciphertexts (nonce = index) and
 * the evaluating side regenerates them from the seed alone.
 *
 * <p>Not thread-safe: one instance per thread.
 *
 * @throws BfvException INVALID_ARGUMENT if the seed is not 32 bytes
 */
public final class SeedExpander {
  public static final int SEED_BYTES = 32;
  private static final int BLOCK = 1 << 14;

  private final Cipher cipher;
  private final ByteBuffer buffer = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
  private final byte[] zeros = new byte[BLOCK];
  private final byte[] out = new byte[BLOCK];

  public SeedExpander(byte[] seed, int domain, long nonce) {
    if (seed == null || seed.length != SEED_BYTES) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "seed must be " + SEED_BYTES + " bytes, got " + (seed == null ? "none" : seed.length));
    }
    byte[] iv = new byte[16];
    ByteBuffer.wrap(iv).order(ByteOrder.LITTLE_ENDIAN).putInt(domain).putLong(nonce);
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      SecretKeySpec key = new SecretKeySpec(seed, "AES");
      cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/CTR/NoPadding is required by every Java platform", e);
    }
    buffer.limit(0);
  }

  private void refill() {
    try {
      int produced = cipher.update(zeros, 0, BLOCK, out, 0);
      buffer.clear();
      buffer.put(out, 0, produced);
      buffer.flip();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR keystream failed", e);
    }
  }

  public int nextInt() {
    if (buffer.remaining() < 4) {
      refill();
    }
    return buffer.getInt();
  }

  public long nextLong() {
    if (buffer.remaining() < 8) {
      refill();
    }
    return buffer.getLong();
  }

  /** Uniform residues for every limb of one polynomial, written to {@code out[off + i*n + j]}. */
  public void uniform(RnsBasis basis, long[] out, int off) {
    int n = basis.n();
    for (int i = 0; i < basis.size(); i++) {
      Modulus m = basis.modulus(i);
      long q = m.value();
      long mask = (1L << m.bits()) - 1;
      int base = off + i * n;
      for (int j = 0; j < n; j++) {
        long v;
        do {
          v = nextInt() & mask;
        } while (v >= q);
        out[base + j] = v;
      }
    }
  }

  /**
   * Centred binomial noise with eta = 21 (standard deviation sqrt(10.5) ~ 3.24, the HE standard's
   * sigma ~ 3.2): the difference of the popcounts of two 21-bit words.
   */
  public void centeredBinomial(int[] out) {
    final long mask = (1L << 21) - 1;
    for (int j = 0; j < out.length; j++) {
      long r = nextLong();
      out[j] = Long.bitCount(r & mask) - Long.bitCount((r >>> 21) & mask);
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
  public void wipe() {
    Arrays.fill(out, (byte) 0);
    buffer.clear();
    buffer.put(new byte[BLOCK]);
    buffer.limit(0);
  }
}
