package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What manual-pki.sh produces is what the RQST manual's §3 produces. */
class ManualPkiScriptTest {
    private static ManualPki pki;

    @BeforeAll
    static void buildPki() throws Exception {
        pki = ManualPki.shared();
    }

    private static String opensslText(Path cert) throws Exception {
        Process p = new ProcessBuilder("openssl", "x509", "-noout", "-text", "-in", cert.toString())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void itPrintsOneSummaryLine() {
        assertTrue(pki.output().startsWith("manual PKI in " + pki.dir() + ": "), pki.output());
        assertEquals(1, pki.output().lines().count(), pki.output());
    }

    @Test
    void theClientCertificateIsVersion1WithoutExtensions() throws Exception {
        String text = opensslText(pki.path("client/client.crt"));
        assertTrue(text.contains("Version: 1 (0x0)"), text);
        assertFalse(text.contains("X509v3 extensions"), text);
        assertTrue(text.contains("Subject: C = JP, ST = Okayama, O = SEERA Networks Inc., CN = alice"), text);
    }

    @Test
    void theServerCertificateHasTheSanAndNoExtendedKeyUsage() throws Exception {
        String text = opensslText(pki.path("server/server.crt"));
        assertTrue(text.contains("Version: 3 (0x2)"), text);
        assertTrue(text.contains("X509v3 Subject Alternative Name"), text);
        assertTrue(text.contains("DNS:rqst.example.com, DNS:rqst4.example.com"), text);
        assertFalse(text.contains("Extended Key Usage"), text);
        assertFalse(text.contains("Basic Constraints"), text);
    }

    @Test
    void theCaIsLaidOutAsTheManualsSetupBatAndOpensslCfgMakeIt() throws Exception {
        for (String dir : List.of("certs", "crl", "newcerts", "private", "csr")) {
            assertTrue(Files.isDirectory(pki.path(dir)), dir);
        }
        assertEquals(0, Files.size(pki.path("crlnumber")));
        assertEquals(4, Files.readAllLines(pki.path("index.txt")).size(), "server, alice, bob, carol");
        assertEquals("1004", Files.readString(pki.path("serial")).strip());
        String cfg = Files.readString(pki.path("openssl.cfg"));
        assertTrue(cfg.contains("policy\t= policy_match"), cfg);
        assertTrue(cfg.contains("countryName\t= match"), cfg);
        assertTrue(cfg.contains("private_key   = " + pki.path("private/ca.key")), cfg);
        assertFalse(cfg.contains("copy_extensions"), "the manual does not copy CSR extensions");
        assertTrue(Files.readString(pki.path("private/ca.key")).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assertEquals("subjectAltName = DNS:rqst.example.com,DNS:rqst4.example.com",
                Files.readString(pki.path("san.txt")).strip());
    }

    @Test
    void itCopiesWhatRqstReadsWithPrivateKeysOwnerOnly() throws Exception {
        for (String file : List.of("server/ca.crt", "server/server.key", "server/server.crt", "client/ca.crt",
                "client/client.key", "client/client.crt")) {
            assertTrue(Files.isRegularFile(pki.path(file)), file);
        }
        for (String key : List.of("server/server.key", "client/client.key")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.path(key))));
        }
        assertEquals(Files.readString(pki.path("certs/ca.crt")), Files.readString(pki.path("client/ca.crt")));
        Identity.load(pki.path("server/server.key"), pki.path("server/server.crt"));
        Identity.load(pki.path("client/client.key"), pki.path("client/client.crt"));
    }

    @Test
    void serverSansAddsNamesForTheTestMachine() throws Exception {
        ManualPki custom = ManualPki.build(Map.of("SERVER_SANS", "DNS:vpn.test,DNS:rqst.example.com,IP:127.0.0.1"));
        X509Certificate server = custom.cert("server/server.crt");
        assertEquals(Optional.of("vpn.test"), Names.commonName(server.getSubjectX500Principal()));
        assertTrue(opensslText(custom.path("server/server.crt"))
                .contains("DNS:vpn.test, DNS:rqst.example.com, IP Address:127.0.0.1"));
        List<X509Certificate> ca = custom.ca();
        for (String host : List.of("vpn.test", "rqst.example.com", "127.0.0.1")) {
            assertEquals(Optional.empty(),
                    ServerCertificateVerifierTest.verify(new ServerCertificateVerifier(ca, host), server), host);
        }
        assertNull(server.getExtendedKeyUsage());
    }
}
