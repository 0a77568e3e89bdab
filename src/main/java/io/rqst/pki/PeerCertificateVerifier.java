package io.rqst.pki;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import io.rqst.pki.CertificateRefusedException.Reason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * What both peer verifiers share: the peer's chain is validated with PKIX against our CA certificates (the
 * contents of {@code ca.crt}; revocation is left to a check such as {@link Crl#check}), then put through the
 * verifier's {@link CertificateCheck}s. Certificates made the RQST manual's way pass: an X.509 v1 client certificate without
 * extensions, and a server certificate with a subjectAltName and no extended key usage.
 *
 * <p>A refusal throws a {@link CertificateException} whose message is one readable line (for example
 * {@code client certificate "CN=alice" expired on 2026-01-01T00:00:00Z}). Because a TLS stack may replace that
 * text with a generic alert, the line is also kept and returned by {@link #lastFailure()}.
 *
 * <p>The verifier is stateless apart from {@link #lastFailure()} and may be shared by concurrent handshakes.
 */
public abstract sealed class PeerCertificateVerifier extends X509ExtendedTrustManager
        permits ClientCertificateVerifier, ServerCertificateVerifier {
    private final String peer;
    private final List<X509Certificate> caCerts;
    private final Set<TrustAnchor> anchors;
    private final List<CertificateCheck> checks;
    private final Clock clock;
    private volatile String lastFailure;

    /**
     * @param peer    "client" or "server": whose certificates this verifier checks, as messages name them
     * @param caCerts the CA certificates that may issue peer certificates
     * @param checks  rules applied, in order, after the chain is validated
     * @param clock   the time certificates must be valid at
     */
    PeerCertificateVerifier(String peer, List<X509Certificate> caCerts, List<CertificateCheck> checks, Clock clock) {
        this.peer = peer;
        this.caCerts = List.copyOf(caCerts);
        if (this.caCerts.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate to verify " + peer + " certificates against");
        }
        this.anchors = this.caCerts.stream().map(ca -> new TrustAnchor(ca, null))
                .collect(Collectors.toUnmodifiableSet());
        this.checks = List.copyOf(checks);
        this.clock = clock;
    }

    /**
     * The reason for the most recent refusal. It is not cleared when a later peer is accepted, and with concurrent
     * handshakes it may belong to any of them.
     *
     * @return the last refusal's one-line reason, or empty if no peer has been refused yet
     */
    public final Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /**
     * Judges again a certificate whose chain this verifier accepted earlier: its validity dates now, then the
     * checks (extended key usage, revocation, ...). For a session that outlives the handshake, and for a resumed
     * TLS session, for which the TLS stack does not ask the verifier again.
     *
     * @param cert the peer's own certificate
     * @return why it is refused now, in the words of a refused handshake; empty if it still passes
     */
    public final Optional<String> recheck(X509Certificate cert) {
        Date now = Date.from(clock.instant());
        if (now.after(cert.getNotAfter())) {
            return Optional.of(peer + " certificate " + Names.quoted(cert) + " expired on " + cert.getNotAfter().toInstant());
        }
        if (now.before(cert.getNotBefore())) {
            return Optional.of(peer + " certificate " + Names.quoted(cert) + " is not valid before "
                    + cert.getNotBefore().toInstant());
        }
        for (CertificateCheck check : checks) {
            Optional<String> refusal = check.check(List.of(cert));
            if (refusal.isPresent()) {
                return refusal;
            }
        }
        return Optional.empty();
    }

    /** The CA certificates; a TLS server advertises their names when it asks for a client certificate. */
    @Override
    public final X509Certificate[] getAcceptedIssuers() {
        return caCerts.toArray(X509Certificate[]::new);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain, "client");
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        verify(chain, "client");
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain, "client");
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain, "server");
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        verify(chain, "server");
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain, "server");
    }

    private void verify(X509Certificate[] chain, String sender) throws CertificateException {
        Optional<CertificateRefusedException> refusal = sender.equals(peer) ? refusal(chain)
                : Optional.of(new CertificateRefusedException(Reason.OTHER, getClass().getSimpleName() + " verifies "
                        + peer + " certificates, not " + sender + " certificates"));
        if (refusal.isPresent()) {
            lastFailure = refusal.get().getMessage();
            throw refusal.get();
        }
    }

    /** Why the chain (peer certificate first) is refused, or empty if it is accepted. */
    private Optional<CertificateRefusedException> refusal(X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return Optional.of(new CertificateRefusedException(Reason.UNTRUSTED, peer + " sent no certificate"));
        }
        List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
        while (path.size() > 1 && caCerts.contains(path.getLast())) {
            path.removeLast(); // a peer may send our CA certificate along; it is the anchor, not part of the path
        }
        try {
            validatePath(path);
        } catch (CertPathValidatorException e) {
            return Optional.of(explain(e, path));
        } catch (GeneralSecurityException e) {
            return Optional.of(new CertificateRefusedException(Reason.OTHER, peer + " certificate "
                    + Names.quoted(chain[0]) + " cannot be checked (" + e.getMessage() + ")"));
        }
        List<X509Certificate> validated = List.copyOf(path);
        for (CertificateCheck check : checks) {
            Optional<String> refusal = check.check(validated);
            if (refusal.isPresent()) {
                return Optional.of(new CertificateRefusedException(check.reason(), refusal.get()));
            }
        }
        return Optional.empty();
    }

    /** PKIX validation of {@code path} (peer certificate first, anchors excluded) against our CA certificates. */
    private void validatePath(List<X509Certificate> path) throws GeneralSecurityException {
        PKIXParameters parameters = new PKIXParameters(anchors);
        parameters.setRevocationEnabled(false);
        parameters.setDate(Date.from(clock.instant()));
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    }

    /**
     * Validates {@code ownChain} (this side's own certificate chain, normally from the same CA) once on a
     * daemon thread, the outcome ignored and not recorded: the first real handshake then finds the JDK's
     * certificate path code initialised (algorithm constraints, curve tables, RSA and EC verification),
     * which on a cold start otherwise costs that handshake tens of milliseconds on the event loop.
     *
     * @return the thread, already started
     */
    public final Thread warmUp(List<X509Certificate> ownChain) {
        List<X509Certificate> path = List.copyOf(ownChain);
        return Thread.ofPlatform().daemon(true).name("rqst-pkix-warm-up").start(() -> {
            try {
                if (!path.isEmpty()) {
                    validatePath(path);
                }
            } catch (GeneralSecurityException | RuntimeException ignored) {
                // only warming up: a chain from another CA fails here and costs nothing else
            }
        });
    }

    private CertificateRefusedException explain(CertPathValidatorException e, List<X509Certificate> path) {
        X509Certificate top = path.getLast();
        if (!issuedByOurCa(top)) {
            boolean sameName = caCerts.stream()
                    .anyMatch(ca -> ca.getSubjectX500Principal().equals(top.getIssuerX500Principal()));
            // names that differ only past their CN (O=, OU=, ...) are shown whole, or the message would contradict itself
            String issuerShort = Names.shortName(top.getIssuerX500Principal());
            boolean whole = !sameName && caCerts.stream().anyMatch(ca -> Names.shortName(ca.getSubjectX500Principal()).equals(issuerShort));
            Function<X500Principal, String> show = whole ? Names::full : Names::shortName;
            String ourCa = caCerts.stream().map(ca -> '"' + show.apply(ca.getSubjectX500Principal()) + '"').distinct()
                    .collect(Collectors.joining(" or "));
            String issuer = '"' + show.apply(top.getIssuerX500Principal()) + '"';
            String detail = sameName
                    ? "it names " + issuer + " as issuer, but its signature does not verify with our CA's key;"
                            + " was the CA created again?"
                    : (path.size() == 1 ? "it is issued by " : "its chain ends at ") + issuer;
            return new CertificateRefusedException(Reason.UNTRUSTED, peer + " certificate "
                    + Names.quoted(path.getFirst()) + " is not issued by our CA " + ourCa + " (" + detail + ")");
        }
        int index = e.getIndex();
        X509Certificate cert = index >= 0 && index < path.size() ? path.get(index) : path.getFirst();
        String who = index > 0 ? "CA certificate " + Names.quoted(cert) + " in the " + peer + "'s chain"
                : peer + " certificate " + Names.quoted(cert);
        var reason = e.getReason();
        if (reason == BasicReason.EXPIRED) {
            return new CertificateRefusedException(Reason.EXPIRED, who + " expired on " + cert.getNotAfter().toInstant());
        } else if (reason == BasicReason.NOT_YET_VALID) {
            return new CertificateRefusedException(Reason.EXPIRED, who + " is not valid before " + cert.getNotBefore().toInstant());
        } else if (reason == BasicReason.INVALID_SIGNATURE) {
            return new CertificateRefusedException(Reason.UNTRUSTED, who + " has a signature that does not verify");
        } else if (reason == BasicReason.ALGORITHM_CONSTRAINED) {
            return new CertificateRefusedException(Reason.OTHER, who + " uses an algorithm or key size that is not allowed ("
                    + e.getMessage() + ")");
        }
        return new CertificateRefusedException(Reason.OTHER, who + " is refused (" + e.getMessage() + ")");
    }

    /** Whether one of our CA certificates signed cert (the top of the peer's path). */
    private boolean issuedByOurCa(X509Certificate cert) {
        return issuedByAny(cert, caCerts);
    }

    /** {@return whether one of {@code cas} signed {@code cert}: it names that CA as its issuer, and the CA's key verifies it} */
    public static boolean issuedByAny(X509Certificate cert, Collection<X509Certificate> cas) {
        for (X509Certificate ca : cas) {
            if (ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                try {
                    cert.verify(ca.getPublicKey());
                    return true;
                } catch (GeneralSecurityException | RuntimeException e) {
                    // not this one
                }
            }
        }
        return false;
    }
}
