package org.cryptonets.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The fixtures written by src/test/python/make_fixtures.py and what PyTorch computed for them. */
final class Fixtures {
    private Fixtures() {
    }

    /** One sample: an input and PyTorch's logits for it. */
    record Sample(double[] input, double[] logits) {
    }

    /** A fixture's expectations: the input shape and samples, or the substrings of the error. */
    record Expected(String name, Path model, int[] shape, List<Sample> samples, List<String> errors) {
        boolean refused() {
            return !errors.isEmpty();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Path resource(String file) {
        URL url = Fixtures.class.getResource(file);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + file
                    + " (run /usr/bin/python3 onnx/src/test/python/make_fixtures.py)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Expected load(String name) {
        Path model = resource(name + ".onnx");
        Path text = resource(name + ".expected.txt");
        int[] shape = null;
        List<Sample> samples = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        double[] pending = null;
        try {
            for (String line : Files.readAllLines(text, StandardCharsets.UTF_8)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int space = line.indexOf(' ');
                String key = line.substring(0, space);
                String rest = line.substring(space + 1);
                switch (key) {
                    case "shape" -> shape = Arrays.stream(rest.trim().split(" ")).mapToInt(Integer::parseInt).toArray();
                    case "input" -> pending = numbers(rest);
                    case "logits" -> {
                        samples.add(new Sample(pending, numbers(rest)));
                        pending = null;
                    }
                    case "error" -> errors.add(rest);
                    default -> throw new IllegalStateException(text + ": unexpected line " + line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Expected(name, model, shape, samples, errors);
    }

    private static double[] numbers(String text) {
        return Arrays.stream(text.trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
    }
}
