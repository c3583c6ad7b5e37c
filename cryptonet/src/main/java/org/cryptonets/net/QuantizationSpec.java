package org.cryptonets.net;

/**
 * Bit widths for turning the folded float network into an {@link IntegerNetwork}.
 *
 * <p>An input width of {@code b} maps a pixel {@code p} in 0..255 to {@code round(p (2^b - 1) / 255)},
 * a non-negative integer below {@code 2^b}. A weight width of {@code b} maps a layer's weights to
 * signed integers of magnitude at most {@code 2^(b-1) - 1}, with one scale per layer chosen so the
 * largest weight reaches that bound. Each input bit costs four bits of final logit magnitude
 * (it passes through two squares), as does each conv1 bit; a middle-layer bit costs two and an
 * output-layer bit one, which is why the widths are chosen separately.
 *
 * @param inputBits 1..8
 * @param conv1Bits 2..16
 * @param middleBits 2..16
 * @param outputBits 2..16
 *
 * <p>Immutable and thread-safe. The constructor throws {@link IllegalArgumentException} for widths
 * out of range.
 */
public record QuantizationSpec(int inputBits, int conv1Bits, int middleBits, int outputBits) {
    /** The widths the committed model is quantized with (chosen by {@link Quantizer#findSmallest}). */
    public static final QuantizationSpec DEFAULT = new QuantizationSpec(3, 6, 6, 6);

    /** Validates the widths. */
    public QuantizationSpec {
        if (inputBits < 1 || inputBits > 8) {
            throw new IllegalArgumentException("input bits must be 1..8, found " + inputBits);
        }
        checkWeightBits("conv1", conv1Bits);
        checkWeightBits("middle", middleBits);
        checkWeightBits("output", outputBits);
    }

    /** The largest quantized input value, {@code 2^inputBits - 1}. */
    public int inputMax() {
        return (1 << inputBits) - 1;
    }

    /** A copy with one width changed by {@code delta}; index 0..3 is input, conv1, middle, output. */
    QuantizationSpec adjust(int index, int delta) {
        return switch (index) {
            case 0 -> new QuantizationSpec(inputBits + delta, conv1Bits, middleBits, outputBits);
            case 1 -> new QuantizationSpec(inputBits, conv1Bits + delta, middleBits, outputBits);
            case 2 -> new QuantizationSpec(inputBits, conv1Bits, middleBits + delta, outputBits);
            case 3 -> new QuantizationSpec(inputBits, conv1Bits, middleBits, outputBits + delta);
            default -> throw new IllegalArgumentException("width index must be 0..3, found " + index);
        };
    }

    @Override
    public String toString() {
        return "input " + inputBits + " bits, conv1 " + conv1Bits + ", middle " + middleBits + ", output "
                + outputBits;
    }

    private static void checkWeightBits(String layer, int bits) {
        if (bits < 2 || bits > 16) {
            throw new IllegalArgumentException(layer + " weight bits must be 2..16, found " + bits);
        }
    }
}
