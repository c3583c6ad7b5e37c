package org.cryptonets.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/**
 * Minimal streaming reader for gzip-compressed tar archives as written by {@code npm pack}:
 * POSIX ustar headers (with the {@code prefix} field), pax extended headers ({@code path=}) and
 * GNU long names. It exists so the module needs no archive library for one eleven-megabyte file.
 *
 * <p>Not thread-safe; one instance reads one stream once. Throws {@link IOException} for I/O errors
 * and for malformed archives (bad header checksum, truncated entry).
 */
final class TarGzReader {
    /** Receives each regular file; it may read {@code content} (exactly the entry's bytes) or not. */
    interface EntryVisitor {
        void visit(String name, long size, InputStream content) throws IOException;
    }

    private static final int BLOCK = 512;

    private final InputStream in;

    TarGzReader(InputStream gzipped) throws IOException {
        this.in = new GZIPInputStream(gzipped, 1 << 16);
    }

    void forEachFile(EntryVisitor visitor) throws IOException {
        byte[] header = new byte[BLOCK];
        String pendingLongName = null;
        while (true) {
            if (!readBlock(header)) {
                return; // archives may end without the two zero blocks
            }
            if (isZero(header)) {
                return;
            }
            checkHeaderChecksum(header);
            String name = headerName(header);
            long size = parseSize(header);
            char type = (char) header[156];
            if (type == 'x' || type == 'L') {
                byte[] extended = readFully(size);
                skipPadding(size);
                String longName = type == 'L'
                        ? cString(extended, 0, extended.length)
                        : paxPath(extended);
                if (longName != null) {
                    pendingLongName = longName;
                }
                continue;
            }
            if (type == 'g') { // global pax header: no per-entry meaning for us
                skipFully(size);
                skipPadding(size);
                continue;
            }
            if (pendingLongName != null) {
                name = pendingLongName;
                pendingLongName = null;
            }
            if (type == '0' || type == '\0' || type == '7') {
                BoundedInputStream content = new BoundedInputStream(in, size);
                visitor.visit(name, size, content);
                skipFully(content.remaining());
            } else {
                skipFully(size);
            }
            skipPadding(size);
        }
    }

    private boolean readBlock(byte[] block) throws IOException {
        int read = in.readNBytes(block, 0, BLOCK);
        if (read == 0) {
            return false;
        }
        if (read < BLOCK) {
            throw new EOFException("tar archive truncated inside a header block");
        }
        return true;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static void checkHeaderChecksum(byte[] header) throws IOException {
        long stored = parseOctal(header, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xFF);
        }
        if (sum != stored) {
            throw new IOException("tar header checksum mismatch: expected " + stored + ", computed " + sum);
        }
    }

    private static String headerName(byte[] header) {
        String name = cString(header, 0, 100);
        boolean ustar = "ustar".equals(cString(header, 257, 6).trim());
        if (ustar) {
            String prefix = cString(header, 345, 155);
            if (!prefix.isEmpty()) {
                return prefix + "/" + name;
            }
        }
        return name;
    }

    private static long parseSize(byte[] header) throws IOException {
        if ((header[124] & 0x80) != 0) { // GNU base-256 for sizes of 8 GiB and more
            long value = 0;
            for (int i = 125; i < 136; i++) {
                value = (value << 8) | (header[i] & 0xFF);
            }
            return value;
        }
        return parseOctal(header, 124, 12);
    }

    private static long parseOctal(byte[] header, int offset, int length) throws IOException {
        long value = 0;
        int end = offset + length;
        int i = offset;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        for (; i < end && header[i] != 0 && header[i] != ' '; i++) {
            int digit = header[i] - '0';
            if (digit < 0 || digit > 7) {
                throw new IOException("tar header: invalid octal digit at offset " + i);
            }
            value = (value << 3) | digit;
        }
        return value;
    }

    private static String paxPath(byte[] records) {
        // Records are "<length> <key>=<value>\n"; the length counts the whole record.
        String text = new String(records, StandardCharsets.UTF_8);
        int position = 0;
        String path = null;
        while (position < text.length()) {
            int space = text.indexOf(' ', position);
            if (space < 0) {
                break;
            }
            int length;
            try {
                length = Integer.parseInt(text.substring(position, space));
            } catch (NumberFormatException e) {
                break;
            }
            if (length <= 0 || position + length > text.length()) {
                break;
            }
            String record = text.substring(space + 1, position + length - 1);
            if (record.startsWith("path=")) {
                path = record.substring("path=".length());
            }
            position += length;
        }
        return path;
    }

    private static String cString(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    private byte[] readFully(long size) throws IOException {
        if (size > (1 << 20)) {
            throw new IOException("tar extended header too large: " + size + " bytes");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length != size) {
            throw new EOFException("tar archive truncated inside an extended header");
        }
        return data;
    }

    private void skipFully(long size) throws IOException {
        long remaining = size;
        while (remaining > 0) {
            long skipped = in.skip(remaining);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("tar archive truncated inside an entry");
                }
                skipped = 1;
            }
            remaining -= skipped;
        }
    }

    private void skipPadding(long size) throws IOException {
        long padding = (BLOCK - size % BLOCK) % BLOCK;
        skipFully(padding);
    }

    /** Exposes exactly {@code limit} bytes of the archive, so a visitor cannot read past its entry. */
    private static final class BoundedInputStream extends InputStream {
        private final InputStream delegate;
        private long remaining;

        BoundedInputStream(InputStream delegate, long limit) {
            this.delegate = delegate;
            this.remaining = limit;
        }

        long remaining() {
            return remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = delegate.read();
            if (b < 0) {
                throw new EOFException("tar archive truncated inside an entry");
            }
            remaining--;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int read = delegate.read(buffer, offset, (int) Math.min(length, remaining));
            if (read < 0) {
                throw new EOFException("tar archive truncated inside an entry");
            }
            remaining -= read;
            return read;
        }

        @Override
        public void close() {
            // the archive stream belongs to the reader, not to the visitor
        }
    }
}
