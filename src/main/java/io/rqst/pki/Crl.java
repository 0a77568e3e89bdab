package io.rqst.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * Certificate revocation lists (RFC 5280 §5): reading one, verifying it against our CA before it is believed,
 * and the {@link CertificateCheck} that refuses a peer whose certificate it lists.
 *
 * <p>Only complete CRLs signed directly by the CA are understood; a delta CRL, a partitioned CRL (issuing
 * distribution point) or an indirect one (entries naming another issuer) is refused as a whole, since reading it
 * as a complete list would let revoked certificates through.
 */
public final class Crl {
    /** RFC 5280 §4.2.1.3 keyUsage bit cRLSign. */
    private static final int RFC5280_KEY_USAGE_CRL_SIGN = 6;
    /** RFC 5280 §5.2.3 CRL number. */
    private static final String RFC5280_CRL_NUMBER = "2.5.29.20";
    /** CRL extensions rqst knows, so may be critical: CRL number, authority key identifier. */
    private static final Set<String> UNDERSTOOD = Set.of(RFC5280_CRL_NUMBER, "2.5.29.35");

    private Crl() {}

    /**
     * Reads and verifies a CRL file.
     *
     * @param file    PEM ({@code BEGIN X509 CRL}), e.g. {@code crl.pem}
     * @param caCerts our CA certificates; the CRL must be issued and signed by one of them
     * @return the verified list
     * @throws PkiException naming the file and what is wrong
     */
    public static RevocationList load(Path file, List<X509Certificate> caCerts) throws PkiException {
        return verify(file, Pem.readCrl(file), caCerts);
    }

    /** {@link #load} of bytes already read from {@code file}. */
    static RevocationList load(Path file, byte[] bytes, List<X509Certificate> caCerts) throws PkiException {
        return verify(file, Pem.readCrl(file, bytes), caCerts);
    }

    /**
     * Verifies a CRL: issued by one of our CAs (by name), signed with that CA's key, the CA allowed to sign CRLs,
     * no critical extension rqst does not understand.
     *
     * @param file    where the CRL comes from, for messages
     * @param crl     the CRL
     * @param caCerts our CA certificates
     * @return the verified list
     * @throws PkiException naming the file and what is wrong
     */
    public static RevocationList verify(Path file, X509CRL crl, List<X509Certificate> caCerts) throws PkiException {
        List<X509Certificate> namesakes = caCerts.stream()
                .filter(ca -> ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())).toList();
        String ours = caCerts.stream().map(Names::quoted).distinct().collect(Collectors.joining(" or "));
        if (namesakes.isEmpty()) {
            throw new PkiException(file + ": is issued by \"" + Names.shortName(crl.getIssuerX500Principal())
                    + "\", not by our CA " + ours);
        }
        X509Certificate signer = null;
        for (X509Certificate ca : namesakes) {
            try {
                crl.verify(ca.getPublicKey());
                signer = ca;
                break;
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this one
            }
        }
        if (signer == null) {
            throw new PkiException(file + ": its signature does not verify with the key of our CA " + ours
                    + " (is it from an older CA of the same name?)");
        }
        boolean[] usage = signer.getKeyUsage();
        if (usage != null && (usage.length <= RFC5280_KEY_USAGE_CRL_SIGN || !usage[RFC5280_KEY_USAGE_CRL_SIGN])) {
            throw new PkiException(file + ": our CA " + Names.quoted(signer) + " may not sign CRLs (its keyUsage lacks"
                    + " cRLSign)");
        }
        Set<String> critical = crl.getCriticalExtensionOIDs();
        if (critical != null) {
            for (String oid : critical) {
                if (!UNDERSTOOD.contains(oid)) {
                    throw new PkiException(file + ": has a critical extension rqst does not understand (" + oid
                            + "; delta, partitioned and indirect CRLs are not supported)");
                }
            }
        }
        Map<BigInteger, Revocation> revoked = new HashMap<>();
        Set<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
        for (X509CRLEntry entry : entries == null ? Set.<X509CRLEntry>of() : entries) {
            if (entry.getCertificateIssuer() != null || entry.hasUnsupportedCriticalExtension()) {
                throw new PkiException(file + ": the entry for serial " + Serials.describe(entry.getSerialNumber())
                        + " names another issuer or has a critical extension rqst does not understand");
            }
            RevocationReason reason = entry.getRevocationReason() == null ? RevocationReason.UNSPECIFIED
                    : RevocationReason.ofCode(entry.getRevocationReason().ordinal()).orElse(RevocationReason.UNSPECIFIED);
            revoked.put(entry.getSerialNumber(),
                    new Revocation(entry.getSerialNumber(), entry.getRevocationDate().toInstant(), reason));
        }
        return new RevocationList(crl.getIssuerX500Principal(), crl.getThisUpdate().toInstant(),
                Optional.ofNullable(crl.getNextUpdate()).map(java.util.Date::toInstant), number(file, crl), revoked);
    }

    private static Optional<BigInteger> number(Path file, X509CRL crl) throws PkiException {
        byte[] value = crl.getExtensionValue(RFC5280_CRL_NUMBER);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ASN1Integer.getInstance(JcaX509ExtensionUtils.parseExtensionValue(value)).getValue());
        } catch (IOException | RuntimeException e) {
            throw new PkiException(file + ": its CRL number is corrupt", e);
        }
    }

    /**
     * The check that refuses a {@code peer} ("client" or "server") whose certificate the list in force revokes,
     * with {@link CertificateRefusedException.Reason#REVOKED} and e.g.
     * {@code client certificate "CN=alice" (serial 0x3F1A) is revoked (keyCompromise, 2026-01-02T03:04:05Z)}.
     *
     * @param peer    whose certificates are checked, as messages name them
     * @param inForce the list in force now (read at every check, so it may change); empty when there is none
     */
    public static CertificateCheck check(String peer, Supplier<Optional<RevocationList>> inForce) {
        return CertificateCheck.of(CertificateRefusedException.Reason.REVOKED,
                chain -> refusal(peer, chain.getFirst(), inForce.get()));
    }

    /** Why {@code cert} is refused by {@code list}, or empty if the list does not revoke it. */
    public static Optional<String> refusal(String peer, X509Certificate cert, Optional<RevocationList> list) {
        return list.flatMap(l -> l.find(cert)).map(r -> peer + " certificate " + Names.quoted(cert) + " (serial "
                + Serials.describe(cert.getSerialNumber()) + ") is revoked (" + r.describe() + ")");
    }
}
