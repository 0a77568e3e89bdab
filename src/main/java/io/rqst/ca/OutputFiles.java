package io.rqst.ca;

import io.rqst.pki.AtomicFiles;
import io.rqst.pki.PkiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Files {@code rqst ca} hands out (keys, certificates, bundles, PKCS#12): never overwritten by surprise. A file
 * that exists already is refused unless {@code --force}, except one that holds exactly what would be written
 * (the same {@code ca.crt} again).
 */
public final class OutputFiles {
    /**
     * A file to write.
     *
     * @param path        where
     * @param content     what; null while not known yet (then only its absence can be checked)
     * @param permissions its mode, e.g. {@link AtomicFiles#PRIVATE} for a key
     */
    public record Output(Path path, byte[] content, Set<PosixFilePermission> permissions) {}

    private OutputFiles() {}

    /**
     * Refuses if one of the files cannot be written where it goes (its place is a directory, or its directory is a
     * file, missing under one, or not writable), or exists (with other content, or content not known yet), unless
     * {@code force}. Callers check before they change anything (the CA's register), so that a command that fails
     * changes nothing.
     *
     * @throws PkiException naming the first such file
     */
    public static void check(List<Output> outputs, boolean force) throws PkiException {
        for (Output o : outputs) {
            checkPlace(o.path());
        }
        if (force) {
            return;
        }
        for (Output o : outputs) {
            if (Files.exists(o.path()) && !sameContent(o)) {
                throw new PkiException(o.path() + ": exists already; refusing to overwrite it (use --force, or --out"
                        + " elsewhere)");
            }
        }
    }

    /**
     * Writes the files (creating their directory if needed), each atomically, after {@link #check}.
     *
     * @throws PkiException if one exists and {@code force} is not given
     */
    private static void checkPlace(Path file) throws PkiException {
        Path path = file.toAbsolutePath().normalize();
        if (Files.isDirectory(path)) {
            throw new PkiException(file + ": is a directory; name a file to write");
        }
        Path dir = path.getParent();
        while (dir != null && !Files.exists(dir)) {
            dir = dir.getParent(); // made by write(), if its nearest existing ancestor lets it
        }
        if (dir == null) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new PkiException(file + ": cannot be written: " + dir + " is a file, not a directory");
        }
        if (!Files.isWritable(dir)) {
            throw new PkiException(file + ": cannot be written: directory " + dir + " is not writable (permissions, or a read-only file system)");
        }
    }

    public static void write(List<Output> outputs, boolean force) throws IOException, PkiException {
        check(outputs, force);
        for (Output o : outputs) {
            Path parent = o.path().toAbsolutePath().getParent();
            Files.createDirectories(parent);
            if (!force && Files.exists(o.path()) && sameContent(o)) {
                continue;
            }
            AtomicFiles.write(o.path(), o.content(), o.permissions());
        }
    }

    private static boolean sameContent(Output o) {
        if (o.content() == null) {
            return false;
        }
        try {
            return Arrays.equals(Files.readAllBytes(o.path()), o.content());
        } catch (IOException e) {
            return false;
        }
    }
}
