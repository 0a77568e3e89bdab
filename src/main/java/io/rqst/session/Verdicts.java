package io.rqst.session;

import io.rqst.transport.AppErrors;
import io.rqst.transport.CloseInfo;
import io.rqst.transport.TlsAlerts;
import java.util.Optional;

/**
 * Decides whether a lost connection is worth retrying. Refusals (certificates, names, ALPN, a
 * Reject) are final: retrying cannot help and the user must see why. Everything else — timeouts,
 * a server restart, a network change — is retried.
 */
final class Verdicts {
    private Verdicts() {}

    /**
     * The reason to give up, or empty to retry.
     *
     * @param why  how the connection ended
     * @param alpn the ALPN this client offered, for the message
     */
    static Optional<String> fatal(CloseInfo why, String alpn) {
        return switch (why.kind()) {
            case HANDSHAKE -> Optional.of("refusing the server: " + why.reason());
            case PEER -> {
                if (why.tlsAlert() >= 0) {
                    yield Optional.of(TlsAlerts.describeFromServer(why.tlsAlert(), alpn));
                }
                if (why.application() && (why.code() == AppErrors.REJECTED || why.code() == AppErrors.RQST_CLIENT_CERT_REQUIRED
                        || why.code() == AppErrors.PROTOCOL_ERROR)) {
                    yield Optional.of("the server refused this client: " + (why.reason().isEmpty() ? AppErrors.name(why.code()) : why.reason()));
                }
                yield Optional.empty();
            }
            case LOCAL, IDLE_TIMEOUT, ERROR -> Optional.empty();
        };
    }
}
