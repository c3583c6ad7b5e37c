package org.cryptonets.engine;

/**
 * A contiguous run of polynomials inside a {@link PolyBuffer}: the unit every backend operation
 * works on, so one call covers many ciphertexts.
 *
 * <p>Immutable view; thread safety is that of the buffer.
 *
 * @throws EngineException {@code SHAPE_MISMATCH} if the run is not inside the buffer
 */
public final class PolyRange {
  private final PolyBuffer buffer;
  private final int first;
  private final int count;

  public PolyRange(PolyBuffer buffer, int first, int count) {
    if (first < 0 || count < 0 || (long) first + count > buffer.polys()) {
      throw new EngineException(
          EngineException.Code.SHAPE_MISMATCH,
          "polynomials [" + first + ", " + ((long) first + count) + ") are outside a buffer of " + buffer.polys());
    }
    this.buffer = buffer;
    this.first = first;
    this.count = count;
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

  public RnsBasis basis() {
    return buffer.basis();
  }

  /** A sub-run relative to this one. */
  public PolyRange sub(int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > count) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "sub-range [" + offset + ", " + (offset + length) + ") of a run of " + count);
    }
    return new PolyRange(buffer, first + offset, length);
  }

  /** Number of long values this run occupies on the host: count * limbs * n. */
  public long hostLength() {
    return (long) count * basis().size() * basis().n();
  }

  @Override
  public String toString() {
    return "PolyRange[" + first + "+" + count + " of " + buffer.polys() + ", " + basis().size() + " limbs]";
  }
}
