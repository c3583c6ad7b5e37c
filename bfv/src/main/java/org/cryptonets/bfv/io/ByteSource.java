package org.cryptonets.bfv.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Random-access bytes a reader parses: a file or an array. Reads are positional so a record can be
 * checksummed in one pass and parsed in a second without reopening anything.
 *
 * <p>Not thread-safe.
 */
interface ByteSource extends AutoCloseable {
  /** Total bytes. */
  long size() throws IOException;

  /** Fills {@code dst} from {@code position} as far as the data goes; returns the bytes read (-1 at the end). */
  int read(long position, ByteBuffer dst) throws IOException;

  /** The name used in error messages. */
  String name();

  @Override
  void close() throws IOException;

  static ByteSource of(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    return new ByteSource() {
      @Override
      public long size() throws IOException {
        return channel.size();
      }

      @Override
      public int read(long position, ByteBuffer dst) throws IOException {
        return channel.read(dst, position);
      }

      @Override
      public String name() {
        return file.toString();
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    };
  }

  static ByteSource of(byte[] content, String name) {
    return new ByteSource() {
      @Override
      public long size() {
        return content.length;
      }

      @Override
      public int read(long position, ByteBuffer dst) {
        if (position >= content.length) {
          return -1;
        }
        int n = (int) Math.min(dst.remaining(), content.length - position);
        dst.put(content, (int) position, n);
        return n;
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public void close() {}
    };
  }
}
