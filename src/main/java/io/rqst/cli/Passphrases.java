package io.rqst.cli;

import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Where a passphrase comes from, never the command line (other users see it in {@code ps}, shells keep it in
 * their history): {@code --passphrase-file FILE} (its first line), else an environment variable, else a prompt
 * on the terminal (asked twice for a new passphrase). Without any of them, one line says what to do.
 */
final class Passphrases {
    /** The CA key's passphrase. */
    static final String CA_ENV = "RQST_CA_PASSPHRASE";
    /** A PKCS#12 export's passphrase. */
    static final String P12_ENV = "RQST_P12_PASSPHRASE";
    /** Shortest new passphrase. */
    static final int MIN_LENGTH = 8;

    /** Reads environment variables; tests replace it. */
    static Function<String, String> environment = System::getenv;

    private Passphrases() {}

    /**
     * A passphrase.
     *
     * @param file   {@code --passphrase-file}, or null
     * @param envVar the environment variable to look at next
     * @param what   what it protects, for the prompt and messages ("the CA key")
     * @param isNew  a new passphrase: asked twice at the terminal, and at least {@link #MIN_LENGTH} characters
     */
    static char[] read(Path file, String envVar, String what, boolean isNew) {
        char[] passphrase;
        String source;
        if (file != null) {
            passphrase = firstLine(file);
            source = file.toString();
        } else if (environment.apply(envVar) != null && !environment.apply(envVar).isEmpty()) {
            passphrase = environment.apply(envVar).toCharArray();
            source = "$" + envVar;
        } else {
            Console console = System.console();
            if (console == null || !console.isTerminal()) {
                throw new Main.UsageError("no passphrase for " + what + ": give --passphrase-file FILE or set " + envVar
                        + " (there is no terminal to ask on)");
            }
            passphrase = console.readPassword("Passphrase for %s: ", what);
            if (passphrase == null) {
                throw new Main.UsageError("no passphrase for " + what + " was typed");
            }
            if (isNew) {
                char[] again = console.readPassword("The same passphrase again: ");
                if (again == null || !Arrays.equals(passphrase, again)) {
                    throw new Main.UsageError("the two passphrases for " + what + " differ; nothing was changed");
                }
            }
            source = "the terminal";
        }
        if (passphrase.length == 0) {
            throw new Main.UsageError("the passphrase for " + what + " from " + source + " is empty");
        }
        if (isNew && passphrase.length < MIN_LENGTH) {
            throw new Main.UsageError("the passphrase for " + what + " from " + source + " is too short (at least "
                    + MIN_LENGTH + " characters)");
        }
        return passphrase;
    }

    private static char[] firstLine(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new Main.UsageError(file + ": no such file (--passphrase-file)");
        } catch (AccessDeniedException e) {
            throw new Main.UsageError(file + ": permission denied (--passphrase-file)");
        } catch (IOException e) {
            throw new Main.UsageError(file + ": cannot be read (" + e.getMessage() + ")");
        }
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        return line.toCharArray();
    }
}
