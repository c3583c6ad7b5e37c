package org.cryptonets.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * What every command of the command line shares on top of picocli: parsing and running one
 * command (or the whole tree), turning picocli's parse errors into {@link UsageError}s that name
 * the command, range checks with the same wording everywhere, and the version.
 *
 * <p>Public so the party commands in {@code org.cryptonets.app.owner} and {@code .cloud} run the
 * same way. Stateless; thread-safe.
 */
public final class Cli {
  private Cli() {}

  /** Sets the streams of {@code cl} and of every subcommand added so far. */
  public static CommandLine configure(CommandLine cl, PrintStream out) {
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(System.err, true, StandardCharsets.UTF_8));
    cl.setUsageHelpAutoWidth(true);
    return cl;
  }

  /** Parses {@code args} for one command (no subcommands) and runs it; help and version print and return 0. */
  public static int run(Callable<Integer> command, List<String> args, PrintStream out) {
    return execute(configure(new CommandLine(command), out), args);
  }

  /**
   * Parses {@code args} against {@code root} and its subcommands and runs the command chosen;
   * {@code --help}, {@code --version} and {@code help} print and return 0.
   *
   * @throws UsageError for arguments that do not parse or do not apply
   */
  public static int execute(CommandLine root, List<String> args) {
    ParseResult parsed;
    try {
      parsed = root.parseArgs(args.toArray(String[]::new));
    } catch (ParameterException e) {
      throw usageError(e);
    }
    if (CommandLine.printHelpIfRequested(parsed)) {
      return 0;
    }
    ParseResult leaf = parsed;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
    }
    Object command = leaf.commandSpec().userObject();
    try {
      if (command instanceof Callable<?> callable) {
        Object code = callable.call();
        return code instanceof Integer i ? i : 0;
      }
      ((Runnable) command).run();
      return 0;
    } catch (ParameterException e) {
      throw usageError(e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** A picocli parse error as a {@link UsageError} whose message starts with the command's name. */
  static UsageError usageError(ParameterException e) {
    CommandLine cl = e.getCommandLine();
    String name = cl == null ? "" : cl.getCommandName();
    if (cl != null && cl.getParent() == null && !cl.getSubcommands().isEmpty() && e instanceof CommandLine.UnmatchedArgumentException u
        && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
      return new UsageError("unknown command '" + u.getUnmatched().get(0) + "'; commands: " + String.join(", ", cl.getSubcommands().keySet()));
    }
    String message = e.getMessage();
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      message += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
    }
    return new UsageError(name.isEmpty() || cl.getParent() == null && !cl.getSubcommands().isEmpty() ? message : name + ": " + message);
  }

  /**
   * {@code value} if it lies in {@code [min, max]}; otherwise a parse error naming the option, for
   * option setters.
   */
  public static int range(CommandSpec spec, String option, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ParameterException(spec.commandLine(), option + " " + value + " is outside [" + min + ", " + max + "]");
    }
    return value;
  }

  /** Like {@link #range(CommandSpec, String, int, int, int)}, for limits known only at run time. */
  public static int range(String command, String option, int value, int min, int max) {
    if (value < min || value > max) {
      throw new UsageError(command + ": " + option + " " + value + " is outside [" + min + ", " + max + "]");
    }
    return value;
  }

  /** Refuses {@code option} when it was given but does not apply, saying why. */
  public static void refuse(String command, boolean given, String option, String why) {
    if (given) {
      throw new UsageError(command + ": " + option + " does not apply " + why);
    }
  }

  /** The project version: the jar manifest's, else the one the build wrote into version.properties. */
  public static String version() {
    String v = Cli.class.getPackage() == null ? null : Cli.class.getPackage().getImplementationVersion();
    if (v != null) {
      return v;
    }
    try (InputStream in = Cli.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        v = p.getProperty("version");
      }
    } catch (IOException e) {
      v = null;
    }
    return v == null || v.startsWith("$") ? "unknown" : v;
  }

  /** {@code --version} for every command. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"cryptonets " + version(), "JVM: " + System.getProperty("java.vm.vendor") + " " + Runtime.version()};
    }
  }
}
