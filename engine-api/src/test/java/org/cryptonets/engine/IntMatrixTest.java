package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves {@link IntMatrix}: dense to CSR and back is the identity, the CSR arrays are the row-major
 * nonzeros, {@code nonZeros}, {@code density} and {@code maxRowL1} match direct computations, and
 * weights outside (-2^24, 2^24) or malformed shapes fail with {@code INVALID_ARGUMENT}.
 */
class IntMatrixTest {

  @ParameterizedTest
  @CsvSource({"0,0,0.0", "0,5,0.5", "3,0,0.5", "1,1,0.0", "1,1,1.0", "4,7,0.3", "10,10,0.05", "16,33,0.9", "5,3,1.0"})
  void denseCsrRoundTripAndStatistics(int rows, int cols, double fill) {
    Random rnd = new Random(rows * 1000L + cols);
    int[] dense = new int[rows * cols];
    for (int k = 0; k < dense.length; k++) {
      if (rnd.nextDouble() < fill) {
        int v = rnd.nextInt(2 * IntMatrix.MAX_ABS_WEIGHT + 1) - IntMatrix.MAX_ABS_WEIGHT;
        dense[k] = k % 5 == 0 ? (k % 2 == 0 ? IntMatrix.MAX_ABS_WEIGHT : -IntMatrix.MAX_ABS_WEIGHT) : v;
      }
    }
    IntMatrix m = IntMatrix.fromDense(rows, cols, dense);
    assertEquals(rows, m.rows());
    assertEquals(cols, m.columns());
    assertArrayEquals(dense, m.toDense());

    List<Integer> cIdx = new ArrayList<>();
    List<Integer> vals = new ArrayList<>();
    int[] start = new int[rows + 1];
    long maxL1 = 0;
    for (int r = 0; r < rows; r++) {
      start[r] = cIdx.size();
      long l1 = 0;
      for (int c = 0; c < cols; c++) {
        int v = dense[r * cols + c];
        if (v != 0) {
          cIdx.add(c);
          vals.add(v);
          l1 += Math.abs(v);
        }
      }
      maxL1 = Math.max(maxL1, l1);
    }
    start[rows] = cIdx.size();
    assertArrayEquals(start, m.rowStart());
    assertArrayEquals(cIdx.stream().mapToInt(Integer::intValue).toArray(), m.columnIndex());
    assertArrayEquals(vals.stream().mapToInt(Integer::intValue).toArray(), m.values());
    assertEquals(vals.size(), m.nonZeros());
    assertEquals(maxL1, m.maxRowL1());
    double density = rows == 0 || cols == 0 ? 0 : (double) vals.size() / ((double) rows * cols);
    assertEquals(density, m.density());
    IntMatrix again = IntMatrix.fromDense(rows, cols, m.toDense());
    assertEquals(m, again);
    assertEquals(m.hashCode(), again.hashCode());
  }

  @Test
  void knownAnswer() {
    IntMatrix m = IntMatrix.fromDense(2, 3, new int[] {0, -4, 2, 7, 0, 0});
    assertArrayEquals(new int[] {0, 2, 3}, m.rowStart());
    assertArrayEquals(new int[] {1, 2, 0}, m.columnIndex());
    assertArrayEquals(new int[] {-4, 2, 7}, m.values());
    assertEquals(7, m.maxRowL1());
    assertEquals(0.5, m.density());
    assertNotEquals(m, IntMatrix.fromDense(3, 2, new int[] {0, -4, 2, 7, 0, 0}));
    assertNotEquals(m, IntMatrix.fromDense(2, 3, new int[] {0, -4, 2, 7, 0, 1}));
  }

  @Test
  void maxRowL1CanExceedIntRange() {
    int cols = 300;
    int[] dense = new int[cols];
    java.util.Arrays.fill(dense, -IntMatrix.MAX_ABS_WEIGHT);
    assertEquals((long) cols * IntMatrix.MAX_ABS_WEIGHT, IntMatrix.fromDense(1, cols, dense).maxRowL1());
  }

  @ParameterizedTest
  @ValueSource(ints = {1 << 24, -(1 << 24), (1 << 24) + 1, Integer.MAX_VALUE, Integer.MIN_VALUE, -Integer.MAX_VALUE})
  void weightsOutsideTheBoundAreRejected(int w) {
    EngineException e = assertThrows(EngineException.class, () -> IntMatrix.fromDense(2, 2, new int[] {1, 0, w, 3}));
    assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
  }

  @Test
  void boundaryWeightsAreAccepted() {
    assertEquals((1 << 24) - 1, IntMatrix.MAX_ABS_WEIGHT);
    IntMatrix m = IntMatrix.fromDense(1, 2, new int[] {(1 << 24) - 1, -(1 << 24) + 1});
    assertEquals(2L * ((1 << 24) - 1), m.maxRowL1());
  }

  @ParameterizedTest
  @CsvSource({"2,3,5", "2,3,7", "-1,0,0", "0,-1,0", "-2,-3,6", "1,1,0"})
  void malformedShapesAreRejected(int rows, int cols, int length) {
    EngineException e = assertThrows(EngineException.class, () -> IntMatrix.fromDense(rows, cols, new int[length]));
    assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
  }
}
