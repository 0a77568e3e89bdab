package io.rqst.transport;

import java.util.Optional;

/**
 * Why a connection ended.
 *
 * @param kind     who or what ended it
 * @param code     the QUIC error code (application or transport, see {@code application})
 * @param application true if {@code code} is an application error code ({@link AppErrors})
 * @param reason   the reason phrase, or our own description; never null
 * @param tlsAlert the TLS alert if the handshake was refused, else -1
 */
public record CloseInfo(Kind kind, long code, boolean application, String reason, int tlsAlert) {

    /** Who or what ended the connection. */
    public enum Kind {
        /** We closed it. */
        LOCAL,
        /** The peer closed it (CONNECTION_CLOSE received). */
        PEER,
        /** Nothing was heard from the peer for the idle timeout. */
        IDLE_TIMEOUT,
        /** The TLS handshake failed on our side (we refused the peer, or could not reach it). */
        HANDSHAKE,
        /** A local error. */
        ERROR
    }

    public CloseInfo {
        reason = reason == null ? "" : reason;
    }

    /** The TLS alert, if this close is a refused handshake. */
    public Optional<Integer> alert() {
        return tlsAlert >= 0 ? Optional.of(tlsAlert) : Optional.empty();
    }

    /** One line for logs, e.g. {@code peer closed: shutdown "server stopping"}. */
    public String describe() {
        String r = reason.isEmpty() ? "" : " \"" + reason + "\"";
        return switch (kind) {
            case LOCAL -> "closed here: " + (application ? AppErrors.name(code) : "transport error " + code) + r;
            case PEER -> tlsAlert >= 0
                    ? "peer refused the TLS handshake: " + TlsAlerts.name(tlsAlert) + r
                    : "peer closed: " + (application ? AppErrors.name(code) : "transport error 0x" + Long.toHexString(code)) + r;
            case IDLE_TIMEOUT -> "idle timeout: nothing heard from the peer" + r;
            case HANDSHAKE -> "TLS handshake failed" + (reason.isEmpty() ? "" : ": " + reason);
            case ERROR -> "error: " + reason;
        };
    }
}
