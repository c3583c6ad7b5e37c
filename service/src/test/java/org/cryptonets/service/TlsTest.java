package org.cryptonets.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS where a keystore is configured: a self-signed certificate made by the JDK's keytool for
 * this test, a client that trusts it, plain HTTP refused on that port. The server here keeps the
 * default of secure parameters only, so keys under the tests' toy parameters are refused with 400.
 */
class TlsTest {
  static final String PASSWORD = "test-only-password";

  @TempDir
  Path tmp;

  @Test
  void httpsWithTheConfiguredCertificateAndNoPlainHttp() throws Exception {
    Path keystore = tmp.resolve("service.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "service",
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true).start();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS), "keytool finished");
    assertEquals(0, keytool.exitValue(), new String(keytool.getInputStream().readAllBytes()));

    KeyStore trusted = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      trusted.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);

    Path models = Files.createDirectories(tmp.resolve("models"));
    TinyModel tiny = TinyModel.write(models);
    InferenceServer server = InferenceServer.start(ServiceConfig.defaults(tmp.resolve("store")).withPort(0).withModels(models).withTls(keystore, PASSWORD),
        SharedBackend.get());
    try (TestOwner owner = new TestOwner(tmp.resolve("owner"), SharedBackend.get(), 1024, tiny)) {
      URI https = server.baseUri();
      assertEquals("https", https.getScheme());
      Http http = new Http(https, ssl);
      assertEquals(200, http.get("/health", null).status());
      List<?> models1 = (List<?>) http.get("/models", null).json().get("models");
      assertEquals(1, models1.size());
      // plain HTTP on the TLS port gets no answer of the service
      Http plain = new Http(URI.create("http://127.0.0.1:" + server.port()));
      int status;
      try {
        status = plain.get("/health", null).status();
      } catch (java.io.IOException refused) {
        status = -1;
      }
      assertTrue(status != 200, "plain HTTP answered " + status);
      // a client that does not trust the certificate cannot connect
      assertThrows(java.io.UncheckedIOException.class, () -> new ServiceClient(https).models());
      // secure parameters only, unless the server is started for tests
      ServiceException insecure = assertThrows(ServiceException.class,
          () -> new ServiceClient(https, ssl).registerKeys(owner.evaluationKeys, null, ServiceClient.Progress.NONE));
      assertEquals(400, insecure.status());
      assertTrue(insecure.getMessage().contains("not 128-bit secure"), insecure.getMessage());
    } finally {
      server.stop();
    }
  }
}
