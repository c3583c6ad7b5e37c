package org.cryptonets.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.cryptonets.mnist.MnistSplit;

/**
 * Turns a {@link FoldedNetwork} into an exact {@link IntegerNetwork}, and searches for the
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
 * has only zero weights, and {@link ArithmeticException} if a bias does not fit 64 bits.
 */
public final class Quantizer {
    /** Outcome of {@link #findSmallest}: chosen widths, the network, its exact measurement, the search log. Immutable. */
    public record SearchResult(QuantizationSpec spec, IntegerNetwork network,
            IntegerNetwork.Measurement measurement, List<String> log) {
    }

    private Quantizer() {
    }

    /** Quantizes {@code network} with the widths of {@code spec}. */
    public static IntegerNetwork quantize(FoldedNetwork network, QuantizationSpec spec) {
        double inputScale = spec.inputMax();
        double conv1Scale = weightScale(network.conv1Weights(), spec.conv1Bits(), "conv1");
        double accumulated1 = conv1Scale * inputScale;
        IntegerNetwork.Linear conv1 = linear("conv1", network.conv1Weights(), network.conv1Bias(),
                FoldedNetwork.FIRST_OUTPUTS, FoldedNetwork.INPUTS, conv1Scale, accumulated1);
        double squared1 = accumulated1 * accumulated1;
        double middleScale = weightScale(network.middleWeights(), spec.middleBits(), "middle");
        double accumulated2 = middleScale * squared1;
        IntegerNetwork.Linear middle = linear("middle", network.middleWeights(), network.middleBias(),
                FoldedNetwork.HIDDEN_OUTPUTS, FoldedNetwork.FIRST_OUTPUTS, middleScale, accumulated2);
        double squared2 = accumulated2 * accumulated2;
        double outputScale = weightScale(network.outputWeights(), spec.outputBits(), "output");
        double accumulated3 = outputScale * squared2;
        IntegerNetwork.Linear output = linear("output", network.outputWeights(), network.outputBias(),
                FoldedNetwork.CLASS_COUNT, FoldedNetwork.HIDDEN_OUTPUTS, outputScale, accumulated3);
        return new IntegerNetwork(spec, List.of(conv1, new IntegerNetwork.Square("square1"), middle,
                new IntegerNetwork.Square("square2"), output),
                new double[] {accumulated1, squared1, accumulated2, squared2, accumulated3});
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
    public static SearchResult findSmallest(FoldedNetwork network, MnistSplit test, double floatAccuracy,
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
            for (int index = 0; index < 4; index++) {
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

    private static double weightScale(double[] weights, int bits, String layer) {
        double max = 0;
        for (double w : weights) {
            max = Math.max(max, Math.abs(w));
        }
        if (max == 0) {
            throw new IllegalArgumentException(layer + ": all weights are zero; nothing to quantize");
        }
        return ((1 << (bits - 1)) - 1) / max;
    }

    private static IntegerNetwork.Linear linear(String name, double[] weights, double[] bias, int outputs,
            int inputs, double weightScale, double accumulatedScale) {
        int[] quantized = new int[weights.length];
        for (int k = 0; k < weights.length; k++) {
            quantized[k] = (int) Math.round(weights[k] * weightScale);
        }
        long[] scaledBias = new long[bias.length];
        for (int o = 0; o < bias.length; o++) {
            double value = Math.rint(bias[o] * accumulatedScale);
            if (!(Math.abs(value) < 0x1p62)) {
                throw new ArithmeticException(name + " bias " + o + " does not fit 64 bits at scale "
                        + accumulatedScale + ": " + bias[o]);
            }
            scaledBias[o] = (long) value;
        }
        return new IntegerNetwork.Linear(name, outputs, inputs, quantized, scaledBias);
    }
}
