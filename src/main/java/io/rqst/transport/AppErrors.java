package io.rqst.transport;

/** QUIC application error codes in CONNECTION_CLOSE frames (RFC 9000 §20.2) used by rqst. */
public final class AppErrors {
    /** Normal close: the user stopped the client or server. */
    public static final int NO_ERROR = 0x0;
    /** RQST closes with 0x1 "client cert required" when a client sends no certificate. */
    public static final int RQST_CLIENT_CERT_REQUIRED = 0x1;
    /** The server refused the session (policy, version); the reason says why. Do not retry. */
    public static final int REJECTED = 0x2;
    /** The server is shutting down or restarting; retry later. */
    public static final int SHUTDOWN = 0x3;
    /** A newer connection of the same client took over this session. */
    public static final int REPLACED = 0x4;
    /** The peer broke the control protocol. */
    public static final int PROTOCOL_ERROR = 0x5;

    private AppErrors() {}

    /** A short name for logs. */
    public static String name(long code) {
        if (code < 0 || code > Integer.MAX_VALUE) {
            return "app_error_" + code; // QUIC codes are 62-bit: do not let a large one alias a small one
        }
        return switch ((int) code) {
            case NO_ERROR -> "no_error";
            case RQST_CLIENT_CERT_REQUIRED -> "client_cert_required";
            case REJECTED -> "rejected";
            case SHUTDOWN -> "shutdown";
            case REPLACED -> "replaced";
            case PROTOCOL_ERROR -> "protocol_error";
            default -> "app_error_" + code;
        };
    }
}
