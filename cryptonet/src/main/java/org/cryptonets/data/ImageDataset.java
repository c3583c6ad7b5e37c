package org.cryptonets.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A labelled image data set in IDX format: its training and test splits, read from the four
 * standard files in one directory ({@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte},
 * each either as is or gzip-compressed with a {@code .gz} suffix). MNIST, Fashion-MNIST, or EMNIST
 * files renamed to these names all load; images may have any size {@link IdxFile} accepts, the
 * same for both splits, and the number of classes is the largest label in either split plus one
 * (at least two).
 *
 * <p>Immutable and thread-safe. Loading throws {@link DatasetFormatException} (naming the file) when
 * a file is missing or malformed, when an image file and its label file disagree on the count, or
 * when the two splits' images differ in shape; {@link #obtain(Path)} may also throw
 * {@link MnistFetchException}. Null arguments (other than {@code obtain}'s) throw
 * {@link NullPointerException}.
 */
public final class ImageDataset {
    /** The suffix of a gzip-compressed variant of one of the four files. */
    public static final String GZIP_SUFFIX = ".gz";

    private final LabeledImages train;
    private final LabeledImages test;

    /** Wraps two splits. */
    public ImageDataset(LabeledImages train, LabeledImages test) {
        this.train = Objects.requireNonNull(train, "train");
        this.test = Objects.requireNonNull(test, "test");
    }

    /**
     * Reads and structurally validates the four files in {@code directory}, without checking that
     * they are the genuine MNIST: any IDX data set of unsigned bytes loads (see
     * {@link #loadVerified(Path)} for the check). Of a file present both as is and with the
     * {@value #GZIP_SUFFIX} suffix, the uncompressed one is read.
     *
     * @throws DatasetFormatException if {@code directory} is not a folder, any file is missing
     *     (under both names) or malformed, counts of images and labels disagree, or the training and
     *     test images differ in shape
     */
    public static ImageDataset load(Path directory) {
        Objects.requireNonNull(directory, "directory");
        if (!Files.isDirectory(directory)) {
            throw new DatasetFormatException(directory + ": expected a folder holding the four IDX files ("
                    + MnistFile.TRAIN_IMAGES.fileName() + ", ..., optionally " + GZIP_SUFFIX + "), found "
                    + (Files.exists(directory) ? "a file" : "nothing"));
        }
        Split train = readSplit(directory, MnistFile.TRAIN_IMAGES, MnistFile.TRAIN_LABELS);
        Split test = readSplit(directory, MnistFile.TEST_IMAGES, MnistFile.TEST_LABELS);
        TensorShape shape = train.images.shape();
        if (!test.images.shape().equals(shape)) {
            throw new DatasetFormatException(test.imagePath + ": expected images of the training images' shape "
                    + shape + " (from " + train.imagePath + "), found " + test.images.shape());
        }
        int classes = Math.max(2, Math.max(largestLabel(train.labels), largestLabel(test.labels)) + 1);
        return new ImageDataset(
                new LabeledImages(shape, train.images.pixels(), train.labels, classes),
                new LabeledImages(shape, test.images.pixels(), test.labels, classes));
    }

    /**
     * Checks the SHA-256 of the four uncompressed files in {@code directory} against the genuine
     * MNIST, then loads them.
     *
     * @throws DatasetFormatException if a file is missing, foreign or malformed
     */
    public static ImageDataset loadVerified(Path directory) {
        MnistFetcher.verify(directory);
        return load(directory);
    }

    /**
     * Loads the IDX data set in {@code dataDirectory} if given (any data set, as
     * {@link #load(Path)}: no check that it is MNIST); otherwise the genuine MNIST from the default
     * cache of {@link MnistFetcher}, downloading it there first if needed and verifying its SHA-256.
     *
     * @param dataDirectory a directory holding the four files, or {@code null}
     * @throws DatasetFormatException if a file is missing or malformed, or (for the fetched MNIST)
     *     foreign
     * @throws MnistFetchException if the files have to be downloaded and that fails
     */
    public static ImageDataset obtain(Path dataDirectory) {
        if (dataDirectory != null) {
            return load(dataDirectory);
        }
        // fetch() publishes and keeps only files whose SHA-256 is the genuine MNIST's.
        return load(new MnistFetcher(MnistFetcher.defaultCacheDirectory()).fetch());
    }

    /** The training split (60,000 images in genuine MNIST). */
    public LabeledImages train() {
        return train;
    }

    /** The test split (10,000 images in genuine MNIST). */
    public LabeledImages test() {
        return test;
    }

    /**
     * The path to read for one of the four files: its plain name if that exists, else the name with
     * {@value #GZIP_SUFFIX}.
     *
     * @throws DatasetFormatException if neither exists, listing both names
     */
    static Path locate(Path directory, MnistFile file) {
        Path plain = directory.resolve(file.fileName());
        if (Files.exists(plain)) {
            return plain;
        }
        Path gzip = directory.resolve(file.fileName() + GZIP_SUFFIX);
        if (Files.exists(gzip)) {
            return gzip;
        }
        throw new DatasetFormatException(directory + ": expected an " + (file.isImages() ? "IDX3 image" : "IDX1 label")
                + " file named " + file.fileName() + " or " + file.fileName() + GZIP_SUFFIX + ", found neither");
    }

    private record Split(Path imagePath, IdxFile.Images images, byte[] labels) {
    }

    private static Split readSplit(Path directory, MnistFile imageFile, MnistFile labelFile) {
        Path imagePath = locate(directory, imageFile);
        Path labelPath = locate(directory, labelFile);
        IdxFile.Images images = IdxFile.readImages(imagePath);
        byte[] labels = IdxFile.readLabels(labelPath);
        if (labels.length != images.count()) {
            throw new DatasetFormatException(labelPath + ": expected " + images.count()
                    + " labels to match " + imagePath + ", found " + labels.length);
        }
        return new Split(imagePath, images, labels);
    }

    private static int largestLabel(byte[] labels) {
        int largest = 0;
        for (byte label : labels) {
            largest = Math.max(largest, label & 0xFF);
        }
        return largest;
    }
}
