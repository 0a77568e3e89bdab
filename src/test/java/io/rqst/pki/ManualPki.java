package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PKI made by {@code src/test/resources/pki/manual-pki.sh} (the RQST manual's §3 with OpenSSL) in a temporary
 * directory. {@link #shared()} builds it once per test JVM; the directory is removed when the JVM exits.
 *
 * @param dir    the OUTDIR given to the script
 * @param output what the script printed (stdout and stderr)
 */
record ManualPki(Path dir, String output) {
    private static ManualPki shared;

    /** The PKI with the manual's defaults, shared by all test classes. */
    static synchronized ManualPki shared() throws IOException, InterruptedException {
        if (shared == null) {
            shared = build(Map.of());
        }
        return shared;
    }

    /** Runs the script into a fresh temporary directory with extra environment variables. */
    static ManualPki build(Map<String, String> environment) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("rqst-manual-pki-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        Path script;
        try {
            script = Path.of(ManualPki.class.getResource("/pki/manual-pki.sh").toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        // resources lose their executable bit when Maven copies them, so run it with bash
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), dir.toString())
                .redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), () -> "manual-pki.sh failed:\n" + output);
        return new ManualPki(dir, output);
    }

    Path path(String relative) {
        return dir.resolve(relative);
    }

    /** The manual CA's certificate (certs/ca.crt). */
    List<X509Certificate> ca() throws PkiException {
        return Pem.readCertificates(path("certs/ca.crt"));
    }

    /** The only certificate in a file. */
    X509Certificate cert(String relative) throws PkiException {
        List<X509Certificate> certs = Pem.readCertificates(path(relative));
        assertEquals(1, certs.size(), relative);
        return certs.getFirst();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }
}
