package org.cryptonets.bfv;

import java.util.Arrays;
import org.cryptonets.engine.PolyBuffer;

/**
 * The BFV secret key: a ternary polynomial s, kept as its coefficients and as s and s^2 in NTT form
 * over Q on the backend (s^2 decrypts size-3 ciphertexts without relinearizing). Only the data owner
 * holds it; evaluation code never needs it.
 *
 * <p>Not thread-safe. {@link #close()} zeroes the host copy and releases the device buffers.
 */
public final class SecretKey implements AutoCloseable {
  private final BfvParameters params;
  private int[] ternary;
  private final PolyBuffer powers;

  SecretKey(BfvParameters params, int[] ternary, PolyBuffer powers) {
    this.params = params;
    this.ternary = ternary;
    this.powers = powers;
  }

  public BfvParameters parameters() {
    return params;
  }

  /** s (index 0) and s^2 (index 1) in NTT form over the full Q. */
  PolyBuffer powers() {
    if (ternary == null) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "secret key used after close");
    }
    return powers;
  }

  int[] ternary() {
    if (ternary == null) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "secret key used after close");
    }
    return ternary;
  }

  @Override
  public void close() {
    if (ternary != null) {
      Arrays.fill(ternary, 0);
      ternary = null;
      // Device memory is overwritten before release so no copy of s outlives the key.
      long[] zeros = new long[(int) powers.all().hostLength()];
      powers.backend().upload(zeros, powers.all());
      powers.close();
    }
  }
}
