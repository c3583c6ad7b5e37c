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
import java.util.List;
import org.cryptonets.app.owner.KeygenCommand;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.net.QuantizationSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Output targets are checked and claimed before any work: never a secret key, never an input,
 * never an existing file without --force, never a folder, never a file another run is writing.
 */
class OutputTargetTest {
  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "a secret key by name, even with --force|keys/secret.key|true|is a secret key",
      "a secret key under another name, even with --force|renamed.key|true|is a secret key",
      "an input of the command|input.bin|true|is also an input",
      "an existing file without --force|existing.csv|false|exists; pass --force",
      "a folder|keys|true|is a folder",
      "a file in a missing folder|missing/out.bin|true|does not exist"})
  void refusedTargets(String title, String name, boolean force, String message) throws Exception {
    makeFiles();
    Path target = tmp.resolve(name);
    UsageError e = assertThrows(UsageError.class,
        () -> OutputTarget.claim("test", "--out", target, force, List.of(tmp.resolve("input.bin"))));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().startsWith("test: --out "), e.getMessage());
  }

  @Test
  void existingFileWithForceAndNewFilesAreClaimedAndTheLockIsReleased() throws Exception {
    makeFiles();
    for (String name : new String[] {"existing.csv", "new.csv"}) {
      Path target = tmp.resolve(name);
      try (OutputTarget claimed = OutputTarget.claim("test", "--out", target, true, List.of(tmp.resolve("input.bin")))) {
        assertEquals(target.toAbsolutePath().normalize(), claimed.file());
        assertTrue(Files.exists(tmp.resolve("." + name + ".lock")));
      }
      assertFalse(Files.exists(tmp.resolve("." + name + ".lock")), "the lock file goes with the lock");
    }
  }

  @Test
  void twoRunsCannotWriteOneFile() throws Exception {
    Path target = tmp.resolve("results.bin");
    try (OutputTarget first = OutputTarget.claim("infer", "--out", target, false, List.of())) {
      UsageError e = assertThrows(UsageError.class, () -> OutputTarget.claim("infer", "--out", target, false, List.of()));
      assertTrue(e.getMessage().contains("another process is writing it"), e.getMessage());
    }
    OutputTarget.claim("infer", "--out", target, false, List.of()).close();
  }

  @Test
  void commandsRefuseToOverwriteTheSecretKeyBeforeAnyWork() throws Exception {
    makeFiles();
    Path keys = tmp.resolve("keys");
    Path secret = keys.resolve(PartyFiles.SECRET_KEY_FILE);
    byte[] before = Files.readAllBytes(secret);
    for (List<String> args : List.of(
        List.of("encrypt", "--keys", keys.toString(), "--out", secret.toString(), "--force"),
        List.of("decrypt", "--keys", keys.toString(), "--in", tmp.resolve("input.bin").toString(), "--out", secret.toString(), "--force"),
        List.of("infer", "--keys", keys.resolve(PartyFiles.EVALUATION_KEYS_FILE).toString(), "--in", tmp.resolve("input.bin").toString(), "--out",
            tmp.resolve("input.bin").toString()),
        List.of("demo", "--report", secret.toString(), "--force"),
        List.of("train", "--arch", "cryptonet", "--output", keys.toString()))) {
      UsageError e = assertThrows(UsageError.class, () -> Main.run(args), args.toString());
      assertTrue(e.getMessage().contains("secret key") || e.getMessage().contains("input") || e.getMessage().contains("folder"), e.getMessage());
    }
    assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(secret)), "the secret key is untouched");
  }

  private void makeFiles() throws Exception {
    Path keys = tmp.resolve("keys");
    if (!Files.exists(keys)) {
      org.cryptonets.bfv.BfvParameterSpec spec = org.cryptonets.bfv.BfvParameterSpec.of(1024, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2);
      spec.security = org.cryptonets.bfv.SecurityLevel.NONE; // INSECURE toy keys: only their files matter here
      BfvParameters params = BfvParameters.create(spec);
      CryptoNetPlan plan = CryptoNetPlan.of(1024, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2, new int[] {5, 3}, 3);
      try (Backend backend = Backends.open("cpu")) {
        KeygenCommand.generate(keys, params, TwoPartyPlan.of(params, plan, 54, ModelOption.COMMITTED, ModelOption.committed().sha256(), QuantizationSpec.DEFAULT),
            backend, false, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      }
      Files.copy(keys.resolve(PartyFiles.SECRET_KEY_FILE), tmp.resolve("renamed.key"));
      Files.writeString(tmp.resolve("input.bin"), "input");
      Files.writeString(tmp.resolve("existing.csv"), "old");
    }
  }
}
