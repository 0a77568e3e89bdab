package io.rqst.cli;

import io.rqst.pki.ClientCertificateVerifier;
import io.rqst.pki.Identity;
import io.rqst.pki.Pem;
import io.rqst.pki.PkiException;
import io.rqst.pki.SelfSigned;
import io.rqst.pki.ServerCertificateVerifier;
import io.rqst.transport.KeyLogFile;
import io.rqst.transport.Tls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;

/** Turns the certificate options into a TLS context, with one clear line for anything wrong. */
final class Credentials {
    private Credentials() {}

    static Tls server(CommonOptions o, Path cert, Path key) {
        try {
            Identity id;
            Optional<X509TrustManager> verifier;
            if (o.disableVerify) {
                id = Files.exists(cert) && Files.exists(key) ? Identity.load(key, cert) : SelfSigned.generate("rqst-test-server");
                verifier = Optional.empty();
            } else {
                require(o.ca, "--ca");
                require(cert, "--cert");
                require(key, "--key");
                List<X509Certificate> ca = Pem.readCertificates(o.ca);
                id = Identity.load(key, cert);
                verifier = Optional.of(new ClientCertificateVerifier(ca));
            }
            return Tls.server(id, verifier, o.alpn, KeyLogFile.fromEnvironment());
        } catch (PkiException | IOException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    static Tls client(CommonOptions o, Path cert, Path key, boolean certGiven, String serverName) {
        try {
            Optional<Identity> id = Optional.empty();
            Optional<X509TrustManager> verifier = Optional.empty();
            if (o.disableVerify) {
                if (certGiven || (Files.exists(cert) && Files.exists(key))) {
                    id = Optional.of(Identity.load(key, cert));
                }
            } else {
                require(o.ca, "--ca");
                require(cert, "--cert");
                require(key, "--key");
                id = Optional.of(Identity.load(key, cert));
                verifier = Optional.of(new ServerCertificateVerifier(Pem.readCertificates(o.ca), serverName));
            }
            return Tls.client(id, verifier, o.alpn, KeyLogFile.fromEnvironment());
        } catch (PkiException | IOException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    private static void require(Path p, String option) {
        if (!Files.exists(p)) {
            throw new Main.UsageError(p + ": no such file (point " + option + " at it, or use -d for a test without certificates)");
        }
    }
}
