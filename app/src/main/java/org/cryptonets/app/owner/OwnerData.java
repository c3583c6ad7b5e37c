package org.cryptonets.app.owner;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cryptonets.app.UsageError;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.data.ImageDataset;

/**
 * Option handling the owner's commands share: the data folder, the backend, the keys folder.
 *
 * <p>Stateless; thread-safe. Throws {@link UsageError} for a --data or --keys path that is not a
 * folder, and what {@link ImageDataset#obtain} and {@link Backends#open} throw.
 */
final class OwnerData {
  /** Help text of --data. */
  static final String DATA = "folder with the four IDX files, optionally .gz (default: MNIST, fetched into a cache)";
  /** Help text of --backend. */
  static final String BACKEND = "cpu or opencl (default: -Dcryptonets.backend or cpu)";

  private OwnerData() {}

  /** The data set in {@code dir} (the value of --data; null: MNIST from the cache). */
  static ImageDataset dataset(String command, Path dir) {
    if (dir != null && !Files.isDirectory(dir)) {
      throw new UsageError(command + ": --data " + dir + " is not a folder (expected a folder holding the four IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz)");
    }
    return ImageDataset.obtain(dir);
  }

  /** The backend named by --backend ({@code name}; null: the system property's or the default). */
  static Backend backend(String name) {
    return Backends.open(name != null ? name : System.getProperty(Backends.PROPERTY, Backends.DEFAULT));
  }

  /** The value of --keys, which must be a folder. */
  static Path keysFolder(String command, Path dir) {
    if (dir == null) {
      throw new UsageError(command + ": --keys DIR (the folder keygen wrote) is required");
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageError(command + ": --keys " + dir + " is not a folder (expected the folder keygen wrote)");
    }
    return dir;
  }
}
