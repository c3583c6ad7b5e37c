package org.cryptonets.app;

/**
 * Arguments that parse but cannot be used: a missing folder, an output that must not be written,
 * a model that does not match the keys. The message is meant for the user; {@link Main} prints it
 * as {@code error: ...} and exits 2. Parse errors (unknown options, bad numbers) come from picocli
 * and are reported the same way.
 *
 * <p>Immutable; thread-safe.
 */
public final class UsageError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageError(String message) {
    super(message);
  }
}
