package io.rqst.transport;

import io.netty.handler.codec.quic.BoringSSLKeylog;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends TLS secrets in the NSS key log format to the file named by {@code SSLKEYLOGFILE}, so that
 * Wireshark can decrypt captured QUIC (as RQST does). The file is created 0600, and an existing one loses what it
 * allowed others (0644 becomes 0600): it holds keys.
 */
public final class KeyLogFile implements BoringSSLKeylog, AutoCloseable {
    /** The environment variable browsers, curl and RQST read. */
    public static final String ENV = "SSLKEYLOGFILE";
    private static final Logger LOG = LoggerFactory.getLogger(KeyLogFile.class);

    private final Path path;
    private final OutputStream out;

    private KeyLogFile(Path path, OutputStream out) {
        this.path = path;
        this.out = out;
    }

    /** Opens the file named by {@code SSLKEYLOGFILE}, if that variable is set. */
    public static Optional<KeyLogFile> fromEnvironment() throws IOException {
        String p = System.getenv(ENV);
        if (p == null || p.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(open(Path.of(p)));
    }

    /** Opens (appends to) a key log file. */
    public static KeyLogFile open(Path path) throws IOException {
        try {
            if (!Files.exists(path)) {
                Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else if (Files.isRegularFile(path)) {
                // it will hold keys: others who can read it could decrypt the traffic
                java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = Files.getPosixFilePermissions(path);
                if (mode.removeIf(p -> !p.name().startsWith("OWNER"))) {
                    LOG.warn("{} ({}) was open to others ({}); made it {}", path, ENV,
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(path)), PosixFilePermissions.toString(mode));
                    Files.setPosixFilePermissions(path, mode);
                }
            }
            OutputStream out = Files.newOutputStream(path, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            LOG.warn("writing TLS secrets to {} ({}): anyone who can read it can decrypt this traffic", path, ENV);
            return new KeyLogFile(path, out);
        } catch (IOException e) {
            throw new IOException("cannot open key log file " + path + " (" + ENV + "): " + e.getMessage(), e);
        }
    }

    @Override
    public void logKey(SSLEngine engine, String key) {
        synchronized (out) {
            try {
                out.write((key + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                LOG.debug("key log {}: {}", path, e.toString());
            }
        }
    }

    @Override
    public void close() {
        synchronized (out) {
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}
