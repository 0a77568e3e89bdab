package io.rqst.ca;

import io.rqst.pki.AtomicFiles;
import io.rqst.pki.Identity;
import io.rqst.pki.Pem;
import io.rqst.pki.PkiException;
import io.rqst.pki.RevocationReason;
import io.rqst.pki.Serials;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.security.auth.x500.X500Principal;

/**
 * The CA's directory, {@code ca/} by default:
 *
 * <pre>
 * ca/                 0700
 *   ca.crt            the CA certificate (give it to servers and clients)
 *   ca.key            0600  the CA's key, PKCS#8 encrypted with the passphrase (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC)
 *   index.json        the register of issued certificates and revocations ({@link CaIndex})
 *   crl.pem           the current CRL; the server reads it ({@code --crl})
 *   certs/SERIAL.crt  every certificate issued
 *   private/SERIAL.key 0600  its key (the CA made it), for {@code rqst ca export} and {@code rqst ca bundle}
 *   .lock             held while a command changes the CA, so two cannot interleave
 * </pre>
 *
 * <p>Every file is written atomically; the register is the commit point: a certificate exists for the CA once
 * {@code index.json} lists it, and the CRL follows the register (if a command dies between the two,
 * {@code rqst ca crl} makes the CRL again). Creating a CA is atomic too: it is built in a temporary directory
 * that is renamed into place, and an existing CA is never overwritten.
 */
public final class CaStore {
    /** Where {@code rqst ca} keeps its CA unless {@code --dir} says otherwise. */
    public static final Path DEFAULT_DIR = Path.of("ca");
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String INDEX = "index.json";
    public static final String CRL = "crl.pem";
    static final String CERTS = "certs";
    static final String KEYS = "private";
    static final String LOCK = ".lock";
    /**
     * PBKDF2 iterations protecting the CA key: a guess at the passphrase costs about a third of a second on
     * one core, and so does every {@code rqst ca} command that signs. What protects the key is mostly the
     * passphrase's own strength.
     */
    public static final int KEY_ITERATIONS = 300_000;

    private final Path dir;
    private final X509Certificate caCertificate;
    private CaIndex index;

    private CaStore(Path dir, X509Certificate caCertificate, CaIndex index) {
        this.dir = dir;
        this.caCertificate = caCertificate;
        this.index = index;
    }

    /**
     * Makes a new CA directory holding {@code ca}, its key encrypted with {@code passphrase}, an empty register
     * and a first (empty) CRL.
     *
     * @param dir        the directory to create; it must not exist, or be empty
     * @param ca         the new CA
     * @param passphrase encrypts the CA key
     * @param crlDays    days from one CRL to its nextUpdate
     * @throws PkiException if {@code dir} holds a CA or anything else already
     */
    public static CaStore create(Path dir, CertificateAuthority ca, char[] passphrase, int crlDays, SecureRandom random)
            throws PkiException, IOException {
        checkCreatable(dir);
        Path parent = dir.toAbsolutePath().normalize().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".new-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx------"));
            Files.createDirectory(temp.resolve(CERTS));
            Files.createDirectory(temp.resolve(KEYS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            AtomicFiles.write(temp.resolve(LOCK), new byte[0], AtomicFiles.PRIVATE);
            AtomicFiles.write(temp.resolve(CA_KEY), Pem.encodeEncrypted(ca.key(), passphrase, KEY_ITERATIONS, random),
                    AtomicFiles.PRIVATE);
            AtomicFiles.write(temp.resolve(CA_CERT), Pem.encode(ca.certificate()), AtomicFiles.PUBLIC);
            CaIndex index = CaIndex.empty(crlDays).nextCrl();
            X509CRL crl = ca.crl(List.of(), index.crlNumber(), Duration.ofDays(crlDays));
            AtomicFiles.write(temp.resolve(INDEX), index.toJson(), AtomicFiles.PUBLIC);
            AtomicFiles.write(temp.resolve(CRL), Pem.encode(crl), AtomicFiles.PUBLIC);
            checkCreatable(dir); // still nothing there?
            Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE); // rename(2): also replaces an empty directory
        } catch (IOException | PkiException | RuntimeException e) {
            deleteTree(temp);
            throw e;
        }
        AtomicFiles.syncDirectory(parent);
        return open(dir);
    }

    /**
     * Checks that a new CA may be made in {@code dir}: it does not exist, or is an empty directory.
     *
     * @throws PkiException naming the directory and what is in the way
     */
    public static void checkCreatable(Path dir) throws PkiException {
        if (Files.exists(dir.resolve(INDEX)) || Files.exists(dir.resolve(CA_KEY))) {
            throw new PkiException(dir + ": holds a CA already; refusing to overwrite it (to start over, move it"
                    + " away first; its certificates then stop being trusted)");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new PkiException(dir + ": exists and is not a directory");
        }
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new PkiException(dir + ": is not empty; a new CA needs a new or empty directory");
                }
            } catch (IOException e) {
                throw new PkiException(dir + ": cannot be read (" + e.getMessage() + ")", e);
            }
        }
    }

    /**
     * Opens an existing CA directory (reading needs no passphrase).
     *
     * @throws PkiException if there is no CA there, or its files are unusable
     */
    public static CaStore open(Path dir) throws PkiException {
        try {
            Files.readAttributes(dir.resolve(INDEX), BasicFileAttributes.class);
        } catch (AccessDeniedException e) {
            // a CA directory is its owner's alone (0700): another user sees neither its files nor that they exist
            throw new PkiException(dir + ": permission denied: user " + System.getProperty("user.name") + " cannot read it"
                    + owner(dir).map(o -> " (it belongs to " + o + ")").orElse("") + "; run the command as its owner, e.g. with sudo");
        } catch (IOException e) {
            if (e instanceof NoSuchFileException || !Files.isDirectory(dir)) {
                throw new PkiException(dir + ": no CA here (no " + dir.resolve(INDEX) + "); make one with: rqst ca init"
                        + (dir.equals(DEFAULT_DIR) ? "" : " --dir " + dir) + ", or point --dir at yours");
            }
            throw new PkiException(dir + ": cannot be read (" + e.getMessage() + ")", e);
        }
        List<X509Certificate> certs = Pem.readCertificates(dir.resolve(CA_CERT));
        CaIndex index = CaIndex.parse(dir.resolve(INDEX), Pem.read(dir.resolve(INDEX)));
        return new CaStore(dir, certs.getFirst(), index);
    }

    /** The owner of {@code p}, or of its nearest ancestor this user may look at, for a message. */
    static Optional<String> owner(Path p) {
        for (Path q = p.toAbsolutePath(); q != null; q = q.getParent()) {
            try {
                return Optional.of(Files.getOwner(q).getName());
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                // not visible either: try its parent
            }
        }
        return Optional.empty();
    }

    /** {@return the CA directory} */
    public Path dir() {
        return dir;
    }

    /** {@return the CA certificate} */
    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** {@return the register as last read or written} */
    public CaIndex index() {
        return index;
    }

    /** {@return the CRL file the server reads} */
    public Path crlFile() {
        return dir.resolve(CRL);
    }

    /** {@return the CA certificate's file} */
    public Path caCertificateFile() {
        return dir.resolve(CA_CERT);
    }

    /**
     * Decrypts the CA key.
     *
     * @throws PkiException {@code wrong passphrase for ca/ca.key (or the key is corrupt)}, or the key is not the
     *                      CA certificate's
     */
    public CertificateAuthority unlock(char[] passphrase, Clock clock, SecureRandom random) throws PkiException {
        Path keyFile = dir.resolve(CA_KEY);
        PrivateKey key = Pem.readEncryptedPrivateKey(keyFile, passphrase);
        if (!Identity.belongTogether(key, caCertificate.getPublicKey())) {
            throw new PkiException(keyFile + " does not belong to " + dir.resolve(CA_CERT)
                    + " (the CA certificate was made for another key)");
        }
        return new CertificateAuthority(key, caCertificate, clock, random);
    }

    /** Held while a command changes the CA; {@link #close()} releases it. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }

    /**
     * Takes the CA's lock (and re-reads the register, which another command may have changed meanwhile).
     *
     * @throws PkiException if another command holds it
     */
    public Lock lock() throws PkiException, IOException {
        Path file = dir.resolve(LOCK);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new PkiException(dir + ": another rqst ca command is changing this CA right now (it holds " + file
                    + "); try again when it is done");
        }
        try {
            index = CaIndex.parse(dir.resolve(INDEX), Pem.read(dir.resolve(INDEX)));
        } catch (PkiException e) {
            lock.release();
            channel.close();
            throw e;
        }
        return new Lock(channel, lock);
    }

    /**
     * Records a certificate the CA issued, with its key: {@code certs/SERIAL.crt}, {@code private/SERIAL.key},
     * then the register.
     */
    public CaIndex.Entry record(CertificateAuthority.Issued issued) throws IOException {
        X509Certificate cert = issued.certificate();
        if (index.bySerial(cert.getSerialNumber()).isPresent()) {
            throw new IllegalStateException("serial " + Serials.describe(cert.getSerialNumber()) + " is taken already");
        }
        CaIndex.Entry entry = new CaIndex.Entry(cert.getSerialNumber(), issued.name(), issued.kind(),
                subject(cert.getSubjectX500Principal()), cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant(),
                Optional.empty(), Optional.empty());
        AtomicFiles.write(certFile(entry), Pem.encode(cert), AtomicFiles.PUBLIC);
        AtomicFiles.write(keyFile(entry), Pem.encode(issued.key(), cert.getPublicKey()), AtomicFiles.PRIVATE);
        commit(index.with(entry));
        return entry;
    }

    /**
     * Revokes certificates and publishes a new CRL: the register first, then {@code crl.pem}.
     *
     * @return the new CRL
     */
    public X509CRL revoke(CertificateAuthority ca, List<CaIndex.Entry> entries, RevocationReason reason)
            throws IOException {
        Set<BigInteger> serials = entries.stream().map(CaIndex.Entry::serial).collect(Collectors.toSet());
        return publish(ca, index.revoke(serials, ca.now(), reason));
    }

    /**
     * Makes a new CRL (with the next number and a new nextUpdate) and publishes it.
     *
     * @return the new CRL
     */
    public X509CRL refreshCrl(CertificateAuthority ca) throws IOException {
        return publish(ca, index);
    }

    private X509CRL publish(CertificateAuthority ca, CaIndex changed) throws IOException {
        CaIndex next = changed.nextCrl();
        X509CRL crl = ca.crl(next.revocations(), next.crlNumber(), Duration.ofDays(next.crlDays()));
        commit(next);
        AtomicFiles.write(crlFile(), Pem.encode(crl), AtomicFiles.PUBLIC);
        return crl;
    }

    /**
     * The key and certificate of an issued certificate, as recorded.
     *
     * @throws PkiException if its files are missing or unusable
     */
    public Identity identity(CaIndex.Entry entry) throws PkiException {
        return Identity.load(keyFile(entry), certFile(entry));
    }

    /**
     * The certificate of an issued certificate, as recorded.
     *
     * @throws PkiException if its file is missing or unusable
     */
    public X509Certificate certificate(CaIndex.Entry entry) throws PkiException {
        return Pem.readCertificates(certFile(entry)).getFirst();
    }

    Path certFile(CaIndex.Entry entry) {
        return dir.resolve(CERTS).resolve(Serials.hex(entry.serial()) + ".crt");
    }

    Path keyFile(CaIndex.Entry entry) {
        return dir.resolve(KEYS).resolve(Serials.hex(entry.serial()) + ".key");
    }

    private void commit(CaIndex next) throws IOException {
        AtomicFiles.write(dir.resolve(INDEX), next.toJson(), AtomicFiles.PUBLIC);
        index = next;
    }

    /** {@code CN=alice}, or the RFC 4514 subject if it is more than a CN. */
    private static String subject(X500Principal name) {
        return name.getName(X500Principal.RFC2253);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory left behind is harmless
        }
    }
}
