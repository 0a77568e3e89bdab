package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.hostnet.CommandRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench/tcp-fan.c, the traffic generator of bench/compare.sh's 16-client phase: one process opens a stream from
 * each of several namespaces, the other accepts them all, and what the receiver counts is what the sender sent,
 * in either direction. A bench figure is only as good as its counter.
 */
@Tag("netns")
class TcpFanIT {
    static final int PORT = 5999;
    static final Pattern RECEIVED = Pattern.compile("(?m)^streams=(\\d+) bytes=(\\d+) seconds=([\\d.]+) mbps=(\\d+) min_mbps=(\\d+) max_mbps=(\\d+)$");
    static final Pattern SENT = Pattern.compile("(?m)^sent streams=(\\d+) bytes=(\\d+)$");

    @TempDir
    Path work;

    private Testbed tb;
    private String srv;
    private String c1;
    private String c2;
    private Path fan;

    @BeforeEach
    void createTestbed() {
        tb = new Testbed();
        srv = tb.ns("srv");
        c1 = tb.ns("c1");
        c2 = tb.ns("c2");
        tb.link(srv, "10.66.1.1/24", c1, "10.66.1.2/24");
        tb.link(srv, "10.66.2.1/24", c2, "10.66.2.2/24");
        tb.execOk(c2, "ip", "route", "add", "10.66.1.1/32", "via", "10.66.2.1"); // both reach the server at one address
        fan = work.resolve("tcp-fan");
        Path source = VpnBed.launcher().getParent().resolve("bench/tcp-fan.c");
        tb.execOk(srv, "gcc", "-O2", "-Wall", "-o", fan.toString(), source.toString());
    }

    @AfterEach
    void closeTestbed() {
        tb.close();
    }

    /** Promise: two streams from two namespaces to one listener; the receiver counts every byte the sender wrote. */
    @Test
    void fromTwoNamespacesTheReceiverCountsWhatTheSenderSent() {
        exchange(false);
    }

    /** Promise: the other way round (the listener sends, as in s2c), the connecting side counts it all. */
    @Test
    void theListenerSendingTheConnectingSideCountsItAll() {
        exchange(true);
    }

    /** Two seconds of two streams between the listener in srv and one connecting process for c1 and c2; checks the counts. */
    private void exchange(boolean listenerSends) {
        Spawned listener = tb.spawn(srv, work.resolve("listen.log"), fan.toString(), "listen", String.valueOf(PORT), "2",
                listenerSends ? "send" : "recv", "2", "cubic");
        listener.awaitLog(Pattern.compile("listening on port"), Testbed.DEFAULT_TIMEOUT);
        CommandRunner.Result connecting = tb.exec(c1, Duration.ofSeconds(20), fan.toString(), "connect", "10.66.1.1",
                String.valueOf(PORT), listenerSends ? "recv" : "send", "2", "cubic", c1, c2);
        assertEquals(0, connecting.exitCode(), connecting.stderr());
        assertTrue(listener.waitFor(Duration.ofSeconds(10)), "the listener ends once both streams have ended");
        assertEquals(0, listener.exitCode().orElse(-1), listener.log());
        if (listenerSends) {
            agree(listener.log(), connecting.stdout());
        } else {
            agree(connecting.stdout(), listener.log());
        }
    }

    /** Promise: a bad argument exits 2 with the usage; a namespace that does not exist or a refused connection exits 1 naming it. */
    @Test
    void badArgumentsAndUnreachablePeersAreNamed() {
        CommandRunner.Result role = tb.exec(c1, Testbed.DEFAULT_TIMEOUT, fan.toString(), "listen", "5998", "2", "sned", "2", "cubic");
        assertEquals(2, role.exitCode());
        assertTrue(role.stderr().contains("usage: tcp-fan"), role.stderr());
        CommandRunner.Result ns = tb.exec(c1, Testbed.DEFAULT_TIMEOUT, fan.toString(), "connect", "10.66.1.1", "5998", "send", "1",
                "cubic", "rqt-no-such-namespace");
        assertEquals(1, ns.exitCode());
        assertTrue(ns.stderr().contains("rqt-no-such-namespace"), ns.stderr());
        CommandRunner.Result refused = tb.exec(c1, Testbed.DEFAULT_TIMEOUT, fan.toString(), "connect", "10.66.1.1", "5998", "send", "1",
                "cubic", c1);
        assertEquals(1, refused.exitCode());
        assertTrue(refused.stderr().contains("connect: Connection refused"), refused.stderr());
    }

    private static void agree(String senderOutput, String receiverOutput) {
        Matcher sent = SENT.matcher(senderOutput);
        assertTrue(sent.find(), "the sender's count: " + senderOutput);
        Matcher got = RECEIVED.matcher(receiverOutput);
        assertTrue(got.find(), "the receiver's line: " + receiverOutput);
        assertEquals("2", sent.group(1));
        assertEquals("2", got.group(1));
        long bytes = Long.parseLong(got.group(2));
        assertTrue(bytes > 10_000_000L, "two seconds over veth carry more than 10 MB: " + bytes);
        assertEquals(Long.parseLong(sent.group(2)), bytes, "received what was sent");
        assertTrue(Long.parseLong(got.group(5)) > 0, "both streams moved data: " + got.group());
        double seconds = Double.parseDouble(got.group(3));
        assertTrue(seconds >= 1.5 && seconds < 5, "timed over about the two seconds of sending: " + seconds);
    }
}
