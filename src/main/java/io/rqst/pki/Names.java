package io.rqst.pki;

import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/** How certificates and names are shown in messages: {@code "CN=alice"}, or the whole subject if it has no CN. */
final class Names {
    private Names() {}

    /** The most specific (last) CN of a name, unescaped. */
    static Optional<String> commonName(X500Principal name) {
        RDN[] cns = X500Name.getInstance(name.getEncoded()).getRDNs(BCStyle.CN);
        if (cns.length == 0) {
            return Optional.empty();
        }
        var value = cns[cns.length - 1].getFirst().getValue();
        return Optional.of(value instanceof ASN1String s ? s.getString() : IETFUtils.valueToString(value));
    }

    /** The whole name in RFC 4514 order with readable attribute names, e.g. {@code C=JP,O=Example,CN=alice}. */
    static String full(X500Principal name) {
        return X500Name.getInstance(BCStyle.INSTANCE, name.getEncoded()).toString();
    }

    /** {@code CN=alice}, or the whole name if it has no CN. */
    static String shortName(X500Principal name) {
        return commonName(name).map(cn -> "CN=" + cn).orElseGet(() -> full(name));
    }

    /** The certificate's subject as a quoted short name: {@code "CN=alice"}. */
    static String quoted(X509Certificate cert) {
        return '"' + shortName(cert.getSubjectX500Principal()) + '"';
    }
}
