package org.cryptonets.mnist;

import java.util.Arrays;

/**
 * One part of MNIST (training or test): images with their labels.
 *
 * <p>Immutable and thread-safe: the arrays are copied in and every accessor returns a copy or a
 * primitive, so callers cannot corrupt shared data.
 */
public final class MnistSplit {
    private final byte[] pixels;
    private final byte[] labels;

    /**
     * Creates a split.
     *
     * @param pixels {@code labels.length * 784} raw pixels, image after image, row-major
     * @param labels labels 0..9
     * @throws IllegalArgumentException if the sizes disagree or a label is outside 0..9
     */
    public MnistSplit(byte[] pixels, byte[] labels) {
        if ((long) labels.length * IdxFile.PIXELS != pixels.length) {
            throw new IllegalArgumentException("expected " + (long) labels.length * IdxFile.PIXELS
                    + " pixels for " + labels.length + " labels, found " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 9) {
                throw new IllegalArgumentException("label " + i + ": expected 0..9, found " + labels[i]);
            }
        }
        this.pixels = pixels.clone();
        this.labels = labels.clone();
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /**
     * Raw pixels (0..255 as unsigned bytes, row-major) of image {@code index}, as a fresh array.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public byte[] image(int index) {
        int from = checkedIndex(index) * IdxFile.PIXELS;
        return Arrays.copyOfRange(pixels, from, from + IdxFile.PIXELS);
    }

    /**
     * Copies image {@code index} into {@code target} at {@code offset}, avoiding an allocation per
     * image in tight loops.
     *
     * @throws IndexOutOfBoundsException if the index or the target range is out of bounds
     */
    public void copyImage(int index, byte[] target, int offset) {
        System.arraycopy(pixels, checkedIndex(index) * IdxFile.PIXELS, target, offset, IdxFile.PIXELS);
    }

    /**
     * Label (0..9) of image {@code index}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public int label(int index) {
        return labels[checkedIndex(index)];
    }

    /**
     * The first {@code count} images as a new split (for quick experiments and smoke tests).
     *
     * @throws IllegalArgumentException if {@code count} is negative or exceeds {@link #size()}
     */
    public MnistSplit head(int count) {
        if (count < 0 || count > size()) {
            throw new IllegalArgumentException("expected 0.." + size() + " images, found " + count);
        }
        return new MnistSplit(Arrays.copyOf(pixels, count * IdxFile.PIXELS), Arrays.copyOf(labels, count));
    }

    private int checkedIndex(int index) {
        if (index < 0 || index >= labels.length) {
            throw new IndexOutOfBoundsException("image " + index + " of " + labels.length);
        }
        return index;
    }
}
