package io.rqst.pki;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A client's whole configuration in one text file ({@code alice.rqst}, mode 0600): the server's URL, the CA
 * certificate, the client certificate and its key, so that {@code rqst client --bundle alice.rqst} needs nothing
 * else. A person can read it; other tools can take the PEM blocks out of it as they are:
 *
 * <pre>
 * # rqst client bundle for "alice": it holds alice's private key, keep it secret.
 * # Connect with: rqst client --bundle alice.rqst
 * rqst-bundle: 1
 * server: vpn://rqst.example.com:3456
 *
 * # CA certificate "CN=RQST CA"
 * -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----
 * # client certificate "CN=alice", valid until 2028-01-01T00:00:00Z
 * -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----
 * # client private key
 * -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----
 * </pre>
 *
 * <p>Lines before the first PEM block are {@code key: value} fields ({@code #} starts a comment); unknown fields
 * are ignored, so later versions can add some. The blocks may come in any order: the client certificate is the
 * one that belongs to the key, every other certificate is a CA certificate.
 *
 * @param server         the server URL as written ({@code vpn://HOST[:PORT]}); the caller parses it
 * @param caCertificates the CA certificates the server's certificate must chain to
 * @param identity       the client's key and certificate
 */
public record Bundle(String server, List<X509Certificate> caCertificates, Identity identity) {
    /** The file name extension of bundles. */
    public static final String EXTENSION = ".rqst";
    static final String MAGIC = "rqst-bundle";
    static final String VERSION = "1";

    public Bundle {
        caCertificates = List.copyOf(caCertificates);
    }

    /** {@return the bundle as its file's text, for a client named {@code name}} */
    public String encode(String name) {
        StringBuilder b = new StringBuilder();
        b.append("# rqst client bundle for \"").append(name).append("\": it holds ").append(name)
                .append("'s private key, keep it secret.\n");
        b.append("# Connect with: rqst client --bundle FILE\n");
        b.append(MAGIC).append(": ").append(VERSION).append('\n');
        b.append("server: ").append(server).append("\n\n");
        for (X509Certificate ca : caCertificates) {
            b.append("# CA certificate ").append(Names.quoted(ca)).append('\n').append(Pem.encode(ca));
        }
        X509Certificate cert = identity.certificate();
        b.append("# client certificate ").append(Names.quoted(cert)).append(", valid until ")
                .append(cert.getNotAfter().toInstant()).append('\n').append(Pem.encode(cert));
        b.append("# client private key\n").append(Pem.encode(identity.key(), identity.certificate().getPublicKey()));
        return b.toString();
    }

    /**
     * Reads a bundle file.
     *
     * @throws PkiException naming the file and what is wrong with it
     */
    public static Bundle read(Path file) throws PkiException {
        byte[] bytes = Pem.read(file);
        Map<String, String> fields = fields(new String(bytes, StandardCharsets.UTF_8));
        if (!fields.containsKey(MAGIC)) {
            throw new PkiException(file + ": is not an rqst bundle (it lacks the line \"" + MAGIC + ": " + VERSION
                    + "\"; make one with: rqst ca bundle NAME --server vpn://HOST)");
        }
        if (!fields.get(MAGIC).equals(VERSION)) {
            throw new PkiException(file + ": is an rqst bundle of version " + fields.get(MAGIC) + "; this rqst reads version "
                    + VERSION);
        }
        String server = Optional.ofNullable(fields.get("server")).filter(s -> !s.isBlank())
                .orElseThrow(() -> new PkiException(file + ": names no server (a line \"server: vpn://HOST[:PORT]\")"));
        List<String> types = Pem.blockTypes(file, bytes);
        if (types.stream().noneMatch(t -> t.endsWith("PRIVATE KEY"))) {
            throw new PkiException(file + ": holds no private key (a block -----BEGIN PRIVATE KEY-----)");
        }
        if (!types.contains("CERTIFICATE")) {
            throw new PkiException(file + ": holds no certificate (it needs the CA's and the client's)");
        }
        PrivateKey key = Pem.readPrivateKey(file, bytes);
        List<X509Certificate> certs = Pem.readCertificates(file, bytes);
        X509Certificate own = null;
        List<X509Certificate> cas = new ArrayList<>();
        for (X509Certificate cert : certs) {
            if (own == null && Identity.belongTogether(key, cert.getPublicKey())) {
                own = cert;
            } else {
                cas.add(cert);
            }
        }
        if (own == null) {
            throw new PkiException(file + ": its private key belongs to none of its certificates");
        }
        if (cas.isEmpty()) {
            throw new PkiException(file + ": holds no CA certificate (only the client's own)");
        }
        return new Bundle(server, cas, new Identity(key, List.of(own)));
    }

    /** The {@code key: value} lines before the first PEM block. */
    private static Map<String, String> fields(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String raw : text.replace("\uFEFF", "").split("\r?\n")) {
            String line = raw.strip();
            if (line.startsWith("-----BEGIN ")) {
                break;
            }
            int colon = line.indexOf(':');
            if (line.isEmpty() || line.startsWith("#") || colon <= 0) {
                continue;
            }
            fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
        return fields;
    }
}
