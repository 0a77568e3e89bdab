package io.rqst.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The {@code openssl} command for interoperability tests, and copies of the manual's OpenSSL CA to change. */
public final class Openssl {
    /** How an openssl command ended: its exit code and its output (stdout and stderr). */
    public record Run(int code, String out) {}

    private Openssl() {}

    /** Runs {@code openssl ARGS} in {@code dir}. */
    public static Run run(Path dir, String... args) {
        List<String> argv = new ArrayList<>(List.of("openssl"));
        argv.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl did not finish");
            return new Run(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code openssl ARGS} in {@code dir}, requires exit code 0, returns the output. */
    public static String ok(Path dir, String... args) {
        Run r = run(dir, args);
        assertEquals(0, r.code(), () -> "openssl " + String.join(" ", args) + ":\n" + r.out());
        return r.out();
    }

    /**
     * Copies a CA made by {@code manual-pki.sh} to {@code to}, with its {@code openssl.cfg} pointing at the copy,
     * so that {@code openssl ca} can revoke in the copy without touching the original (shared by other tests).
     */
    public static Path copyManualPki(Path from, Path to) {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
            Path cfg = to.resolve("openssl.cfg");
            Files.writeString(cfg, Files.readString(cfg).replace(from.toString(), to.toString()));
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
