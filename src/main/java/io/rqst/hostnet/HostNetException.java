package io.rqst.hostnet;

/** A host network change that failed; the message names the command and the kernel's answer. */
public final class HostNetException extends Exception {
    public HostNetException(String message) {
        super(message);
    }
}
