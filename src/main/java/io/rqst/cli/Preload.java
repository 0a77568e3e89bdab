package io.rqst.cli;

/**
 * Initialises, on two background threads, what the tunnel commands need a little later, while the main
 * thread parses options and loads certificates: on a cold start this overlap shortens the time from
 * {@code rqst client} to the first ping. One thread loads the QUIC codec's native library (quiche and
 * BoringSSL) and Netty's epoll transport; the other initialises JSON (the control stream and the
 * host-state file), the JDK's certificate path validation, the TAP's native calls and the log's date
 * format, and encodes and decodes a Hello and an Accept. A class the main thread reaches while it is
 * being initialised here simply waits for it (the JVM's class initialisation lock). Failures are
 * ignored: the real use reports them with its own context.
 */
final class Preload {
    private Preload() {}

    /**
     * A class initialised by name, as it is not public. Failures are ignored here, so a name that no longer
     * exists would go unnoticed: {@code PreloadTest} loads it. (The TAP's libc binding was preloaded under a
     * name it had left, so its start-up cost stayed on the way to the first ping.)
     */
    static final String STATE_FILE = "io.rqst.hostnet.StateFile";

    /** Starts the preloading threads (daemons: they never delay exit). */
    static void start() {
        thread("rqst-preload-net", () -> {
            io.netty.handler.codec.quic.Quic.isAvailable();
            io.netty.channel.epoll.Epoll.isAvailable();
            // not Netty's buffer classes: their static initialisers reach one another (ByteBufUtil makes the
            // default allocator), and two threads in them at once would risk a class-initialisation deadlock
        });
        thread("rqst-preload-misc", () -> {
            new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"rqst\":[1,\"x\",true]}");
            load(STATE_FILE);
            java.security.cert.CertPathValidator.getInstance("PKIX");
            load(io.rqst.sys.Libc.class.getName()); // its downcall handles: tens of ms on a cold start
            // the first log line's date, and one round of the control protocol (it runs right after the handshake)
            new java.text.SimpleDateFormat("yyyy-MM-dd HH:mm:ss").format(new java.util.Date());
            int version = io.rqst.control.ControlProtocol.VERSION;
            io.rqst.control.ControlDecoder decoder = new io.rqst.control.ControlDecoder();
            decoder.feed(io.rqst.control.ControlCodec.encode(
                    new io.rqst.control.ControlMessage.Hello(version, "rqst", java.util.List.of("x"), java.util.Optional.empty())));
            decoder.feed(io.rqst.control.ControlCodec.encode(
                    new io.rqst.control.ControlMessage.Accept(version, "0123abcd", 1280, "-", java.util.List.of("10.8.0.1"), 10)));
        });
    }

    private interface Work {
        void run() throws Exception;
    }

    private static void thread(String name, Work work) {
        Thread.ofPlatform().daemon(true).name(name).start(() -> {
            try {
                work.run();
            } catch (Throwable ignored) {
                // the real use reports any problem with its own context
            }
        });
    }

    private static void load(String className) throws ClassNotFoundException {
        Class.forName(className, true, Preload.class.getClassLoader());
    }
}
