package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading keys and certificates made the RQST manual's way, and the messages for files that are not usable. */
class PemTest {
    private static ManualPki pki;

    @TempDir
    Path tmp;

    @BeforeAll
    static void buildPki() throws Exception {
        pki = ManualPki.shared();
    }

    private static String firstLine(Path file) throws Exception {
        return Files.readAllLines(file).getFirst();
    }

    private static String message(PkiExceptionThrower call) {
        return assertThrows(PkiException.class, call::run).getMessage();
    }

    private interface PkiExceptionThrower {
        void run() throws PkiException;
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(tmp.resolve(name), text);
    }

    // --- every key form loads and matches its certificate ----------------------------------------------------

    @Test
    void rsaKeysInPkcs8AndPkcs1LoadAndMatchTheirCertificate() throws Exception {
        Path pkcs8 = pki.path("private/client.key");
        Path pkcs1 = pki.path("private/client-pkcs1.key");
        assertEquals("-----BEGIN PRIVATE KEY-----", firstLine(pkcs8));
        assertEquals("-----BEGIN RSA PRIVATE KEY-----", firstLine(pkcs1));

        Identity fromPkcs8 = Identity.load(pkcs8, pki.path("certs/client.crt"));
        Identity fromPkcs1 = Identity.load(pkcs1, pki.path("certs/client.crt"));
        assertEquals("RSA", fromPkcs8.key().getAlgorithm());
        assertArrayEquals(fromPkcs8.key().getEncoded(), fromPkcs1.key().getEncoded());
        assertEquals("alice", fromPkcs1.subjectCn());

        Identity server = Identity.load(pki.path("server/server.key"), pki.path("server/server.crt"));
        assertEquals("rqst.example.com", server.subjectCn());
    }

    @Test
    void ecKeysInSec1AndPkcs8LoadAndMatchTheirCertificate() throws Exception {
        Path sec1WithParams = pki.path("private/client-ec-sec1.key");
        Path pkcs8 = pki.path("private/client-ec.key");
        List<String> sec1Lines = Files.readAllLines(sec1WithParams);
        assertEquals("-----BEGIN EC PARAMETERS-----", sec1Lines.getFirst());
        assertTrue(sec1Lines.contains("-----BEGIN EC PRIVATE KEY-----"));
        assertEquals("-----BEGIN PRIVATE KEY-----", firstLine(pkcs8));
        // the same SEC1 key without its EC PARAMETERS block (as `openssl ec` writes it)
        String text = Files.readString(sec1WithParams);
        Path sec1Bare = write("bare-sec1.key", text.substring(text.indexOf("-----BEGIN EC PRIVATE KEY-----")));

        Path cert = pki.path("certs/client-ec.crt");
        Identity a = Identity.load(sec1WithParams, cert);
        Identity b = Identity.load(sec1Bare, cert);
        Identity c = Identity.load(pkcs8, cert);
        assertEquals("EC", a.key().getAlgorithm());
        assertEquals(256, ((ECPrivateKey) a.key()).getParams().getCurve().getField().getFieldSize());
        assertEquals(((ECPrivateKey) c.key()).getS(), ((ECPrivateKey) a.key()).getS());
        assertEquals(((ECPrivateKey) c.key()).getS(), ((ECPrivateKey) b.key()).getS());
        assertEquals("carol", c.subjectCn());
    }

    @Test
    void p384KeysLoadInPkcs8AndSec1() throws Exception {
        KeyPair pair = TestCerts.ecKey("secp384r1");
        Path pkcs8 = write("p384-pkcs8.key", pem(new JcaPKCS8Generator(pair.getPrivate(), null)));
        ASN1Encodable curve = PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded()).getPrivateKeyAlgorithm()
                .getParameters();
        var sec1Key = new org.bouncycastle.asn1.sec.ECPrivateKey(384, ((ECPrivateKey) pair.getPrivate()).getS(),
                curve);
        Path sec1 = write("p384-sec1.key", pem(new PemObject("EC PRIVATE KEY", sec1Key.getEncoded())));
        assertEquals("-----BEGIN PRIVATE KEY-----", firstLine(pkcs8));
        assertEquals("-----BEGIN EC PRIVATE KEY-----", firstLine(sec1));
        for (Path file : List.of(pkcs8, sec1)) {
            PrivateKey key = Pem.readPrivateKey(file);
            assertEquals(384, ((ECPrivateKey) key).getParams().getCurve().getField().getFieldSize(), file.toString());
            assertTrue(Identity.belongTogether(key, pair.getPublic()), file.toString());
        }
    }

    @Test
    void anEcKeyIsPairedByItsEmbeddedPublicPointAndWithoutItBySigning() throws Exception {
        // openssl's keys (SEC1 and PKCS#8) carry the public point: compared without any curve arithmetic
        Path cert = pki.path("certs/client-ec.crt");
        PublicKey certKey = pki.cert("certs/client-ec.crt").getPublicKey();
        for (String file : List.of("private/client-ec.key", "private/client-ec-sec1.key")) {
            PrivateKey key = Pem.readPrivateKey(pki.path(file));
            assertEquals(Optional.of(true), Identity.ecPublicPointMatches(key, certKey), file);
        }
        // another key on the same curve, written by rqst with its point: refused by the comparison
        KeyPair other = TestCerts.ecKey("secp256r1");
        Path otherFile = write("other-ec.key", Pem.encode(other.getPrivate(), other.getPublic()));
        assertEquals(Optional.of(true), Identity.ecPublicPointMatches(Pem.readPrivateKey(otherFile), other.getPublic()));
        assertEquals(Optional.of(false), Identity.ecPublicPointMatches(Pem.readPrivateKey(otherFile), certKey));
        assertEquals(otherFile + " does not belong to " + cert + " (the certificate was issued for another key)",
                message(() -> Identity.load(otherFile, cert)));
        // a SEC1 key without the optional point: the signature decides, both ways
        ASN1Encodable curve = PrivateKeyInfo.getInstance(other.getPrivate().getEncoded()).getPrivateKeyAlgorithm().getParameters();
        var bare = new org.bouncycastle.asn1.sec.ECPrivateKey(256, ((ECPrivateKey) other.getPrivate()).getS(), curve);
        PrivateKey noPoint = Pem.readPrivateKey(write("no-point.key", pem(new PemObject("EC PRIVATE KEY", bare.getEncoded()))));
        assertEquals(Optional.empty(), Identity.ecPublicPointMatches(noPoint, other.getPublic()));
        assertTrue(Identity.belongTogether(noPoint, other.getPublic()));
        assertFalse(Identity.belongTogether(noPoint, certKey));
    }

    // --- keys that are not usable ----------------------------------------------------------------------------

    @Test
    void aSec1KeyWithoutItsCurveIsRefused() throws Exception {
        // BouncyCastle writes a JDK EC key as SEC1 without the curve (the JDK keeps it outside the key structure)
        Path file = write("nocurve.key", pem(new JcaMiscPEMGenerator(TestCerts.ecKey("secp256r1"))));
        assertEquals("-----BEGIN EC PRIVATE KEY-----", firstLine(file));
        assertEquals(file + ": the EC PRIVATE KEY block names no curve and no EC PARAMETERS block precedes it",
                message(() -> Pem.readPrivateKey(file)));
    }

    @Test
    void theManualsCaKeyIsEncryptedAndSaysHowToDecryptIt() throws Exception {
        Path caKey = pki.path("private/ca.key");
        assertEquals("-----BEGIN ENCRYPTED PRIVATE KEY-----", firstLine(caKey));
        assertEquals(caKey + " is encrypted with a passphrase; rqst needs an unencrypted key (decrypt it with:"
                + " openssl pkey -in " + caKey + " -out " + pki.path("private/ca-plain.key") + ")",
                message(() -> Pem.readPrivateKey(caKey)));
    }

    @Test
    void aTraditionallyEncryptedKeyIsRecognisedToo() throws Exception {
        var encryptor = new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(new BouncyCastleProvider())
                .build("secret".toCharArray());
        var generator = new JcaMiscPEMGenerator(Pem.readPrivateKey(pki.path("private/client.key")), encryptor);
        Path file = write("server.key", pem(generator));
        assertTrue(Files.readString(file).contains("Proc-Type: 4,ENCRYPTED"));
        assertEquals(file + " is encrypted with a passphrase; rqst needs an unencrypted key (decrypt it with:"
                + " openssl pkey -in " + file + " -out " + tmp.resolve("server-plain.key") + ")",
                message(() -> Pem.readPrivateKey(file)));
    }

    @Test
    void missingUnreadableAndDirectoryFilesAreNamed() throws Exception {
        Path missing = tmp.resolve("server.key");
        assertEquals(missing + ": no such file", message(() -> Pem.readPrivateKey(missing)));
        assertEquals(missing + ": no such file", message(() -> Pem.readCertificates(missing)));
        assertEquals(tmp + ": is a directory, not a file", message(() -> Pem.readPrivateKey(tmp)));
        // a device that never ends (it used to hang the start)
        Path zero = Path.of("/dev/zero");
        assertEquals(zero + ": longer than 16384 KiB, not a key, certificate or CRL file", message(() -> Pem.readPrivateKey(zero)));
    }

    @Test
    void anUnreadableFileGivesAPermissionMessage() throws Exception {
        Path file = Files.copy(pki.path("private/client.key"), tmp.resolve("client.key"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        String expected = file + ": permission denied (rqst runs as user " + System.getProperty("user.name") + ")";
        // root (as in CI) reads any file, so the kernel's refusal is reproduced by its exception
        assertEquals(expected, Pem.readFailure(file, new java.nio.file.AccessDeniedException(file.toString())).getMessage());
        if (!Files.isReadable(file)) { // a developer's non-root run also goes through the real read
            assertEquals(expected, message(() -> Pem.readPrivateKey(file)));
        }
    }

    @Test
    void emptyNonPemAndDerFilesAreNamed() throws Exception {
        Path empty = write("empty.key", "\n");
        assertEquals(empty + ": is empty", message(() -> Pem.readPrivateKey(empty)));
        Path text = write("notes.crt", "this is the server certificate\n");
        assertEquals(text + ": contains no PEM block (expected a line -----BEGIN CERTIFICATE-----)",
                message(() -> Pem.readCertificates(text)));
        Path der = Files.write(tmp.resolve("ca.cer"), pki.ca().getFirst().getEncoded());
        assertEquals(der + ": is binary DER, not PEM (convert it with: openssl x509 -inform DER -in " + der
                + " -out " + der + ".pem)", message(() -> Pem.readCertificates(der)));
    }

    @Test
    void corruptBase64AndCorruptDerAreReported() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(pki.path("private/client.key")));
        List<String> badBase64 = new ArrayList<>(lines);
        badBase64.set(5, badBase64.get(5).substring(0, 20) + "!?" + badBase64.get(5).substring(22));
        Path base64 = write("base64.key", String.join("\n", badBase64) + "\n");
        assertEquals(base64 + ": is corrupt: the base64 text of a PEM block does not decode",
                message(() -> Pem.readPrivateKey(base64)));

        List<String> truncated = new ArrayList<>(lines);
        truncated.remove(10); // still valid base64, no longer a valid key
        Path der = write("der.key", String.join("\n", truncated) + "\n");
        assertEquals(der + ": the PRIVATE KEY block is corrupt (its content is not valid DER)",
                message(() -> Pem.readPrivateKey(der)));

        List<String> certLines = new ArrayList<>(Files.readAllLines(pki.path("certs/client.crt")));
        certLines.remove(7);
        Path cert = write("der.crt", String.join("\n", certLines) + "\n");
        assertEquals(cert + ": the CERTIFICATE block is corrupt (its content is not valid DER)",
                message(() -> Pem.readCertificates(cert)));

        Path noEnd = write("noend.crt", String.join("\n", certLines.subList(0, certLines.size() - 1)) + "\n");
        assertTrue(message(() -> Pem.readCertificates(noEnd)).startsWith(noEnd + ": is not valid PEM ("),
                () -> message(() -> Pem.readCertificates(noEnd)));
    }

    @Test
    void theWrongKindOfFileIsNamed() throws Exception {
        Path cert = pki.path("certs/client.crt");
        assertEquals(cert + ": contains a certificate, not a private key (are the key and certificate file names"
                + " swapped?)", message(() -> Pem.readPrivateKey(cert)));
        Path key = pki.path("private/client.key");
        assertEquals(key + ": contains a private key, not a certificate (are the key and certificate file names"
                + " swapped?)", message(() -> Pem.readCertificates(key)));
        Path csr = pki.path("csr/client.csr");
        assertEquals(csr + ": contains a certificate request (CSR), not a certificate",
                message(() -> Pem.readCertificates(csr)));
    }

    // --- certificates -----------------------------------------------------------------------------------------

    @Test
    void aChainFileKeepsItsOrderAndIgnoresTextAroundTheBlocks() throws Exception {
        Path chain = write("chain.crt", "Bag Attributes: from an export\r\n"
                + Files.readString(pki.path("certs/server.crt")).replace("\n", "\r\n") + "\n"
                + "subject=CN = RQST CA\n" + Files.readString(pki.path("certs/ca.crt")));
        List<X509Certificate> certs = Pem.readCertificates(chain);
        assertEquals(List.of(pki.cert("certs/server.crt"), pki.ca().getFirst()), certs);
    }

    @Test
    void aKeyThatDoesNotBelongToTheCertificateIsRefused() throws Exception {
        Path crt = pki.path("certs/client.crt");
        Path otherRsa = pki.path("private/client2.key");
        assertEquals(otherRsa + " does not belong to " + crt + " (the certificate was issued for another key)",
                message(() -> Identity.load(otherRsa, crt)));
        Path ec = pki.path("private/client-ec.key");
        assertEquals(ec + " does not belong to " + crt + " (the key is EC, the certificate's is RSA)",
                message(() -> Identity.load(ec, crt)));
    }

    @Test
    void subjectCnFallsBackToTheWholeSubject() throws Exception {
        var ca = TestCerts.ca(new X500Name("C=JP,O=No Common Name"));
        assertEquals("C=JP,O=No Common Name", new Identity(ca.keys().getPrivate(), List.of(ca.cert())).subjectCn());
        var named = TestCerts.leaf(ca, new X500Name("C=JP,CN=first,CN=alice\\, with comma"), Instant.now(),
                Instant.now().plusSeconds(60));
        assertEquals("alice, with comma", new Identity(named.keys().getPrivate(), List.of(named.cert())).subjectCn());
    }

    private static String pem(org.bouncycastle.util.io.pem.PemObjectGenerator generator) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(generator);
        }
        return out.toString();
    }
}
