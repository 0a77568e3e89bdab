package io.rqst.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes files so that a reader (or a crash) sees the old content or the new, never a part: a temporary file in
 * the same directory, created with its final permissions, written and synced, then renamed over the target; the
 * directory is synced too. For keys, certificates, CRLs and the CA's register.
 */
public final class AtomicFiles {
    /** Owner read/write only: private keys and files that hold them. */
    public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    /** Readable by everyone: certificates and CRLs. */
    public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    private AtomicFiles() {}

    /** Writes {@code text} (UTF-8) to {@code file}; see {@link #write(Path, byte[], Set)}. */
    public static void write(Path file, String text, Set<PosixFilePermission> permissions) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8), permissions);
    }

    /**
     * Replaces (or creates) {@code file} with {@code content}, atomically, with the given permissions (exactly:
     * the umask does not apply).
     *
     * @throws IOException if the directory is missing or not writable; nothing is left behind then
     */
    public static void write(Path file, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(permissions));
        try {
            Files.setPosixFilePermissions(temp, permissions); // createTempFile's attribute is subject to the umask
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        syncDirectory(dir);
    }

    /** Makes a rename or a new file in {@code dir} durable (Linux: fsync on the directory). */
    public static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // not every file system lets a directory be synced; the rename itself is still atomic
        }
    }
}
