package org.cryptonets.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The envelope both model formats share ({@link CryptoNetModel}'s and {@link NetworkFile}'s): 8
 * bytes of magic, a u32 format version, a u32 total length, the body, and a CRC-32C of everything
 * before it, little-endian. {@link #open} checks, in this order, the minimum length, the magic, the
 * version, the declared length and the checksum, and only then hands out the body.
 *
 * <p>Stateless; thread-safe. Throws {@link ModelFormatException} naming the file.
 */
final class ChecksummedFile {
    /** Magic, version and length. */
    static final int HEADER_BYTES = 8 + 4 + 4;
    /** The trailing CRC-32C. */
    static final int CHECKSUM_BYTES = 4;

    private ChecksummedFile() {
    }

    /**
     * The bytes of a model file, refused before reading if it is not a regular file (a FIFO would
     * block, a device never end) or larger than {@code maxBytes}.
     *
     * @param what what the file should be, for messages (e.g. "network file")
     * @throws ModelFormatException naming the file and what was found
     */
    static byte[] readFile(Path file, String what, long maxBytes) {
        try {
            if (Files.isDirectory(file)) {
                throw new ModelFormatException(file + ": expected a " + what + ", found a folder");
            }
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw new ModelFormatException(file + ": expected a " + what + ", found a FIFO, device or other special file");
            }
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new ModelFormatException(file + ": expected a " + what + " of at most " + maxBytes + " bytes, found " + size + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": expected a " + what + ", found no such file", e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e, e);
        }
    }

    /**
     * The body of a verified file: a little-endian buffer positioned after the header, whose limit
     * is the start of the checksum.
     *
     * @param what what the file should be, for messages (e.g. "CryptoNet model")
     * @param minimum the smallest valid file, in bytes
     * @throws ModelFormatException for any failed check
     */
    static ByteBuffer open(byte[] bytes, String name, String magic, int version, String what, int minimum) {
        if (bytes.length < minimum) {
            throw new ModelFormatException(name + ": truncated: expected at least " + minimum + " bytes, found " + bytes.length);
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] found = new byte[8];
        in.get(found);
        if (!Arrays.equals(found, magic.getBytes(StandardCharsets.US_ASCII))) {
            throw new ModelFormatException(name + ": not a " + what + ": expected magic \"" + magic + "\", found " + printable(found));
        }
        int foundVersion = in.getInt();
        if (foundVersion != version) {
            throw new ModelFormatException(name + ": unsupported format version: expected " + version + ", found "
                    + Integer.toUnsignedString(foundVersion));
        }
        long declared = Integer.toUnsignedLong(in.getInt());
        if (declared != bytes.length) {
            throw new ModelFormatException(name + ": header declares " + declared + " bytes, found " + bytes.length
                    + (bytes.length < declared ? " (truncated)" : " (trailing data)"));
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - CHECKSUM_BYTES);
        long stored = Integer.toUnsignedLong(ByteBuffer.wrap(bytes, bytes.length - CHECKSUM_BYTES, CHECKSUM_BYTES)
                .order(ByteOrder.LITTLE_ENDIAN).getInt());
        if (crc.getValue() != stored) {
            throw new ModelFormatException(name + ": checksum mismatch (corrupted file): expected CRC-32C "
                    + String.format("0x%08X", stored) + ", computed " + String.format("0x%08X", crc.getValue()));
        }
        return in;
    }

    /** Bytes as ASCII where printable, {@code \xNN} otherwise, in quotes. */
    static String printable(byte[] bytes) {
        StringBuilder text = new StringBuilder("\"");
        for (byte b : bytes) {
            text.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02X", b & 0xFF));
        }
        return text.append('"').toString();
    }
}
