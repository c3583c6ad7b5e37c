package org.cryptonets.app.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The cloud holds no secret key by construction: the compiled classes of the cloud package, and
 * every application class they reach (shared party files, the encrypted network, the plan, the
 * command-line parser), must not mention the secret-key API anywhere in their constant pools. The
 * check reads the class files themselves, so it sees what the compiler emitted, including types that
 * appear only in signatures, and follows references transitively within the application module.
 */
class CloudIsolationTest {
  /** Internal names that must never appear on the cloud side. */
  static final List<String> FORBIDDEN = List.of(
      "org/cryptonets/bfv/SecretKey", "org/cryptonets/bfv/KeyGenerator", "org/cryptonets/bfv/Decryptor", "org/cryptonets/inference/DataOwner",
      "org/cryptonets/app/owner/");
  /** Packages of this module whose classes are followed; library classes (bfv, engine) are not. */
  static final List<String> FOLLOWED = List.of("org/cryptonets/app/", "org/cryptonets/inference/");
  static final Pattern TYPE = Pattern.compile("org/cryptonets/[A-Za-z0-9_/$]+");

  /** Every string of a class file's constant pool (UTF-8 entries hold class names and descriptors). */
  static List<String> constantPoolStrings(String internalName) throws IOException {
    List<String> strings = new ArrayList<>();
    try (InputStream raw = CloudIsolationTest.class.getClassLoader().getResourceAsStream(internalName + ".class")) {
      if (raw == null) {
        return strings;
      }
      DataInputStream in = new DataInputStream(raw);
      if (in.readInt() != 0xCAFEBABE) {
        throw new IOException(internalName + " is not a class file");
      }
      in.readUnsignedShort();
      in.readUnsignedShort();
      int count = in.readUnsignedShort();
      for (int i = 1; i < count; i++) {
        int tag = in.readUnsignedByte();
        switch (tag) {
          case 1 -> strings.add(in.readUTF());
          case 3, 4 -> in.skipBytes(4);
          case 5, 6 -> {
            in.skipBytes(8);
            i++;
          }
          case 7, 8, 16, 19, 20 -> in.skipBytes(2);
          case 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
          case 15 -> in.skipBytes(3);
          default -> throw new IOException(internalName + ": unknown constant pool tag " + tag);
        }
      }
    }
    return strings;
  }

  /** Internal names of the classes in the package of {@code anchor} (compiled to a folder). */
  static List<String> packageClasses(Class<?> anchor) throws IOException, URISyntaxException {
    Path dir = Path.of(anchor.getResource(anchor.getSimpleName() + ".class").toURI()).getParent();
    String prefix = anchor.getPackageName().replace('.', '/') + "/";
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".class")).map(f -> prefix + f.substring(0, f.length() - 6)).sorted().toList();
    }
  }

  /** Forbidden names found, by class, over the transitive closure from {@code roots}. */
  static Map<String, Set<String>> scan(List<String> roots, Set<String> visited) throws IOException {
    Map<String, Set<String>> found = new TreeMap<>();
    Deque<String> queue = new ArrayDeque<>(roots);
    while (!queue.isEmpty()) {
      String name = queue.pop();
      if (!visited.add(name)) {
        continue;
      }
      for (String s : constantPoolStrings(name)) {
        for (String bad : FORBIDDEN) {
          if (s.contains(bad)) {
            found.computeIfAbsent(name, k -> new TreeSet<>()).add(bad);
          }
        }
        Matcher m = TYPE.matcher(s);
        while (m.find()) {
          String ref = m.group();
          if (FOLLOWED.stream().anyMatch(ref::startsWith)) {
            queue.push(ref);
          }
        }
      }
    }
    return found;
  }

  @Test
  void cloudSideClassesNeverReferenceTheSecretKeyApi() throws Exception {
    Set<String> visited = new TreeSet<>();
    Map<String, Set<String>> found = scan(packageClasses(InferCommand.class), visited);
    assertEquals(Map.of(), found, "the cloud side must not reference the secret-key API");
    // The scan must actually have followed the references the cloud depends on.
    for (String expected : List.of("org/cryptonets/app/cloud/InferCommand", "org/cryptonets/inference/parties/EvaluationKeysFile", "org/cryptonets/inference/parties/CloudInference",
        "org/cryptonets/inference/parties/EncryptedImagesFile$Reader", "org/cryptonets/inference/EncryptedCryptoNet", "org/cryptonets/app/Cli")) {
      assertTrue(visited.contains(expected), "not scanned: " + expected + " (scanned " + visited + ")");
    }
    assertFalse(visited.contains("org/cryptonets/app/Main"), "the dispatcher is not part of the cloud side");
  }

  @Test
  void theScanFindsSecretKeyUseWhereThereIs() throws Exception {
    // Guards the guard: on the owner side the same scan must find what it looks for.
    Map<String, Set<String>> found = scan(List.of("org/cryptonets/app/owner/DecryptCommand"), new TreeSet<>());
    // DecryptCommand decrypts through the owner-side library API, which holds the Decryptor
    assertTrue(found.getOrDefault("org/cryptonets/app/owner/DecryptCommand", Set.of()).contains("org/cryptonets/inference/DataOwner"), found.toString());
    assertTrue(found.getOrDefault("org/cryptonets/app/owner/OwnerKeys", Set.of()).contains("org/cryptonets/bfv/SecretKey"), found.toString());
  }
}
