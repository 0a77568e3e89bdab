package io.rqst.transport;

/**
 * What a TLS alert received from the peer means for a user (RFC 8446 §6; QUIC carries it as
 * transport error {@code 0x0100 + alert}, RFC 9001 §4.8).
 */
public final class TlsAlerts {
    /** RFC 9001 §4.8: CRYPTO_ERROR range start. */
    public static final int RFC9001_CRYPTO_ERROR = 0x0100;

    public static final int HANDSHAKE_FAILURE = 40;
    public static final int BAD_CERTIFICATE = 42;
    public static final int UNSUPPORTED_CERTIFICATE = 43;
    public static final int CERTIFICATE_REVOKED = 44;
    public static final int CERTIFICATE_EXPIRED = 45;
    public static final int CERTIFICATE_UNKNOWN = 46;
    public static final int UNKNOWN_CA = 48;
    public static final int ACCESS_DENIED = 49;
    public static final int DECRYPT_ERROR = 51;
    public static final int PROTOCOL_VERSION = 70;
    public static final int INTERNAL_ERROR = 80;
    public static final int CERTIFICATE_REQUIRED = 116;
    public static final int NO_APPLICATION_PROTOCOL = 120;

    private TlsAlerts() {}

    /** The alert carried by a QUIC transport error code, or -1. */
    public static int fromQuicError(long error) {
        return error >= RFC9001_CRYPTO_ERROR && error < RFC9001_CRYPTO_ERROR + 256 ? (int) (error - RFC9001_CRYPTO_ERROR) : -1;
    }

    /**
     * Explains an alert the <em>server</em> sent to this client during the handshake.
     *
     * @param alert the TLS alert number
     * @param alpn  the application protocol this client offered
     */
    public static String describeFromServer(int alert, String alpn) {
        return switch (alert) {
            case CERTIFICATE_REQUIRED -> "the server requires a client certificate and this client sent none";
            case UNKNOWN_CA -> "the server does not trust this client's certificate: it is not issued by the server's CA";
            case CERTIFICATE_EXPIRED -> "the server refused this client's certificate: it has expired or is not yet valid";
            case CERTIFICATE_REVOKED -> "the server refused this client's certificate: it has been revoked";
            case UNSUPPORTED_CERTIFICATE -> "the server refused this client's certificate: it is not meant for client use (extended key usage)";
            case BAD_CERTIFICATE, CERTIFICATE_UNKNOWN, ACCESS_DENIED -> "the server refused this client's certificate";
            case DECRYPT_ERROR -> "the server could not verify this client's key (does the key belong to the certificate?)";
            case NO_APPLICATION_PROTOCOL -> "the server does not speak this protocol (it refused ALPN '" + alpn + "')";
            case PROTOCOL_VERSION -> "the server and this client share no TLS version";
            case HANDSHAKE_FAILURE -> "the TLS handshake failed (no parameters in common)";
            default -> "the server ended the TLS handshake with alert " + alert + " (" + name(alert) + ")";
        };
    }

    /** The RFC name of an alert, for logs. */
    public static String name(int alert) {
        return switch (alert) {
            case 0 -> "close_notify";
            case 10 -> "unexpected_message";
            case 20 -> "bad_record_mac";
            case 22 -> "record_overflow";
            case HANDSHAKE_FAILURE -> "handshake_failure";
            case BAD_CERTIFICATE -> "bad_certificate";
            case UNSUPPORTED_CERTIFICATE -> "unsupported_certificate";
            case CERTIFICATE_REVOKED -> "certificate_revoked";
            case CERTIFICATE_EXPIRED -> "certificate_expired";
            case CERTIFICATE_UNKNOWN -> "certificate_unknown";
            case 47 -> "illegal_parameter";
            case UNKNOWN_CA -> "unknown_ca";
            case ACCESS_DENIED -> "access_denied";
            case 50 -> "decode_error";
            case DECRYPT_ERROR -> "decrypt_error";
            case PROTOCOL_VERSION -> "protocol_version";
            case 71 -> "insufficient_security";
            case INTERNAL_ERROR -> "internal_error";
            case 109 -> "missing_extension";
            case 110 -> "unsupported_extension";
            case 112 -> "unrecognized_name";
            case CERTIFICATE_REQUIRED -> "certificate_required";
            case NO_APPLICATION_PROTOCOL -> "no_application_protocol";
            default -> "alert " + alert;
        };
    }
}
