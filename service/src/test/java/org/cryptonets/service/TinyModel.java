package org.cryptonets.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cryptonets.data.TensorShape;
import org.cryptonets.inference.LoadedModel;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.NetworkFile;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.onnx.ModelFiles;

/**
 * A tiny CryptoNet for the service's tests, written as a {@code train} model file: 6x6 inputs,
 * dense 36 -> 6, square, dense 6 -> 3, fixed random weights. A batch of it costs a fraction of a
 * second where the MNIST network costs several, so tests can run many jobs. Its logits stay well
 * within {@link #VALUE_BITS} bits for any input.
 *
 * <p>Immutable; thread-safe.
 */
final class TinyModel {
  static final String FILE_NAME = "tiny.bin";
  static final TensorShape INPUT = new TensorShape(1, 6, 6);
  static final QuantizationSpec WIDTHS = QuantizationSpec.of(2, 3, 3);
  static final int VALUE_BITS = 30;

  final Path file;
  final String sha256;
  final IntegerNetwork network;

  private TinyModel(Path file) {
    this.file = file;
    this.sha256 = ModelFiles.sha256(file);
    this.network = LoadedModel.load(file).quantize(WIDTHS);
  }

  /** Writes the model into {@code folder} (the service's models folder). */
  static TinyModel write(Path folder) throws Exception {
    Random r = new Random(42);
    TensorShape hidden = TensorShape.flat(6);
    FloatNetwork net = new FloatNetwork(INPUT, List.of(
        FloatNetwork.Affine.dense("fc1", INPUT, 6, random(r, 6 * 36), random(r, 6)),
        new FloatNetwork.Square("square1", hidden),
        FloatNetwork.Affine.dense("fc2", hidden, 3, random(r, 3 * 6), random(r, 3))));
    Path file = folder.resolve(FILE_NAME);
    NetworkFile.save(net, Map.of("purpose", "service tests"), file);
    return new TinyModel(file);
  }

  private static double[] random(Random r, int count) {
    double[] w = new double[count];
    for (int i = 0; i < count; i++) {
      w[i] = r.nextDouble() * 2 - 1;
    }
    return w;
  }

  /** {@code count} random images, quantized as the network expects. */
  int[][] images(long seed, int count) {
    Random r = new Random(seed);
    int[][] q = new int[count][];
    for (int s = 0; s < count; s++) {
      byte[] image = new byte[INPUT.size()];
      r.nextBytes(image);
      q[s] = network.quantizeInput(image);
    }
    return q;
  }
}
