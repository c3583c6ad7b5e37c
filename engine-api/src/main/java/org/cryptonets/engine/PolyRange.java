package org.cryptonets.engine;

/**
 * A run of polynomials inside a {@link PolyBuffer}, optionally strided: polynomial k of the run is
 * polynomial {@code first + k * stride} of the buffer. Every backend operation works on runs, so one
 * call covers many ciphertexts; a stride picks one component of each ciphertext (all the c0's of a
 * batch laid out as c0, c1, c0, c1, ... is {@code range(0, count, 2)}).
 *
 * <p>Immutable view; thread safety is that of the buffer.
 *
 * @throws EngineException {@code SHAPE_MISMATCH} if the run is not inside the buffer
 */
public final class PolyRange {
  private final PolyBuffer buffer;
  private final int first;
  private final int count;
  private final int stride;

  public PolyRange(PolyBuffer buffer, int first, int count) {
    this(buffer, first, count, 1);
  }

  public PolyRange(PolyBuffer buffer, int first, int count, int stride) {
    if (stride < 1) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "stride " + stride + " must be positive");
    }
    long last = count == 0 ? first : (long) first + (long) (count - 1) * stride + 1;
    if (first < 0 || count < 0 || last > buffer.polys()) {
      throw new EngineException(
          EngineException.Code.SHAPE_MISMATCH,
          "polynomials " + first + " + k*" + stride + " for k < " + count + " are outside a buffer of " + buffer.polys());
    }
    this.buffer = buffer;
    this.first = first;
    this.count = count;
    this.stride = stride;
  }

  public PolyBuffer buffer() {
    return buffer;
  }

  public int first() {
    return first;
  }

  public int count() {
    return count;
  }

  public int stride() {
    return stride;
  }

  /** Buffer index of polynomial k of the run. */
  public int index(int k) {
    return first + k * stride;
  }

  public RnsBasis basis() {
    return buffer.basis();
  }

  /** Polynomials [offset, offset + length) of this run, with the same stride. */
  public PolyRange sub(int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > count) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "sub-range [" + offset + ", " + (offset + length) + ") of a run of " + count);
    }
    return new PolyRange(buffer, first + offset * stride, length, stride);
  }

  /**
   * Checks that {@code other} has this run's basis and count, as elementwise operations need.
   *
   * @throws EngineException SHAPE_MISMATCH naming both runs
   */
  public void requireSameShape(PolyRange other) {
    if (!basis().equals(other.basis())) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "bases differ: " + basis() + " vs " + other.basis());
    }
    if (count != other.count) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "counts differ: " + this + " vs " + other);
    }
  }

  /**
   * Checks that this run is over {@code expected} and holds {@code polys} polynomials.
   *
   * @throws EngineException SHAPE_MISMATCH saying which operand ({@code what}) is wrong and how
   */
  public void require(RnsBasis expected, int polys, String what) {
    if (!basis().equals(expected)) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, what + " must be over " + expected + ", is over " + basis());
    }
    if (count != polys) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, what + " must hold " + polys + " polynomials, holds " + count);
    }
  }

  /**
   * Checks that this run is (c0, c1) pairs and {@code out}, in another buffer over the same basis,
   * holds one triple per pair: the operands of a tensor product.
   *
   * @throws EngineException SHAPE_MISMATCH saying which condition fails
   */
  public void requireTensorOutput(PolyRange out) {
    if (count % 2 != 0) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "tensor input " + this + " is not a run of (c0, c1) pairs");
    }
    out.require(basis(), count / 2 * 3, "tensor output");
    if (buffer == out.buffer) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "tensor output must be another buffer than its input");
    }
  }

  /** Number of long values this run occupies on the host: count * limbs * n. */
  public long hostLength() {
    return (long) count * basis().size() * basis().n();
  }

  @Override
  public String toString() {
    return "PolyRange[" + first + (stride == 1 ? "" : " step " + stride) + " x" + count + " of " + buffer.polys() + ", " + basis().size() + " limbs]";
  }
}
