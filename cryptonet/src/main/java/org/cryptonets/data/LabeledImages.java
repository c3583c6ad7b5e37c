package org.cryptonets.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Labelled images of one shape (a training or test split of MNIST, Fashion-MNIST, EMNIST, or any
 * IDX data set): unsigned 8-bit pixels, image after image, each laid out as its
 * {@link TensorShape} says, and one label per image.
 *
 * <p>Immutable and thread-safe: the arrays are copied in and every accessor returns a copy or a
 * primitive, so callers cannot corrupt shared data.
 */
public final class LabeledImages {
    /** The shape of an MNIST image, 1x28x28. */
    public static final TensorShape MNIST_SHAPE = new TensorShape(1, IdxFile.ROWS, IdxFile.COLUMNS);

    private final TensorShape shape;
    private final int imageSize;
    private final byte[] pixels;
    private final byte[] labels;
    private final int classes;

    /**
     * MNIST-shaped images (1x28x28) with labels 0..9.
     *
     * @throws IllegalArgumentException if the sizes disagree or a label is outside 0..9
     */
    public LabeledImages(byte[] pixels, byte[] labels) {
        this(MNIST_SHAPE, pixels, labels, 10);
    }

    /**
     * Creates a split.
     *
     * @param shape the shape of every image
     * @param pixels {@code labels.length * shape.size()} raw pixels, image after image
     * @param labels labels 0..classes - 1 (unsigned bytes)
     * @param classes number of classes, 1 to 256
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range
     */
    public LabeledImages(TensorShape shape, byte[] pixels, byte[] labels, int classes) {
        this.shape = Objects.requireNonNull(shape, "shape");
        this.imageSize = shape.size();
        if ((long) labels.length * imageSize != pixels.length) {
            throw new IllegalArgumentException("expected " + (long) labels.length * imageSize
                    + " pixels for " + labels.length + " labels of " + shape + " images, found " + pixels.length);
        }
        if (classes < 1 || classes > 256) {
            throw new IllegalArgumentException("classes: expected 1..256, found " + classes);
        }
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xFF) >= classes) {
                throw new IllegalArgumentException("label " + i + ": expected 0.." + (classes - 1) + ", found "
                        + (labels[i] & 0xFF));
            }
        }
        this.pixels = pixels.clone();
        this.labels = labels.clone();
        this.classes = classes;
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /** The shape of every image. */
    public TensorShape shape() {
        return shape;
    }

    /** Pixels per image. */
    public int imageSize() {
        return imageSize;
    }

    /** Number of classes the labels range over (labels are 0 to classes - 1). */
    public int classes() {
        return classes;
    }

    /**
     * Raw pixels (0..255 as unsigned bytes) of image {@code index}, as a fresh array.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public byte[] image(int index) {
        int from = checkedIndex(index) * imageSize;
        return Arrays.copyOfRange(pixels, from, from + imageSize);
    }

    /**
     * Copies image {@code index} into {@code target} at {@code offset}, avoiding an allocation per
     * image in tight loops.
     *
     * @throws IndexOutOfBoundsException if the index or the target range is out of bounds
     */
    public void copyImage(int index, byte[] target, int offset) {
        System.arraycopy(pixels, checkedIndex(index) * imageSize, target, offset, imageSize);
    }

    /**
     * Label of image {@code index}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public int label(int index) {
        return labels[checkedIndex(index)] & 0xFF;
    }

    /**
     * The first {@code count} images as a new split (for quick experiments and smoke tests).
     *
     * @throws IllegalArgumentException if {@code count} is negative or exceeds {@link #size()}
     */
    public LabeledImages head(int count) {
        return range(0, count);
    }

    /**
     * Images {@code from} to {@code from + count - 1} as a new split.
     *
     * @throws IllegalArgumentException if the range is not within {@code [0, size())}
     */
    public LabeledImages range(int from, int count) {
        if (from < 0 || count < 0 || (long) from + count > size()) {
            throw new IllegalArgumentException("images " + from + " to " + ((long) from + count - 1)
                    + " requested; expected a range within 0.." + (size() - 1));
        }
        return new LabeledImages(shape, Arrays.copyOfRange(pixels, from * imageSize, (from + count) * imageSize),
                Arrays.copyOfRange(labels, from, from + count), classes);
    }

    private int checkedIndex(int index) {
        if (index < 0 || index >= labels.length) {
            throw new IndexOutOfBoundsException("image " + index + " of " + labels.length);
        }
        return index;
    }
}
