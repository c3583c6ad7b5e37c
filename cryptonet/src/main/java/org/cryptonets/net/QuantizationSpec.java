package org.cryptonets.net;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Bit widths for turning a folded float network into an {@link IntegerNetwork}: one for the
 * inputs and one per linear layer.
 *
 * <p>An input width of {@code b} maps a pixel {@code p} in 0..255 to {@code round(p (2^b - 1) / 255)},
 * a non-negative integer below {@code 2^b}. A weight width of {@code b} maps a layer's weights to
 * signed integers of magnitude at most {@code 2^(b-1) - 1}, with one scale per layer chosen so the
 * largest weight reaches that bound. In a network with two squares each input bit costs four bits
 * of final logit magnitude, as does each first-layer bit; a middle-layer bit costs two and an
 * output-layer bit one, which is why the widths are chosen separately.
 *
 * @param inputBits 1..8
 * @param weightBits one per linear layer, each 2..16
 *
 * <p>Immutable and thread-safe. The constructor throws {@link IllegalArgumentException} for widths
 * out of range.
 */
public record QuantizationSpec(int inputBits, List<Integer> weightBits) {
    /** The widths the committed model is quantized with (chosen by {@link Quantizer#findSmallest}). */
    public static final QuantizationSpec DEFAULT = of(3, 6, 6, 6);

    /** Validates the widths. */
    public QuantizationSpec {
        if (inputBits < 1 || inputBits > 8) {
            throw new IllegalArgumentException("input bits must be 1..8, found " + inputBits);
        }
        weightBits = List.copyOf(weightBits);
        if (weightBits.isEmpty()) {
            throw new IllegalArgumentException("expected a weight width for each linear layer, found none");
        }
        for (int i = 0; i < weightBits.size(); i++) {
            int bits = weightBits.get(i);
            if (bits < 2 || bits > 16) {
                throw new IllegalArgumentException("layer " + i + " weight bits must be 2..16, found " + bits);
            }
        }
    }

    /** Input width and one weight width per linear layer, first to last. */
    public static QuantizationSpec of(int inputBits, int... weightBits) {
        List<Integer> bits = new ArrayList<>();
        for (int b : weightBits) {
            bits.add(b);
        }
        return new QuantizationSpec(inputBits, bits);
    }

    /** The same width for every one of {@code layers} linear layers. */
    public static QuantizationSpec uniform(int inputBits, int weightBits, int layers) {
        int[] bits = new int[layers];
        java.util.Arrays.fill(bits, weightBits);
        return of(inputBits, bits);
    }

    /** The largest quantized input value, {@code 2^inputBits - 1}. */
    public int inputMax() {
        return (1 << inputBits) - 1;
    }

    /** Number of widths, the input's included. */
    int widths() {
        return 1 + weightBits.size();
    }

    /** A copy with one width changed by {@code delta}; index 0 is the input, i the (i-1)-th layer. */
    QuantizationSpec adjust(int index, int delta) {
        if (index == 0) {
            return new QuantizationSpec(inputBits + delta, weightBits);
        }
        if (index < 1 || index > weightBits.size()) {
            throw new IllegalArgumentException("width index must be 0.." + weightBits.size() + ", found " + index);
        }
        List<Integer> bits = new ArrayList<>(weightBits);
        bits.set(index - 1, bits.get(index - 1) + delta);
        return new QuantizationSpec(inputBits, bits);
    }

    /**
     * Reads the compact form, e.g. {@code 3/6/6/6}.
     *
     * @throws IllegalArgumentException for text that is not such a list, or widths out of range
     */
    public static QuantizationSpec parse(String text) {
        String[] parts = text.trim().split("/", -1);
        if (parts.length < 2 || parts.length > 65) {
            throw new IllegalArgumentException("'" + text + "': expected input and layer widths like 3/6/6/6");
        }
        int[] numbers = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                numbers[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': '" + parts[i] + "' is not a width; expected widths like 3/6/6/6");
            }
        }
        return of(numbers[0], java.util.Arrays.copyOfRange(numbers, 1, numbers.length));
    }

    /** Compact form, e.g. {@code 3/6/6/6} (input, then each layer). */
    public String compact() {
        return inputBits + "/" + weightBits.stream().map(String::valueOf).collect(Collectors.joining("/"));
    }

    @Override
    public String toString() {
        return "input " + inputBits + " bits, weights " + weightBits.stream().map(String::valueOf)
                .collect(Collectors.joining(", ")) + " bits";
    }
}
