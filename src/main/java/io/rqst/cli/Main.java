package io.rqst.cli;

/** Entry point of the rqst launcher. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.err.println("rqst: not built yet");
        System.exit(2);
    }
}
