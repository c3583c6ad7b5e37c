package org.cryptonets.service;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of an {@link InferenceService}, on Javalin (Jetty): the contract of the README's
 * "As a service" section and of {@code openapi.json}, served at {@code GET /openapi.json}.
 * <pre>
 *   POST /keys                      body: evaluation.keys        201 {"key_id", "token", ...}
 *   POST /jobs?key=ID[&amp;model=NAME]  body: encrypted images       202 {"job_id", "state", ...}
 *   GET  /jobs/{id}                 the job's state                 200 {"job_id", "state", "reason", ...}
 *   GET  /jobs/{id}/result          the encrypted-results file      200 application/octet-stream
 *   GET  /models  /health  /metrics  /openapi.json
 * </pre>
 * The token travels as {@code Authorization: Bearer TOKEN}. Every refusal is JSON
 * {@code {"error": ..., "code": ...}} with its status (400, 401, 404, 409, 413, 429, 503; 500 for
 * a fault of the service, without a stack trace); unknown routes are 404 JSON. Bodies are
 * streamed to and from the store, never held in memory. With a keystore in the configuration the
 * server speaks HTTPS only.
 *
 * <p>Thread-safe. {@link #start} throws {@link IllegalArgumentException} for a bad configuration
 * and {@link IllegalStateException} when the port cannot be bound.
 */
public final class InferenceServer implements AutoCloseable {
  /** The OpenAPI description, a resource beside this class. */
  public static final String OPENAPI_RESOURCE = "openapi.json";
  private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);
  private static final int IDLE_TIMEOUT_MILLIS = 120_000;
  /** Request attribute: the handler has opened the body (Jetty has answered 100-continue). */
  private static final String BODY_OPENED = "cryptonets.bodyOpened";

  private final InferenceService service;
  private final Javalin app;
  private final List<String> routes;
  private final boolean tls;

  private InferenceServer(InferenceService service, Javalin app, List<String> routes, boolean tls) {
    this.service = service;
    this.app = app;
    this.routes = routes;
    this.tls = tls;
  }

  /** Starts the service and its HTTP server as configured, on a backend of its own. */
  public static InferenceServer start(ServiceConfig config) {
    return start(config, null);
  }

  /**
   * Starts the service and its HTTP server on {@code backend}, which the caller keeps and closes
   * (null: a backend of its own, as configured, closed at stop).
   */
  public static InferenceServer start(ServiceConfig config, org.cryptonets.engine.Backend backend) {
    InferenceService service = InferenceService.start(config, backend);
    try {
      return serve(service);
    } catch (RuntimeException e) {
      service.stop();
      throw e;
    }
  }

  private static InferenceServer serve(InferenceService service) {
    ServiceConfig config = service.config();
    List<String> routes = Collections.synchronizedList(new ArrayList<>());
    if (config.tlsKeystore() != null && !Files.isRegularFile(config.tlsKeystore())) {
      throw new IllegalArgumentException("TLS keystore " + config.tlsKeystore() + " is not a file");
    }
    Javalin app = Javalin.create(c -> {
      c.showJavalinBanner = false;
      c.http.disableCompression();
      c.router.ignoreTrailingSlashes = true;
      c.events.handlerAdded(info -> {
        if (info.getHttpMethod().isHttpMethod()) {
          routes.add(info.getHttpMethod() + " " + info.getPath());
        }
      });
      c.jetty.addConnector((server, http) -> {
        ServerConnector connector;
        if (config.tlsKeystore() != null) {
          SslContextFactory.Server ssl = new SslContextFactory.Server();
          ssl.setKeyStorePath(config.tlsKeystore().toAbsolutePath().toString());
          ssl.setKeyStorePassword(config.tlsPassword());
          HttpConfiguration https = new HttpConfiguration(http);
          SecureRequestCustomizer secure = new SecureRequestCustomizer();
          secure.setSniHostCheck(false);
          https.addCustomizer(secure);
          connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
        } else {
          connector = new ServerConnector(server, new HttpConnectionFactory(http));
        }
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        return connector;
      });
    });
    InferenceServer s = new InferenceServer(service, app, routes, config.tlsKeystore() != null);
    s.routes(app);
    try {
      app.start();
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": " + rootMessage(e), e);
    }
    LOG.info("serving {} model(s) on {} with backend {} ({}), store {}", service.catalog().all().size(), s.baseUri(), service.backend().name(),
        service.backend().device(), config.store());
    return s;
  }

  private void routes(Javalin app) {
    app.before(ctx -> {
      if (service.stopping() && !ctx.path().equals("/health")) {
        throw new ServiceException(503, "shutting_down", "the service is shutting down; try again after it restarts");
      }
    });
    app.post("/keys", this::registerKeys);
    app.post("/jobs", this::submit);
    app.get("/jobs/{id}", this::job);
    app.get("/jobs/{id}/result", this::result);
    app.get("/models", this::models);
    app.get("/health", this::health);
    app.get("/metrics", ctx -> ctx.json(service.metrics().snapshot(service.jobCounts())));
    app.get("/openapi.json", this::openapi);
    app.exception(ServiceException.class, (e, ctx) -> {
      if (e.status() != 413) {
        drain(ctx);
      }
      error(ctx, e.status(), e.code(), e.getMessage());
    });
    app.exception(HttpResponseException.class, (e, ctx) -> {
      drain(ctx);
      error(ctx, e.getStatus(), "http_" + e.getStatus(), e.getStatus() == 404 ? "no route " + ctx.method() + " " + ctx.path() + "; see GET /openapi.json" : e.getMessage());
    });
    app.exception(Exception.class, (e, ctx) -> {
      LOG.error("internal error on {} {}", ctx.method(), ctx.path(), e);
      error(ctx, 500, "internal", "internal error of the service: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    });
    app.error(404, ctx -> {
      if (ctx.result() == null || ctx.result().isEmpty()) {
        error(ctx, 404, "no_route", "no route " + ctx.method() + " " + ctx.path() + "; see GET /openapi.json");
      }
    });
    app.error(405, ctx -> error(ctx, 405, "method_not_allowed", "method " + ctx.method() + " is not allowed on " + ctx.path()));
  }

  /**
   * Reads what is left of a refused request's body (at most the body limit) and discards it, so a
   * client that sends the whole body before it reads the answer (the JDK's HttpClient does) gets
   * the answer, not a reset connection. Bodies over the limit are not drained: the connection closes.
   */
  private void drain(Context ctx) {
    if (!"POST".equals(ctx.method().name())) {
      return;
    }
    String expect = ctx.header("Expect");
    if (expect != null && expect.toLowerCase(java.util.Locale.ROOT).contains("100-continue") && ctx.attribute(BODY_OPENED) == null) {
      return; // the client waits for 100 Continue before it sends the body: it will send none
    }
    long left = service.config().maxBodyBytes();
    try {
      InputStream in = ctx.req().getInputStream();
      byte[] buffer = new byte[1 << 16];
      int n;
      while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0) {
        left -= n;
      }
    } catch (IOException | RuntimeException e) {
      // the client went away or the body was already consumed: nothing to drain
    }
  }

  private static void error(Context ctx, int status, String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    body.put("code", code);
    ctx.status(status).json(body);
  }

  /** The bearer token of the request, or null without an Authorization header. */
  private static String token(Context ctx) {
    String h = ctx.header("Authorization");
    if (h == null) {
      return null;
    }
    if (!h.regionMatches(true, 0, "Bearer ", 0, 7) || h.length() <= 7) {
      throw new ServiceException(401, "wrong_token", "the Authorization header must be 'Bearer TOKEN'");
    }
    return h.substring(7).trim();
  }

  /**
   * The request body, opened at its first read: Jetty answers {@code Expect: 100-continue} when the
   * servlet's stream is opened, so a request refused on its headers (token, length, quota) is
   * answered before the client sends the body.
   */
  private static InputStream body(Context ctx) {
    return new InputStream() {
      private InputStream in;

      private InputStream in() throws IOException {
        if (in == null) {
          ctx.attribute(BODY_OPENED, Boolean.TRUE);
          in = ctx.req().getInputStream();
        }
        return in;
      }

      @Override
      public int read() throws IOException {
        return in().read();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return in().read(b, off, len);
      }
    };
  }

  private static long declaredLength(Context ctx) {
    return ctx.req().getContentLengthLong();
  }

  private void registerKeys(Context ctx) throws IOException {
    // the servlet's stream is not closed here: a refusal drains what is left of it
    InferenceService.Registration r = service.registerKeys(token(ctx), body(ctx), declaredLength(ctx));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key_id", r.keyId());
    m.put("token", r.token());
    m.put("model", r.record().modelName());
    m.put("model_sha256", r.record().modelSha256());
    m.put("n", r.record().n());
    m.put("security_bits", r.record().securityBits());
    ctx.status(201).json(m);
  }

  private void submit(Context ctx) throws IOException {
    String client = service.authenticate(token(ctx));
    JobRecord r = service.submit(client, ctx.queryParam("key"), ctx.queryParam("model"), body(ctx), declaredLength(ctx));
    ctx.status(202).header("Location", "/jobs/" + r.jobId()).json(view(r));
  }

  private void job(Context ctx) {
    String client = service.authenticate(token(ctx));
    ctx.json(view(service.job(client, ctx.pathParam("id"))));
  }

  private void result(Context ctx) throws IOException {
    String client = service.authenticate(token(ctx));
    Path file = service.result(client, ctx.pathParam("id"));
    long size = Files.size(file);
    ctx.status(200).contentType("application/octet-stream");
    ctx.header("Content-Disposition", "attachment; filename=\"results-" + ctx.pathParam("id") + ".bin\"");
    ctx.res().setContentLengthLong(size);
    try (InputStream in = Files.newInputStream(file); OutputStream out = ctx.res().getOutputStream()) {
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        service.metrics().sent(n);
      }
    }
  }

  private void models(Context ctx) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (ModelCatalog.Offered o : service.catalog().all()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", o.name());
      m.put("sha256", o.model().sha256());
      m.put("input_shape", o.inputShape());
      m.put("classes", o.classes());
      m.put("depth", o.depth());
      m.put("parameters", o.parameters());
      list.add(m);
    }
    ctx.json(Map.of("models", list));
  }

  private void health(Context ctx) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", service.stopping() ? "shutting_down" : "ok");
    m.put("backend", service.backend().name());
    m.put("workers", service.config().workers());
    m.put("jobs", service.jobCounts());
    ctx.status(service.stopping() ? 503 : 200).json(m);
  }

  private void openapi(Context ctx) throws IOException {
    try (InputStream in = InferenceServer.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the class path");
      }
      ctx.contentType("application/json").result(in.readAllBytes());
    }
  }

  /** A job as clients see it (without the client's identity). */
  static Map<String, Object> view(JobRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("job_id", r.jobId());
    m.put("state", r.state().label());
    m.put("reason", r.reason());
    m.put("key_id", r.keyId());
    m.put("model", r.model());
    m.put("images", r.images());
    m.put("attempts", r.attempts());
    m.put("upload_bytes", r.uploadBytes());
    m.put("result_bytes", r.resultBytes());
    m.put("submitted_at", r.submittedAt());
    m.put("started_at", r.startedAt());
    m.put("finished_at", r.finishedAt());
    m.put("seconds", r.seconds());
    return m;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** The port the server listens on (the one chosen when configured with 0). */
  public int port() {
    return app.port();
  }

  /** {@code http://HOST:PORT} or {@code https://HOST:PORT}. */
  public java.net.URI baseUri() {
    String host = service.config().host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    } else if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return java.net.URI.create((tls ? "https" : "http") + "://" + host + ":" + port());
  }

  /** The routes registered, as "METHOD /path", for the test that compares them with the OpenAPI document. */
  public List<String> routes() {
    synchronized (routes) {
      return List.copyOf(routes);
    }
  }

  public InferenceService service() {
    return service;
  }

  /**
   * Stops gracefully: requests get 503 while running jobs finish (within the grace), then the
   * server closes. Returns true if no job was left running.
   */
  public boolean stop() {
    boolean finished = service.stop();
    app.stop();
    return finished;
  }

  /** Stops as a crash would, for tests: see {@link InferenceService#abandon}. */
  void abandon() {
    service.abandon();
    app.stop();
  }

  @Override
  public void close() {
    stop();
  }
}
