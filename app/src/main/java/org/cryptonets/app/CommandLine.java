package org.cryptonets.app;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses {@code command [--option value | --flag]...} against the options a command accepts, with
 * errors that name the bad argument and list what is accepted.
 *
 * <p>Public so the party commands in {@code org.cryptonets.app.owner} and {@code .cloud} parse
 * their options the same way. Immutable after parsing; thread-safe.
 */
public final class CommandLine {
  /** Thrown for unusable arguments; the message is meant for the user. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }

  private final String command;
  private final Map<String, String> values = new HashMap<>();
  private List<String> arguments = List.of();

  private CommandLine(String command) {
    this.command = command;
  }

  /**
   * @param valued options that take a value, with a description
   * @param flags options without a value
   */
  public static CommandLine parse(String command, List<String> args, Map<String, String> valued, Map<String, String> flags) {
    CommandLine cl = new CommandLine(command);
    cl.arguments = List.copyOf(args);
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String name = a;
      String inline = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        name = a.substring(0, eq);
        inline = a.substring(eq + 1);
      }
      if (valued.containsKey(name)) {
        String v = inline;
        if (v == null) {
          if (i + 1 >= args.size()) {
            throw new UsageException(command + ": option " + name + " needs a value (" + valued.get(name) + ")");
          }
          v = args.get(++i);
        }
        cl.values.put(name, v);
      } else if (flags.containsKey(name) && inline == null) {
        cl.values.put(name, "true");
      } else {
        Map<String, String> all = new LinkedHashMap<>(valued);
        all.putAll(flags);
        throw new UsageException(command + ": unknown argument '" + a + "'; accepted: " + (all.isEmpty() ? "none" : String.join(", ", all.keySet())));
      }
    }
    return cl;
  }

  /** The arguments as given, for records of how a file was made. */
  public List<String> arguments() {
    return arguments;
  }

  public String command() {
    return command;
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  public int getInt(String name, int fallback, int min, int max) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      int x = Integer.parseInt(v.trim());
      if (x < min || x > max) {
        throw new UsageException(command + ": " + name + " " + x + " is outside [" + min + ", " + max + "]");
      }
      return x;
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": " + name + " '" + v + "' is not a whole number (expected " + min + " to " + max + ")");
    }
  }

  public long getLong(String name, long fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": " + name + " '" + v + "' is not a whole number");
    }
  }
}
