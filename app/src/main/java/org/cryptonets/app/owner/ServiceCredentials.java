package org.cryptonets.app.owner;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cryptonets.app.UsageError;

/**
 * What the owner's service commands keep beside the owner's keys: for each server, the key id its
 * evaluation keys were registered under and the client token it issued, in {@value #FILE}
 * ({@code {"servers": {"URL": {"key_id": ..., "token": ...}}}}), readable by the owner only like
 * the secret key (the token is what lets anyone fetch the owner's results).
 *
 * <p>Stateless; thread-safe for distinct folders. Throws {@link UsageError} for a file that is not
 * this JSON, and {@link IllegalStateException} when it cannot be written.
 */
public final class ServiceCredentials {
  /** The file's name in the keys folder. */
  public static final String FILE = "service.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A registration on one server. */
  public record Entry(String keyId, String token) {
  }

  private ServiceCredentials() {}

  /** The registration on {@code server} kept in {@code keysDir}, or null. */
  public static Entry load(Path keysDir, String server) {
    Map<String, Map<String, String>> all = readAll(keysDir);
    Map<String, String> e = all.get(server);
    if (e == null || e.get("key_id") == null || e.get("token") == null) {
      return null;
    }
    return new Entry(e.get("key_id"), e.get("token"));
  }

  private static Map<String, Map<String, String>> readAll(Path keysDir) {
    Path file = keysDir.resolve(FILE);
    if (!Files.exists(file)) {
      return new LinkedHashMap<>();
    }
    try {
      Map<String, Map<String, Map<String, String>>> root = JSON.readValue(file.toFile(), new TypeReference<>() { });
      Map<String, Map<String, String>> servers = root == null ? null : root.get("servers");
      return servers == null ? new LinkedHashMap<>() : new LinkedHashMap<>(servers);
    } catch (IOException e) {
      throw new UsageError(file + " is not the service registrations file the submit command writes (" + e.getMessage()
          + "); delete it to register the keys again");
    }
  }

  /** Keeps the registration on {@code server}, replacing any earlier one (atomically, owner-only). */
  public static void save(Path keysDir, String server, Entry entry) {
    Map<String, Map<String, String>> all = readAll(keysDir);
    Map<String, String> e = new LinkedHashMap<>();
    e.put("key_id", entry.keyId());
    e.put("token", entry.token());
    all.put(server, e);
    Path file = keysDir.resolve(FILE);
    Path temp = null;
    try {
      if (Files.getFileStore(keysDir).supportsFileAttributeView("posix")) {
        temp = Files.createTempFile(keysDir, "." + FILE + "-", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        temp = Files.createTempFile(keysDir, "." + FILE + "-", ".tmp");
      }
      JSON.writerWithDefaultPrettyPrinter().writeValue(temp.toFile(), Map.of("servers", all));
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
    } catch (IOException ex) {
      throw new IllegalStateException("cannot write " + file + ": " + ex.getMessage(), ex);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // the original failure is what the user needs to see
        }
      }
    }
  }
}
