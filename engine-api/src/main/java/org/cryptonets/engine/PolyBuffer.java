package org.cryptonets.engine;

/**
 * A backend-owned array of polynomials over one RNS basis: {@code polys()} polynomials, each with
 * {@code basis().size()} limbs of {@code basis().n()} coefficients. On the CPU it is Java memory;
 * on a GPU it is device memory that stays there between operations. Whether a polynomial is in
 * coefficient or NTT form is the caller's business, not the buffer's.
 *
 * <p>Not thread-safe: a buffer may be read by several operations at once but written by one.
 * Closing releases device memory; using a closed buffer throws {@code BUFFER_INVALID}.
 */
public interface PolyBuffer extends AutoCloseable {
  RnsBasis basis();

  int polys();

  /** The backend that owns this buffer; operations accept only their own backend's buffers. */
  Backend backend();

  /** A view of polynomials [first, first + count). */
  default PolyRange range(int first, int count) {
    return new PolyRange(this, first, count);
  }

  /** A strided view: polynomials first + k * stride for k < count. */
  default PolyRange range(int first, int count, int stride) {
    return new PolyRange(this, first, count, stride);
  }

  /** A view of every polynomial. */
  default PolyRange all() {
    return new PolyRange(this, 0, polys());
  }

  @Override
  void close();
}
