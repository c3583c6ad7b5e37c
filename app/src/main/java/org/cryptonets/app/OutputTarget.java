package org.cryptonets.app;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.bfv.io.BfvFileFormat;
import org.cryptonets.bfv.io.ObjectType;

/**
 * An output file a command is about to write, checked and claimed before any work starts:
 * <ul>
 *   <li>its folder exists and is writable, and the target is not a folder;</li>
 *   <li>it is not one of the command's inputs (same file after resolving links);</li>
 *   <li>it is never a secret key, even with {@code --force} (a secret key lost is every ciphertext
 *       made under it lost);</li>
 *   <li>an existing file is replaced only with {@code --force};</li>
 *   <li>no other process is writing it: a lock on {@code .NAME.lock} beside it is held until
 *       {@link #close()}, so two runs aimed at one file cannot both succeed with one result lost.</li>
 * </ul>
 * The file itself is still written by the caller to a temporary name and moved into place, so a
 * failed command leaves no partial output.
 *
 * <p>Not thread-safe; one per output. {@link #claim} throws {@link UsageError}
 * naming the option and the reason.
 */
public final class OutputTarget implements AutoCloseable {
  private final Path file;
  private final Path lockFile;
  private final FileChannel channel;
  private final FileLock lock;

  private OutputTarget(Path file, Path lockFile, FileChannel channel, FileLock lock) {
    this.file = file;
    this.lockFile = lockFile;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Checks and locks {@code file}, the value of {@code option}.
   *
   * @param inputs the files the command reads (none may be the output)
   * @throws UsageError if the target cannot or must not be written
   */
  public static OutputTarget claim(String command, String option, Path file, boolean force, List<Path> inputs) {
    Path absolute = file.toAbsolutePath().normalize();
    Path folder = absolute.getParent();
    String what = command + ": " + option + " " + file;
    if (folder == null || !Files.isDirectory(folder)) {
      throw new UsageError(what + ": folder " + folder + " does not exist");
    }
    if (!Files.isWritable(folder)) {
      throw new UsageError(what + ": folder " + folder + " is not writable");
    }
    if (Files.isDirectory(absolute)) {
      throw new UsageError(what + " is a folder; expected a file name");
    }
    for (Path input : inputs) {
      if (input != null && sameFile(absolute, input)) {
        throw new UsageError(what + " is also an input of the command (" + input + "); write the output elsewhere");
      }
    }
    if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
      if (isSecretKey(absolute)) {
        throw new UsageError(what + " is a secret key; it is never overwritten (everything encrypted under it could no longer be decrypted)");
      }
      if (!Files.isRegularFile(absolute)) {
        throw new UsageError(what + " exists and is not a regular file");
      }
      if (!force) {
        throw new UsageError(what + " exists; pass --force to replace it");
      }
    }
    Path lockFile = folder.resolve("." + absolute.getFileName() + ".lock");
    FileChannel channel = null;
    try {
      channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        throw new UsageError(what + ": another process is writing it (" + lockFile + " is locked); wait for it or choose another file");
      }
      return new OutputTarget(absolute, lockFile, channel, lock);
    } catch (IOException e) {
      try {
        if (channel != null) {
          channel.close();
        }
      } catch (IOException ignored) {
        // the original failure is the one to report
      }
      throw new UsageError(what + ": cannot lock it for writing: " + e.getMessage());
    }
  }

  /** The target, absolute. */
  public Path file() {
    return file;
  }

  /** Releases the lock and removes the lock file. */
  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
      Files.deleteIfExists(lockFile);
    } catch (IOException ignored) {
      // a stale lock file holds no lock: the next run takes it
    }
  }

  private static boolean sameFile(Path output, Path input) {
    try {
      return Files.exists(input) && Files.exists(output) ? Files.isSameFile(output, input)
          : output.equals(input.toAbsolutePath().normalize());
    } catch (IOException e) {
      return output.equals(input.toAbsolutePath().normalize());
    }
  }

  /**
   * Whether {@code file} holds a secret key: named like the owner's key file, or a BFV file whose
   * second record is a secret key (reads two record headers, nothing more).
   */
  static boolean isSecretKey(Path file) {
    if (file.getFileName().toString().equals(PartyFiles.SECRET_KEY_FILE)) {
      return true;
    }
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      byte[] header = new byte[BfvFileFormat.HEADER_BYTES];
      if (in.length() < 2L * header.length) {
        return false;
      }
      in.readFully(header);
      if (!Arrays.equals(Arrays.copyOf(header, 8), BfvFileFormat.magic())) {
        return false;
      }
      long payload = ByteBuffer.wrap(header, 44, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      long next = BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES;
      if (payload < 0 || next + header.length > in.length()) {
        return false;
      }
      in.seek(next);
      in.readFully(header);
      int type = ByteBuffer.wrap(header, 10, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
      return type == ObjectType.SECRET_KEY.code();
    } catch (IOException e) {
      return false;
    }
  }
}
