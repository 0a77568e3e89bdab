package io.rqst.pki;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the CRL in force up to date with its file, without a restart: {@link #poll()} re-reads the file and, if
 * its bytes changed, verifies the new CRL against the CA and puts it in force; {@link #start} polls once per
 * interval on a daemon thread and runs a callback after every change (the server then re-checks its live
 * sessions).
 *
 * <p>A file that became unusable (corrupt, half-written by a tool that does not write atomically, signed by
 * another CA, deleted) or an older CRL (a lower CRL number) does not replace the CRL in force: that is logged
 * once, as one line, and the previous list stays in force. Refusing every client instead would turn an
 * operator's slip into an outage for everyone, while every revocation already known keeps applying. The same
 * goes for a CRL past its nextUpdate: it is still used, with a warning, because the certificates it revokes are
 * no less revoked for it (OpenSSL-based servers refuse everyone then; a common outage).
 */
public final class CrlWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("rqst.crl");

    private final Path file;
    private final List<X509Certificate> caCerts;
    private final Clock clock;
    private volatile RevocationList current;
    /** Poll thread (or the caller of poll): the bytes last read, usable or not; null when the file was missing. */
    private byte[] lastSeen;
    private boolean staleWarned;
    private volatile Thread thread;

    private CrlWatcher(Path file, List<X509Certificate> caCerts, Clock clock, byte[] bytes, RevocationList first) {
        this.file = file;
        this.caCerts = List.copyOf(caCerts);
        this.clock = clock;
        this.lastSeen = bytes;
        this.current = first;
    }

    /**
     * Reads and verifies the CRL now.
     *
     * @param file    the CRL file
     * @param caCerts our CA certificates
     * @param clock   for the nextUpdate warning
     * @return a watcher with that CRL in force
     * @throws PkiException if the file is missing or unusable: the server must not start on it
     */
    public static CrlWatcher open(Path file, List<X509Certificate> caCerts, Clock clock) throws PkiException {
        byte[] bytes = Pem.read(file);
        RevocationList first = Crl.load(file, bytes, caCerts);
        CrlWatcher watcher = new CrlWatcher(file, caCerts, clock, bytes, first);
        LOG.info("CRL {}: {}", file, first.summary());
        watcher.warnIfStale();
        return watcher;
    }

    /** {@return the file watched} */
    public Path file() {
        return file;
    }

    /** {@return the CRL in force} */
    public RevocationList current() {
        return current;
    }

    /** {@return the check that refuses {@code peer} certificates the CRL in force revokes} */
    public CertificateCheck check(String peer) {
        return Crl.check(peer, () -> Optional.of(current));
    }

    /**
     * Re-reads the file; a changed, usable, not older CRL replaces the one in force.
     *
     * @return true if a new CRL is now in force
     */
    public synchronized boolean poll() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            if (lastSeen != null) {
                LOG.warn("CRL {}: the file is gone; still using the CRL read before ({})", file, current.summary());
                lastSeen = null;
            }
            return false;
        } catch (Exception e) {
            return false; // e.g. replaced at this very moment; the next poll sees it
        }
        if (Arrays.equals(bytes, lastSeen)) {
            warnIfStale();
            return false;
        }
        lastSeen = bytes;
        RevocationList next;
        try {
            next = Crl.load(file, bytes, caCerts);
        } catch (PkiException e) {
            LOG.warn("{}; still using the CRL read before ({})", e.getMessage(), current.summary());
            return false;
        }
        RevocationList before = current;
        if (before.number().isPresent() && next.number().isPresent() && next.number().get().compareTo(before.number().get()) < 0
                && next.issuer().equals(before.issuer())) {
            LOG.warn("CRL {}: its number {} is older than that of the CRL in force ({}); keeping the newer one", file,
                    next.number().get(), before.number().get());
            return false;
        }
        current = next;
        staleWarned = false;
        LOG.info("CRL {} changed: {}", file, next.summary());
        warnIfStale();
        return true;
    }

    private void warnIfStale() {
        RevocationList list = current;
        if (!staleWarned && list.isStale(clock.instant())) {
            staleWarned = true;
            LOG.warn("CRL {} is out of date: its next update was due {}; still using it. Make a new one (rqst ca crl,"
                    + " or openssl ca -gencrl) and put it in its place", file, list.nextUpdate().orElseThrow());
        }
    }

    /**
     * Polls every {@code interval} on a daemon thread until {@link #close()}, running {@code onChange} after each
     * change of the CRL in force.
     */
    public synchronized void start(Duration interval, Runnable onChange) {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = Thread.ofPlatform().daemon(true).name("rqst-crl").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    if (poll()) {
                        onChange.run();
                    }
                } catch (RuntimeException e) {
                    LOG.warn("CRL {}: {}", file, e.toString());
                }
            }
        });
    }

    /** Stops polling. */
    @Override
    public void close() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
