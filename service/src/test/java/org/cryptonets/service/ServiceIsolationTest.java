package org.cryptonets.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
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
 * The service is the cloud: its compiled classes, and every class of the service and inference
 * packages they reach, must not mention the secret-key API in their constant pools (the same check
 * as the app's CloudIsolationTest, on this module's class files).
 */
class ServiceIsolationTest {
  static final List<String> FORBIDDEN = List.of("org/cryptonets/bfv/SecretKey", "org/cryptonets/bfv/KeyGenerator", "org/cryptonets/bfv/Decryptor",
      "org/cryptonets/inference/DataOwner");
  static final List<String> FOLLOWED = List.of("org/cryptonets/service/", "org/cryptonets/inference/");
  static final Pattern TYPE = Pattern.compile("org/cryptonets/[A-Za-z0-9_/$]+");

  static List<String> constantPoolStrings(String internalName) throws IOException {
    List<String> strings = new ArrayList<>();
    try (InputStream raw = ServiceIsolationTest.class.getClassLoader().getResourceAsStream(internalName + ".class")) {
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

  /** The service's main classes (the folder InferenceServer.class was compiled to). */
  static List<String> serviceClasses() throws Exception {
    Path dir = Path.of(InferenceServer.class.getResource("InferenceServer.class").toURI()).getParent();
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".class"))
          .map(f -> "org/cryptonets/service/" + f.substring(0, f.length() - 6)).sorted().toList();
    }
  }

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
  void serviceClassesNeverReferenceTheSecretKeyApi() throws Exception {
    List<String> roots = serviceClasses();
    assertTrue(roots.contains("org/cryptonets/service/InferenceServer") && !roots.contains("org/cryptonets/service/TestOwner"), roots.toString());
    Set<String> visited = new TreeSet<>();
    assertEquals(Map.of(), scan(roots, visited), "the service must not reference the secret-key API");
    for (String expected : List.of("org/cryptonets/service/InferenceService", "org/cryptonets/service/ServiceClient",
        "org/cryptonets/inference/parties/CloudInference", "org/cryptonets/inference/parties/EncryptedImagesFile$Reader",
        "org/cryptonets/inference/parties/EvaluationKeysFile", "org/cryptonets/inference/LoadedModel", "org/cryptonets/inference/EncryptedCryptoNet")) {
      assertTrue(visited.contains(expected), "not scanned: " + expected);
    }
  }

  @Test
  void theScanFindsSecretKeyUseWhereThereIs() throws Exception {
    // the tests' data owner decrypts: the same scan must find it
    Map<String, Set<String>> found = scan(List.of("org/cryptonets/service/TestOwner"), new TreeSet<>());
    assertTrue(found.getOrDefault("org/cryptonets/service/TestOwner", Set.of()).containsAll(List.of("org/cryptonets/bfv/KeyGenerator",
        "org/cryptonets/inference/DataOwner")), found.toString());
  }
}
