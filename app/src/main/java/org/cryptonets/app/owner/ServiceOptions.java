package org.cryptonets.app.owner;

import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import org.cryptonets.app.ProgressBar;
import org.cryptonets.app.UsageError;
import org.cryptonets.service.ServiceClient;
import org.cryptonets.service.ServiceException;

/**
 * What the owner's service commands ({@code submit}, {@code fetch}) share: the server address,
 * transfer progress on standard error in kilobytes, and the server's refusals as the command
 * line's errors (4xx: bad usage or input, exit 2; others: failure, exit 1).
 *
 * <p>Stateless; thread-safe. Throws {@link UsageError} for an address that is not
 * {@code http(s)://HOST[:PORT]}.
 */
final class ServiceOptions {
  static final String SERVER = "the service's address, http://HOST:PORT or https://HOST:PORT (HTTPS trusts the JDK's certificates; "
      + "-Djavax.net.ssl.trustStore in CRYPTONETS_JAVA_OPTS adds others)";

  private ServiceOptions() {}

  /** The value of --server, checked and without a trailing slash. */
  static URI server(String command, String value) {
    try {
      URI u = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null || (u.getPath() != null && !u.getPath().isEmpty())) {
        throw new URISyntaxException(value, "expected http://HOST:PORT or https://HOST:PORT");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new UsageError(command + ": --server " + value + ": " + e.getReason());
    }
  }

  /** Progress of a transfer called {@code stage}, drawn on {@code err} in kilobytes. */
  static ServiceClient.Progress progress(String stage, PrintStream err) {
    ProgressBar bars = ProgressBar.onStandardError(err);
    return (done, total) -> {
      long t = Math.max(done, total);
      bars.stage(stage, (int) Math.min(Integer.MAX_VALUE, (done + 1023) / 1024), (int) Math.min(Integer.MAX_VALUE, (t + 1023) / 1024));
    };
  }

  /** A refusal of the server as the command line reports it. */
  static RuntimeException refused(String command, ServiceException e) {
    String message = command + ": the service answered " + e.status() + ": " + e.getMessage();
    return e.status() >= 400 && e.status() < 500 && e.status() != 429 ? new UsageError(message) : new IllegalStateException(message, e);
  }
}
