package io.rqst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.ca.CertificateAuthority;
import io.rqst.ca.CertificateKind;
import io.rqst.ca.KeyAlgorithm;
import io.rqst.pki.AtomicFiles;
import io.rqst.pki.Pem;
import io.rqst.pki.PkiException;
import io.rqst.pki.Revocation;
import io.rqst.pki.RevocationReason;
import io.rqst.pki.ServerCertificateVerifier;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's CRL ({@code rqst client --crl}, by default crl.pem beside ca.crt): the server certificate it
 * revokes is refused where TLS asks (the trust manager), naming the revocation; others pass; a missing or
 * foreign CRL is a one-line error before anything connects.
 */
class ClientCrlTest {
    private static final String HOST = "rqst.example.com";
    private static CertificateAuthority ca;
    private static X509Certificate revokedServer;
    private static X509Certificate goodServer;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCa() {
        ca = CertificateAuthority.create("RQST CA", KeyAlgorithm.EC_P256, Duration.ofDays(30), Clock.systemUTC(), new SecureRandom());
        revokedServer = server();
        goodServer = server();
    }

    private static X509Certificate server() {
        Instant now = Instant.now();
        return ca.issue(CertificateKind.SERVER, HOST, List.of(new GeneralName(GeneralName.dNSName, HOST)),
                now.minusSeconds(60), now.plusSeconds(3600)).certificate();
    }

    /** ca.crt and, beside it, crl.pem revoking {@link #revokedServer}; returns ca.crt. */
    private Path caWithCrl(CertificateAuthority signer) throws Exception {
        Path caFile = dir.resolve("ca.crt");
        AtomicFiles.write(caFile, Pem.encode(ca.certificate()), AtomicFiles.PUBLIC);
        var revoked = new Revocation(revokedServer.getSerialNumber(), Instant.parse("2026-03-04T05:06:07Z"), RevocationReason.KEY_COMPROMISE);
        AtomicFiles.write(dir.resolve("crl.pem"), Pem.encode(signer.crl(List.of(revoked), BigInteger.ONE, Duration.ofDays(30))),
                AtomicFiles.PUBLIC);
        return caFile;
    }

    private static ServerCertificateVerifier verifier(Path caFile, Path crlOption) throws Exception {
        return Credentials.serverVerifier(List.of(ca.certificate()), HOST, Credentials.crlFile(caFile, crlOption));
    }

    @Test
    void theServerCertificateTheCrlBesideTheCaRevokesIsRefusedAndOthersPass() throws Exception {
        ServerCertificateVerifier v = verifier(caWithCrl(ca), null);
        var e = assertThrows(CertificateException.class,
                () -> v.checkServerTrusted(new X509Certificate[] {revokedServer, ca.certificate()}, "ECDHE_ECDSA"));
        assertTrue(e.getMessage().matches("server certificate \"CN=" + HOST + "\" \\(serial 0x[0-9A-F]+\\) is revoked"
                + " \\(keyCompromise, 2026-03-04T05:06:07Z\\)"), e.getMessage());
        v.checkServerTrusted(new X509Certificate[] {goodServer, ca.certificate()}, "ECDHE_ECDSA");
    }

    @Test
    void aCrlReplacedBetweenConnectionsIsInForceAtTheNextHandshake() throws Exception {
        ServerCertificateVerifier v = verifier(caWithCrl(ca), null);
        X509Certificate[] good = {goodServer, ca.certificate()};
        v.checkServerTrusted(good, "ECDHE_ECDSA");
        var both = List.of(
                new Revocation(revokedServer.getSerialNumber(), Instant.parse("2026-03-04T05:06:07Z"), RevocationReason.KEY_COMPROMISE),
                new Revocation(goodServer.getSerialNumber(), Instant.parse("2026-03-05T05:06:07Z"), RevocationReason.SUPERSEDED));
        AtomicFiles.write(dir.resolve("crl.pem"), Pem.encode(ca.crl(both, BigInteger.TWO, Duration.ofDays(30))), AtomicFiles.PUBLIC);
        var e = assertThrows(CertificateException.class, () -> v.checkServerTrusted(good, "ECDHE_ECDSA"));
        assertTrue(e.getMessage().endsWith("is revoked (superseded, 2026-03-05T05:06:07Z)"), e.getMessage());
    }

    @Test
    void withoutACrlTheRevokedServerPassesAsBefore() throws Exception {
        Path caFile = dir.resolve("ca.crt");
        AtomicFiles.write(caFile, Pem.encode(ca.certificate()), AtomicFiles.PUBLIC);
        assertEquals(Optional.empty(), Credentials.crlFile(caFile, null));
        verifier(caFile, null).checkServerTrusted(new X509Certificate[] {revokedServer, ca.certificate()}, "ECDHE_ECDSA");
    }

    @Test
    void aMissingOrForeignCrlIsAnErrorBeforeConnecting() throws Exception {
        Path missing = dir.resolve("nope.pem");
        assertEquals(missing + ": no such file (--crl)",
                assertThrows(Main.UsageError.class, () -> Credentials.crlFile(dir.resolve("ca.crt"), missing)).getMessage());
        CertificateAuthority other = CertificateAuthority.create("Other CA", KeyAlgorithm.EC_P256, Duration.ofDays(30),
                Clock.systemUTC(), new SecureRandom());
        Path caFile = caWithCrl(other);
        assertTrue(assertThrows(PkiException.class, () -> verifier(caFile, null)).getMessage()
                .contains("not by our CA \"CN=RQST CA\""));
    }

    @Test
    void theClientCommandTakesCrl() {
        ClientCommand c = new ClientCommand();
        new picocli.CommandLine(c.model()).parseArgs("--crl", "x/crl.pem", "vpn://" + HOST);
        assertEquals(Path.of("x/crl.pem"), c.crl);
    }
}
