package org.cryptonets.app;

import java.nio.file.Path;
import org.cryptonets.inference.LoadedModel;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.IntegerNetwork;

/**
 * The {@code --model FILE} option every command that applies a network shares: an ONNX file or a
 * model file written by {@code train}, or, without the option, the committed MNIST model. Loading,
 * identification by SHA-256 and quantization are the library's ({@link LoadedModel}); this class
 * turns its refusals into usage errors that name the command and the option.
 *
 * <p>Stateless; thread-safe. Throws {@link UsageError} for an unreadable option or a model that is
 * not the one the keys were made for, and what {@code ModelFiles.load} throws for a bad model file.
 */
public final class ModelOption {
  /** The option's name. */
  public static final String OPTION = "--model";
  /** What the option means, for usage lines. */
  public static final String DESCRIPTION = "model file: .onnx or one written by train (default: the committed MNIST model)";
  /** The option's value in usage lines. */
  public static final String LABEL = "FILE";
  /** Name under which the committed model is reported. */
  public static final String COMMITTED = LoadedModel.COMMITTED;

  private ModelOption() {}

  /** The model named by {@code --model} ({@code file}, null without the option), or the committed one. */
  public static LoadedModel load(String command, Path file) {
    try {
      return LoadedModel.load(file);
    } catch (IllegalArgumentException e) {
      throw new UsageError(command + ": " + OPTION + " " + e.getMessage());
    }
  }

  /** The committed MNIST model. */
  public static LoadedModel committed() {
    return LoadedModel.committedModel();
  }

  /**
   * The model named by {@code --model} (or the committed one), checked against the model the
   * evaluation keys were made for, quantized with the widths the keys record.
   *
   * @throws UsageError naming both models if they differ
   */
  public static IntegerNetwork forKeys(String command, Path file, TwoPartyPlan plan, String keysFile) {
    LoadedModel model = load(command, file);
    try {
      plan.checkModel(model.name(), model.sha256(), keysFile);
      return model.quantize(plan.widths());
    } catch (IllegalArgumentException e) {
      throw new UsageError(command + ": " + e.getMessage());
    }
  }
}
