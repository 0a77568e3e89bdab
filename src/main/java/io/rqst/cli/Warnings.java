package io.rqst.cli;

/** Loud warnings that must not be missed. */
final class Warnings {
    private Warnings() {}

    static void testMode(String side, String consequence) {
        System.err.println("*******************************************************************************");
        System.err.println("* WARNING: -d: certificate verification is OFF on this " + side + ".");
        System.err.println("* " + consequence + ".");
        System.err.println("* Traffic is still encrypted. Use this only to test; see 'rqst " + side + " --help'.");
        System.err.println("*******************************************************************************");
    }
}
