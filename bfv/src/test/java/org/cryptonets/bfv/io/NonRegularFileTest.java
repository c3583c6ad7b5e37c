package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.io.SerializationException.Code;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loaders accept regular files only, and say so before opening anything else: a FIFO without a
 * writer would block the open forever, a device such as /dev/zero is endless (and was reported as
 * truncated), a folder is not a file at all.
 */
class NonRegularFileTest {
  @TempDir
  Path tmp;

  /** Opens and reads a parameters record in another thread, so a blocking open cannot hang the build. */
  static SerializationException refusal(Path file) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "open " + file);
      t.setDaemon(true);
      return t;
    });
    try {
      Future<Throwable> f = pool.submit(() -> {
        try (BfvFileReader r = BfvFileReader.open(file)) {
          r.readParameters();
          return null;
        } catch (Throwable e) {
          return e;
        }
      });
      Throwable e;
      try {
        e = f.get(10, TimeUnit.SECONDS);
      } catch (TimeoutException hung) {
        throw new AssertionError("opening " + file + " did not return within 10 s (a FIFO without a writer blocks the open)", hung);
      }
      assertTrue(e instanceof SerializationException, "expected a SerializationException, found " + e);
      return (SerializationException) e;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFifoIsRefusedBeforeItIsOpened() throws Exception {
    Path fifo = tmp.resolve("results.bin");
    Process p;
    try {
      p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      assumeTrue(false, "no mkfifo here: " + e);
      return;
    }
    assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
    try {
      SerializationException e = refusal(fifo);
      assertEquals(Code.NOT_A_REGULAR_FILE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains(fifo + ": expected a regular file, found a FIFO"), e.getMessage());
    } finally {
      // Release a reader that did block in open(): opening read-write never blocks on Linux.
      new RandomAccessFile(fifo.toFile(), "rw").close();
    }
  }

  @Test
  void aDeviceIsRefusedNotReportedAsTruncated() throws Exception {
    Path zero = Path.of("/dev/zero");
    assumeTrue(Files.exists(zero), "no /dev/zero here");
    SerializationException e = refusal(zero);
    assertEquals(Code.NOT_A_REGULAR_FILE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("/dev/zero: expected a regular file, found a character device"), e.getMessage());
  }

  @Test
  void aFolderIsRefused() throws Exception {
    SerializationException e = refusal(tmp);
    assertEquals(Code.NOT_A_REGULAR_FILE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(tmp + ": expected a regular file, found a folder"), e.getMessage());
  }

  @Test
  void aMissingFileIsStillAnInputOutputError() throws Exception {
    SerializationException e = refusal(tmp.resolve("missing.bin"));
    assertEquals(Code.IO_ERROR, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
  }

  @Test
  void aLinkToARegularFileIsFollowed() throws Exception {
    BfvParameters params = IoFixtures.toy();
    Path file = tmp.resolve("params.bin");
    Files.write(file, HostileInputTest.bytes(w -> w.writeParameters(params)));
    Path link = tmp.resolve("link.bin");
    try {
      Files.createSymbolicLink(link, file);
    } catch (UnsupportedOperationException | java.io.IOException e) {
      assumeTrue(false, "no symbolic links here: " + e);
    }
    try (BfvFileReader r = BfvFileReader.open(link)) {
      assertEquals(params, r.readParameters());
      r.finish();
    }
  }
}
