package org.cryptonets.net;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.cryptonets.data.LabeledImages;

/**
 * Turns a folded {@link FloatNetwork} into an exact {@link IntegerNetwork}, and searches for the
 * narrowest bit widths that keep its accuracy close to the float network's.
 *
 * <p>Scales: inputs {@code s_x = 2^b_in - 1}; each linear layer's weights get one scale
 * {@code s_l = (2^(b_l - 1) - 1) / max|w|}. The accumulator of layer 1 then has scale
 * {@code S_1 = s_1 s_x}, the first square {@code S_1^2}, layer 2 {@code S_2 = s_2 S_1^2}, and so on;
 * each bias is rounded at its accumulator's scale. No rescaling happens between layers because the
 * encrypted evaluator cannot divide. (Per-row scales, with the next layer absorbing them, were
 * tried and lost: 3 more logit bits and lower accuracy for the same widths, because the next
 * layer's small columns then round away.)
 *
 * <p>Stateless and thread-safe. Throws {@link IllegalArgumentException} for a network whose layer
 * has only zero weights, and {@link ArithmeticException} if a scale overflows a double.
 */
public final class Quantizer {
    /** Outcome of {@link #findSmallest}: chosen widths, the network, its exact measurement, the search log. Immutable. */
    public record SearchResult(QuantizationSpec spec, IntegerNetwork network,
            IntegerNetwork.Measurement measurement, List<String> log) {
    }

    private Quantizer() {
    }

    /**
     * Quantizes a folded network (linear, square, ..., linear) with the widths of {@code spec}.
     *
     * @throws IllegalArgumentException if the network is not folded, the widths do not match its
     *     linear layers, or a layer has only zero weights
     */
    public static IntegerNetwork quantize(FloatNetwork network, QuantizationSpec spec) {
        if (!network.isFolded()) {
            throw new IllegalArgumentException("quantize the folded network (FloatNetwork.fold()), found " + network);
        }
        int linearLayers = network.depth() + 1;
        if (spec.weightBits().size() != linearLayers) {
            throw new IllegalArgumentException("the network has " + linearLayers + " linear layers; the widths "
                    + spec.compact() + " give " + spec.weightBits().size());
        }
        double accumulated = spec.inputMax();
        List<IntegerNetwork.Layer> layers = new ArrayList<>();
        double[] scales = new double[network.layers().size()];
        int linearIndex = 0;
        for (int l = 0; l < network.layers().size(); l++) {
            FloatNetwork.Layer layer = network.layers().get(l);
            if (layer instanceof FloatNetwork.Affine affine) {
                double weightScale = weightScale(affine, spec.weightBits().get(linearIndex++));
                accumulated *= weightScale;
                layers.add(linear(affine, weightScale, accumulated));
            } else {
                accumulated *= accumulated;
                layers.add(new IntegerNetwork.Square(layer.name()));
            }
            if (!Double.isFinite(accumulated)) {
                throw new ArithmeticException(layer.name() + ": the accumulated scale overflows a double");
            }
            scales[l] = accumulated;
        }
        return new IntegerNetwork(spec, network.inputShape(), layers, scales);
    }

    /**
     * Greedy search, starting from {@code start}, for widths with a small final logit range whose
     * integer accuracy on {@code test} is at least {@code floatAccuracy - tolerance}. Each round
     * tries narrowing each of the four widths by one bit and keeps the acceptable candidate with
     * the smallest measured logit bits (ties: the higher accuracy); it stops when no narrowing is
     * acceptable. Candidates are measured in double arithmetic (they may exceed 64 bits); the
     * answer is measured exactly. Deterministic; about a second per candidate on 10,000 images.
     *
     * @throws ArithmeticException if the answer does not fit 64-bit arithmetic
     *
     * @throws IllegalArgumentException if {@code start} itself is not acceptable
     */
    public static SearchResult findSmallest(FloatNetwork network, LabeledImages test, double floatAccuracy,
            double tolerance, QuantizationSpec start, Consumer<String> progress) {
        List<String> log = new ArrayList<>();
        Consumer<String> sink = line -> {
            log.add(line);
            if (progress != null) {
                progress.accept(line);
            }
        };
        // a hair of slack so that, e.g., 0.9903 - 0.001 accepts 9,893 correct out of 10,000
        double required = floatAccuracy - tolerance - 1e-9;
        IntegerNetwork best = quantize(network, start);
        IntegerNetwork.Measurement bestMeasurement = best.measureApproximately(test);
        sink.accept(describe(start, bestMeasurement));
        if (bestMeasurement.accuracy() < required) {
            throw new IllegalArgumentException("start widths " + start + " give accuracy "
                    + bestMeasurement.accuracy() + ", below the required " + required);
        }
        while (true) {
            IntegerNetwork roundBest = null;
            IntegerNetwork.Measurement roundMeasurement = null;
            for (int index = 0; index < start.widths(); index++) {
                QuantizationSpec candidate;
                try {
                    candidate = best.spec().adjust(index, -1);
                } catch (IllegalArgumentException tooNarrow) {
                    continue;
                }
                IntegerNetwork network2;
                try {
                    network2 = quantize(network, candidate);
                } catch (ArithmeticException biasTooLarge) {
                    sink.accept(candidate + ": " + biasTooLarge.getMessage());
                    continue;
                }
                IntegerNetwork.Measurement m = network2.measureApproximately(test);
                sink.accept(describe(candidate, m));
                if (m.accuracy() >= required && (roundMeasurement == null
                        || m.logitBits() < roundMeasurement.logitBits()
                        || (m.logitBits() == roundMeasurement.logitBits() && m.correct() > roundMeasurement.correct()))) {
                    roundBest = network2;
                    roundMeasurement = m;
                }
            }
            if (roundBest == null) {
                break;
            }
            best = roundBest;
            bestMeasurement = roundMeasurement;
            sink.accept("-> keep " + best.spec());
        }
        // the search ran in doubles; the answer must hold in exact 64-bit arithmetic
        bestMeasurement = best.measure(test);
        sink.accept("exact: " + describe(best.spec(), bestMeasurement));
        return new SearchResult(best.spec(), best, bestMeasurement, List.copyOf(log));
    }

    private static String describe(QuantizationSpec spec, IntegerNetwork.Measurement m) {
        return String.format(Locale.ROOT, "%s: accuracy %.2f%%, logit bits %d, max bits %d",
                spec, 100 * m.accuracy(), m.logitBits(), m.maxBits());
    }

    private static double weightScale(FloatNetwork.Affine layer, int bits) {
        double max = layer.maxAbsWeight();
        if (max == 0) {
            throw new IllegalArgumentException(layer.name() + ": all weights are zero; nothing to quantize");
        }
        return ((1 << (bits - 1)) - 1) / max;
    }

    private static IntegerNetwork.Linear linear(FloatNetwork.Affine affine, double weightScale, double accumulatedScale) {
        int outputs = affine.output().size();
        int inputs = affine.input().size();
        int[] quantized = new int[Math.multiplyExact(outputs, inputs)];
        int[] rowStart = affine.rowStart();
        int[] columns = affine.columns();
        double[] values = affine.values();
        for (int o = 0; o < outputs; o++) {
            for (int k = rowStart[o]; k < rowStart[o + 1]; k++) {
                quantized[o * inputs + columns[k]] = (int) Math.round(values[k] * weightScale);
            }
        }
        double[] bias = affine.bias();
        BigInteger[] scaledBias = new BigInteger[outputs];
        for (int o = 0; o < outputs; o++) {
            // rint, exactly as a long would round it, for any magnitude
            scaledBias[o] = new BigDecimal(bias[o] * accumulatedScale).setScale(0, RoundingMode.HALF_EVEN).toBigInteger();
        }
        return new IntegerNetwork.Linear(affine.name(), outputs, inputs, quantized, scaledBias);
    }
}
