package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.rqst.hostnet.StderrCapture;
import io.rqst.pki.SelfSigned;
import io.rqst.transport.QuicLoopbackTest.Recorder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SSLKEYLOGFILE}: two QUIC endpoints over loopback, each with its own key log file, write the
 * TLS 1.3 secrets of their connections in the NSS key log format Wireshark reads, to a file only
 * its owner can read, and say so in the log.
 */
class KeyLogFileTest {
    /** An NSS key log line: label, the ClientHello's random (32 bytes), the secret (32 or 48 bytes). */
    private static final Pattern LINE = Pattern.compile("([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]{64}|[0-9a-f]{96})");
    /** The secrets Wireshark needs to decrypt a TLS 1.3 (QUIC) connection's handshake and 1-RTT packets. */
    private static final List<String> TLS13_LABELS = List.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0");

    @TempDir
    Path dir;

    private final EventLoopGroup group = EventLoops.group(1, "test-keylog");
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /**
     * Promise: with a key log file, both ends write every TLS 1.3 secret of each connection (handshake
     * and application traffic, client and server) as NSS key log lines keyed by the client random, into
     * a file created 0600; both ends write the same secrets; a later connection appends; opening it
     * logs one WARN line.
     */
    @Test
    void bothEndsWriteTheSecretsOfEachConnectionToAPrivateFile() throws Exception {
        Path serverFile = dir.resolve("server.keys");
        Path clientFile = dir.resolve("client.keys");
        KeyLogFile serverLog;
        KeyLogFile clientLog;
        try (StderrCapture stderr = new StderrCapture()) {
            serverLog = KeyLogFile.open(serverFile);
            clientLog = KeyLogFile.open(clientFile);
            assertEquals(List.of(serverFile.toString(), clientFile.toString()),
                    stderr.lines("WARN").stream().map(KeyLogFileTest::warnedPath).toList(), "one WARN line per file");
        }
        toClose.add(serverLog);
        toClose.add(clientLog);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(serverFile)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(clientFile)));
        assertEquals(0, Files.size(clientFile), "nothing before a connection");

        QuicServerTransport server = QuicServerTransport.bind(QuicSettings.defaults(),
                Tls.server(SelfSigned.generate("srv"), Optional.empty(), QuicSettings.RQST_ALPN, Optional.of(serverLog)),
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), group, new QuicServerTransport.Acceptor() {
                    @Override
                    public ConnectionListener accept(Connection c) {
                        return new Recorder();
                    }

                    @Override
                    public void refused(InetSocketAddress peer, CloseInfo why) {
                    }
                });
        toClose.add(server::close);
        QuicClientTransport client = new QuicClientTransport(QuicSettings.defaults(),
                Tls.client(Optional.empty(), Optional.empty(), QuicSettings.RQST_ALPN, Optional.of(clientLog)), group);

        String first = connectAndClose(client, server, clientFile);
        String second = connectAndClose(client, server, clientFile);

        assertFalse(first.equals(second), "two connections, two client randoms");
        TreeMap<String, String> clientSecrets = secrets(clientFile);
        assertEquals(List.of(first, second), randoms(clientFile), "the second connection's lines follow the first's");
        for (String random : List.of(first, second)) {
            for (String label : TLS13_LABELS) {
                assertTrue(clientSecrets.containsKey(label + " " + random), () -> "no " + label + " for " + random + " in " + clientSecrets);
            }
        }
        // the server computed the same secrets: each line names the same connection and key
        TreeMap<String, String> serverSecrets = secrets(serverFile);
        for (String key : clientSecrets.keySet()) {
            if (TLS13_LABELS.contains(key.split(" ")[0])) {
                assertEquals(clientSecrets.get(key), serverSecrets.get(key), () -> "the server's " + key);
            }
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(clientFile)), "still 0600 after writing");
    }

    /** Promise: an existing key log file that others may read is made 0600 before any secret goes into it; its lines stay. */
    @Test
    void anExistingFileOthersCanReadIsMadePrivate() throws Exception {
        Path shared = Files.writeString(dir.resolve("shared-keys"), "CLIENT_RANDOM earlier line\n");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-r--r--"));
        try (KeyLogFile log = KeyLogFile.open(shared)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
        }
        assertEquals("CLIENT_RANDOM earlier line\n", Files.readString(shared), "appended to, not replaced");
    }

    /** Promise: a key log file that cannot be created is an error naming the file and {@code SSLKEYLOGFILE}, in one line. */
    @Test
    void aFileThatCannotBeCreatedIsAnErrorNamingIt() {
        Path nowhere = dir.resolve("no-such-dir/keys");
        IOException e = assertThrows(IOException.class, () -> KeyLogFile.open(nowhere));
        assertTrue(e.getMessage().startsWith("cannot open key log file " + nowhere + " (SSLKEYLOGFILE): "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(Files.exists(nowhere));
    }

    /**
     * Connects, sends a DATAGRAM (so that 1-RTT keys are in use), closes, and returns the
     * client random of the connection: the one that the client's key log lines added now carry.
     */
    private static String connectAndClose(QuicClientTransport client, QuicServerTransport server, Path clientFile) throws Exception {
        Set<String> before = new LinkedHashSet<>(randoms(clientFile));
        Recorder clientSide = new Recorder();
        Connection c = client.connect(server.localAddresses().getFirst(), "localhost", clientSide)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        c.executor().submit(() -> {
            c.sendDatagram(io.netty.buffer.Unpooled.directBuffer().writeBytes(new byte[] {4, 2}));
            c.flush();
        }).get();
        c.executor().submit(() -> c.close(AppErrors.NO_ERROR, "bye")).get();
        assertTrue(clientSide.events.poll(5, TimeUnit.SECONDS) instanceof CloseInfo, "the connection did not close");
        List<String> added = randoms(clientFile).stream().filter(r -> !before.contains(r)).toList();
        assertEquals(1, added.size(), () -> "one new client random in the key log, not " + added);
        return added.getFirst();
    }

    /** The distinct client randoms of a key log file, in the order they first appear. */
    private static List<String> randoms(Path file) throws IOException {
        Set<String> randoms = new LinkedHashSet<>();
        for (String line : Files.readAllLines(file)) {
            randoms.add(parse(file, line).group(2));
        }
        return List.copyOf(randoms);
    }

    /** {@code "LABEL RANDOM"} → secret, every line required to be an NSS key log line. */
    private static TreeMap<String, String> secrets(Path file) throws IOException {
        TreeMap<String, String> secrets = new TreeMap<>();
        for (String line : Files.readAllLines(file)) {
            Matcher m = parse(file, line);
            assertEquals(null, secrets.put(m.group(1) + " " + m.group(2), m.group(3)), () -> "a second " + line);
        }
        return secrets;
    }

    private static Matcher parse(Path file, String line) {
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), () -> "not an NSS key log line in " + file + ": '" + line + "'");
        return m;
    }

    /** The file a {@code writing TLS secrets to FILE (SSLKEYLOGFILE): ...} WARN line names. */
    private static String warnedPath(String line) {
        Matcher m = Pattern.compile("WARN writing TLS secrets to (\\S+) \\(SSLKEYLOGFILE\\): anyone who can read it can decrypt").matcher(line);
        assertTrue(m.find(), line);
        return m.group(1);
    }
}
