package org.cryptonets.service;

import com.fasterxml.jackson.core.type.TypeReference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;

/** Raw HTTP calls for the tests, so that statuses and bodies are seen as any client sees them. Thread-safe. */
final class Http {
  /** A response: status and body. */
  record Answer(int status, String body) {
    Map<String, Object> json() {
      try {
        return ServiceStore.JSON.readValue(body, new TypeReference<Map<String, Object>>() { });
      } catch (Exception e) {
        throw new AssertionError("not JSON (status " + status + "): " + body, e);
      }
    }

    String error() {
      return (String) json().get("error");
    }
  }

  private final URI base;
  private final HttpClient client;

  Http(URI base) {
    this(base, null);
  }

  Http(URI base, SSLContext ssl) {
    this.base = base;
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10));
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.client = b.build();
  }

  Answer get(String path, String token) throws Exception {
    return send(builder(path, token).GET().build());
  }

  Answer post(String path, String token, Path file) throws Exception {
    return send(builder(path, token).POST(HttpRequest.BodyPublishers.ofFile(file)).build());
  }

  Answer post(String path, String token, byte[] body, String contentType) throws Exception {
    return send(builder(path, token).POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", contentType).build());
  }

  Answer send(String method, String path, String token) throws Exception {
    return send(builder(path, token).method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  /**
   * The status line's code for a POST whose headers announce {@code length} bytes and ask for
   * 100-continue, with no body sent (the JDK client cannot be made to announce a length it does
   * not send, and it mishandles a refusal of 100-continue).
   */
  int announce(String path, String token, long length) throws Exception {
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(10_000);
      String request = "POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Length: " + length + "\r\nExpect: 100-continue\r\n"
          + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Content-Type: application/octet-stream\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      return Integer.parseInt(status.split(" ")[1]);
    }
  }

  private HttpRequest.Builder builder(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Answer send(HttpRequest r) throws Exception {
    HttpResponse<String> a = client.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    return new Answer(a.statusCode(), a.body());
  }
}
