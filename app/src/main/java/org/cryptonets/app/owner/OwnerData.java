package org.cryptonets.app.owner;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cryptonets.app.CommandLine;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.data.ImageDataset;

/**
 * Option handling the owner's commands share: the MNIST folder and the backend.
 *
 * <p>Stateless; thread-safe. Throws {@link CommandLine.UsageException} for a --data path that is
 * not a folder, and what {@link ImageDataset#obtain} and {@link Backends#open} throw.
 */
final class OwnerData {
  private OwnerData() {}

  static ImageDataset dataset(CommandLine cl) {
    String dir = cl.get("--data", null);
    if (dir != null && !Files.isDirectory(Path.of(dir))) {
      throw new CommandLine.UsageException(cl.command() + ": --data " + dir + " is not a folder (expected a folder holding the four IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz)");
    }
    return ImageDataset.obtain(dir == null ? null : Path.of(dir));
  }

  static Backend backend(CommandLine cl) {
    return Backends.open(cl.get("--backend", System.getProperty(Backends.PROPERTY, Backends.DEFAULT)));
  }

  static Path keysFolder(CommandLine cl) {
    if (!cl.has("--keys")) {
      throw new CommandLine.UsageException(cl.command() + ": --keys DIR (the folder keygen wrote) is required");
    }
    Path dir = Path.of(cl.get("--keys", null));
    if (!Files.isDirectory(dir)) {
      throw new CommandLine.UsageException(cl.command() + ": --keys " + dir + " is not a folder (expected the folder keygen wrote)");
    }
    return dir;
  }

  static Path required(CommandLine cl, String option, String what) {
    if (!cl.has(option)) {
      throw new CommandLine.UsageException(cl.command() + ": " + option + " " + what + " is required");
    }
    return Path.of(cl.get(option, null));
  }

  /** Fails early if the folder an output file goes into does not exist. */
  static void checkOutputFolder(CommandLine cl, Path file, String option) {
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new CommandLine.UsageException(cl.command() + ": " + option + " " + file + ": folder " + parent + " does not exist");
    }
  }
}
