package org.cryptonets.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cryptonets.data.TensorShape;

/**
 * The shape of a CryptoNet to train: a chain of layers written on one line, separated by
 * {@code |}, for example the paper's network (section 4.2)
 * <pre>
 *   pad 1,1,0,0 | conv 5 5x5 s2 | square | sumpool 3x3 s1 p1 | conv 50 5x5 s2 | sumpool 3x3 s1 p1 | dense 100 | square | dense
 * </pre>
 * Layers (numbers are decimal, at most {@value #MAX_NUMBER} unless said otherwise):
 * <ul>
 *   <li>{@code pad T,L,B,R}: zero rows on top and bottom, zero columns on the left and right
 *       (each 0..{@value #MAX_WINDOW});</li>
 *   <li>{@code conv OUT KxK sS [pP]}: a convolution with {@code OUT} output channels, every input
 *       channel (group 1), a {@code KxK} kernel (a rectangle {@code KHxKW} is allowed), stride
 *       {@code S} and zero padding {@code P} on every side (default 0), with a bias;</li>
 *   <li>{@code avgpool KxK sS [pP]}: the mean over each window, divided by the full window area
 *       even where it covers padding (ONNX {@code count_include_pad = 1});</li>
 *   <li>{@code sumpool KxK sS [pP]}: the paper's scaled mean pool, the plain sum over each
 *       window;</li>
 *   <li>{@code dense N}: a fully connected layer with bias (the input is flattened first); the
 *       last layer must be dense, and there {@code N} may be left out: it is then the number of
 *       classes of the data set;</li>
 *   <li>{@code square}: the element-wise square, the CryptoNets activation;</li>
 *   <li>{@code flatten}: the same values as a vector (implicit before {@code dense}).</li>
 * </ul>
 * Kernels, strides and paddings are at most {@value #MAX_WINDOW}; a description holds at most
 * {@value #MAX_LAYERS} layers. Instead of a description, {@link #parse(String)} accepts the name
 * of a preset: {@code cryptonet} ({@link #CRYPTONET}, the paper's network with a full
 * convolution for conv2 instead of the paper's per-map one) or {@code cryptonet3}
 * ({@link #CRYPTONET3}, the same with a third square activation). {@link #toString()} writes the
 * canonical description, which parses back to an equal architecture.
 *
 * <p>Whether the kernels fit the images is only known with the input shape:
 * {@link #shapes(TensorShape, int)} checks it.
 *
 * <p>Immutable and thread-safe. {@link #parse(String)}, the constructors and
 * {@link #shapes(TensorShape, int)} throw {@link IllegalArgumentException} with a message that
 * names the offending layer or token and what was expected; null arguments throw
 * {@link NullPointerException}.
 *
 * @param layers the layers, first to last (copied; the last one is a {@link Dense})
 */
public record Architecture(List<Layer> layers) {
    /** Largest number of layers in a description. */
    public static final int MAX_LAYERS = 64;
    /** Largest kernel side, stride and padding. */
    public static final int MAX_WINDOW = 64;
    /** Largest channel count or dense size. */
    public static final int MAX_NUMBER = 65536;
    /** Longest description accepted by {@link #parse(String)}, in characters. */
    public static final int MAX_DESCRIPTION = 4096;

    /** The paper's network (section 4.2) with conv2 as a full convolution. */
    public static final String CRYPTONET = "pad 1,1,0,0 | conv 5 5x5 s2 | square | sumpool 3x3 s1 p1"
            + " | conv 50 5x5 s2 | sumpool 3x3 s1 p1 | dense 100 | square | dense";
    /** {@link #CRYPTONET} with a third square: a 30-wide hidden layer before the class scores. */
    public static final String CRYPTONET3 = "pad 1,1,0,0 | conv 5 5x5 s2 | square | sumpool 3x3 s1 p1"
            + " | conv 50 5x5 s2 | sumpool 3x3 s1 p1 | dense 100 | square | dense 30 | square | dense";

    private static final Map<String, String> PRESETS = Map.of("cryptonet", CRYPTONET, "cryptonet3", CRYPTONET3);
    private static final String KEYWORDS = "pad, conv, avgpool, sumpool, dense, square or flatten";
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,9}");
    private static final Pattern KERNEL = Pattern.compile("([0-9]{1,9})x([0-9]{1,9})");

    /** One layer of an architecture. */
    public sealed interface Layer permits Pad, Conv, AvgPool, SumPool, Dense, Square, Flatten {
        /** The layer in description syntax, e.g. {@code conv 5 5x5 s2}. */
        String describe();
    }

    /** {@code pad T,L,B,R}: zero padding of every channel. */
    public record Pad(int top, int left, int bottom, int right) implements Layer {
        /** Checks that each padding is in 0..{@value Architecture#MAX_WINDOW}. */
        public Pad {
            for (int p : new int[] {top, left, bottom, right}) {
                check(p >= 0 && p <= MAX_WINDOW, "pad: expected paddings in 0.." + MAX_WINDOW + ", found " + p);
            }
        }

        @Override
        public String describe() {
            return "pad " + top + "," + left + "," + bottom + "," + right;
        }
    }

    /** {@code conv OUT KHxKW sS pP}: a convolution over all input channels, with a bias. */
    public record Conv(int outChannels, int kernelH, int kernelW, int stride, int padding) implements Layer {
        /** Checks the ranges. */
        public Conv {
            check(outChannels >= 1 && outChannels <= MAX_NUMBER,
                    "conv: expected 1.." + MAX_NUMBER + " output channels, found " + outChannels);
            checkWindow("conv", kernelH, kernelW, stride, padding);
        }

        @Override
        public String describe() {
            return "conv " + outChannels + " " + window(kernelH, kernelW, stride, padding);
        }
    }

    /** {@code avgpool KHxKW sS pP}: mean over each window, divided by the full window area. */
    public record AvgPool(int kernelH, int kernelW, int stride, int padding) implements Layer {
        /** Checks the ranges. */
        public AvgPool {
            checkWindow("avgpool", kernelH, kernelW, stride, padding);
        }

        @Override
        public String describe() {
            return "avgpool " + window(kernelH, kernelW, stride, padding);
        }
    }

    /** {@code sumpool KHxKW sS pP}: the paper's scaled mean pool, the sum over each window. */
    public record SumPool(int kernelH, int kernelW, int stride, int padding) implements Layer {
        /** Checks the ranges. */
        public SumPool {
            checkWindow("sumpool", kernelH, kernelW, stride, padding);
        }

        @Override
        public String describe() {
            return "sumpool " + window(kernelH, kernelW, stride, padding);
        }
    }

    /**
     * {@code dense N}: fully connected with a bias.
     *
     * @param outputs the number of outputs, or 0 for the number of classes (last layer only)
     */
    public record Dense(int outputs) implements Layer {
        /** Checks the range. */
        public Dense {
            check(outputs >= 0 && outputs <= MAX_NUMBER,
                    "dense: expected 1.." + MAX_NUMBER + " outputs (or 0 for the classes), found " + outputs);
        }

        @Override
        public String describe() {
            return outputs == 0 ? "dense" : "dense " + outputs;
        }
    }

    /** {@code square}: the element-wise square. */
    public record Square() implements Layer {
        @Override
        public String describe() {
            return "square";
        }
    }

    /** {@code flatten}: the values as a vector. */
    public record Flatten() implements Layer {
        @Override
        public String describe() {
            return "flatten";
        }
    }

    /**
     * Checks the chain.
     *
     * @throws IllegalArgumentException if there are no or more than {@value #MAX_LAYERS} layers,
     *     the last is not dense, or a dense layer other than the last has no size
     */
    public Architecture {
        layers = List.copyOf(layers);
        check(!layers.isEmpty() && layers.size() <= MAX_LAYERS,
                "architecture: expected 1.." + MAX_LAYERS + " layers, found " + layers.size());
        Layer last = layers.get(layers.size() - 1);
        check(last instanceof Dense, "architecture: expected the last layer to be dense (the class scores), found "
                + last.describe());
        for (int i = 0; i < layers.size() - 1; i++) {
            if (layers.get(i) instanceof Dense dense && dense.outputs() == 0) {
                throw new IllegalArgumentException("layer " + (i + 1) + " \"dense\": expected a size (dense N) for"
                        + " every dense layer but the last, found none");
            }
        }
    }

    /** The preset names and their descriptions. */
    public static Map<String, String> presets() {
        return PRESETS;
    }

    /**
     * Parses a preset name ({@code cryptonet}, {@code cryptonet3}, in any letter case) or a
     * one-line description (keywords in lower case).
     *
     * @throws IllegalArgumentException naming the layer and token that are wrong and what was
     *     expected there
     */
    public static Architecture parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        if (trimmed.length() > MAX_DESCRIPTION) {
            throw new IllegalArgumentException("architecture: expected at most " + MAX_DESCRIPTION
                    + " characters, found " + trimmed.length());
        }
        String preset = PRESETS.get(trimmed.toLowerCase(Locale.ROOT));
        if (preset != null) {
            trimmed = preset;
        }
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("architecture: expected a preset name (" + String.join(", ",
                    PRESETS.keySet().stream().sorted().toList()) + ") or layers separated by '|', found an empty text");
        }
        String[] parts = trimmed.split("\\|", -1);
        if (parts.length > MAX_LAYERS) {
            throw new IllegalArgumentException("architecture: expected at most " + MAX_LAYERS + " layers, found "
                    + parts.length);
        }
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            layers.add(parseLayer(i + 1, parts[i].strip(), parts.length == 1));
        }
        return new Architecture(layers);
    }

    private static Layer parseLayer(int number, String text, boolean only) {
        String where = "layer " + number + " \"" + text + "\"";
        if (text.isEmpty()) {
            throw new IllegalArgumentException("layer " + number + ": expected a layer (" + KEYWORDS
                    + "), found nothing" + (only ? "" : " between two '|'"));
        }
        String[] tokens = text.split("\\s+");
        String keyword = tokens[0];
        try {
            switch (keyword) {
                case "pad" -> {
                    arguments(where, tokens, 1, 1, "pad T,L,B,R");
                    String[] values = tokens[1].split(",", -1);
                    if (values.length != 4) {
                        throw new IllegalArgumentException(where + ": expected four paddings T,L,B,R, found \""
                                + tokens[1] + "\"");
                    }
                    int[] p = new int[4];
                    for (int k = 0; k < 4; k++) {
                        p[k] = number(where, values[k], "a padding in 0.." + MAX_WINDOW, 0, MAX_WINDOW);
                    }
                    return new Pad(p[0], p[1], p[2], p[3]);
                }
                case "conv" -> {
                    arguments(where, tokens, 3, 4, "conv OUT KxK sS [pP]");
                    int out = number(where, tokens[1], "an output channel count in 1.." + MAX_NUMBER, 1, MAX_NUMBER);
                    int[] k = kernel(where, tokens[2]);
                    int stride = prefixed(where, tokens[3], 's', "a stride sS with S in 1.." + MAX_WINDOW, 1);
                    int pad = tokens.length > 4
                            ? prefixed(where, tokens[4], 'p', "a padding pP with P in 0.." + MAX_WINDOW, 0) : 0;
                    return new Conv(out, k[0], k[1], stride, pad);
                }
                case "avgpool", "sumpool" -> {
                    arguments(where, tokens, 2, 3, keyword + " KxK sS [pP]");
                    int[] k = kernel(where, tokens[1]);
                    int stride = prefixed(where, tokens[2], 's', "a stride sS with S in 1.." + MAX_WINDOW, 1);
                    int pad = tokens.length > 3
                            ? prefixed(where, tokens[3], 'p', "a padding pP with P in 0.." + MAX_WINDOW, 0) : 0;
                    return keyword.equals("avgpool") ? new AvgPool(k[0], k[1], stride, pad)
                            : new SumPool(k[0], k[1], stride, pad);
                }
                case "dense" -> {
                    arguments(where, tokens, 0, 1, "dense N");
                    return new Dense(tokens.length > 1
                            ? number(where, tokens[1], "an output count in 1.." + MAX_NUMBER, 1, MAX_NUMBER) : 0);
                }
                case "square" -> {
                    arguments(where, tokens, 0, 0, "square");
                    return new Square();
                }
                case "flatten" -> {
                    arguments(where, tokens, 0, 0, "flatten");
                    return new Flatten();
                }
                default -> throw new IllegalArgumentException(where + ": expected a layer keyword (" + KEYWORDS
                        + ")" + (only ? " or a preset name (" + String.join(", ", PRESETS.keySet().stream().sorted()
                        .toList()) + ")" : "") + ", found \"" + keyword + "\"");
            }
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("layer ")) {
                throw e;
            }
            // a range check of a layer record: say which layer
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static void arguments(String where, String[] tokens, int least, int most, String syntax) {
        int found = tokens.length - 1;
        if (found < least || found > most) {
            throw new IllegalArgumentException(where + ": expected " + (least == most ? String.valueOf(least)
                    : least + " to " + most) + " argument" + (most == 1 && least == most ? "" : "s") + " ("
                    + syntax + "), found " + found);
        }
    }

    private static int number(String where, String token, String expected, int least, int most) {
        if (!NUMBER.matcher(token).matches()) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", found \"" + token + "\"");
        }
        int value = Integer.parseInt(token);
        if (value < least || value > most) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", found " + value);
        }
        return value;
    }

    private static int[] kernel(String where, String token) {
        Matcher m = KERNEL.matcher(token);
        String expected = "a kernel KxK (or KHxKW) with sides in 1.." + MAX_WINDOW;
        if (!m.matches()) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", found \"" + token + "\"");
        }
        return new int[] {number(where, m.group(1), expected, 1, MAX_WINDOW),
            number(where, m.group(2), expected, 1, MAX_WINDOW)};
    }

    private static int prefixed(String where, String token, char prefix, String expected, int least) {
        if (token.length() < 2 || token.charAt(0) != prefix) {
            throw new IllegalArgumentException(where + ": expected " + expected + ", found \"" + token + "\"");
        }
        return number(where, token.substring(1), expected, least, MAX_WINDOW);
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    private static void checkWindow(String kind, int kernelH, int kernelW, int stride, int padding) {
        check(kernelH >= 1 && kernelH <= MAX_WINDOW && kernelW >= 1 && kernelW <= MAX_WINDOW,
                kind + ": expected kernel sides in 1.." + MAX_WINDOW + ", found " + kernelH + "x" + kernelW);
        check(stride >= 1 && stride <= MAX_WINDOW, kind + ": expected a stride in 1.." + MAX_WINDOW + ", found " + stride);
        check(padding >= 0 && padding <= MAX_WINDOW,
                kind + ": expected a padding in 0.." + MAX_WINDOW + ", found " + padding);
    }

    private static String window(int kernelH, int kernelW, int stride, int padding) {
        return kernelH + "x" + kernelW + " s" + stride + (padding > 0 ? " p" + padding : "");
    }

    /** Number of square activations: the multiplicative depth of the network. */
    public int depth() {
        return (int) layers.stream().filter(l -> l instanceof Square).count();
    }

    /**
     * The output shape of every layer for images of {@code input} shape and {@code classes}
     * classes (the size of a final {@code dense} without one).
     *
     * @throws IllegalArgumentException naming the layer whose kernel does not fit its input, or
     *     when the last layer's explicit size is below {@code classes}, or a tensor would exceed
     *     {@link TensorShape#MAX_SIZE} values
     */
    public List<TensorShape> shapes(TensorShape input, int classes) {
        Objects.requireNonNull(input, "input");
        if (classes < 1) {
            throw new IllegalArgumentException("classes: expected at least 1, found " + classes);
        }
        List<TensorShape> shapes = new ArrayList<>();
        TensorShape shape = input;
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            String where = "layer " + (i + 1) + " \"" + layer.describe() + "\"";
            try {
                if (layer instanceof Pad p) {
                    shape = new TensorShape(shape.channels(), shape.height() + p.top() + p.bottom(),
                            shape.width() + p.left() + p.right());
                } else if (layer instanceof Conv c) {
                    shape = windowed(where, shape, c.outChannels(), c.kernelH(), c.kernelW(), c.stride(),
                            c.padding());
                } else if (layer instanceof AvgPool p) {
                    shape = windowed(where, shape, shape.channels(), p.kernelH(), p.kernelW(), p.stride(),
                            p.padding());
                } else if (layer instanceof SumPool p) {
                    shape = windowed(where, shape, shape.channels(), p.kernelH(), p.kernelW(), p.stride(),
                            p.padding());
                } else if (layer instanceof Dense d) {
                    if (i == layers.size() - 1 && d.outputs() != 0 && d.outputs() < classes) {
                        throw new IllegalArgumentException(where + ": expected at least " + classes
                                + " outputs, one per class of the data, found " + d.outputs());
                    }
                    shape = TensorShape.flat(d.outputs() == 0 ? classes : d.outputs());
                } else if (layer instanceof Flatten) {
                    shape = TensorShape.flat(shape.size());
                }
                // a square keeps the shape
            } catch (IllegalArgumentException e) {
                if (e.getMessage().startsWith("layer ")) {
                    throw e;
                }
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            shapes.add(shape);
        }
        return List.copyOf(shapes);
    }

    private static TensorShape windowed(String where, TensorShape in, int channels, int kernelH, int kernelW,
            int stride, int padding) {
        int paddedH = in.height() + 2 * padding;
        int paddedW = in.width() + 2 * padding;
        if (kernelH > paddedH || kernelW > paddedW) {
            throw new IllegalArgumentException(where + ": expected a kernel that fits the input " + in
                    + (padding > 0 ? " padded to " + paddedH + "x" + paddedW : "") + ", found " + kernelH + "x"
                    + kernelW);
        }
        return new TensorShape(channels, (paddedH - kernelH) / stride + 1, (paddedW - kernelW) / stride + 1);
    }

    /** The canonical one-line description, which {@link #parse(String)} reads back. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Layer layer : layers) {
            if (!text.isEmpty()) {
                text.append(" | ");
            }
            text.append(layer.describe());
        }
        return text.toString();
    }
}
