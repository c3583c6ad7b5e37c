package org.cryptonets.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cryptonets.inference.LoadedModel;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.FloatNetwork;
import org.cryptonets.net.IntegerNetwork;

/**
 * The models a service offers, loaded once at start through {@link LoadedModel}: every regular file
 * of the models folder (.onnx, or a model file written by {@code train}; names starting with a dot
 * are skipped), or without a folder the committed MNIST model under the name {@value #COMMITTED_NAME}.
 * A job names its model; the model's SHA-256 must be the one its evaluation keys record.
 *
 * <p>Immutable after construction; thread-safe. The constructor throws
 * {@link IllegalArgumentException} for a models folder that is not a folder, holds no model, or
 * holds a file that does not load (with the loader's message).
 */
public final class ModelCatalog {
  /** Name under which the committed MNIST model is offered. */
  public static final String COMMITTED_NAME = "committed";

  /**
   * One offered model.
   *
   * @param parameters weights and biases of the folded network (what the cloud applies)
   */
  public record Offered(String name, LoadedModel model, int pixels, String inputShape, int classes, int depth, long parameters) {
    /**
     * The integer network the keys' plan asks for, after checking that the keys were made for this model.
     *
     * @throws IllegalArgumentException naming both models if they differ
     */
    public IntegerNetwork forPlan(TwoPartyPlan plan, String keysName) {
      plan.checkModel(model.name(), model.sha256(), keysName);
      return model.quantize(plan.widths());
    }
  }

  private final Map<String, Offered> byName;

  /** The models in {@code folder}, or the committed model when it is null. */
  public ModelCatalog(Path folder) {
    Map<String, Offered> m = new LinkedHashMap<>();
    if (folder == null) {
      m.put(COMMITTED_NAME, offered(COMMITTED_NAME, LoadedModel.committedModel()));
    } else {
      if (!Files.isDirectory(folder)) {
        throw new IllegalArgumentException("models folder " + folder + " is not a folder");
      }
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder, p -> Files.isRegularFile(p) && !p.getFileName().toString().startsWith("."))) {
        ds.forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
      }
      Collections.sort(files);
      for (Path f : files) {
        LoadedModel model;
        try {
          model = LoadedModel.load(f);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("models folder " + folder + ": " + e.getMessage(), e);
        }
        m.put(model.name(), offered(model.name(), model));
      }
      if (m.isEmpty()) {
        throw new IllegalArgumentException("models folder " + folder + " holds no model file (.onnx or one written by train)");
      }
    }
    this.byName = Collections.unmodifiableMap(m);
  }

  private static Offered offered(String name, LoadedModel model) {
    FloatNetwork net = model.network();
    long parameters = 0;
    for (FloatNetwork.Layer layer : net.layers()) {
      if (layer instanceof FloatNetwork.Affine a) {
        parameters += a.nonZeros() + a.bias().length;
      }
    }
    return new Offered(name, model, net.inputShape().size(), net.inputShape().toString(), net.classes(), net.depth(), parameters);
  }

  /** Every offered model, in name order (the committed model alone without a folder). */
  public List<Offered> all() {
    return List.copyOf(byName.values());
  }

  /** The model called {@code name}, or null. */
  public Offered byName(String name) {
    return byName.get(name);
  }

  /** The model with this SHA-256, or null. */
  public Offered bySha256(String sha256) {
    for (Offered o : byName.values()) {
      if (o.model().sha256().equals(sha256)) {
        return o;
      }
    }
    return null;
  }

  /** The offered names, for messages. */
  public String names() {
    return String.join(", ", byName.keySet());
  }
}
