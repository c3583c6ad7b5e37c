package org.cryptonets.engine;

import java.util.Arrays;

/**
 * A matrix of small signed integer weights in compressed sparse rows: the plain (unencrypted)
 * weights of a network layer. Convolutions are mostly zeros and dense layers have none, so one
 * format serves both; backends choose their own kernels from {@link #density()}.
 *
 * <p>Immutable; thread-safe. Accessors return internal arrays: do not modify them.
 *
 * @throws EngineException {@code INVALID_ARGUMENT} for negative sizes, a weight array of the wrong
 *     length, or a weight outside (-2^24, 2^24)
 */
public final class IntMatrix {
  /** Weights are bounded so a 64-bit lazy accumulation of 31-bit residues cannot overflow. */
  public static final int MAX_ABS_WEIGHT = (1 << 24) - 1;

  private final int rows;
  private final int columns;
  private final int[] rowStart;
  private final int[] columnIndex;
  private final int[] values;

  private IntMatrix(int rows, int columns, int[] rowStart, int[] columnIndex, int[] values) {
    this.rows = rows;
    this.columns = columns;
    this.rowStart = rowStart;
    this.columnIndex = columnIndex;
    this.values = values;
  }

  /** From a dense row-major array; zeros are dropped. */
  public static IntMatrix fromDense(int rows, int columns, int[] dense) {
    if (rows < 0 || columns < 0 || dense.length != (long) rows * columns) {
      throw new EngineException(
          EngineException.Code.INVALID_ARGUMENT,
          "dense weights of length " + dense.length + " for a " + rows + " x " + columns + " matrix");
    }
    int nonzero = 0;
    for (int v : dense) {
      checkWeight(v);
      if (v != 0) {
        nonzero++;
      }
    }
    int[] start = new int[rows + 1];
    int[] col = new int[nonzero];
    int[] val = new int[nonzero];
    int k = 0;
    for (int r = 0; r < rows; r++) {
      start[r] = k;
      for (int c = 0; c < columns; c++) {
        int v = dense[r * columns + c];
        if (v != 0) {
          col[k] = c;
          val[k] = v;
          k++;
        }
      }
    }
    start[rows] = k;
    return new IntMatrix(rows, columns, start, col, val);
  }

  private static void checkWeight(int v) {
    if (v > MAX_ABS_WEIGHT || v < -MAX_ABS_WEIGHT) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "weight " + v + " is outside (-2^24, 2^24)");
    }
  }

  public int rows() {
    return rows;
  }

  public int columns() {
    return columns;
  }

  public int nonZeros() {
    return values.length;
  }

  public double density() {
    return rows == 0 || columns == 0 ? 0 : (double) values.length / ((double) rows * columns);
  }

  /** CSR row pointers, length rows + 1. */
  public int[] rowStart() {
    return rowStart;
  }

  public int[] columnIndex() {
    return columnIndex;
  }

  public int[] values() {
    return values;
  }

  /** The dense row-major form. */
  public int[] toDense() {
    int[] dense = new int[rows * columns];
    for (int r = 0; r < rows; r++) {
      for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
        dense[r * columns + columnIndex[k]] = values[k];
      }
    }
    return dense;
  }

  /** Rows [from, to) as a matrix of their own (for processing a layer in chunks of outputs). */
  public IntMatrix rows(int from, int to) {
    if (from < 0 || to > rows || from > to) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "rows [" + from + ", " + to + ") of a matrix of " + rows);
    }
    int[] start = new int[to - from + 1];
    int base = rowStart[from];
    for (int r = from; r <= to; r++) {
      start[r - from] = rowStart[r] - base;
    }
    int end = rowStart[to];
    return new IntMatrix(to - from, columns, start, java.util.Arrays.copyOfRange(columnIndex, base, end), java.util.Arrays.copyOfRange(values, base, end));
  }

  /**
   * Checks the operands of a multiply-accumulate with this matrix: {@code in} holds columns() items
   * of {@code width} polynomials, {@code out} rows() items over the same basis, in another buffer.
   *
   * @throws EngineException INVALID_ARGUMENT for a width below 1, SHAPE_MISMATCH otherwise
   */
  public void requireLayerShapes(PolyRange in, int width, PolyRange out) {
    if (width < 1) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "item width " + width + " must be positive");
    }
    in.require(in.basis(), columns * width, "input of the " + rows + " x " + columns + " layer");
    out.require(in.basis(), rows * width, "output of the " + rows + " x " + columns + " layer");
    if (in.buffer() == out.buffer()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "multiply-accumulate cannot write its own input buffer");
    }
  }

  /** max over rows of sum |w|: the factor by which a layer can grow noise and values. */
  public long maxRowL1() {
    long best = 0;
    for (int r = 0; r < rows; r++) {
      long s = 0;
      for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
        s += Math.abs(values[k]);
      }
      best = Math.max(best, s);
    }
    return best;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof IntMatrix)) {
      return false;
    }
    IntMatrix m = (IntMatrix) o;
    return m.rows == rows && m.columns == columns && Arrays.equals(m.rowStart, rowStart)
        && Arrays.equals(m.columnIndex, columnIndex) && Arrays.equals(m.values, values);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values) * 31 + rows * 7 + columns;
  }
}
