package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report is written whole or not at all, and a failed move leaves no temporary file behind. */
class ReportFileTest {
  @TempDir
  Path tmp;

  @Test
  void aReportThatCannotBeMovedIntoPlaceLeavesNoTemporaryFile() throws Exception {
    Path blocked = tmp.resolve("r.json");
    Files.createDirectories(blocked.resolve("inside")); // a non-empty folder: the move onto it fails
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Main.writeReport(Map.of("images", 1), blocked));
    assertTrue(e.getMessage().contains("cannot write report"), e.getMessage());
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(blocked), s.toList(), "only the blocking folder remains");
    }
  }

  @Test
  void aReportIsWrittenWhole() throws Exception {
    Path report = tmp.resolve("r.json");
    Main.writeReport(Map.of("images", 8192), report);
    assertTrue(Files.readString(report).contains("\"images\""));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(report), s.toList());
    }
  }
}
