package io.rqst.cli;

import io.rqst.ca.AltNames;
import io.rqst.ca.CaIndex;
import io.rqst.ca.CaStore;
import io.rqst.ca.CertificateAuthority;
import io.rqst.ca.CertificateKind;
import io.rqst.ca.KeyAlgorithm;
import io.rqst.ca.OutputFiles;
import io.rqst.ca.OutputFiles.Output;
import io.rqst.ca.Pkcs12;
import io.rqst.config.VpnUrl;
import io.rqst.pki.AtomicFiles;
import io.rqst.pki.Bundle;
import io.rqst.pki.Identity;
import io.rqst.pki.Pem;
import io.rqst.pki.PkiException;
import io.rqst.pki.RevocationReason;
import io.rqst.pki.Serials;
import io.rqst.pki.ServerCertificateVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x509.GeneralName;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rqst ca}: the built-in CA. Every subcommand reads or changes the CA directory ({@link CaStore}); those
 * that sign (init, issue, revoke, crl) need the CA key's passphrase ({@link Passphrases}). Anything wrong with
 * what the user gave (a file, a name, the passphrase) is one line and exit code 2, and leaves the CA as it was.
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
        description = {"A certificate authority for rqst, interoperable with OpenSSL: make a CA, issue server and client"
                + " certificates, revoke them, and hand them out as PEM, PKCS#12 or one-file bundles.",
                "The CA lives in a directory (default ./ca); its key is encrypted with a passphrase read from"
                + " --passphrase-file, $" + Passphrases.CA_ENV + " or the terminal.", ""},
        subcommands = {CaCommand.Init.class, CaCommand.Issue.class, CaCommand.ListCerts.class, CaCommand.Revoke.class,
                CaCommand.Crl.class, CaCommand.Export.class, CaCommand.MakeBundle.class},
        footer = {"", "Examples:",
                "  rqst ca init --name \"RQST CA\"",
                "  rqst ca issue server --name rqst.example.com --san DNS:rqst4.example.com",
                "  rqst ca issue client --name alice --out alice/",
                "  rqst ca bundle alice --server vpn://rqst.example.com:3456",
                "  rqst ca revoke alice --reason keyCompromise"})
final class CaCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The CA directory option every subcommand takes. */
    static final class StoreDir {
        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "ca", description = "The CA directory (default: ${DEFAULT-VALUE}).")
        Path dir;
    }

    /** The CA key's passphrase file. */
    static final class CaPassphrase {
        @Option(names = "--passphrase-file", paramLabel = "FILE",
                description = "Read the CA key's passphrase from the first line of FILE (else $" + Passphrases.CA_ENV
                        + ", else the terminal).")
        Path file;

        char[] read(boolean isNew) {
            return Passphrases.read(file, Passphrases.CA_ENV, "the CA key", isNew);
        }
    }

    /** Runs a subcommand: a PkiException is the user's (exit 2), an IOException the system's (exit 1). */
    abstract static class Sub implements Callable<Integer> {
        @Mixin
        StoreDir store = new StoreDir();

        final SecureRandom random = new SecureRandom();
        final Clock clock = Clock.systemUTC();

        @Override
        public final Integer call() {
            try {
                execute();
                return 0;
            } catch (PkiException | IllegalArgumentException e) {
                throw new Main.UsageError(e.getMessage());
            } catch (IOException e) {
                System.err.println("rqst: " + describe(e));
                return Main.EXIT_FAILURE;
            }
        }

        abstract void execute() throws PkiException, IOException;

        CaStore open() throws PkiException {
            CaStore opened = CaStore.open(store.dir);
            Warnings.readableByOthers(opened.dir().resolve(CaStore.CA_KEY), "it is the CA's key (the passphrase is all that"
                    + " guards it then)");
            return opened;
        }
    }

    /** Refuses {@code value} of {@code option} unless it is 1 to {@code max}. */
    static void inRange(String option, int value, int max) {
        if (value < 1 || value > max) {
            throw new IllegalArgumentException(option + " " + value + " is out of range 1-" + max);
        }
    }

    static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return io.rqst.sys.FileErrors.describe(e);
        }
        return "cannot write: " + e.getMessage();
    }

    // ------------------------------------------------------------------------------------------------ init

    @Command(name = "init", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Make a new CA in DIR: a key encrypted with a passphrase (asked twice at a terminal), a"
                    + " self-signed CA certificate (ca.crt) and an empty CRL (crl.pem). Refuses if DIR holds anything.", ""})
    static final class Init extends Sub {
        @Option(names = "--name", paramLabel = "NAME", defaultValue = "RQST CA", description = "The CA's common name (default: ${DEFAULT-VALUE}).")
        String name;

        @ArgGroup(exclusive = true)
        KeyChoice key = new KeyChoice();

        static final class KeyChoice {
            @Option(names = "--rsa", paramLabel = "BITS", description = "An RSA key of BITS bits: 2048, 3072 or 4096 (the default, 4096, as the RQST manual's CA); server and client keys are RSA 2048.")
            Integer rsa;

            @Option(names = "--ec", description = "An EC P-256 key (fast, small); server and client keys are P-256 too.")
            boolean ec;
        }

        @Option(names = "--days", paramLabel = "DAYS", defaultValue = "3650", description = "How long the CA certificate is valid (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--crl-days", paramLabel = "DAYS", defaultValue = "30",
                description = "Days from one CRL to its nextUpdate (default: ${DEFAULT-VALUE}); make a new one before then with 'rqst ca crl'.")
        int crlDays;

        @Mixin
        CaPassphrase passphrase = new CaPassphrase();

        @Override
        void execute() throws PkiException, IOException {
            AltNames.checkName(name);
            inRange("--days", days, 36500);
            inRange("--crl-days", crlDays, 3650);
            KeyAlgorithm algorithm = key.ec ? KeyAlgorithm.EC_P256 : key.rsa != null ? KeyAlgorithm.rsa(key.rsa) : KeyAlgorithm.RSA_4096;
            CaStore.checkCreatable(store.dir); // before asking for a passphrase
            char[] pass = passphrase.read(true);
            System.err.println("making a " + algorithm + " key for the CA...");
            CertificateAuthority ca = CertificateAuthority.create(name, algorithm, Duration.ofDays(days), clock, random);
            CaStore created = CaStore.create(store.dir, ca, pass, crlDays, random);
            X509Certificate cert = created.caCertificate();
            Path dir = store.dir;
            System.out.println("CA \"CN=" + name + "\" made in " + dir + "/ (" + algorithm + ", valid until "
                    + cert.getNotAfter().toInstant() + "):");
            System.out.println("  " + dir.resolve(CaStore.CA_CERT) + "    its certificate: servers and clients trust it (rqst ca issue copies it for them)");
            System.out.println("  " + dir.resolve(CaStore.CA_KEY) + "    its key, encrypted with your passphrase: keep both safe");
            System.out.println("  " + dir.resolve(CaStore.CRL) + "   its revocation list, valid " + crlDays + " days (rqst ca crl renews it)");
            System.out.println("next: rqst ca issue server --name HOST" + (dir.equals(CaStore.DEFAULT_DIR) ? "" : " --dir " + dir));
        }
    }

    // ------------------------------------------------------------------------------------------------ issue

    @Command(name = "issue", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Issue a certificate with a new key. A server certificate (extended key usage serverAuth)"
                    + " names the server in its subjectAltNames: --name and every --san; clients must connect to one of"
                    + " them. A client certificate (clientAuth) names the user: the server's sessions show it.",
                    "Writes server.key server.crt ca.crt (or client.key client.crt ca.crt) into --out, where rqst server"
                    + " (or rqst client) looks for them by default; the CA keeps a copy for export and bundle.", ""})
    static final class Issue extends Sub {
        @Parameters(index = "0", paramLabel = "TYPE", description = "server or client.")
        String type;

        @Option(names = "--name", paramLabel = "NAME", required = true,
                description = "The common name: a server's host name (rqst.example.com), a client's user name (alice).")
        String name;

        @Option(names = "--san", paramLabel = "LIST", split = ",",
                description = "More names of the server, comma-separated or repeated: DNS:rqst4.example.com, IP:203.0.113.1 (the --name is included by itself).")
        List<String> sans = new ArrayList<>();

        @Option(names = "--days", paramLabel = "DAYS", defaultValue = "730", description = "Validity (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Where to write the key and certificates (default: the working directory).")
        Path out;

        @Option(names = "--force", description = "Overwrite files in --out, and issue even if NAME has a valid certificate already.")
        boolean force;

        @Option(names = "--not-before", hidden = true, paramLabel = "TIME", description = "Start of validity (tests: YYYY-MM-DD or an ISO instant).")
        String notBefore;

        @Option(names = "--not-after", hidden = true, paramLabel = "TIME", description = "End of validity (tests: YYYY-MM-DD or an ISO instant).")
        String notAfter;

        @Mixin
        CaPassphrase passphrase = new CaPassphrase();

        @Override
        void execute() throws PkiException, IOException {
            CertificateKind kind = CertificateKind.parse(type);
            AltNames.checkName(name);
            List<GeneralName> altNames = new ArrayList<>();
            if (kind == CertificateKind.SERVER) {
                altNames.add(AltNames.forHost(name));
                for (String s : sans) {
                    altNames.addAll(AltNames.parse(s));
                }
            } else if (!sans.isEmpty()) {
                throw new IllegalArgumentException("--san is for server certificates; a client is known by its --name");
            }
            inRange("--days", days, 36500);
            Instant now = clock.instant();
            Instant start = notBefore == null ? now.minus(CertificateAuthority.BACKDATE) : time("--not-before", notBefore);
            Instant end = notAfter == null ? now.plus(Duration.ofDays(days)) : time("--not-after", notAfter);

            CaStore ca = open();
            try (CaStore.Lock _ = ca.lock()) {
                List<CaIndex.Entry> active = ca.index().active(name, now);
                if (!active.isEmpty() && !force) {
                    CaIndex.Entry e = active.getLast();
                    throw new PkiException("\"" + name + "\" has a valid certificate already (" + e.describe() + ", until "
                            + e.notAfter() + "); revoke it first (rqst ca revoke " + quoteArg(name) + "), or --force for a second one");
                }
                List<Output> outputs = outputs(kind, null, null, ca.caCertificate());
                OutputFiles.check(outputs, force);
                CertificateAuthority authority = ca.unlock(passphrase.read(false), clock, random);
                CertificateAuthority.Issued issued = authority.issue(kind, name, altNames, start, end);
                CaIndex.Entry entry = ca.record(issued);
                OutputFiles.write(outputs(kind, issued.key(), issued.certificate(), ca.caCertificate()), force);
                System.out.println("issued " + entry.describe() + ", valid until " + entry.notAfter()
                        + (altNames.isEmpty() ? "" : ", names " + AltNames.distinct(altNames).stream()
                        .map(AltNames::describe).collect(Collectors.joining(", "))));
                System.out.println("  " + outputs.stream().map(o -> o.path().toString()).collect(Collectors.joining("  ")));
            }
        }

        private List<Output> outputs(CertificateKind kind, java.security.PrivateKey key, X509Certificate cert, X509Certificate ca) {
            return List.of(
                    new Output(out.resolve(kind.fileName("key")), key == null ? null : bytes(Pem.encode(key, cert == null ? null : cert.getPublicKey())), AtomicFiles.PRIVATE),
                    new Output(out.resolve(kind.fileName("crt")), cert == null ? null : bytes(Pem.encode(cert)), AtomicFiles.PUBLIC),
                    new Output(out.resolve(CaStore.CA_CERT), bytes(Pem.encode(ca)), AtomicFiles.PUBLIC));
        }

        private static Instant time(String option, String text) {
            try {
                return text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(option + " \"" + text + "\" is not YYYY-MM-DD or an ISO instant");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ list

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the certificates the CA issued: serial, type, subject, end of validity, status"
                    + " (valid, expired, not yet valid, revoked with date and reason).", ""})
    static final class ListCerts extends Sub {
        @Override
        void execute() throws PkiException {
            CaStore ca = open();
            Instant now = clock.instant();
            String format = "%-34s %-6s %-28s %-20s %s%n";
            System.out.printf(format, "SERIAL", "TYPE", "SUBJECT", "NOT AFTER", "STATUS");
            for (CaIndex.Entry e : ca.index().certificates()) {
                String status = e.status(now) + e.revoked().map(r -> " " + r + " (" + e.reason().orElseThrow() + ")").orElse("");
                System.out.printf(format, Serials.hex(e.serial()), e.kind(), e.subject(), e.notAfter(), status);
            }
            if (ca.index().certificates().isEmpty()) {
                System.out.println("(none issued yet: rqst ca issue server --name HOST)");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ revoke

    @Command(name = "revoke", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Revoke a certificate (every valid one of that NAME, or one SERIAL from 'rqst ca list') and"
                    + " publish a new CRL. A server reading the CRL refuses it from then on and closes its sessions"
                    + " within seconds.", ""})
    static final class Revoke extends Sub {
        @Parameters(index = "0", paramLabel = "NAME|SERIAL", description = "A certificate's name, or its serial in hex.")
        String which;

        @Option(names = "--reason", paramLabel = "REASON", defaultValue = "unspecified",
                description = "Why: keyCompromise, superseded, cessationOfOperation, affiliationChanged, privilegeWithdrawn, ... (default: ${DEFAULT-VALUE}).")
        String reason;

        @Mixin
        CaPassphrase passphrase = new CaPassphrase();

        @Override
        void execute() throws PkiException, IOException {
            RevocationReason why = RevocationReason.parse(reason);
            CaStore ca = open();
            try (CaStore.Lock _ = ca.lock()) {
                List<CaIndex.Entry> entries = ca.index().select(which);
                if (entries.stream().allMatch(CaIndex.Entry::isRevoked)) {
                    throw new PkiException(entries.getFirst().describe() + " is revoked already");
                }
                CertificateAuthority authority = ca.unlock(passphrase.read(false), clock, random);
                X509CRL crl = ca.revoke(authority, entries, why);
                for (CaIndex.Entry e : entries) {
                    System.out.println("revoked " + e.describe() + " (" + why + ")");
                }
                printCrl(ca, crl);
            }
        }
    }

    static void printCrl(CaStore ca, X509CRL crl) {
        Collection<?> revoked = crl.getRevokedCertificates();
        System.out.println("CRL " + ca.crlFile() + ": " + (revoked == null ? 0 : revoked.size()) + " revoked, next update "
                + crl.getNextUpdate().toInstant() + ". A server reading it (rqst server --crl, by default ./crl.pem or"
                + " ./ca/crl.pem) applies it within seconds; copy it to servers that read another file.");
    }

    // ------------------------------------------------------------------------------------------------ crl

    @Command(name = "crl", mixinStandardHelpOptions = true,
            description = {"Make a new CRL (crl.pem in the CA directory), e.g. monthly from cron before the last one's"
                    + " nextUpdate. 'rqst ca revoke' makes one too.", ""})
    static final class Crl extends Sub {
        @Option(names = "--out", paramLabel = "FILE", description = "Also write the CRL to FILE (e.g. where the server reads it).")
        Path out;

        @Mixin
        CaPassphrase passphrase = new CaPassphrase();

        @Override
        void execute() throws PkiException, IOException {
            CaStore ca = open();
            if (out != null) { // before the CA's own CRL changes: a --out that cannot be written changes nothing
                OutputFiles.check(List.of(new Output(out, null, AtomicFiles.PUBLIC)), true);
            }
            try (CaStore.Lock _ = ca.lock()) {
                CertificateAuthority authority = ca.unlock(passphrase.read(false), clock, random);
                X509CRL crl = ca.refreshCrl(authority);
                if (out != null) { // a CRL is meant to be replaced: --out is overwritten
                    OutputFiles.write(List.of(new Output(out, Pem.encode(crl).getBytes(java.nio.charset.StandardCharsets.US_ASCII), AtomicFiles.PUBLIC)), true);
                }
                printCrl(ca, crl);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ export

    @Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Export a certificate with its key for another system: --p12 writes one PKCS#12 file (key,"
                    + " certificate and CA; Windows imports it by double-click, 'openssl pkcs12 -info' reads it),"
                    + " protected by a passphrase from --passphrase-file, $" + Passphrases.P12_ENV + " or the terminal."
                    + " --pem writes ca.crt, NAME.crt and NAME.key separately (for iOS: install the CA first).", ""})
    static final class Export extends Sub {
        @Parameters(index = "0", paramLabel = "NAME|SERIAL", description = "The certificate to export (its newest valid one).")
        String which;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Format format;

        static final class Format {
            @Option(names = "--p12", description = "One PKCS#12 file.")
            boolean p12;

            @Option(names = "--pem", description = "Three PEM files.")
            boolean pem;
        }

        @Option(names = "--out", paramLabel = "PATH", description = "--p12: the file (default NAME.p12); --pem: the directory (default: the working directory).")
        Path out;

        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "--p12: read its passphrase from the first line of FILE.")
        Path passphraseFile;

        @Option(names = "--legacy", description = "--p12: 3DES and SHA-1 instead of AES-256 and SHA-256, for old Windows, macOS and iOS.")
        boolean legacy;

        @Option(names = "--force", description = "Overwrite existing files.")
        boolean force;

        @Override
        void execute() throws PkiException, IOException {
            CaStore ca = open();
            CaIndex.Entry entry = exportable(ca.index(), which, clock.instant());
            Identity identity = ca.identity(entry);
            String base = fileBase(entry.name());
            if (format.p12) {
                Path file = out != null ? out : Path.of(base + ".p12");
                OutputFiles.check(List.of(new Output(file, null, AtomicFiles.PRIVATE)), force);
                char[] pass = Passphrases.read(passphraseFile, Passphrases.P12_ENV, "the PKCS#12 file", true);
                byte[] p12 = Pkcs12.encode(identity, List.of(ca.caCertificate()), entry.name(), pass, legacy, random);
                OutputFiles.write(List.of(new Output(file, p12, AtomicFiles.PRIVATE)), force);
                System.out.println("exported " + entry.describe() + " with its key and the CA certificate to " + file
                        + " (PKCS#12, " + (legacy ? "3DES/SHA-1" : "AES-256/SHA-256") + ")");
            } else {
                Path dir = out != null ? out : Path.of(".");
                List<Output> files = List.of(
                        new Output(dir.resolve(CaStore.CA_CERT), bytes(Pem.encode(ca.caCertificate())), AtomicFiles.PUBLIC),
                        new Output(dir.resolve(base + ".crt"), bytes(Pem.encode(identity.certificate())), AtomicFiles.PUBLIC),
                        new Output(dir.resolve(base + ".key"), bytes(Pem.encode(identity.key())), AtomicFiles.PRIVATE));
                OutputFiles.write(files, force);
                System.out.println("exported " + entry.describe() + ": " + files.stream().map(o -> o.path().toString())
                        .collect(Collectors.joining("  ")));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ bundle

    @Command(name = "bundle", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Write one file (mode 0600) holding the server's URL, the CA certificate, a client's"
                    + " certificate and its key: 'rqst client --bundle FILE' connects with nothing else.", ""})
    static final class MakeBundle extends Sub {
        @Parameters(index = "0", paramLabel = "NAME|SERIAL", description = "The client (its newest valid certificate).")
        String which;

        @Option(names = "--server", paramLabel = "URL", required = true,
                description = "The server: vpn://HOST[:PORT]; HOST must be a name in the server's certificate.")
        String server;

        @Option(names = "--out", paramLabel = "FILE", description = "The bundle file (default: NAME.rqst).")
        Path out;

        @Option(names = "--force", description = "Overwrite an existing file.")
        boolean force;

        @Override
        void execute() throws PkiException, IOException {
            VpnUrl url = VpnUrl.parse(server);
            CaStore ca = open();
            CaIndex.Entry entry = exportable(ca.index(), which, clock.instant());
            if (entry.kind() != CertificateKind.CLIENT) {
                throw new PkiException(entry.describe() + " is not a client certificate; a bundle is for a client");
            }
            Path file = out != null ? out : Path.of(fileBase(entry.name()) + Bundle.EXTENSION);
            warnIfNoServerNames(ca, url.host(), clock.instant());
            Bundle bundle = new Bundle(url.toString(), List.of(ca.caCertificate()), ca.identity(entry));
            OutputFiles.write(List.of(new Output(file, bytes(bundle.encode(entry.name())), AtomicFiles.PRIVATE)), force);
            System.out.println("bundle for " + entry.describe() + " and " + url + " written to " + file
                    + " (0600: it holds the key); connect with: rqst client --bundle " + file);
        }
    }

    /**
     * Warns (the bundle is still written: the server's certificate may come from elsewhere) when no valid server
     * certificate of this CA names {@code host}: the client would refuse the server at once.
     */
    static void warnIfNoServerNames(CaStore ca, String host, Instant now) throws PkiException {
        List<String> mismatches = new ArrayList<>();
        for (CaIndex.Entry e : ca.index().certificates()) {
            if (e.kind() == CertificateKind.SERVER && e.isActive(now)) {
                Optional<String> mismatch = ServerCertificateVerifier.nameMismatch(ca.certificate(e), host);
                if (mismatch.isEmpty()) {
                    return;
                }
                mismatches.add(mismatch.get());
            }
        }
        System.err.println("warning: no valid server certificate of this CA names " + host
                + (mismatches.isEmpty() ? " (it has issued none)" : ": " + String.join("; ", mismatches))
                + "; a client refuses a server whose certificate does not name the host in --server");
    }

    /** The certificate {@code which} means, for handing out: the newest valid one of that name, or that serial. */
    static CaIndex.Entry exportable(CaIndex index, String which, Instant now) throws PkiException {
        List<CaIndex.Entry> named = index.byName(which);
        if (!named.isEmpty()) {
            List<CaIndex.Entry> active = index.active(which, now);
            if (active.isEmpty()) {
                throw new PkiException("\"" + which + "\" has no valid certificate (" + named.getLast().status(now)
                        + "; see rqst ca list)");
            }
            return active.getLast();
        }
        CaIndex.Entry entry = index.select(which).getFirst();
        if (!entry.isActive(now)) {
            throw new PkiException(entry.describe() + " is " + entry.status(now) + "; it cannot be handed out");
        }
        return entry;
    }

    /** A name as a file name: characters other than letters, digits and {@code . _ - @ +} become '_'. */
    static String fileBase(String name) {
        return name.replaceAll("[^\\p{L}\\p{N}._@+-]", "_");
    }

    private static String quoteArg(String s) {
        return s.matches("[\\w.@+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
