package io.rqst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.pki.SelfSigned;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line ({@link Main#execute}): help works, and every mistake a user can make in the options
 * ends with exit code 2 and one {@code rqst: } line naming it, never a stack trace. No test here gets as
 * far as creating a TAP or binding a socket: each fails validation first (and uses a temporary
 * {@code --state-dir}, so that even a regression could not touch {@code /run/rqst}).
 */
class MainTest {

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    /** Runs the command line with System.out and System.err (where picocli's writers and our messages go) captured. */
    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.execute(args);
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String[] withStateDir(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add(1, "--state-dir=" + dir.resolve("state"));
        return a.toArray(String[]::new);
    }

    /**
     * Exit 2; exactly one stderr line starting "rqst: ", first, containing {@code problem}; otherwise at most
     * picocli's "Try '... --help'" hint; no stack trace; nothing on stdout.
     */
    static void assertUsageError(Run r, String problem) {
        String all = "stdout: " + r.out + "\nstderr: " + r.err;
        assertEquals(Main.EXIT_USAGE, r.code, all);
        List<String> lines = r.err.lines().toList();
        assertFalse(lines.isEmpty(), all);
        assertTrue(lines.getFirst().startsWith("rqst: "), all);
        assertTrue(lines.getFirst().contains(problem), "expected '" + problem + "' in: " + lines.getFirst());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("rqst: ")).count(), all);
        for (String l : lines.subList(1, lines.size())) {
            assertTrue(l.matches("Try 'rqst( server| client)? --help' for more information\\."), "unexpected stderr line: " + l);
        }
        assertFalse(r.err.contains("\tat ") || r.err.contains("Exception") || r.err.contains("internal error"), all);
        assertEquals("", r.out, all);
    }

    // Promise: --help of the program and of each command prints the usage and exits 0.
    /** Netty's allocator JFR events stay off (their first use costs ~0.3 s of a cold start) unless the user set the property. */
    @Test
    void nettyJfrEventsAreOffUnlessAskedFor() {
        String before = System.getProperty("io.netty.jfr.enabled");
        try {
            System.clearProperty("io.netty.jfr.enabled");
            Main.nettyDefaults();
            assertEquals("false", System.getProperty("io.netty.jfr.enabled"));
            System.setProperty("io.netty.jfr.enabled", "true");
            Main.nettyDefaults();
            assertEquals("true", System.getProperty("io.netty.jfr.enabled"));
        } finally {
            if (before == null) {
                System.clearProperty("io.netty.jfr.enabled");
            } else {
                System.setProperty("io.netty.jfr.enabled", before);
            }
        }
    }

    @Test
    void helpExitsZero() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"server", "--help"}, new String[] {"client", "--help"},
                new String[] {"help", "server"}, new String[] {"help", "client"}, new String[] {"server", "-h"}, new String[] {})) {
            Run r = run(args);
            assertEquals(0, r.code, String.join(" ", args) + ": " + r.err);
            assertTrue(r.out.contains("Usage: rqst"), r.out);
            assertEquals("", r.err, String.join(" ", args));
        }
        assertTrue(run("server", "--help").out.contains("--address=CIDR"));
        assertTrue(run("client", "--help").out.contains("URL"));
        assertTrue(run("client", "--help").out.contains("--rqst-compat"));
    }

    // Promise: --version prints the version and exits 0, also after a command (vpn-client --version is client --version).
    @Test
    void versionExitsZero() {
        for (String[] args : List.of(new String[] {"--version"}, new String[] {"client", "--version"}, new String[] {"server", "--version"})) {
            Run r = run(args);
            assertEquals(0, r.code);
            assertTrue(r.out.startsWith("rqst "), String.join(" ", args) + ": " + r.out);
        }
    }

    // Promise: started as vpn-server / vpn-client (the RQST manual's names), the command is implied.
    @Test
    void aliasImpliesTheCommand() {
        try {
            System.setProperty("rqst.alias", "vpn-client");
            Run r = run("--help");
            assertEquals(0, r.code);
            assertTrue(r.out.contains("Usage: rqst client"), r.out);
            System.setProperty("rqst.alias", "vpn-server");
            assertUsageError(run("--mtu", "1"), "--mtu 1 is out of range 576-9000");
        } finally {
            System.clearProperty("rqst.alias");
        }
    }

    // Promise: an unknown option or command is named.
    @Test
    void unknownOption() {
        assertUsageError(run("server", "--bogus"), "Unknown option: '--bogus'");
        assertUsageError(run("client", "--bogus", "vpn://192.0.2.1"), "Unknown option: '--bogus'");
        assertUsageError(run("--bogus"), "Unknown option: '--bogus'");
        assertUsageError(run("serve"), "serve");
    }

    // Promise: the client says when the server URL is missing or wrong, and what is wrong with it.
    @Test
    void badUrl() {
        assertUsageError(run(withStateDir("client", "-d")), "Missing required parameter: 'URL'");
        assertUsageError(run(withStateDir("client", "-d", "https://rqst.example.com")), "unsupported scheme 'https'");
        assertUsageError(run(withStateDir("client", "-d", "vpn://rqst.example.com:99999")), "port 99999 is out of range 1-65535");
        assertUsageError(run(withStateDir("client", "vpn://rqst.example.com/path")), "a server URL has no path ('/path')");
        assertUsageError(run(withStateDir("client", "-d", "vpn://2001:db8::1")), "an IPv6 address must be written in brackets");
        assertUsageError(run(withStateDir("client", "-d", "vpn://a", "vpn://b")), "Unmatched argument");
    }

    // Promise: --crl with -d is refused on both sides, not silently ignored (-d checks no certificate at all).
    @Test
    void crlWithDisabledVerification() {
        assertUsageError(run(withStateDir("client", "-d", "--crl", "crl.pem", "vpn://192.0.2.1")),
                "--crl and -d exclude each other: with -d no server certificate is checked");
        assertUsageError(run(withStateDir("server", "-d", "--crl", "crl.pem")),
                "--crl and -d exclude each other: with -d no client certificate is checked");
    }

    // Promise: a bad --address is named, on both sides.
    @Test
    void badAddress() {
        assertUsageError(run(withStateDir("server", "-d", "--address", "10.8.0.1")), "--address: '10.8.0.1' has no prefix length");
        assertUsageError(run(withStateDir("server", "-d", "--address", "10.8.0.1/24", "--address", "fd00::1/200")),
                "--address: 'fd00::1/200': prefix length /200 is more than 128");
        assertUsageError(run(withStateDir("client", "-d", "--address", "300.0.0.1/24", "vpn://192.0.2.1")),
                "--address: '300.0.0.1/24': '300.0.0.1' is not an IP address");
    }

    // Promise: a bad --mtu is named: out of range, or not a number at all.
    @Test
    void badMtu() {
        assertUsageError(run(withStateDir("server", "-d", "--mtu", "100")), "--mtu 100 is out of range 576-9000");
        assertUsageError(run(withStateDir("server", "-d", "--mtu", "9001")), "--mtu 9001 is out of range 576-9000");
        assertUsageError(run(withStateDir("server", "-d", "--mtu", "big")), "'big' is not an int");
        assertUsageError(run(withStateDir("client", "-d", "--mtu", "575", "vpn://192.0.2.1")), "--mtu 575 is out of range 576-9000");
        assertUsageError(run(withStateDir("client", "-d", "--mtu=1e3", "vpn://192.0.2.1")), "'1e3' is not an int");
    }

    // Promise: a bad --threads is named, 0 included (the default, one per CPU, is had by leaving it out).
    @Test
    void badThreads() {
        assertUsageError(run(withStateDir("server", "-d", "--threads", "0")), "--threads 0 is out of range 1-256");
        assertUsageError(run(withStateDir("server", "-d", "--threads", "257")), "--threads 257 is out of range 1-256");
        assertUsageError(run(withStateDir("server", "-d", "--threads", "two")), "'two' is not an int");
    }

    // Promise: a bad --idle-timeout is named: unreadable, or below the 3 s minimum.
    @Test
    void badIdleTimeout() {
        assertUsageError(run(withStateDir("server", "-d", "--idle-timeout", "soon")), "--idle-timeout: 'soon' is not a duration");
        assertUsageError(run(withStateDir("server", "-d", "--idle-timeout", "2s")), "--idle-timeout 2s is too short (at least 3s)");
        assertUsageError(run(withStateDir("client", "-d", "--idle-timeout", "2999ms", "vpn://192.0.2.1")),
                "--idle-timeout 2999ms is too short (at least 3s)");
        assertUsageError(run(withStateDir("client", "-d", "--idle-timeout", "-5s", "vpn://192.0.2.1")),
                "--idle-timeout: '-5s' is not a duration");
    }

    // Promise: a bad --rx-aqm (the receive queue's CoDel) is named, with an example.
    @Test
    void badRxAqm() {
        assertUsageError(run(withStateDir("server", "-d", "--rx-aqm", "5ms")), "--rx-aqm 5ms: expected TARGET/INTERVAL (on, off, or e.g. 1ms/10ms)");
        assertUsageError(run(withStateDir("server", "-d", "--rx-aqm", "10ms/5ms")), "--rx-aqm 10ms/5ms: CoDel needs 0 < target < interval");
        assertUsageError(run(withStateDir("client", "-d", "--rx-aqm", "fastus/1s", "vpn://192.0.2.1")),
                "--rx-aqm fastus/1s: 'fastus' is not a duration");
    }

    // Promise: other server options out of range are named.
    @Test
    void badServerOptions() {
        assertUsageError(run(withStateDir("server", "-d", "--port", "0")), "--port 0 is out of range 1-65535");
        assertUsageError(run(withStateDir("server", "-d", "--port", "70000")), "--port 70000 is out of range 1-65535");
        assertUsageError(run(withStateDir("server", "-d", "--max-macs", "0")), "--max-macs 0 is out of range 1-4096");
        assertUsageError(run(withStateDir("server", "-d", "--listen", "localhost")), "--listen: 'localhost' is not an IP address");
        assertUsageError(run(withStateDir("client", "-d", "--gateway", "gw.example", "vpn://192.0.2.1")),
                "--gateway: 'gw.example' is not an IP address");
        // --route-all's routes need an address in the tunnel; --gateway alone would be ignored
        assertUsageError(run(withStateDir("client", "-d", "--route-all", "vpn://192.0.2.1")), "--route-all needs --address");
        assertUsageError(run(withStateDir("client", "-d", "--gateway", "10.8.0.1", "--address", "10.8.0.2/24", "vpn://192.0.2.1")),
                "--gateway is for --route-all, which is not given");
    }

    // Promise: a capture file that cannot be made where it is, and a state directory that is a file, are usage errors
    // (exit 2) named before anything is set up.
    @Test
    void badCaptureFileAndStateDirectory() throws Exception {
        String missing = dir.resolve("no-such-dir/tunnel.pcap").toString();
        assertUsageError(run(withStateDir("server", "-d", "-p", missing)), "-p " + missing + ": no such directory " + dir.resolve("no-such-dir"));
        assertUsageError(run(withStateDir("client", "-d", "-p", dir.toString(), "vpn://192.0.2.1")), "-p " + dir + ": is a directory");
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("a-file"), "x");
        assertUsageError(run("server", "-d", "--state-dir", file.toString()), "--state-dir " + file + ": not a directory");
    }

    // Promise: a TAP name the kernel would refuse is named before anything is set up (no connection, no half-made server).
    @ParameterizedTest
    @ValueSource(strings = {"a-name-longer-than-15", "with space", ""})
    void badTapName(String tap) {
        assertUsageError(run(withStateDir("server", "-d", "--tap", tap)), "--tap: invalid TAP name");
        assertUsageError(run(withStateDir("client", "-d", "--tap", tap, "vpn://127.0.0.1:9")), "--tap: invalid TAP name");
    }

    // Promise: without -d, a missing CA certificate is named with the option that points at it and the -d hint.
    @Test
    void missingCaWithoutTestMode() {
        assertUsageError(run(withStateDir("server", "--ca", "/nonexistent/ca.crt")),
                "/nonexistent/ca.crt: no such file (point --ca at it, or use -d for a test without certificates)");
        assertUsageError(run(withStateDir("client", "--ca", "/nonexistent/ca.crt", "vpn://192.0.2.1")),
                "/nonexistent/ca.crt: no such file (point --ca at it, or use -d for a test without certificates)");
    }

    // Promise: with a CA present, a missing certificate or key is named by its option; a file that is not PEM is named.
    @Test
    void missingOrBadCredentialFiles() throws Exception {
        Path ca = dir.resolve("ca.crt");
        byte[] der = SelfSigned.generate("test-ca").certificate().getEncoded();
        Files.writeString(ca, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n");
        Path none = dir.resolve("none.crt");
        assertUsageError(run(withStateDir("server", "--ca", ca.toString(), "--cert", none.toString())),
                none + ": no such file (point --cert at it");
        assertUsageError(run(withStateDir("client", "--ca", ca.toString(), "--cert", none.toString(), "vpn://192.0.2.1")),
                none + ": no such file (point --cert at it");
        Path garbage = dir.resolve("garbage.crt");
        Files.writeString(garbage, "this is not a certificate\n");
        Run r = run(withStateDir("server", "--ca", garbage.toString(), "--cert", ca.toString(), "--key", garbage.toString()));
        assertUsageError(r, garbage.toString());
    }

    // Promise: -v / --verbose sets the debug level from the raw arguments, before any logger exists (the tunnel
    // commands' preloading makes Netty's loggers before picocli has parsed anything); not after "--".
    @Test
    void verboseIsSeenBeforeAnyLoggerIsMade() {
        String key = CommonOptions.LOG_LEVEL_PROPERTY;
        String before = System.getProperty(key);
        try {
            for (String[] args : new String[][] {{"server", "-d", "-v"}, {"client", "--verbose", "vpn://x"}}) {
                System.clearProperty(key);
                Main.verboseBeforeAnyLogger(args);
                assertEquals("debug", System.getProperty(key), String.join(" ", args));
            }
            System.clearProperty(key);
            Main.verboseBeforeAnyLogger("client", "--", "-v");
            assertEquals(null, System.getProperty(key), "an argument after --");
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
