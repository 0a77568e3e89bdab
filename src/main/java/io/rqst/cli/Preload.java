package io.rqst.cli;

/**
 * Initialises, on a second thread, what the tunnel commands need a little later: the QUIC codec's
 * native library (quiche and BoringSSL), Netty's epoll transport, and the TAP's native calls. The main
 * thread meanwhile parses options and loads certificates; on a cold start the two overlap, which
 * shortens the time from {@code rqst client} to the first ping. A class the main thread reaches while
 * it is being initialised here simply waits for it (the JVM's class initialisation lock).
 */
final class Preload {
    private Preload() {}

    /** Starts the preloading thread (daemon: it never delays exit). Failures are left to the real use. */
    static void start() {
        Thread.ofPlatform().daemon(true).name("rqst-preload").start(() -> {
            try {
                io.netty.handler.codec.quic.Quic.isAvailable();
                io.netty.channel.epoll.Epoll.isAvailable();
                Class.forName("io.rqst.tap.Libc", true, Preload.class.getClassLoader());
            } catch (Throwable ignored) {
                // the real use reports any problem with its own context
            }
        });
    }
}
