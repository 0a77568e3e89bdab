package io.rqst.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** A fingerprint of a directory tree, to prove a failed command left it exactly as it was. */
public final class Trees {
    private Trees() {}

    /** SHA-256 over every path (relative, sorted), its mode, and every file's content; "absent" if there is no tree. */
    public static String fingerprint(Path root) throws IOException {
        if (!Files.exists(root)) {
            return "absent";
        }
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> paths = walk.sorted().toList();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path p : paths) {
                sha.update((root.relativize(p) + "\0" + PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) + "\0").getBytes(StandardCharsets.UTF_8));
                if (Files.isRegularFile(p)) {
                    sha.update(Files.readAllBytes(p));
                }
            }
            return HexFormat.of().formatHex(sha.digest()) + " (" + paths.size() + " entries)";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return the mode of a file as {@code rwx------}} */
    public static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
