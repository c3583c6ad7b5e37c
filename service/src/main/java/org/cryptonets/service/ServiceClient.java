package org.cryptonets.service;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import javax.net.ssl.SSLContext;

/**
 * The data owner's side of the HTTP contract, on the JDK's {@link HttpClient}: register keys,
 * submit a batch, poll a job, fetch its results. Files are streamed from and to disk with progress
 * reports; a fetched results file is written to a temporary file beside the target and moved into
 * place only when complete.
 *
 * <p>Thread-safe. Methods throw {@link ServiceException} with the server's status, code and message
 * when the server refuses, and {@link UncheckedIOException} when the server cannot be reached or a
 * transfer breaks.
 */
public final class ServiceClient {
  /** Receives how many bytes of a transfer are done; called from the client's threads, one call at a time. */
  @FunctionalInterface
  public interface Progress {
    void transferred(long done, long total);

    Progress NONE = (done, total) -> { };
  }

  /** A job's state as the server reports it. Immutable; thread-safe; throws nothing. */
  public record JobStatus(String jobId, JobState state, String reason, int images, long resultBytes, double seconds) {
  }

  /** A registration: the key id and the client's token. Immutable; thread-safe; throws nothing. */
  public record Registration(String keyId, String token) {
  }

  private final URI server;
  private final HttpClient http;

  /** A client of the server at {@code server} ({@code http://HOST:PORT} or {@code https://...}), trusting the JDK's default certificates. */
  public ServiceClient(URI server) {
    this(server, null);
  }

  /** As above, trusting the certificates of {@code ssl} (null: the JDK's default). */
  public ServiceClient(URI server, SSLContext ssl) {
    String s = server.toString();
    this.server = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(20));
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.http = b.build();
  }

  public URI server() {
    return server;
  }

  /** Registers an evaluation-keys file: for a new client when {@code token} is null, else for the token's client. */
  public Registration registerKeys(Path keysFile, String token, Progress progress) {
    HttpRequest.Builder b = request("/keys", token).POST(upload(keysFile, progress)).header("Content-Type", "application/octet-stream");
    Map<String, Object> m = json(send(b.build()));
    return new Registration((String) m.get("key_id"), (String) m.get("token"));
  }

  /** Submits an encrypted-images file for the keys {@code keyId} and the model {@code model} (null: the keys' model); returns the job id. */
  public String submit(String token, String keyId, String model, Path images, Progress progress) {
    String query = "?key=" + URLEncoder.encode(keyId, StandardCharsets.UTF_8) + (model == null ? "" : "&model=" + URLEncoder.encode(model, StandardCharsets.UTF_8));
    HttpRequest.Builder b = request("/jobs" + query, token).POST(upload(images, progress)).header("Content-Type", "application/octet-stream");
    return (String) json(send(b.build())).get("job_id");
  }

  /** The state of a job. */
  public JobStatus status(String token, String jobId) {
    Map<String, Object> m = json(send(request("/jobs/" + encode(jobId), token).GET().build()));
    return new JobStatus((String) m.get("job_id"), JobState.valueOf(((String) m.get("state")).toUpperCase(java.util.Locale.ROOT)), (String) m.get("reason"),
        ((Number) m.get("images")).intValue(), ((Number) m.get("result_bytes")).longValue(), ((Number) m.get("seconds")).doubleValue());
  }

  /**
   * Polls a job until it is done or failed, or {@code timeout} has passed, sleeping from 0.2 s up
   * to 5 s between polls; returns the last state.
   */
  public JobStatus await(String token, String jobId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long sleep = 200;
    while (true) {
      JobStatus s = status(token, jobId);
      if (!s.state().active() || System.nanoTime() >= deadline) {
        return s;
      }
      try {
        Thread.sleep(Math.min(sleep, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return s;
      }
      sleep = Math.min(5000, sleep * 2);
    }
  }

  /** Downloads a finished job's results to {@code out} (through a temporary file beside it); returns its size. */
  public long fetch(String token, String jobId, Path out, Progress progress) {
    HttpResponse<InputStream> r = send(request("/jobs/" + encode(jobId) + "/result", token).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = r.body()) {
      if (r.statusCode() != 200) {
        throw refusal(r.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      long total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      Path dir = out.toAbsolutePath().getParent();
      Path temp = Files.createTempFile(dir, "." + out.getFileName() + "-", ".tmp");
      try {
        long done = 0;
        try (OutputStream o = Files.newOutputStream(temp)) {
          byte[] buffer = new byte[1 << 16];
          int n;
          while ((n = in.read(buffer)) >= 0) {
            o.write(buffer, 0, n);
            done += n;
            progress.transferred(done, total);
          }
        }
        if (total >= 0 && done != total) {
          throw new UncheckedIOException(new IOException("the download of job " + jobId + " ended after " + done + " of " + total + " bytes"));
        }
        Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return done;
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("fetching job " + jobId + " from " + server + ": " + e.getMessage(), e);
    }
  }

  /** The models the server offers, as it describes them. */
  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> models() {
    return (List<Map<String, Object>>) json(send(request("/models", null).GET().build())).get("models");
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + path)).timeout(Duration.ofMinutes(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private String send(HttpRequest request) {
    HttpResponse<String> r = send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() / 100 != 2) {
      throw refusal(r.statusCode(), r.body());
    }
    return r.body();
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request, handler);
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted: " + request.method() + " " + request.uri()));
    }
  }

  /** The server's refusal as an exception with its message, or the status alone if the body is not the error JSON. */
  static ServiceException refusal(int status, String body) {
    try {
      Map<String, Object> m = ServiceStore.JSON.readValue(body, new TypeReference<Map<String, Object>>() { });
      if (m.get("error") instanceof String message) {
        return new ServiceException(status, String.valueOf(m.get("code")), message);
      }
    } catch (IOException | RuntimeException notJson) {
      // reported below
    }
    return new ServiceException(status, "http_" + status, "the server answered " + status + (body == null || body.isBlank() ? "" : ": "
        + body.substring(0, Math.min(200, body.length()))));
  }

  private static Map<String, Object> json(String body) {
    try {
      return ServiceStore.JSON.readValue(body, new TypeReference<Map<String, Object>>() { });
    } catch (IOException e) {
      throw new UncheckedIOException("the server's answer is not the expected JSON: " + e.getMessage(), e);
    }
  }

  /** The file as a request body whose chunks are counted as they go out. */
  private static HttpRequest.BodyPublisher upload(Path file, Progress progress) {
    HttpRequest.BodyPublisher inner;
    try {
      inner = HttpRequest.BodyPublishers.ofFile(file);
    } catch (FileNotFoundException e) {
      throw new UncheckedIOException(file + " cannot be read: " + e.getMessage(), e);
    }
    long total = inner.contentLength();
    return new HttpRequest.BodyPublisher() {
      @Override
      public long contentLength() {
        return total;
      }

      @Override
      public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        inner.subscribe(new Flow.Subscriber<ByteBuffer>() {
          private long done;

          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            subscriber.onSubscribe(subscription);
          }

          @Override
          public void onNext(ByteBuffer item) {
            done += item.remaining();
            subscriber.onNext(item);
            progress.transferred(done, total);
          }

          @Override
          public void onError(Throwable throwable) {
            subscriber.onError(throwable);
          }

          @Override
          public void onComplete() {
            subscriber.onComplete();
          }
        });
      }
    };
  }
}
