package io.rqst.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Loud warnings that must not be missed. */
final class Warnings {
    private Warnings() {}

    /** Warns (one line, not a refusal) if {@code file} can be read by users other than its owner. */
    static void readableByOthers(Path file, String why) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
                System.err.println("warning: " + file + " can be read by other users (" + PosixFilePermissions.toString(mode)
                        + ") and " + why + ": chmod 600 " + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // nothing to say
        }
    }

    static void testMode(String side, String consequence) {
        System.err.println("*******************************************************************************");
        System.err.println("* WARNING: -d: certificate verification is OFF on this " + side + ".");
        System.err.println("* " + consequence + ".");
        System.err.println("* Traffic is still encrypted. Use this only to test; see 'rqst " + side + " --help'.");
        System.err.println("*******************************************************************************");
    }
}
