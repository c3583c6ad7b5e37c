package org.cryptonets.data;

/**
 * The shape of one image or one activation tensor: channels x height x width, stored row-major
 * with the channel outermost (ONNX's NCHW without the batch axis). A flat vector of {@code k}
 * values is {@code k x 1 x 1}.
 *
 * <p>Immutable and thread-safe. The constructor throws {@link IllegalArgumentException} for a
 * dimension below 1 or a size above 2^28 values (the largest tensor any supported network holds).
 */
public record TensorShape(int channels, int height, int width) {
    /** Largest number of values a tensor may have. */
    public static final long MAX_SIZE = 1L << 28;

    /** Checks the dimensions. */
    public TensorShape {
        if (channels < 1 || height < 1 || width < 1 || (long) channels * height * width > MAX_SIZE) {
            throw new IllegalArgumentException("tensor shape " + channels + "x" + height + "x" + width
                    + ": expected positive dimensions with at most " + MAX_SIZE + " values");
        }
    }

    /** A flat vector of {@code size} values. */
    public static TensorShape flat(int size) {
        return new TensorShape(size, 1, 1);
    }

    /** Number of values. */
    public int size() {
        return channels * height * width;
    }

    /** Index of (c, y, x) in the flat layout. */
    public int index(int c, int y, int x) {
        return (c * height + y) * width + x;
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
