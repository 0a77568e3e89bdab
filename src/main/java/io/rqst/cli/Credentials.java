package io.rqst.cli;

import io.rqst.ca.CaStore;
import io.rqst.pki.Bundle;
import io.rqst.pki.ClientCertificateVerifier;
import io.rqst.pki.CertificateCheck;
import io.rqst.pki.CrlWatcher;
import io.rqst.pki.Identity;
import io.rqst.pki.Pem;
import io.rqst.pki.PeerCertificateVerifier;
import io.rqst.pki.PkiException;
import io.rqst.pki.SelfSigned;
import io.rqst.pki.ServerCertificateVerifier;
import io.rqst.transport.KeyLogFile;
import io.rqst.transport.Tls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;

/** Turns the certificate options into a TLS context, with one clear line for anything wrong. */
final class Credentials {
    private Credentials() {}

    /**
     * The server's TLS context, its client verifier and the CRL it enforces.
     *
     * @param tls      the context
     * @param verifier judges client certificates; empty with {@code -d}
     * @param crl      the CRL watcher, if a CRL is in force
     */
    record Server(Tls tls, Optional<ClientCertificateVerifier> verifier, Optional<CrlWatcher> crl) {}

    /**
     * A client's credentials.
     *
     * @param tls      the TLS context
     * @param verifier the judge of the server's certificate, unless {@code -d}
     * @param crl      the CRL watcher, if a CRL is in force
     */
    record Client(Tls tls, Optional<ServerCertificateVerifier> verifier, Optional<CrlWatcher> crl) {}

    /**
     * @param crlOption {@code --crl}, or null for the default: {@code crl.pem} beside the CA file, else
     *                  {@code ca/crl.pem} beside it (where {@code rqst ca} keeps it), if either exists
     */
    static Server server(CommonOptions o, Path cert, Path key, Path crlOption) {
        try {
            Identity id;
            Optional<ClientCertificateVerifier> verifier;
            Optional<CrlWatcher> crl = Optional.empty();
            if (o.disableVerify) {
                refuseCrlWithoutChecks(crlOption, "client");
                id = Files.exists(cert) && Files.exists(key) ? Identity.load(key, cert) : SelfSigned.generate("rqst-test-server");
                verifier = Optional.empty();
            } else {
                require(o.ca, "--ca");
                require(cert, "--cert");
                require(key, "--key");
                List<X509Certificate> ca = Pem.readCertificates(o.ca);
                id = Identity.load(key, cert);
                checkServerIdentity(id, cert, key);
                notIssuedBy(ca, id.chain(), cert, o.ca).ifPresent(w -> System.err.println("warning: " + w));
                Optional<Path> crlFile = crlFile(o.ca, crlOption);
                if (crlFile.isPresent()) {
                    crl = Optional.of(CrlWatcher.open(crlFile.get(), ca, Clock.systemUTC()));
                }
                List<CertificateCheck> checks = crl.map(w -> List.of(w.check("client"))).orElse(List.of());
                verifier = Optional.of(new ClientCertificateVerifier(ca, checks, Clock.systemUTC()));
                verifier.get().warmUp(id.chain());
            }
            return new Server(Tls.server(id, verifier.map(v -> (X509TrustManager) v), o.alpn, KeyLogFile.fromEnvironment()),
                    verifier, crl);
        } catch (PkiException | IOException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    /** TLS key types this TLS stack signs handshakes with (BoringSSL through Netty: an Ed25519 key fails every one). */
    private static final java.util.Set<String> SERVER_KEY_TYPES = java.util.Set.of("RSA", "EC");
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

    /**
     * Refuses at start a server identity every client would refuse at its handshake: a certificate whose extended key
     * usage does not allow serverAuth (a client certificate), or a key type the TLS stack cannot sign with.
     */
    static void checkServerIdentity(Identity id, Path cert, Path key) throws PkiException {
        String type = id.key().getAlgorithm();
        if (!SERVER_KEY_TYPES.contains(type)) {
            throw new PkiException(key + ": its key type is " + type + "; the server's TLS signs with RSA or EC (P-256, P-384) keys");
        }
        X509Certificate leaf = id.chain().getFirst();
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (java.security.cert.CertificateParsingException e) {
            throw new PkiException(cert + ": its extended key usage cannot be read: " + e.getMessage());
        }
        if (eku != null && !eku.contains(SERVER_AUTH) && !eku.contains(ANY_EXTENDED_KEY_USAGE)) {
            throw new PkiException(cert + ": \"" + leaf.getSubjectX500Principal().getName() + "\" is not a server certificate (its"
                    + " extended key usage does not include serverAuth): clients refuse it; issue one with rqst ca issue server");
        }
    }

    /**
     * Why clients that trust {@code ca} (the CA the server checks clients against, most often the one clients trust too)
     * would refuse the server's {@code chain}, or empty: its top certificate is neither one of {@code ca} nor issued
     * by one. Only a warning: the server's certificate may come from another CA that its clients trust.
     */
    static Optional<String> notIssuedBy(List<X509Certificate> ca, List<X509Certificate> chain, Path cert, Path caFile) {
        X509Certificate top = chain.getLast();
        if (ca.contains(top) || PeerCertificateVerifier.issuedByAny(top, ca)) {
            return Optional.empty();
        }
        return Optional.of(cert + " is not issued by " + caFile + " (it is issued by \"" + top.getIssuerX500Principal().getName()
                + "\"): clients that trust only " + caFile + " will refuse this server");
    }

    /** {@code --crl} asks for a check that {@code -d} turns off: say so rather than ignore it. */
    private static void refuseCrlWithoutChecks(Path crlOption, String peer) {
        if (crlOption != null) {
            throw new Main.UsageError("--crl and -d exclude each other: with -d no " + peer
                    + " certificate is checked, so none can be found revoked");
        }
    }

    /** The CRL file to enforce: the one given (which must exist), else the first default that exists. */
    static Optional<Path> crlFile(Path caFile, Path crlOption) {
        if (crlOption != null) {
            if (!Files.exists(crlOption)) {
                throw new Main.UsageError(crlOption + ": no such file (--crl)");
            }
            return Optional.of(crlOption);
        }
        for (Path candidate : List.of(caFile.resolveSibling(CaStore.CRL),
                caFile.resolveSibling(CaStore.DEFAULT_DIR.resolve(CaStore.CRL)))) {
            if (Files.exists(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * A client's credentials from its files: its key and certificate, its CA and the CA's CRL (unless {@code -d}).
     *
     * @param crlOption {@code --crl}, or null for the default (as for the server: {@code crl.pem} or
     *                  {@code ca/crl.pem} beside the CA file, if either exists)
     */
    static Client client(CommonOptions o, Path cert, Path key, boolean certGiven, String serverName, Path crlOption) {
        try {
            Optional<Identity> id = Optional.empty();
            Optional<ServerCertificateVerifier> verifier = Optional.empty();
            Optional<CrlWatcher> crl = Optional.empty();
            if (o.disableVerify) {
                refuseCrlWithoutChecks(crlOption, "server");
                if (certGiven || (Files.exists(cert) && Files.exists(key))) {
                    id = Optional.of(Identity.load(key, cert));
                }
            } else {
                require(o.ca, "--ca");
                require(cert, "--cert");
                require(key, "--key");
                id = Optional.of(Identity.load(key, cert));
                List<X509Certificate> ca = Pem.readCertificates(o.ca);
                crl = openCrl(ca, crlFile(o.ca, crlOption));
                ServerCertificateVerifier v = verifierWith(ca, serverName, crl);
                v.warmUp(id.get().chain());
                verifier = Optional.of(v);
            }
            return new Client(Tls.client(id, verifier.map(v -> (X509TrustManager) v), o.alpn, KeyLogFile.fromEnvironment()), verifier, crl);
        } catch (PkiException | IOException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    /**
     * A client's credentials from a bundle: its key and certificate, and its CA (unless {@code -d}); a CRL only
     * if {@code --crl} names one (a bundle carries none).
     */
    static Client client(CommonOptions o, Bundle bundle, String serverName, Path crlOption) {
        try {
            Optional<ServerCertificateVerifier> verifier = Optional.empty();
            Optional<CrlWatcher> crl = Optional.empty();
            if (o.disableVerify) {
                refuseCrlWithoutChecks(crlOption, "server");
            } else {
                Optional<Path> crlFile = crlOption == null ? Optional.empty() : crlFile(null, crlOption); // no CA file to look beside
                crl = openCrl(bundle.caCertificates(), crlFile);
                ServerCertificateVerifier v = verifierWith(bundle.caCertificates(), serverName, crl);
                v.warmUp(bundle.identity().chain());
                verifier = Optional.of(v);
            }
            return new Client(Tls.client(Optional.of(bundle.identity()), verifier.map(v -> (X509TrustManager) v), o.alpn,
                    KeyLogFile.fromEnvironment()), verifier, crl);
        } catch (PkiException | IOException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    /**
     * The client's judge of the server certificate: issued by {@code ca} for {@code serverName} and, with a CRL
     * file, not revoked by it. The file is read again at each handshake, so that a long-running client's next
     * connection meets the CRL in force; an unusable CRL file at start is an error, an unusable replacement
     * keeps the previous one (see {@link CrlWatcher}).
     */
    static ServerCertificateVerifier serverVerifier(List<X509Certificate> ca, String serverName, Optional<Path> crlFile)
            throws PkiException {
        return verifierWith(ca, serverName, openCrl(ca, crlFile));
    }

    private static Optional<CrlWatcher> openCrl(List<X509Certificate> ca, Optional<Path> crlFile) throws PkiException {
        return crlFile.isPresent() ? Optional.of(CrlWatcher.open(crlFile.get(), ca, Clock.systemUTC())) : Optional.empty();
    }

    private static ServerCertificateVerifier verifierWith(List<X509Certificate> ca, String serverName, Optional<CrlWatcher> crl) {
        List<CertificateCheck> checks = List.of();
        if (crl.isPresent()) {
            CrlWatcher watcher = crl.get();
            CertificateCheck inForce = watcher.check("server");
            checks = List.of(CertificateCheck.of(inForce.reason(), chain -> {
                watcher.poll(); // one small file read per connection (and per recheck), so a handshake meets the file as it is
                return inForce.check(chain);
            }));
        }
        return new ServerCertificateVerifier(ca, serverName, checks, Clock.systemUTC());
    }

    private static void require(Path p, String option) {
        if (!Files.exists(p)) {
            throw new Main.UsageError(p + ": no such file (point " + option + " at it, or use -d for a test without certificates)");
        }
    }
}
