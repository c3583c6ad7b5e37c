package org.cryptonets.inference;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Consumer;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.CryptoNetModel;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.net.Quantizer;
import org.cryptonets.onnx.ModelFiles;

/**
 * A model as every party loads it: an ONNX file, a model file written by {@code train}, or the
 * committed MNIST model; identified by the SHA-256 of its file, which the evaluation keys record,
 * so the cloud cannot apply another model than the one the owner's parameters were sized for. The
 * command line, the service and the Spark job all load models through this class.
 *
 * <p>Quantization: the committed model uses its published widths ({@link QuantizationSpec#DEFAULT});
 * any other model gets widths searched on calibration images from the training split
 * ({@link Quantizer#findSmallest}, within {@link #TOLERANCE} of the float accuracy), recorded in
 * the evaluation keys so every party rebuilds the same integer network.
 *
 * <p>Immutable; thread-safe. {@link #load} throws {@link IllegalArgumentException} for a path that
 * is not a regular file and what {@link ModelFiles#load} throws for a bad model file;
 * {@link #forPlan} throws {@link IllegalArgumentException} naming both models when they differ.
 *
 * @param name the file name (or {@link #COMMITTED}), for messages and the keys
 * @param sha256 the SHA-256 of the model file, lower-case hex
 * @param network the folded float network
 * @param committed whether this is the committed MNIST model
 */
public record LoadedModel(String name, String sha256, FloatNetwork network, boolean committed) {
  /** Name under which the committed model is reported. */
  public static final String COMMITTED = "committed MNIST CryptoNet";
  /** Accuracy the width search may give up on the calibration images, as a fraction. */
  public static final double TOLERANCE = 0.005;
  /** Calibration images from the training split used to choose widths. */
  public static final int CALIBRATION_IMAGES = 2000;
  /** Widths the search starts from (widened when they already lose more than the tolerance). */
  public static final int START_INPUT_BITS = 4;
  public static final int START_WEIGHT_BITS = 8;

  /** Number of squares. */
  public int depth() {
    return network.depth();
  }

  /** The model in {@code file}, or the committed one when {@code file} is null. */
  public static LoadedModel load(Path file) {
    if (file == null) {
      return committedModel();
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + " is not a file (expected an .onnx file or a model file written by train)");
    }
    FloatNetwork network = ModelFiles.load(file);
    return new LoadedModel(file.getFileName().toString(), ModelFiles.sha256(file), network.fold(), false);
  }

  /** The committed MNIST model. */
  public static LoadedModel committedModel() {
    try (InputStream in = CryptoNetModel.class.getResourceAsStream(CryptoNetModel.DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the committed model " + CryptoNetModel.DEFAULT_RESOURCE + " is missing from the class path");
      }
      byte[] bytes = in.readAllBytes();
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
      return new LoadedModel(COMMITTED, sha, CryptoNetModel.read(bytes, CryptoNetModel.DEFAULT_RESOURCE).fold().toFloatNetwork(), true);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the committed model: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /**
   * The integer network for known widths (read back from evaluation keys).
   *
   * @throws IllegalArgumentException if the widths do not fit the model's layers
   */
  public IntegerNetwork quantize(QuantizationSpec spec) {
    return Quantizer.quantize(network, spec);
  }

  /**
   * The model in {@code file} (the committed one when null), checked against the model the
   * evaluation keys were made for, quantized with the widths the keys record.
   *
   * @param keysName the keys' file or folder, for messages
   * @throws IllegalArgumentException naming both models if they differ, or if the file is not a file
   */
  public static IntegerNetwork forPlan(Path file, TwoPartyPlan plan, String keysName) {
    LoadedModel model = load(file);
    plan.checkModel(model.name(), model.sha256(), keysName);
    return model.quantize(plan.widths());
  }

  /**
   * Chooses widths: the published ones for the committed model, a search on calibration images
   * otherwise. Progress lines go to {@code progress}.
   */
  public IntegerNetwork chooseWidths(LabeledImages train, Consumer<String> progress) {
    if (committed) {
      return quantize(QuantizationSpec.DEFAULT);
    }
    network.checkData(train);
    LabeledImages calibration = train.head(Math.min(CALIBRATION_IMAGES, train.size()));
    double floatAccuracy = network.accuracy(calibration);
    progress.accept(String.format(Locale.ROOT, "choosing widths on %d calibration images (float accuracy %.2f%%, tolerance %.1f points)...",
        calibration.size(), 100 * floatAccuracy, 100 * TOLERANCE));
    double chance = 1.0 / Math.max(2, train.classes());
    if (floatAccuracy < 1.5 * chance) {
      progress.accept(String.format(Locale.ROOT, "warning: the model's float accuracy on these images, %.2f%%, is near chance (%.0f%%): "
          + "is --data the data set the model was trained on? (without --data it is MNIST)", 100 * floatAccuracy, 100 * chance));
    }
    // The search narrows from a start that must itself be within the tolerance: widen it until it
    // is, up to 8 input bits and 16 weight bits.
    int[][] starts = {{START_INPUT_BITS, START_WEIGHT_BITS}, {6, 10}, {8, 12}, {8, 16}};
    Quantizer.SearchResult r = null;
    for (int i = 0; i < starts.length && r == null; i++) {
      QuantizationSpec start = QuantizationSpec.uniform(starts[i][0], starts[i][1], depth() + 1);
      try {
        r = Quantizer.findSmallest(network, calibration, floatAccuracy, TOLERANCE, start, null);
      } catch (IllegalArgumentException startTooNarrow) {
        if (i == starts.length - 1) {
          // even the widest widths lose more than the tolerance: keep them, and say so
          IntegerNetwork widest = quantize(start);
          progress.accept("widths " + start.compact() + ": the widest allowed, and still " + startTooNarrow.getMessage());
          return widest;
        }
      }
    }
    progress.accept("widths " + r.spec().compact() + " (input, then each linear layer): " + r.spec());
    return r.network();
  }
}
