package io.rqst.pki;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * A verified CRL as rqst uses it: who issued it, when it was made and is due to be replaced, and the revoked
 * serial numbers. Immutable; made by {@link Crl#verify}.
 *
 * @param issuer     the CA that signed it (one of ours)
 * @param thisUpdate when it was issued
 * @param nextUpdate when the CA promised a newer one, if it did
 * @param number     its CRL number (RFC 5280 §5.2.3), if it has one
 * @param revoked    the revoked certificates by serial
 */
public record RevocationList(X500Principal issuer, Instant thisUpdate, Optional<Instant> nextUpdate,
                             Optional<BigInteger> number, Map<BigInteger, Revocation> revoked) {
    public RevocationList {
        revoked = Map.copyOf(revoked);
    }

    /** {@return the entry revoking {@code cert}, if this CRL's issuer issued it and lists its serial} */
    public Optional<Revocation> find(X509Certificate cert) {
        if (!cert.getIssuerX500Principal().equals(issuer)) {
            return Optional.empty();
        }
        return Optional.ofNullable(revoked.get(cert.getSerialNumber()));
    }

    /** {@return whether {@code now} is past the CRL's nextUpdate: its CA should have issued a newer one} */
    public boolean isStale(Instant now) {
        return nextUpdate.isPresent() && now.isAfter(nextUpdate.get());
    }

    /** {@return one line for logs, e.g. {@code 2 revoked, number 5, issued 2026-..., next update 2026-...}} */
    public String summary() {
        return revoked.size() + " revoked" + number.map(n -> ", number " + n).orElse("") + ", issued " + thisUpdate
                + nextUpdate.map(n -> ", next update " + n).orElse(", no next update");
    }
}
