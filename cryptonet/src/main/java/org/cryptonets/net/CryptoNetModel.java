package org.cryptonets.net;

import static org.cryptonets.net.CryptoNetLayers.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.data.TensorShape;

/**
 * The trained CryptoNets MNIST network in its training form (paper, section 4.2; layer shapes in
 * the package documentation): float32 weights for conv1, conv2, fc1 and
 * fc2, evaluated in double precision.
 *
 * <h2>File format, version 1</h2>
 * All integers and floats little-endian:
 * <pre>
 *   8 bytes  magic "CNETMODL"
 *   u32      format version (1)
 *   u32      total file length in bytes, checksum included
 *   u32      tensor count (8)
 *   per tensor, in the order conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc1.weight,
 *   fc1.bias, fc2.weight, fc2.bias:
 *     u8 name length, name (ASCII), u8 rank, u32 dimension[rank], float32 values (row-major)
 *   u32      CRC-32C of every preceding byte
 * </pre>
 * Loading checks, in this order, the length, magic, version, declared length, checksum, then that
 * every tensor has the expected name and shape and finite values, before building the model.
 *
 * <p>Immutable and thread-safe. Loading methods throw {@link ModelFormatException}; evaluation
 * methods throw {@link IllegalArgumentException} for an image that is not 784 bytes.
 */
public final class CryptoNetModel {
    /** Magic bytes at the start of every model file. */
    public static final String MAGIC = "CNETMODL";
    /** The only format version this class reads and writes. */
    public static final int FORMAT_VERSION = 1;
    /** Class-path resource of the committed model. */
    public static final String DEFAULT_RESOURCE = "/org/cryptonets/net/cryptonet-mnist-v1.bin";

    /** Name, shape and offset (in the flat parameter layout) of one weight tensor. Treat as immutable. */
    public record TensorSpec(String name, int[] shape, int offset) {
        /** Number of values. */
        public int size() {
            int size = 1;
            for (int d : shape) {
                size *= d;
            }
            return size;
        }
    }

    /** The training-form tensors, in file order. */
    public static final List<TensorSpec> TENSORS = List.of(
            new TensorSpec("conv1.weight", new int[] {CONV1_MAPS, 1, KERNEL, KERNEL}, CONV1_W),
            new TensorSpec("conv1.bias", new int[] {CONV1_MAPS}, CONV1_B),
            new TensorSpec("conv2.weight", new int[] {CONV2_MAPS, 1, KERNEL, KERNEL}, CONV2_W),
            new TensorSpec("conv2.bias", new int[] {CONV2_MAPS}, CONV2_B),
            new TensorSpec("fc1.weight", new int[] {HIDDEN, CONV2_OUTPUTS}, FC1_W),
            new TensorSpec("fc1.bias", new int[] {HIDDEN}, FC1_B),
            new TensorSpec("fc2.weight", new int[] {CLASSES, HIDDEN}, FC2_W),
            new TensorSpec("fc2.bias", new int[] {CLASSES}, FC2_B));

    private static final int HEADER_BYTES = 8 + 4 + 4 + 4;
    private static final int CHECKSUM_BYTES = 4;

    private final float[] weights; // flat, CryptoNetLayers layout
    private final double[] widened; // the same values as doubles, for evaluation

    private CryptoNetModel(float[] weights) {
        this.weights = weights;
        this.widened = new double[weights.length];
        for (int k = 0; k < weights.length; k++) {
            widened[k] = weights[k];
        }
    }

    /** Rounds training parameters (flat {@link CryptoNetLayers} layout) to float32. */
    static CryptoNetModel fromParameters(double[] parameters) {
        if (parameters.length != PARAMETERS) {
            throw new IllegalArgumentException("expected " + PARAMETERS + " parameters, found " + parameters.length);
        }
        float[] w = new float[PARAMETERS];
        for (int k = 0; k < PARAMETERS; k++) {
            w[k] = (float) parameters[k];
            if (!Float.isFinite(w[k])) {
                throw new IllegalArgumentException("parameter " + k + " is not finite: " + parameters[k]);
            }
        }
        return new CryptoNetModel(w);
    }

    /** The model committed with this library (see {@code cryptonet-mnist-v1.txt} beside it). */
    public static CryptoNetModel loadDefault() {
        try (InputStream in = CryptoNetModel.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new ModelFormatException("class-path resource " + DEFAULT_RESOURCE + ": expected the "
                        + "committed model, found no such resource");
            }
            return read(in.readAllBytes(), DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new ModelFormatException(DEFAULT_RESOURCE + ": cannot read: " + e, e);
        }
    }

    /**
     * Reads a model file.
     *
     * @throws ModelFormatException if the file is missing, unreadable or invalid
     */
    public static CryptoNetModel load(Path file) {
        return read(ChecksummedFile.readFile(file, "CryptoNet model file", NetworkFile.MAX_FILE_BYTES), file.toString());
    }

    /**
     * Parses the bytes of a model file; {@code name} is used only in error messages.
     *
     * @throws ModelFormatException if the bytes are not a valid version-1 model
     */
    public static CryptoNetModel read(byte[] bytes, String name) {
        ByteBuffer in = ChecksummedFile.open(bytes, name, MAGIC, FORMAT_VERSION, "CryptoNet model", HEADER_BYTES + CHECKSUM_BYTES);
        try {
            int count = in.getInt();
            if (count != TENSORS.size()) {
                throw new ModelFormatException(name + ": expected " + TENSORS.size() + " tensors, found " + count);
            }
            float[] w = new float[PARAMETERS];
            for (TensorSpec spec : TENSORS) {
                byte[] tensorName = new byte[in.get() & 0xFF];
                in.get(tensorName);
                String found = new String(tensorName, StandardCharsets.US_ASCII);
                int rank = in.get() & 0xFF;
                int[] shape = new int[rank];
                for (int d = 0; d < rank; d++) {
                    shape[d] = in.getInt();
                }
                if (!found.equals(spec.name()) || !Arrays.equals(shape, spec.shape())) {
                    throw new ModelFormatException(name + ": expected tensor " + spec.name()
                            + Arrays.toString(spec.shape()) + ", found " + found + Arrays.toString(shape));
                }
                for (int k = 0; k < spec.size(); k++) {
                    float value = in.getFloat();
                    if (!Float.isFinite(value)) {
                        throw new ModelFormatException(name + ": " + spec.name() + "[" + k
                                + "]: expected a finite weight, found " + value);
                    }
                    w[spec.offset() + k] = value;
                }
            }
            if (in.position() != bytes.length - CHECKSUM_BYTES) {
                throw new ModelFormatException(name + ": expected the checksum at byte "
                        + in.position() + ", found it at byte " + (bytes.length - CHECKSUM_BYTES));
            }
            return new CryptoNetModel(w);
        } catch (java.nio.BufferUnderflowException e) {
            throw new ModelFormatException(name + ": tensor data ends before the checksum", e);
        }
    }

    /** Serialises the model in format version 1. */
    public byte[] toBytes() {
        int length = HEADER_BYTES + CHECKSUM_BYTES;
        for (TensorSpec spec : TENSORS) {
            length += 1 + spec.name().length() + 1 + 4 * spec.shape().length + 4 * spec.size();
        }
        ByteBuffer out = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC.getBytes(StandardCharsets.US_ASCII));
        out.putInt(FORMAT_VERSION);
        out.putInt(length);
        out.putInt(TENSORS.size());
        for (TensorSpec spec : TENSORS) {
            out.put((byte) spec.name().length());
            out.put(spec.name().getBytes(StandardCharsets.US_ASCII));
            out.put((byte) spec.shape().length);
            for (int d : spec.shape()) {
                out.putInt(d);
            }
            for (int k = 0; k < spec.size(); k++) {
                out.putFloat(weights[spec.offset() + k]);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, length - CHECKSUM_BYTES);
        out.putInt((int) crc.getValue());
        return out.array();
    }

    /** Writes the model to a stream in format version 1. */
    public void write(OutputStream out) throws IOException {
        out.write(toBytes());
    }

    /**
     * Writes the model to {@code file} atomically (temporary file, then move), so a reader never
     * sees a partial model.
     *
     * @throws IOException if the file cannot be written
     */
    public void save(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path directory = absolute.getParent();
        Files.createDirectories(directory);
        Path temporary = Files.createTempFile(directory, "." + absolute.getFileName(), ".part");
        try {
            Files.write(temporary, toBytes());
            try {
                // temporary files are owner-only; a model file is meant to be shared
                Files.setPosixFilePermissions(temporary,
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep its defaults
            }
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * The values of one tensor, row-major (a copy).
     *
     * @throws IllegalArgumentException if no tensor has that name
     */
    public float[] tensor(String name) {
        for (TensorSpec spec : TENSORS) {
            if (spec.name().equals(name)) {
                return Arrays.copyOfRange(weights, spec.offset(), spec.offset() + spec.size());
            }
        }
        throw new IllegalArgumentException("unknown tensor " + name + "; expected one of "
                + TENSORS.stream().map(TensorSpec::name).toList());
    }

    /**
     * Logits of the training form without its final sigmoid, for one raw image.
     *
     * @throws IllegalArgumentException if {@code image} is not 784 bytes
     */
    public double[] logits(byte[] image) {
        double[] logits = new BatchEvaluator(1).forward(widened, scale(image), 1);
        return Arrays.copyOf(logits, CLASSES);
    }

    /** Predicted digit for one raw image. */
    public int predict(byte[] image) {
        return BatchEvaluator.argmax(logits(image), 0, CLASSES);
    }

    /** Fraction of {@code split} classified correctly, evaluated in double precision. */
    public double accuracy(LabeledImages split) {
        return (double) correct(widened, split) / split.size();
    }

    /** Folds layers 3 to 6 into one linear layer and drops the sigmoid (paper, section 4.2). */
    public FoldedNetwork fold() {
        return FoldedNetwork.fold(widened);
    }

    /**
     * The training form as a generic {@link FloatNetwork}: padding, conv1, square, the 3x3 sum
     * pool, conv2 (each input map convolved with its own 10 kernels, a grouped convolution), the
     * second pool, fc1, square, fc2. {@link FloatNetwork#fold()} of it equals {@link #fold()} up
     * to rounding, which a test checks.
     */
    public FloatNetwork toFloatNetwork() {
        double[] p = widened;
        TensorShape image = new TensorShape(1, SIDE, SIDE);
        FloatNetwork.Affine pad = FloatNetwork.Affine.pad("pad", image, new int[] {1, 1, 0, 0});
        double[] conv1Bias = Arrays.copyOfRange(p, CONV1_B, CONV1_B + CONV1_MAPS);
        FloatNetwork.Affine conv1 = FloatNetwork.Affine.conv2d("conv1", pad.output(), CONV1_MAPS, KERNEL, KERNEL, 2, 2,
                new int[] {0, 0, 0, 0}, Arrays.copyOfRange(p, CONV1_W, CONV1_W + CONV1_MAPS * KERNEL_AREA), conv1Bias);
        FloatNetwork.Square square1 = new FloatNetwork.Square("square1", conv1.output());
        FloatNetwork.Affine pool1 = sumPool("pool1", conv1.output());
        double[] conv2Weights = new double[CONV2_MAPS * CONV1_MAPS * KERNEL_AREA];
        for (int o = 0; o < CONV2_MAPS; o++) {
            int in = o / CONV2_KERNELS_PER_MAP;
            System.arraycopy(p, CONV2_W + o * KERNEL_AREA, conv2Weights, (o * CONV1_MAPS + in) * KERNEL_AREA, KERNEL_AREA);
        }
        FloatNetwork.Affine conv2 = FloatNetwork.Affine.conv2d("conv2", pool1.output(), CONV2_MAPS, KERNEL, KERNEL, 2, 2,
                new int[] {0, 0, 0, 0}, conv2Weights, Arrays.copyOfRange(p, CONV2_B, CONV2_B + CONV2_MAPS));
        FloatNetwork.Affine pool2 = sumPool("pool2", conv2.output());
        FloatNetwork.Affine fc1 = FloatNetwork.Affine.dense("fc1", pool2.output(), HIDDEN,
                Arrays.copyOfRange(p, FC1_W, FC1_W + HIDDEN * CONV2_OUTPUTS), Arrays.copyOfRange(p, FC1_B, FC1_B + HIDDEN));
        FloatNetwork.Square square2 = new FloatNetwork.Square("square2", fc1.output());
        FloatNetwork.Affine fc2 = FloatNetwork.Affine.dense("fc2", fc1.output(), CLASSES,
                Arrays.copyOfRange(p, FC2_W, FC2_W + CLASSES * HIDDEN), Arrays.copyOfRange(p, FC2_B, FC2_B + CLASSES));
        return new FloatNetwork(image, List.of(pad, conv1, square1, pool1, conv2, pool2, fc1, square2, fc2));
    }

    /** The paper's scaled mean pool: the plain sum over a 3x3 window, stride 1, zero padding 1. */
    private static FloatNetwork.Affine sumPool(String name, TensorShape shape) {
        FloatNetwork.Affine mean = FloatNetwork.Affine.averagePool(name, shape, 3, 3, 1, 1, new int[] {1, 1, 1, 1}, true);
        double[] nine = new double[shape.channels()];
        Arrays.fill(nine, 9);
        return FloatNetwork.Affine.compose(mean,
                FloatNetwork.Affine.channelAffine(name, shape, nine, new double[shape.channels()]), name);
    }

    /** The parameters as doubles in the flat training layout (a copy). */
    double[] parameters() {
        return widened.clone();
    }

    static int correct(double[] parameters, LabeledImages split) {
        final int batch = 100;
        BatchEvaluator evaluator = new BatchEvaluator(batch);
        double[] x = new double[batch * INPUT];
        byte[] image = new byte[INPUT];
        int correct = 0;
        for (int start = 0; start < split.size(); start += batch) {
            int n = Math.min(batch, split.size() - start);
            for (int b = 0; b < n; b++) {
                split.copyImage(start + b, image, 0);
                for (int k = 0; k < INPUT; k++) {
                    x[b * INPUT + k] = (image[k] & 0xFF) / 255.0;
                }
            }
            double[] logits = evaluator.forward(parameters, x, n);
            for (int b = 0; b < n; b++) {
                if (BatchEvaluator.argmax(logits, b * CLASSES, CLASSES) == split.label(start + b)) {
                    correct++;
                }
            }
        }
        return correct;
    }

    static double[] scale(byte[] image) {
        if (image.length != INPUT) {
            throw new IllegalArgumentException("expected " + INPUT + " pixels, found " + image.length);
        }
        double[] x = new double[INPUT];
        for (int k = 0; k < INPUT; k++) {
            x[k] = (image[k] & 0xFF) / 255.0;
        }
        return x;
    }
}
