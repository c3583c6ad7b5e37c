package org.cryptonets.mnist;

import java.nio.file.Path;
import java.util.Objects;

/**
 * MNIST's training and test splits, read from the four uncompressed IDX files in one directory.
 *
 * <p>Immutable and thread-safe. Loading throws {@link MnistFormatException} (naming the file) when
 * a file is missing or malformed, or when an image file and its label file disagree on the count;
 * {@link #obtain(Path)} may also throw {@link MnistFetchException}.
 */
public final class MnistDataset {
    private final MnistSplit train;
    private final MnistSplit test;

    /** Wraps two splits. */
    public MnistDataset(MnistSplit train, MnistSplit test) {
        this.train = Objects.requireNonNull(train, "train");
        this.test = Objects.requireNonNull(test, "test");
    }

    /**
     * Reads and structurally validates the four files in {@code directory}, without checking that
     * they are the genuine MNIST (tests use small synthetic files; see {@link #loadVerified(Path)}).
     *
     * @throws MnistFormatException if any file is missing or malformed, or counts disagree
     */
    public static MnistDataset load(Path directory) {
        return new MnistDataset(
                loadSplit(directory, MnistFile.TRAIN_IMAGES, MnistFile.TRAIN_LABELS),
                loadSplit(directory, MnistFile.TEST_IMAGES, MnistFile.TEST_LABELS));
    }

    /**
     * Checks the SHA-256 of the four files in {@code directory} against the genuine MNIST, then
     * loads them.
     *
     * @throws MnistFormatException if a file is missing, foreign or malformed
     */
    public static MnistDataset loadVerified(Path directory) {
        MnistFetcher.verify(directory);
        return load(directory);
    }

    /**
     * Loads the genuine MNIST from {@code dataDirectory} if given, otherwise from the default cache
     * of {@link MnistFetcher}, downloading it there first if needed.
     *
     * @param dataDirectory a directory holding the four files, or {@code null}
     * @throws MnistFormatException if a file is missing, foreign or malformed
     * @throws MnistFetchException if the files have to be downloaded and that fails
     */
    public static MnistDataset obtain(Path dataDirectory) {
        if (dataDirectory != null) {
            return loadVerified(dataDirectory);
        }
        return load(new MnistFetcher(MnistFetcher.defaultCacheDirectory()).fetch());
    }

    /** The training split (60,000 images in genuine MNIST). */
    public MnistSplit train() {
        return train;
    }

    /** The test split (10,000 images in genuine MNIST). */
    public MnistSplit test() {
        return test;
    }

    private static MnistSplit loadSplit(Path directory, MnistFile imageFile, MnistFile labelFile) {
        Path imagePath = directory.resolve(imageFile.fileName());
        Path labelPath = directory.resolve(labelFile.fileName());
        byte[] pixels = IdxFile.readImages(imagePath);
        byte[] labels = IdxFile.readLabels(labelPath);
        if ((long) labels.length * IdxFile.PIXELS != pixels.length) {
            throw new MnistFormatException(labelPath + ": expected " + pixels.length / IdxFile.PIXELS
                    + " labels to match " + imagePath + ", found " + labels.length);
        }
        return new MnistSplit(pixels, labels);
    }
}
