package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.cryptonets.app.owner.DecryptCommand;
import org.cryptonets.app.owner.OwnerKeys;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.net.IntegerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two-party commands as a user runs them, at the real 128-bit parameters (n = 8192, seven
 * 31-bit primes) on a full batch of 8192 MNIST test images: keygen, encrypt, infer, decrypt through
 * the command dispatcher; the message sizes per image must meet the targets (upload at most 40 KB,
 * download at most 0.25 KB; the paper has 73.5 and 0.94) and every decrypted logit must equal the
 * integer network's in the clear. Also the commands' refusals of bad arguments.
 */
class TwoPartyCommandLineTest {
  @TempDir
  Path tmp;

  @Test
  void fullBatchThroughTheFilesMeetsTheSizeTargetsAndIsExact() throws Exception {
    Path keys = tmp.resolve("keys");
    Path images = tmp.resolve("images.bin");
    Path results = tmp.resolve("results.bin");
    assertEquals(0, Main.run(List.of("keygen", "--out", keys.toString())));
    assertEquals(0, Main.run(List.of("encrypt", "--keys", keys.toString(), "--out", images.toString())));
    assertEquals(0, Main.run(List.of("infer", "--keys", keys.resolve(PartyFiles.EVALUATION_KEYS_FILE).toString(), "--in", images.toString(), "--out",
        results.toString())));
    assertEquals(0, Main.run(List.of("decrypt", "--keys", keys.toString(), "--in", results.toString())));
    double up = Files.size(images) / 8192.0;
    double down = Files.size(results) / 8192.0;
    System.out.printf("two-party full batch: upload %.0f bytes per image, download %.1f bytes per image%n", up, down);
    assertTrue(up <= 40_000, "upload " + up + " bytes per image");
    assertTrue(down <= 250, "download " + down + " bytes per image");
    LabeledImages test = ImageDataset.obtain(null).test();
    IntegerNetwork network = IntegerNetwork.loadDefault();
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    try (Backend backend = Backends.open("cpu"); OwnerKeys owner = OwnerKeys.load(keys, backend, quiet)) {
      assertEquals(128, owner.parameters().security().bits());
      DecryptCommand.Decryption d = DecryptCommand.decrypt(owner, backend, results);
      assertTrue(d.trustworthy(), "noise budget " + d.minNoiseBudget);
      for (int s = 0; s < 8192; s++) {
        assertArrayEquals(network.logits(network.quantizeInput(test.image(s))), d.logits[s], "image " + s);
      }
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "keygen|keygen: Missing required option: '--out=DIR'",
      "keygen --out KEYS --plain-bits 40|outside [18, 31]",
      "keygen --out KEYS --value-bits 10|--value-bits 10 is below the 54 bits the model's logits need",
      "keygen --out KEYS --plain-bits 18|use --plain-bits 20",
      "keygen --out KEYS --bogus|Unknown option: '--bogus'",
      "encrypt --out X|encrypt: Missing required option: '--keys=DIR'",
      "encrypt --keys /nonexistent/keys --out X|is not a folder",
      "encrypt --keys TMP|encrypt: Missing required option: '--out=FILE'",
      "encrypt --keys TMP --out /nonexistent/folder/x.bin|does not exist",
      "infer --in X --out Y|infer: Missing required option: '--keys=FILE'",
      "infer --keys /nonexistent/evaluation.keys --in X --out Y|is not a file",
      "decrypt --keys TMP|decrypt: Missing required option: '--in=FILE'",
      "decrypt --keys TMP --in X --first -1|outside [0,",
      "decrypt --keys TMP --in X --no-labels --data TMP|--data does not apply with --no-labels",
      "decrypt --keys TMP --in X --force|--force does not apply without --out"})
  void badArgumentsAreExplained(String args, String expected) {
    List<String> argv = List.of(args.replace("KEYS", tmp.resolve("k").toString()).replace("TMP", tmp.toString()).split(" "));
    UsageError e = assertThrows(UsageError.class, () -> Main.run(argv));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("k").resolve(PartyFiles.SECRET_KEY_FILE)), "nothing written on bad usage");
  }

  @Test
  void helpListsTheTwoPartyCommands() {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Main.usage(new PrintStream(text, true, StandardCharsets.UTF_8));
    for (String command : List.of("keygen", "encrypt", "infer", "decrypt")) {
      assertTrue(text.toString(StandardCharsets.UTF_8).contains("  " + command + " "), command);
    }
  }
}
