package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * The BFV secret key: a ternary polynomial s, kept as its coefficients and as s and s^2 in NTT form
 * over Q on the backend (s^2 decrypts size-3 ciphertexts without relinearizing). Only the data owner
 * holds it; evaluation code never needs it.
 *
 * <p>The coefficients live in a {@link LockedBuffer} (off the Java heap, locked against swapping,
 * zeroed on close), one signed byte per coefficient. The backend copies of s and s^2 are in the
 * backend's memory (Java arrays on the CPU backend, device memory on a GPU), outside that control;
 * they are overwritten with zeros on close.
 *
 * <p>Not thread-safe. {@link #close()} wipes every copy this object holds; afterwards every method
 * throws {@link BfvException} INVALID_ARGUMENT.
 */
public final class SecretKey implements AutoCloseable {
  private final BfvParameters params;
  private final LockedBuffer coefficients;
  private final PolyBuffer powers;
  private boolean closed;

  private SecretKey(BfvParameters params, LockedBuffer coefficients, PolyBuffer powers) {
    this.params = params;
    this.coefficients = coefficients;
    this.powers = powers;
  }

  /**
   * A secret key from its coefficients, one signed byte (-1, 0 or 1) per coefficient, for example
   * as read back from a key file. The key takes ownership of {@code coefficients} and closes it.
   *
   * @throws BfvException INVALID_ARGUMENT if the buffer does not hold n bytes, VALUE_OUT_OF_RANGE if
   *     a coefficient is not -1, 0 or 1 (the buffer is closed in both cases)
   */
  public static SecretKey fromCoefficients(BfvParameters params, Backend backend, LockedBuffer coefficients) {
    int n = params.n();
    try {
      if (coefficients.size() != n) {
        throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "secret key of " + coefficients.size() + " coefficients; expected n = " + n);
      }
      for (int j = 0; j < n; j++) {
        int v = coefficients.get(j);
        if (v < -1 || v > 1) {
          throw new BfvException(BfvException.ErrorCode.VALUE_OUT_OF_RANGE, "secret key coefficient " + j + " is " + v + "; expected -1, 0 or 1");
        }
      }
    } catch (BfvException e) {
      coefficients.close();
      throw e;
    }
    return create(params, backend, coefficients);
  }

  /** s and s^2 in NTT form on the backend from the coefficients; takes ownership of the buffer. */
  static SecretKey create(BfvParameters params, Backend backend, LockedBuffer coefficients) {
    RnsBasis q = params.coeffBasis();
    int n = params.n();
    long[] host = new long[q.size() * n];
    PolyBuffer powers = null;
    try {
      powers = backend.allocate(q, 2);
      for (int i = 0; i < q.size(); i++) {
        long qi = q.modulus(i).value();
        for (int j = 0; j < n; j++) {
          int v = coefficients.get(j);
          host[i * n + j] = v < 0 ? qi + v : v;
        }
      }
      backend.upload(host, powers.range(0, 1));
      backend.forwardNtt(powers.range(0, 1));
      backend.multiply(powers.range(0, 1), powers.range(0, 1), powers.range(1, 1));
      return new SecretKey(params, coefficients, powers);
    } catch (RuntimeException e) {
      // A backend failure must not leave the coefficients behind unwiped.
      coefficients.close();
      if (powers != null) {
        powers.close();
      }
      throw e;
    } finally {
      java.util.Arrays.fill(host, 0);
    }
  }

  public BfvParameters parameters() {
    return params;
  }

  /** Coefficient {@code index} of s: -1, 0 or 1. Serialization reads the key through this. */
  public int coefficient(int index) {
    checkOpen();
    return coefficients.get(index);
  }

  /** True if the coefficients are locked against swapping (see {@link LockedBuffer}). */
  public boolean isLocked() {
    return !closed && coefficients.isLocked();
  }

  /** s (index 0) and s^2 (index 1) in NTT form over the full Q. */
  PolyBuffer powers() {
    checkOpen();
    return powers;
  }

  /** The coefficients as a fresh heap array, for tests; the caller wipes it. */
  int[] ternary() {
    checkOpen();
    int[] s = new int[params.n()];
    for (int j = 0; j < s.length; j++) {
      s[j] = coefficients.get(j);
    }
    return s;
  }

  private void checkOpen() {
    if (closed) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "secret key used after close");
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      coefficients.close();
      // Device memory is overwritten before release so no copy of s outlives the key.
      long[] zeros = new long[(int) powers.all().hostLength()];
      powers.backend().upload(zeros, powers.all());
      powers.close();
    }
  }
}
