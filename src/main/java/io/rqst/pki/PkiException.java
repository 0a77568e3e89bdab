package io.rqst.pki;

/**
 * A key, certificate or CA file that rqst cannot use. The message is one line for the user: it names the file
 * and what is wrong with it (and, where there is one, the command that fixes it).
 */
public final class PkiException extends Exception {
    /**
     * An error without an underlying exception.
     *
     * @param message one line naming the file and the problem
     */
    public PkiException(String message) {
        super(message);
    }

    /**
     * An error caused by another exception.
     *
     * @param message one line naming the file and the problem
     * @param cause   the underlying error, kept for debugging; its text is not part of the message
     */
    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
