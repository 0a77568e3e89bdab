package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.hostnet.CommandRunner;
import io.rqst.it.Capture.Frame;
import io.rqst.it.Testbed.Link;
import io.rqst.it.Testbed.LinkStats;
import io.rqst.it.Testbed.PingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test harness itself: namespaces, links, processes, captures, and that nothing is left behind. */
@Tag("netns")
class TestbedTest {

    private static final Duration SHORT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Testbed tb;

    @BeforeEach
    void createTestbed() {
        tb = new Testbed();
    }

    @AfterEach
    void closeTestbed() {
        if (tb != null) {
            tb.close();
        }
    }

    @Test
    void linkedNamespacesPingEachOtherOverIpv4AndIpv6() {
        String a = tb.ns("a");
        String b = tb.ns("b");
        String c = tb.ns("c");
        Link ab = tb.link(a, List.of("192.168.101.1/24", "fd00:101::1/64"), b, List.of("192.168.101.2/24", "fd00:101::2/64"));
        Link ac = tb.link(a, "192.168.102.1/24", c, "192.168.102.2/24");

        assertEquals(new Link(a, "eth0", b, "eth0"), ab);
        assertEquals(new Link(a, "eth1", c, "eth0"), ac);
        PingResult v4 = tb.ping(a, "192.168.101.2", 3);
        assertEquals(3, v4.received(), v4.output());
        assertTrue(v4.success());
        assertTrue(v4.rtt().orElseThrow().avgMs() > 0, v4.output());
        PingResult v6 = tb.ping(b, "fd00:101::1", 3);
        assertEquals(3, v6.received(), v6.output());
        assertTrue(tb.ping(c, "192.168.102.1", 1).success());
        PingResult unreachable = tb.ping(c, "192.168.101.2", 1);
        assertFalse(unreachable.success(), "c has no route to b: " + unreachable.output());
        assertTrue(unreachable.rtt().isEmpty());
    }

    @Test
    void linksAreCreatedInsideTheirNamespacesNeverInTheRootNamespace() throws Exception {
        String a = tb.ns("a");
        String b = tb.ns("b");
        tb.link(a, "10.1.0.1/24", b, "10.1.0.2/24");

        String root = Testbed.runLocal(SHORT, "ip", "-o", "link", "show").stdout();
        assertFalse(root.contains(tb.macOf(a, "eth0")), root);
        assertFalse(root.contains(tb.macOf(b, "eth0")), root);
        assertTrue(tb.linkExists(a, "eth0"));
        assertFalse(tb.linkExists(a, "eth1"));
        assertTrue(tb.macOf(a, "eth0").matches("(\\p{XDigit}{2}:){5}\\p{XDigit}{2}"), tb.macOf(a, "eth0"));
        assertNotEquals(tb.macOf(a, "eth0"), tb.macOf(b, "eth0"));
    }

    @Test
    void linkStatsCountThePackets() {
        String a = tb.ns("a");
        String b = tb.ns("b");
        tb.link(a, "10.1.0.1/24", b, "10.1.0.2/24");
        LinkStats before = tb.linkStats(b, "eth0");

        assertEquals(5, tb.ping(a, "10.1.0.2", 5).received());

        LinkStats after = tb.linkStats(b, "eth0");
        assertTrue(after.rxPackets() - before.rxPackets() >= 5, before + " -> " + after);
        assertTrue(after.txPackets() - before.txPackets() >= 5, before + " -> " + after);
        assertTrue(after.rxBytes() - before.rxBytes() >= 5 * 98, before + " -> " + after);
    }

    @Test
    void captureSeesTheMacAddressesOfTheFramesThatReachAnInterface() {
        String a = tb.ns("a");
        String b = tb.ns("b");
        tb.link(a, "10.1.0.1/24", b, "10.1.0.2/24");
        String macA = tb.macOf(a, "eth0");
        String macB = tb.macOf(b, "eth0");

        List<Frame> frames;
        try (Capture capture = tb.capture(b, "eth0", dir.resolve("b.pcap"), "icmp")) {
            assertEquals(3, tb.ping(a, "10.1.0.2", 3).received());
            frames = capture.stop();
        }

        assertEquals(6, frames.size(), frames.toString()); // 3 requests, 3 replies: the filter leaves out ARP
        assertEquals(3, frames.stream().filter(f -> f.src().equals(macA) && f.dst().equals(macB)).count(), frames.toString());
        assertEquals(3, frames.stream().filter(f -> f.src().equals(macB) && f.dst().equals(macA)).count(), frames.toString());
        assertTrue(frames.stream().allMatch(f -> f.etherType() == 0x0800), frames.toString());
        assertTrue(frames.stream().noneMatch(f -> f.src().equals("02:00:00:00:00:99")));
    }

    @Test
    void hostsFileMakesNamesResolveInsideTheNamespaceOnly() {
        String a = tb.ns("a");
        String b = tb.ns("b");
        tb.link(a, List.of("10.1.0.1/24", "fd00:1::1/64"), b, List.of("10.1.0.2/24", "fd00:1::2/64"));
        tb.hosts(b, Map.of("rqst.example.com", "10.1.0.1", "rqst6.example.com", "fd00:1::1"));

        CommandRunner.Result v4 = tb.exec(b, SHORT, "getent", "hosts", "rqst.example.com");
        CommandRunner.Result v6 = tb.exec(b, SHORT, "getent", "hosts", "rqst6.example.com");

        assertEquals("10.1.0.1        rqst.example.com", v4.stdout().strip(), v4.toString());
        assertEquals("fd00:1::1       rqst6.example.com", v6.stdout().strip(), v6.toString());
        assertTrue(tb.ping(b, "rqst.example.com", 1).success());
        assertFalse(tb.exec(a, SHORT, "getent", "hosts", "rqst.example.com").ok(), "a has no such name");
        assertFalse(Testbed.runLocal(SHORT, "getent", "hosts", "rqst.example.com").ok(), "nor the root namespace");
    }

    @Test
    void etcFilesAndEnvironmentReachOnlyTheProgramsOfTheirNamespace() throws Exception {
        String a = tb.ns("a");
        String b = tb.ns("b");
        byte[] hostResolvConf = Files.readAllBytes(Path.of("/etc/resolv.conf"));
        tb.etcFile(a, "resolv.conf", "nameserver 192.0.2.53\n");

        Spawned p = tb.spawn(a, Map.of("RQST_TEST_VAR", "it works"), dir.resolve("env.log"),
                "sh", "-c", "echo \"var=$RQST_TEST_VAR\"; echo 'nameserver 192.0.2.99' > /etc/resolv.conf; cat /etc/resolv.conf");
        assertTrue(p.waitFor(SHORT));
        assertEquals("var=it works\nnameserver 192.0.2.99\n", p.log());
        assertEquals("nameserver 192.0.2.99\n", Files.readString(Path.of("/etc/netns", a, "resolv.conf")), "a's copy changed");
        assertEquals(new String(hostResolvConf), tb.execOk(b, "cat", "/etc/resolv.conf"), "b sees the host's file");
        assertArrayEquals(hostResolvConf, Files.readAllBytes(Path.of("/etc/resolv.conf")), "the host's file was touched");
        assertEquals("", tb.execOk(b, "sh", "-c", "echo -n \"$RQST_TEST_VAR\""), "the variable went to one process only");
    }

    @Test
    void execReportsExitCodeAndOutputAndEnforcesItsTimeout() {
        String a = tb.ns("a");

        CommandRunner.Result result = tb.exec(a, SHORT, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(new CommandRunner.Result(3, "out\n", "err\n"), result);
        assertEquals("lo\n", tb.execOk(a, "ls", "/sys/class/net"), "only lo exists in a fresh namespace");
        AssertionError failed = assertThrows(AssertionError.class, () -> tb.execOk(a, "sh", "-c", "echo boom >&2; exit 4"));
        assertEquals("'sh -c echo boom >&2; exit 4' in " + a + " exited with code 4: boom", failed.getMessage());

        long start = System.nanoTime();
        Exception timedOut = assertThrows(RuntimeException.class, () -> tb.exec(a, Duration.ofMillis(300), "sleep", "30"));
        assertTrue(timedOut.getMessage().contains("timed out after 300 ms"), timedOut.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 5, "the sleep was killed, not awaited");
        assertThrows(IllegalArgumentException.class, () -> tb.exec("a", SHORT, "true"), "a short name is not a namespace");
    }

    @Test
    void spawnedProcessesLogAndTakeSignals() throws Exception {
        String a = tb.ns("a");
        Spawned p = tb.spawn(a, dir.resolve("logs/p.log"),
                "sh", "-c", "trap 'echo got INT; exit 7' INT; echo listening on port 4433; while :; do sleep 0.1; done");

        MatchResult port = p.awaitLog(Pattern.compile("listening on port (\\d+)"), SHORT);
        assertEquals("4433", port.group(1));
        assertTrue(p.isAlive());
        assertEquals(OptionalInt.empty(), p.exitCode());
        assertTrue(p.signal("INT"));
        assertTrue(p.waitFor(SHORT));
        assertEquals(OptionalInt.of(7), p.exitCode());
        assertEquals("listening on port 4433\ngot INT\n", p.log());
        assertFalse(p.signal("TERM"), "no signal for a process that has ended");
    }

    @Test
    void awaitLogFailsWithTheLogTail() {
        String a = tb.ns("a");
        Spawned quits = tb.spawn(a, dir.resolve("quits.log"), "sh", "-c", "echo starting; echo bad config >&2; exit 3");
        Spawned hangs = tb.spawn(a, dir.resolve("hangs.log"), "sh", "-c", "echo waiting; exec sleep 600");

        AssertionError exited = assertThrows(AssertionError.class, () -> quits.awaitLog(Pattern.compile("ready"), SHORT));
        AssertionError timedOut = assertThrows(AssertionError.class,
                () -> hangs.awaitLog(Pattern.compile("ready"), Duration.ofMillis(300)));

        assertTrue(exited.getMessage().contains("exited with code 3 before its log matched /ready/"), exited.getMessage());
        assertTrue(exited.getMessage().endsWith("starting\nbad config"), exited.getMessage());
        assertTrue(timedOut.getMessage().contains("matched /ready/ within 300 ms"), timedOut.getMessage());
        assertTrue(timedOut.getMessage().endsWith("waiting"), timedOut.getMessage());
    }

    @Test
    void closeStopsEveryProcessAndRemovesTheNamespaces() throws Exception {
        String a = tb.ns("a");
        String b = tb.ns("b");
        tb.link(a, "10.1.0.1/24", b, "10.1.0.2/24");
        tb.hosts(a, Map.of("rqst.example.com", "10.1.0.2"));
        Spawned sleep = tb.spawn(a, dir.resolve("sleep.log"), "sleep", "600");
        // Ignores TERM, as does its child: only KILL ends them.
        Spawned stubborn = tb.spawn(b, dir.resolve("stubborn.log"),
                "sh", "-c", "trap '' TERM; sleep 600 & echo started; wait");
        stubborn.awaitLog(Pattern.compile("started"), SHORT);
        // Not spawned through the testbed, detached from everything: only `ip netns pids` finds it.
        long daemon = Long.parseLong(tb.execOk(b, "sh", "-c", "setsid sleep 600 >/dev/null 2>&1 </dev/null & echo $!").strip());
        assertTrue(ProcessHandle.of(daemon).isPresent());

        tb.close();

        assertFalse(sleep.isAlive());
        assertFalse(stubborn.isAlive());
        assertFalse(ProcessHandle.of(daemon).map(ProcessHandle::isAlive).orElse(false), "detached process in the namespace killed");
        assertNoTrace(a);
        assertNoTrace(b);
        tb.close(); // again: nothing left to do, nothing thrown
    }

    @Test
    void closeCleansUpAfterATestThatThrew() throws Exception {
        String[] created = new String[1];
        Spawned[] started = new Spawned[1];

        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
            try (Testbed failing = new Testbed()) {
                created[0] = failing.ns("x");
                started[0] = failing.spawn(created[0], dir.resolve("x.log"), "sleep", "600");
                throw new IllegalStateException("the test failed");
            }
        });

        assertEquals("the test failed", thrown.getMessage());
        assertFalse(started[0].isAlive());
        assertNoTrace(created[0]);
    }

    @Test
    void closeCopesWithThingsAlreadyGone() throws Exception {
        String a = tb.ns("a");
        String b = tb.ns("b");
        tb.link(a, "10.1.0.1/24", b, "10.1.0.2/24");
        Spawned sleep = tb.spawn(a, dir.resolve("sleep.log"), "sleep", "600");
        sleep.stop(Duration.ofSeconds(1));
        Testbed.runLocal(SHORT, "ip", "netns", "delete", b);

        tb.close();

        assertNoTrace(a);
        assertNoTrace(b);
    }

    @Test
    void sweepStaleRemovesWhatDeadJvmsLeftAndNothingElse() throws Exception {
        String stale = Testbed.PREFIX + Integer.MAX_VALUE + "-1-stale"; // no process ever has that pid
        Path staleEtc = Path.of("/etc/netns", stale);
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        // A pid that belongs to a live process now, but one started after the namespace was made.
        String reused = Testbed.PREFIX + sleeper.pid() + "-1-reused";
        Path reusedEtc = Path.of("/etc/netns", reused);
        String live = Testbed.PREFIX + ProcessHandle.current().pid() + "-999999-live";
        Process inStale = null;
        try {
            Testbed.runLocal(SHORT, "ip", "netns", "add", stale);
            Files.createDirectories(staleEtc);
            Files.writeString(staleEtc.resolve("hosts"), "10.1.0.1 rqst.example.com\n");
            inStale = new ProcessBuilder("ip", "netns", "exec", stale, "sleep", "600").start();
            Files.createDirectories(reusedEtc);
            Files.setLastModifiedTime(reusedEtc, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            Testbed.runLocal(SHORT, "ip", "netns", "add", live);
            Process started = inStale;
            Testbed.waitUntil("sleep to run in " + stale,
                    () -> Testbed.runLocal(SHORT, "ip", "netns", "pids", stale).stdout().contains(Long.toString(started.pid())),
                    SHORT);

            List<String> removed = Testbed.sweepStale();

            assertTrue(removed.containsAll(List.of(stale, reused)), removed.toString());
            assertFalse(removed.contains(live), removed.toString());
            assertNoTrace(stale);
            assertNoTrace(reused);
            assertTrue(inStale.waitFor(5, TimeUnit.SECONDS), "the process in the stale namespace was killed");
            assertTrue(Files.exists(Path.of("/run/netns", live)), "a namespace of a running JVM is left alone");
        } finally {
            if (inStale != null) {
                inStale.destroyForcibly();
            }
            sleeper.destroyForcibly();
            Testbed.runLocal(SHORT, "ip", "netns", "delete", live);
        }
    }

    @Test
    void newTestbedsGetTheirOwnNames() {
        try (Testbed other = new Testbed()) {
            assertNotEquals(tb.prefix(), other.prefix());
            assertTrue(tb.prefix().startsWith(Testbed.PREFIX + ProcessHandle.current().pid() + "-"), tb.prefix());
            String mine = tb.ns("same");
            String theirs = other.ns("same");
            assertNotEquals(mine, theirs);
            assertThrows(IllegalArgumentException.class, () -> tb.ns("same"));
            assertThrows(IllegalArgumentException.class, () -> tb.exec(theirs, SHORT, "true"), "not this testbed's");
        }
    }

    /** Asserts that namespace {@code ns} and its {@code /etc/netns} directory are gone. */
    private static void assertNoTrace(String ns) {
        String list = Testbed.runLocal(SHORT, "ip", "netns", "list").stdout();
        assertFalse(list.lines().anyMatch(line -> line.split(" ")[0].equals(ns)), ns + " still listed: " + list);
        assertFalse(Files.exists(Path.of("/run/netns", ns)), ns);
        assertFalse(Files.exists(Path.of("/etc/netns", ns)), "/etc/netns/" + ns);
    }

}
