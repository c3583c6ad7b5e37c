package org.cryptonets.onnx;

import java.util.Arrays;

/**
 * Internal: a constant tensor of known shape, either floating point (held as doubles) or integer
 * (held as longs, so that int64 shape arithmetic stays exact). Immutable by convention: the arrays
 * are never changed after construction.
 */
final class Tensor {
    /** Largest number of values any tensor may hold, declared or computed. */
    static final long MAX_VALUES = 1L << 26;

    final long[] dims;
    final double[] floats;
    final long[] ints;

    private Tensor(long[] dims, double[] floats, long[] ints) {
        this.dims = dims;
        this.floats = floats;
        this.ints = ints;
        int size = size();
        if ((floats != null ? floats.length : ints.length) != size) {
            throw new IllegalStateException("tensor of shape " + Arrays.toString(dims) + " with "
                    + (floats != null ? floats.length : ints.length) + " values");
        }
    }

    static Tensor ofFloats(long[] dims, double[] values) {
        return new Tensor(dims, values, null);
    }

    static Tensor ofInts(long[] dims, long[] values) {
        return new Tensor(dims, null, values);
    }

    static Tensor scalar(double value) {
        return ofFloats(new long[0], new double[] {value});
    }

    /** Same kind (float or integer) as {@code like}, with new values taken from doubles or longs. */
    static Tensor like(Tensor like, long[] dims, double[] floats, long[] ints) {
        return like.isFloat() ? ofFloats(dims, floats) : ofInts(dims, ints);
    }

    /**
     * Number of values of a tensor with these dimensions.
     *
     * @throws ImportFailure for a negative dimension or more than {@link #MAX_VALUES} values
     */
    static int count(long[] dims, String what) {
        long count = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new ImportFailure(what + " has a negative dimension: " + Arrays.toString(dims));
            }
            if (d > MAX_VALUES) {
                throw new ImportFailure(what + " declares shape " + Arrays.toString(dims) + ", above the limit of "
                        + MAX_VALUES + " values");
            }
            count *= d; // both factors are at most 2^26 here, so no overflow before the check
            if (count > MAX_VALUES) {
                throw new ImportFailure(what + " declares shape " + Arrays.toString(dims) + " (more than " + MAX_VALUES
                        + " values): expected at most " + MAX_VALUES + " values");
            }
        }
        return (int) count;
    }

    boolean isFloat() {
        return floats != null;
    }

    int rank() {
        return dims.length;
    }

    int size() {
        long count = 1;
        for (long d : dims) {
            count *= d;
        }
        return (int) count;
    }

    double number(int k) {
        return floats != null ? floats[k] : ints[k];
    }

    long integer(int k) {
        return floats != null ? (long) floats[k] : ints[k];
    }

    /** All values as doubles (a copy for integer tensors, the array itself for float tensors). */
    double[] asDoubles() {
        if (floats != null) {
            return floats;
        }
        double[] out = new double[ints.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = ints[k];
        }
        return out;
    }

    /** All values as longs (floats truncated toward zero). */
    long[] asLongs() {
        if (ints != null) {
            return ints;
        }
        long[] out = new long[floats.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = (long) floats[k];
        }
        return out;
    }

    String describe() {
        return (isFloat() ? "float" : "integer") + " tensor of shape " + Arrays.toString(dims);
    }
}
