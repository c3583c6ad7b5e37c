package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.cryptonets.app.owner.KeygenCommand;
import org.cryptonets.app.owner.ServiceCredentials;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.net.QuantizationSpec;
import org.cryptonets.service.InferenceServer;
import org.cryptonets.service.ServiceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-party flow through the service as a user runs it: keygen, encrypt (40 MNIST test
 * images), submit, fetch (polling), decrypt, with a server on the loopback address and a free port;
 * every decrypted logit must equal the integer network's in the clear, as after infer. Keys are
 * INSECURE toy parameters (n = 1024, SecurityLevel.NONE, as TwoPartyFlowTest) so the test fits CI;
 * the server accepts them only because it is started for tests. Also the refusals of the three
 * commands' options.
 */
class TwoPartyServiceTest {
  @TempDir
  Path tmp;

  static PrintStream capture(ByteArrayOutputStream text) {
    return new PrintStream(text, true, StandardCharsets.UTF_8);
  }

  @Test
  void keygenEncryptSubmitFetchDecryptThroughTheService() throws Exception {
    Path keys = tmp.resolve("keys");
    BfvParameters params = org.cryptonets.app.parties.TwoPartyFlowTest.toyParameters(1024);
    CryptoNetPlan schedule = CryptoNetPlan.of(1024, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, new int[] {5, 3}, 3);
    Backend backend = Backends.open("cpu");
    KeygenCommand.generate(keys, params, TwoPartyPlan.of(params, schedule, 54, ModelOption.COMMITTED, ModelOption.committed().sha256(),
        QuantizationSpec.DEFAULT), backend, false, capture(new ByteArrayOutputStream()));
    Path images = tmp.resolve("images.bin");
    assertEquals(0, Main.run(List.of("encrypt", "--keys", keys.toString(), "--images", "40", "--out", images.toString()), capture(new ByteArrayOutputStream())));

    // the server shares the test's backend (opening one warms its kernels up for seconds)
    InferenceServer server = InferenceServer.start(ServiceConfig.defaults(tmp.resolve("store")).withPort(0).withTestParameters(true), backend);
    try {
      String url = server.baseUri().toString();
      ByteArrayOutputStream submitted = new ByteArrayOutputStream();
      assertEquals(0, Main.run(List.of("submit", "--server", url, "--keys", keys.toString(), "--in", images.toString()), capture(submitted)));
      String text = submitted.toString(StandardCharsets.UTF_8);
      assertTrue(text.contains("evaluation keys registered on " + url), text);
      List<String> lines = text.lines().toList();
      String jobLine = lines.get(lines.size() - 1);
      assertTrue(jobLine.matches("job j-[0-9a-f]{24}"), jobLine);
      String job = jobLine.substring(4);
      Path credentials = keys.resolve(ServiceCredentials.FILE);
      assertEquals(server.service().jobCounts().values().stream().mapToLong(Long::longValue).sum(), 1);
      if (Files.getFileStore(keys).supportsFileAttributeView("posix")) {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(credentials)));
      }
      assertTrue(Files.readString(credentials).contains(url), Files.readString(credentials));

      Path results = tmp.resolve("results.bin");
      ByteArrayOutputStream fetched = new ByteArrayOutputStream();
      assertEquals(0, Main.run(List.of("fetch", "--server", url, "--keys", keys.toString(), "--job", job, "--wait", "300", "--out", results.toString()),
          capture(fetched)));
      assertTrue(fetched.toString(StandardCharsets.UTF_8).contains("results written to " + results), fetched.toString(StandardCharsets.UTF_8));
      ByteArrayOutputStream decrypted = new ByteArrayOutputStream();
      assertEquals(0, Main.run(List.of("decrypt", "--keys", keys.toString(), "--in", results.toString()), capture(decrypted)));
      String report = decrypted.toString(StandardCharsets.UTF_8);
      assertTrue(report.contains("logits equal to the integer network in the clear: 40 of 40"), report);
      assertTrue(report.contains("decryption check passed"), report);

      // fetching again does not replace the file unasked; another job id is the server's 404
      UsageError exists = assertThrows(UsageError.class, () -> Main.run(List.of("fetch", "--server", url, "--keys", keys.toString(), "--job", job,
          "--out", results.toString())));
      assertTrue(exists.getMessage().contains("--force"), exists.getMessage());
      UsageError unknown = assertThrows(UsageError.class, () -> Main.run(List.of("fetch", "--server", url, "--keys", keys.toString(), "--job",
          "j-000000000000000000000000", "--out", tmp.resolve("none.bin").toString())));
      assertTrue(unknown.getMessage().contains("404"), unknown.getMessage());
      assertFalse(Files.exists(tmp.resolve("none.bin")));
      // a registrations file that is not JSON is reported, not overwritten
      Files.writeString(credentials, "{not json");
      UsageError broken = assertThrows(UsageError.class, () -> Main.run(List.of("submit", "--server", url, "--keys", keys.toString(), "--in",
          images.toString())));
      assertTrue(broken.getMessage().contains(ServiceCredentials.FILE), broken.getMessage());
    } finally {
      server.stop();
      backend.close();
    }
  }

  @Test
  void badServiceArgumentsAreExplained() throws Exception {
    Path keys = Files.createDirectories(tmp.resolve("keys"));
    for (String[] c : new String[][] {
        {"serve --store STORE --port 70000", "--port 70000 is outside [0, 65535]"},
        {"serve --store STORE --workers 0", "--workers 0 is outside [1, 64]"},
        {"serve --store STORE --max-body-mb 0", "--max-body-mb 0 is outside"},
        {"serve --store STORE --tls-password secret", "--tls-password does not apply without --tls-keystore"},
        {"serve --store STORE --tls-keystore /nonexistent.p12 --tls-password x", "is not a file"},
        {"serve --store STORE --models /nonexistent", "--models /nonexistent is not a folder"},
        {"serve --port 1", "Missing required option: '--store=DIR'"},
        {"submit --server ftp://host --keys KEYS --in X", "expected http://HOST:PORT"},
        {"submit --server http://127.0.0.1:9 --keys KEYS --in X", "evaluation.keys is missing"},
        {"fetch --server http://127.0.0.1:9 --keys KEYS --job j --out OUT", "holds no registration on http://127.0.0.1:9"},
        {"fetch --server http://127.0.0.1:9 --keys KEYS --job j --out OUT --wait -1", "--wait -1 is outside [0, 86400]"}}) {
      List<String> argv = List.of(c[0].replace("STORE", tmp.resolve("store").toString()).replace("KEYS", keys.toString())
          .replace("OUT", tmp.resolve("out.bin").toString()).split(" "));
      UsageError e = assertThrows(UsageError.class, () -> Main.run(argv), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
    }
    assertFalse(Files.exists(tmp.resolve("store")), "serve refused before creating its store");
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Main.usage(capture(text));
    for (String command : List.of("serve", "submit", "fetch")) {
      assertTrue(text.toString(StandardCharsets.UTF_8).contains("  " + command + " "), command);
    }
  }
}
