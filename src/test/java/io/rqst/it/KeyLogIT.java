package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.hostnet.CommandRunner;
import io.rqst.it.Testbed.PingResult;
import io.rqst.it.VpnBed.Site;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SSLKEYLOGFILE} through the launcher, as a user sets it: in the environment of
 * {@code rqst server} and {@code rqst client}. Wireshark's {@code tshark} reads a {@code tcpdump}
 * capture of the QUIC traffic with each side's key log. Test mode ({@code -d}); the key log does not
 * depend on certificates.
 */
@Tag("netns")
class KeyLogIT {

    /** NSS key log lines: label, client random (32 bytes), secret (32 or 48 bytes). */
    private static final Pattern KEY_LOG_LINE = Pattern.compile("([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]{64}|[0-9a-f]{96})");
    private static final Set<String> TLS13_LABELS = Set.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0");
    /** What the pings carry ({@code ping -p}): "rqst", repeated. */
    private static final String PATTERN = "72717374";
    private static final String PATTERN_X4 = PATTERN.repeat(4);

    @TempDir
    Path work;

    private VpnBed bed;
    private Testbed tb;

    @BeforeEach
    void createTestbed(TestInfo test) {
        bed = new VpnBed(work, "KeyLogIT-" + test.getTestMethod().map(m -> m.getName()).orElse("?"));
        tb = bed.tb;
    }

    @AfterEach
    void closeTestbed() {
        bed.close();
    }

    /**
     * Promise: {@code SSLKEYLOGFILE=FILE} in the environment of the server and of the client makes each
     * say so in one WARN line and write its TLS secrets (NSS key log lines, the same on both sides) to
     * FILE, created 0600; and either file really decrypts a capture of the tunnel: with it, tshark
     * finds the pings' Ethernet frames in the QUIC DATAGRAMs, without it nothing.
     */
    @Test
    void keyLogFileOfEitherSideDecryptsACaptureOfTheTunnel() throws IOException {
        Site a = bed.site("a");
        Path keys = bed.emptyDir("keys");
        Path serverKeys = keys.resolve("server.keys");
        Path clientKeys = keys.resolve("client.keys");
        Path pcap = work.resolve("quic.pcap");
        Spawned server = bed.startServer(Map.of("SSLKEYLOGFILE", serverKeys.toString()), bed.emptyDir("server-empty"),
                "-d", "--address", "10.8.0.1/24");
        Spawned client;
        PingResult ping;
        try (Capture quic = tb.capture(a.ns(), "eth0", pcap, "udp", "port", "3456")) {
            client = bed.startClient(Map.of("SSLKEYLOGFILE", clientKeys.toString()), a.ns(), bed.emptyDir("client-empty"), "client",
                    "-d", "--address", "10.8.0.2/24", "vpn://" + VpnBed.NAME);
            ping = PingResult.parse(bed.sh(a.ns(), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-p", PATTERN, "10.8.0.1"));
            client.signal("TERM");
            assertTrue(client.waitFor(Duration.ofSeconds(10)), "the client did not exit on SIGTERM");
            quic.stop();
        }
        assertEquals(3, ping.received(), ping.output());

        for (Spawned p : List.of(server, client)) {
            Path file = p == server ? serverKeys : clientKeys;
            List<String> warnings = VpnBed.lines(p.log(), Pattern.compile("WARN writing TLS secrets to " + Pattern.quote(file.toString())
                    + " \\(SSLKEYLOGFILE\\): anyone who can read it can decrypt"));
            assertEquals(1, warnings.size(), () -> "one WARN line about the key log in the log of " + p + ":\n" + p.logTail());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
        }
        TreeMap<String, String> clientSecrets = secrets(clientKeys);
        assertEquals(TLS13_LABELS, clientSecrets.keySet().stream().map(k -> k.split(" ")[0]).filter(TLS13_LABELS::contains)
                .collect(Collectors.toSet()), () -> "the client's key log lacks TLS 1.3 secrets: " + clientSecrets.keySet());
        assertEquals(1, clientSecrets.keySet().stream().map(k -> k.split(" ")[1]).distinct().count(),
                () -> "one connection, one client random: " + clientSecrets.keySet());
        TreeMap<String, String> serverSecrets = secrets(serverKeys);
        for (String key : clientSecrets.keySet()) {
            if (TLS13_LABELS.contains(key.split(" ")[0])) {
                assertEquals(clientSecrets.get(key), serverSecrets.get(key), () -> "the server logged another " + key);
            }
        }

        // the captured packets are encrypted: the pings' bytes are nowhere in them, and tshark alone finds no DATAGRAM
        assertFalse(HexFormat.of().formatHex(Files.readAllBytes(pcap)).contains(PATTERN_X4), "the pings crossed the veth in the clear");
        assertEquals(List.of(), datagrams(pcap, null), "tshark decrypted DATAGRAMs without a key log");
        for (Path keyLog : List.of(clientKeys, serverKeys)) {
            List<String> frames = datagrams(pcap, keyLog);
            List<String> requests = frames.stream().filter(f -> isIcmpEcho(f, "0a080002", "0a080001", "08")).toList();
            List<String> replies = frames.stream().filter(f -> isIcmpEcho(f, "0a080001", "0a080002", "00")).toList();
            assertEquals(3, requests.size(), () -> "echo requests decrypted with " + keyLog + " among " + frames);
            assertEquals(3, replies.size(), () -> "echo replies decrypted with " + keyLog + " among " + frames);
        }
    }

    /** {@code "LABEL CLIENT_RANDOM"} → secret; every line must be an NSS key log line, none repeated. */
    private static TreeMap<String, String> secrets(Path keyLog) throws IOException {
        TreeMap<String, String> secrets = new TreeMap<>();
        List<String> lines = Files.readAllLines(keyLog, StandardCharsets.US_ASCII);
        assertFalse(lines.isEmpty(), keyLog + " is empty");
        for (String line : lines) {
            Matcher m = KEY_LOG_LINE.matcher(line);
            assertTrue(m.matches(), () -> "not an NSS key log line in " + keyLog + ": '" + line + "'");
            assertEquals(null, secrets.put(m.group(1) + " " + m.group(2), m.group(3)), () -> "a second " + line);
        }
        return secrets;
    }

    /** The payloads (hex) of the QUIC DATAGRAM frames that tshark finds in {@code pcap}, with {@code keyLog} if not null. */
    private List<String> datagrams(Path pcap, Path keyLog) {
        CommandRunner.Result r = Testbed.runLocal(Duration.ofSeconds(60), "tshark", "-n", "-o",
                "tls.keylog_file:" + (keyLog == null ? "" : keyLog.toString()), "-r", pcap.toString(), "-Y", "quic.dg",
                "-T", "fields", "-e", "quic.dg");
        assertEquals(0, r.exitCode(), () -> "tshark: " + r.stderr());
        return Arrays.stream(r.stdout().split("[,\\s]+")).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * Whether an Ethernet frame (hex) is an IPv4 ICMP packet of {@code type} (08 request, 00 reply)
     * from {@code src} to {@code dst} (hex) carrying the pings' pattern.
     */
    private static boolean isIcmpEcho(String frame, String src, String dst, String type) {
        // Ethernet: 12 bytes of MACs, EtherType; IPv4 without options: protocol at 9, addresses at 12..19, then ICMP
        return frame.length() > 2 * 42 && frame.startsWith("0800", 24) && frame.startsWith("45", 28)
                && frame.startsWith("01", 28 + 18) && frame.startsWith(src + dst, 28 + 24) && frame.startsWith(type, 28 + 40)
                && frame.contains(PATTERN_X4);
    }
}
