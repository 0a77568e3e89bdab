package io.rqst.hostnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rqst.hostnet.HostNet.RouteInfo;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link IpHostNet} and {@link HostNets} with a recording {@link FakeRunner}: no root, no network. */
class IpHostNetTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Above Linux's largest pid_max (2^22): no process ever has it. */
    static final long NO_SUCH_PID = Integer.MAX_VALUE;

    @TempDir
    Path dir;

    private final FakeRunner ip = new FakeRunner();

    private Path stateFile() {
        return dir.resolve("run/rqst/client-rqst0.json");
    }

    private HostNet open() throws HostNetException {
        return HostNets.open(stateFile(), ip);
    }

    private static InetAddress addr(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    /** The undo commands listed in the state file, oldest first, each joined by spaces. */
    private List<String> undoInStateFile() throws IOException {
        List<String> undo = new ArrayList<>();
        for (JsonNode change : JSON.readTree(stateFile().toFile()).path("changes")) {
            List<String> argv = new ArrayList<>();
            change.path("undo").forEach(arg -> argv.add(arg.asText()));
            undo.add(String.join(" ", argv));
        }
        return undo;
    }

    // ---------------------------------------------------------------- changes and their undo

    @Test
    void changesRunIpAndCloseUndoesThemNewestFirst() throws Exception {
        HostNet net = open();
        net.addAddress("rqst0", "10.8.0.2/24");
        net.addAddress("rqst0", "fd00:8::2/64");
        net.addRoute("0.0.0.0/1", Optional.of(addr("10.8.0.1")), "rqst0");
        net.addRoute("2000::/3", Optional.of(addr("fe80::1")), "rqst0");
        net.addRoute("203.0.113.0/24", Optional.empty(), "rqst0");
        assertEquals(List.of(
                "ip addr add 10.8.0.2/24 dev rqst0",
                "ip -6 addr add fd00:8::2/64 dev rqst0",
                "ip route add 0.0.0.0/1 via 10.8.0.1 dev rqst0",
                "ip -6 route add 2000::/3 via fe80::1 dev rqst0",
                "ip route add 203.0.113.0/24 dev rqst0"), ip.commands());

        net.close();

        assertEquals(List.of(
                "ip route del 203.0.113.0/24 dev rqst0",
                "ip -6 route del 2000::/3 via fe80::1 dev rqst0",
                "ip route del 0.0.0.0/1 via 10.8.0.1 dev rqst0",
                "ip -6 addr del fd00:8::2/64 dev rqst0",
                "ip addr del 10.8.0.2/24 dev rqst0"), ip.commandsSince(5));
        assertFalse(Files.exists(stateFile()), "state file deleted by close");
    }

    @Test
    void stateFileListsTheUndoCommandsAfterEveryChange() throws Exception {
        try (HostNet net = open()) {
            assertFalse(Files.exists(stateFile()), "no state file before the first change");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateFile().getParent())));

            net.addAddress("rqst0", "10.8.0.2/24");
            assertEquals(List.of("ip addr del 10.8.0.2/24 dev rqst0"), undoInStateFile());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateFile())));

            net.addRoute("0.0.0.0/1", Optional.of(addr("10.8.0.1")), "rqst0");
            assertEquals(List.of("ip addr del 10.8.0.2/24 dev rqst0", "ip route del 0.0.0.0/1 via 10.8.0.1 dev rqst0"),
                    undoInStateFile());

            JsonNode state = JSON.readTree(stateFile().toFile());
            assertEquals(ProcessHandle.current().pid(), state.path("pid").asLong());
            assertEquals("ip route add 0.0.0.0/1 via 10.8.0.1 dev rqst0",
                    String.join(" ", JSON.convertValue(state.path("changes").get(1).path("applied"), String[].class)));
            try (Stream<Path> files = Files.list(stateFile().getParent())) {
                assertEquals(List.of(stateFile()), files.toList(), "no temp file left beside the state file");
            }
        }
        assertFalse(Files.exists(stateFile()));
    }

    @Test
    void aFailedChangeIsNotRecordedAndItsMessageNamesTheAttemptAndTheKernelsAnswer() throws Exception {
        ip.answer("ip route add 0.0.0.0/1 via 10.8.0.1 dev rqst0", 2, "", "Error: Nexthop has invalid gateway.\n");
        HostNet net = open();
        net.addAddress("rqst0", "10.8.0.2/24");

        HostNetException e = assertThrows(HostNetException.class,
                () -> net.addRoute("0.0.0.0/1", Optional.of(addr("10.8.0.1")), "rqst0"));

        assertEquals("cannot add route 0.0.0.0/1 via 10.8.0.1 dev rqst0: Nexthop has invalid gateway", e.getMessage());
        assertEquals(List.of("ip addr del 10.8.0.2/24 dev rqst0"), undoInStateFile());
        int before = ip.commands().size();
        net.close();
        assertEquals(List.of("ip addr del 10.8.0.2/24 dev rqst0"), ip.commandsSince(before));
    }

    @Test
    void aChangeThatCannotRunIsNotRecorded() throws Exception {
        ip.fail("ip addr add 10.8.0.2/24 dev rqst0", new IOException("timed out after 10000 ms: ip addr add 10.8.0.2/24 dev rqst0"));
        try (HostNet net = open()) {
            HostNetException e = assertThrows(HostNetException.class, () -> net.addAddress("rqst0", "10.8.0.2/24"));
            assertEquals("cannot add address 10.8.0.2/24 dev rqst0: timed out after 10000 ms: ip addr add 10.8.0.2/24 dev rqst0",
                    e.getMessage());
            assertFalse(Files.exists(stateFile()));
        }
        assertEquals(List.of("ip addr add 10.8.0.2/24 dev rqst0"), ip.commands(), "nothing to undo");
    }

    @Test
    void aMultiLineComplaintBecomesOneLine() throws Exception {
        ip.answer("ip addr add 10.8.0.2/24 dev rqst0", 1, "", "Cannot find device \"rqst0\"\n");
        ip.answer("ip addr add 10.8.0.3/24 dev rqst0", 2, "", "RTNETLINK answers: File exists\nsecond line.\n");
        ip.answer("ip addr add 10.8.0.4/24 dev rqst0", 255, "", "");
        try (HostNet net = open()) {
            assertEquals("cannot add address 10.8.0.2/24 dev rqst0: Cannot find device \"rqst0\"",
                    assertThrows(HostNetException.class, () -> net.addAddress("rqst0", "10.8.0.2/24")).getMessage());
            assertEquals("cannot add address 10.8.0.3/24 dev rqst0: File exists; second line",
                    assertThrows(HostNetException.class, () -> net.addAddress("rqst0", "10.8.0.3/24")).getMessage());
            assertEquals("cannot add address 10.8.0.4/24 dev rqst0: ip exited with code 255",
                    assertThrows(HostNetException.class, () -> net.addAddress("rqst0", "10.8.0.4/24")).getMessage());
        }
    }

    @Test
    void closeGoesOnPastFailedUndosAndCountsThingsAlreadyGoneAsUndone() throws Exception {
        HostNet net = open();
        net.addAddress("rqst0", "10.8.0.2/24");
        net.addRoute("0.0.0.0/1", Optional.of(addr("10.8.0.1")), "rqst0");
        net.addRoute("128.0.0.0/1", Optional.of(addr("10.8.0.1")), "rqst0");
        net.addAddress("eth9", "192.168.9.2/24");
        ip.answer("ip addr del 192.168.9.2/24 dev eth9", 1, "", "Cannot find device \"eth9\"\n")
                .answer("ip route del 128.0.0.0/1 via 10.8.0.1 dev rqst0", 2, "", "RTNETLINK answers: No such process\n")
                .answer("ip route del 0.0.0.0/1 via 10.8.0.1 dev rqst0", 2, "", "RTNETLINK answers: Operation not permitted\n")
                .fail("ip addr del 10.8.0.2/24 dev rqst0", new IOException("timed out after 10000 ms: ip addr del 10.8.0.2/24 dev rqst0"));

        List<String> warnings;
        try (StderrCapture stderr = new StderrCapture()) {
            net.close();
            warnings = stderr.lines("WARN");
        }

        assertEquals(List.of(
                "ip addr del 192.168.9.2/24 dev eth9",
                "ip route del 128.0.0.0/1 via 10.8.0.1 dev rqst0",
                "ip route del 0.0.0.0/1 via 10.8.0.1 dev rqst0",
                "ip addr del 10.8.0.2/24 dev rqst0"), ip.commandsSince(4));
        assertEquals(2, warnings.size(), "one WARN line per real failure, none for things already gone: " + warnings);
        assertTrue(warnings.get(0).endsWith(
                "cannot undo host change: ip route del 0.0.0.0/1 via 10.8.0.1 dev rqst0: Operation not permitted"), warnings.get(0));
        assertTrue(warnings.get(1).endsWith(
                "cannot undo host change: ip addr del 10.8.0.2/24 dev rqst0: timed out after 10000 ms: ip addr del 10.8.0.2/24 dev rqst0"),
                warnings.get(1));
        assertFalse(Files.exists(stateFile()), "state file deleted even though an undo failed");
    }

    @Test
    void closeIsIdempotentAndLaterChangesAreRefused() throws Exception {
        HostNet net = open();
        net.addAddress("rqst0", "10.8.0.2/24");
        net.close();
        net.close();
        assertEquals(List.of("ip addr add 10.8.0.2/24 dev rqst0", "ip addr del 10.8.0.2/24 dev rqst0"), ip.commands());
        assertThrows(IllegalStateException.class, () -> net.addAddress("rqst0", "10.8.0.3/24"));
    }

    // ---------------------------------------------------------------- recovery after a crash

    @Test
    void openUndoesTheChangesOfAHostNetThatWasNeverClosed() throws Exception {
        HostNet crashed = open();
        crashed.addAddress("rqst0", "10.8.0.2/24");
        crashed.addRoute("0.0.0.0/1", Optional.of(addr("10.8.0.1")), "rqst0");
        crashed.addRoute("128.0.0.0/1", Optional.of(addr("10.8.0.1")), "rqst0");
        ip.answer("ip route del 0.0.0.0/1 via 10.8.0.1 dev rqst0", 2, "", "RTNETLINK answers: No such process\n");
        // 'crashed' is dropped here, as if the process had been killed.

        List<String> infos;
        try (StderrCapture stderr = new StderrCapture()) {
            try (HostNet fresh = open()) {
                assertEquals(List.of(
                        "ip route del 128.0.0.0/1 via 10.8.0.1 dev rqst0",
                        "ip route del 0.0.0.0/1 via 10.8.0.1 dev rqst0",
                        "ip addr del 10.8.0.2/24 dev rqst0"), ip.commandsSince(3));
                assertFalse(Files.exists(stateFile()), "the leftover state file is deleted");
                fresh.addAddress("rqst0", "10.8.0.9/24");
                assertEquals(List.of("ip addr del 10.8.0.9/24 dev rqst0"), undoInStateFile());
            }
            infos = stderr.lines("INFO");
        }
        assertEquals(1, infos.size(), infos.toString());
        assertTrue(infos.getFirst().contains("undoing 3 host changes left by an earlier run that did not exit cleanly"),
                infos.getFirst());
    }

    @Test
    void openUndoesAStateFileLeftByADeadProcess() throws Exception {
        Files.createDirectories(stateFile().getParent());
        Files.writeString(stateFile(), """
                { "format": "rqst-hostnet-state", "version": 1, "pid": %d, "processStart": "2026-01-01T10:00:00Z",
                  "changes": [
                    { "applied": ["ip", "addr", "add", "10.8.0.2/24", "dev", "rqst0"],
                      "undo": ["ip", "addr", "del", "10.8.0.2/24", "dev", "rqst0"] },
                    { "applied": ["ip", "-6", "route", "add", "::/1", "via", "fe80::1", "dev", "rqst0"],
                      "undo": ["ip", "-6", "route", "del", "::/1", "via", "fe80::1", "dev", "rqst0"] } ] }
                """.formatted(NO_SUCH_PID));

        open().close();

        assertEquals(List.of("ip -6 route del ::/1 via fe80::1 dev rqst0", "ip addr del 10.8.0.2/24 dev rqst0"),
                ip.commands());
        assertFalse(Files.exists(stateFile()));
    }

    // Promise: what a killed run with another TAP name left in the same state directory is undone too (a run killed with
    // --tap rqst9 and started again with --tap rqst0), while the file of a process that still runs, and a file rqst
    // did not name, are left alone.
    @Test
    void openAlsoUndoesWhatAKilledRunWithAnotherTapLeft() throws Exception {
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Files.createDirectories(stateFile().getParent());
            Path dead = stateFile().resolveSibling("server-rqst9.json");
            Files.writeString(dead, """
                    { "format": "rqst-hostnet-state", "version": 1, "pid": %d, "processStart": "2026-01-01T10:00:00Z",
                      "changes": [ { "applied": ["ip", "addr", "add", "10.9.0.1/24", "dev", "rqst9"],
                                     "undo": ["ip", "addr", "del", "10.9.0.1/24", "dev", "rqst9"] } ] }
                    """.formatted(NO_SUCH_PID));
            Files.setPosixFilePermissions(dead, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Path live = stateFile().resolveSibling("client-rqst8.json");
            String liveState = """
                    { "format": "rqst-hostnet-state", "version": 1, "pid": %d, "processStart": "%s",
                      "changes": [ { "applied": ["ip", "addr", "add", "10.8.0.8/24", "dev", "rqst8"],
                                     "undo": ["ip", "addr", "del", "10.8.0.8/24", "dev", "rqst8"] } ] }
                    """.formatted(other.pid(), other.info().startInstant().orElseThrow());
            Files.writeString(live, liveState);
            Path notOurs = Files.writeString(stateFile().resolveSibling("notes.json"), "{}");

            open().close();

            assertEquals(List.of("ip addr del 10.9.0.1/24 dev rqst9"), ip.commands());
            assertFalse(Files.exists(dead));
            assertEquals(liveState, Files.readString(live), "the running process's file is left alone");
            assertEquals("{}", Files.readString(notOurs));
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    // Promise: a state directory that cannot be made is named with the system's reason and the option, without Java's
    // class names.
    @Test
    void aStateDirectoryThatCannotBeMadeIsNamedInWords() throws Exception {
        Files.writeString(dir.resolve("run"), "a file where the state directory's parent should be");
        HostNetException e = assertThrows(HostNetException.class, this::open);
        assertEquals("cannot prepare host network state file " + stateFile() + ": " + dir.resolve("run/rqst")
                + ": Not a directory (check --state-dir)", e.getMessage());
    }

    @Test
    void openRefusesAStateFileOfAProcessThatStillRuns() throws Exception {
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Files.createDirectories(stateFile().getParent());
            String state = """
                    { "format": "rqst-hostnet-state", "version": 1, "pid": %d, "processStart": "%s",
                      "changes": [ { "applied": ["ip", "addr", "add", "10.8.0.2/24", "dev", "rqst0"],
                                     "undo": ["ip", "addr", "del", "10.8.0.2/24", "dev", "rqst0"] } ] }
                    """.formatted(other.pid(), other.info().startInstant().orElseThrow());
            Files.writeString(stateFile(), state);

            HostNetException e = assertThrows(HostNetException.class, this::open);

            assertEquals("host network state file " + stateFile() + " belongs to process " + other.pid()
                    + ", which is still running: stop it first, or give this one another --tap", e.getMessage());
            assertEquals(List.of(), ip.commands());
            assertEquals(state, Files.readString(stateFile()), "the file of the running process is left alone");
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": [",
        "[]",
        "{ \"format\": \"something-else\", \"version\": 1, \"pid\": 7, \"changes\": [] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 2, \"pid\": 7, \"changes\": [] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"changes\": [] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": [ { \"applied\": [\"ip\"], \"undo\": [] } ] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": [ { \"applied\": [\"ip\"], \"undo\": [\"ip\", 3] } ] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": ["
                + " { \"applied\": [\"ip\", \"addr\"], \"undo\": [\"ip\", \"addr\", \"del\", \"10.8.0.2/24\", \"dev\", \"rqst0\"] },"
                + " { \"applied\": [\"ip\"], \"undo\": [\"sh\", \"-c\", \"rm -rf /\"] } ] }",
        // ip, but not an undo rqst writes: ip netns exec and ip -batch run anything, ip link del takes a link away
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": ["
                + " { \"applied\": [\"ip\"], \"undo\": [\"ip\", \"netns\", \"exec\", \"x\", \"touch\", \"/tmp/p\"] } ] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": ["
                + " { \"applied\": [\"ip\"], \"undo\": [\"ip\", \"-batch\", \"/tmp/cmds\"] } ] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": ["
                + " { \"applied\": [\"ip\"], \"undo\": [\"ip\", \"link\", \"del\", \"eth0\"] } ] }",
        "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": ["
                + " { \"applied\": [\"ip\"], \"undo\": [\"ip\", \"route\", \"del\", \"all\", \"dev\", \"eth0\"] } ] }",
    })
    void aCorruptStateFileIsMovedAsideWithAWarningAndNothingInItRuns(String content) throws Exception {
        Files.createDirectories(stateFile().getParent());
        Files.writeString(stateFile(), content);

        List<String> warnings;
        try (StderrCapture stderr = new StderrCapture()) {
            try (HostNet net = open()) {
                net.addAddress("rqst0", "10.8.0.2/24");
            }
            warnings = stderr.lines("WARN");
        }

        assertEquals(List.of("ip addr add 10.8.0.2/24 dev rqst0", "ip addr del 10.8.0.2/24 dev rqst0"), ip.commands(),
                "nothing from the corrupt file was run");
        List<Path> aside;
        try (Stream<Path> files = Files.list(stateFile().getParent())) {
            aside = files.toList();
        }
        assertEquals(1, aside.size(), aside.toString());
        assertTrue(aside.getFirst().getFileName().toString().startsWith("client-rqst0.json.corrupt-"), aside.toString());
        assertEquals(content, Files.readString(aside.getFirst()), "the corrupt file is kept as it was");
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("host network state file " + stateFile() + " is not valid ("), warnings.getFirst());
        assertTrue(warnings.getFirst().contains("moved it to " + aside.getFirst()), warnings.getFirst());
    }

    @Test
    void aStateFileOthersCanWriteIsRefusedAndNothingInItRuns() throws Exception {
        Files.createDirectories(stateFile().getParent());
        Files.writeString(stateFile(), "{ \"format\": \"rqst-hostnet-state\", \"version\": 1, \"pid\": 7, \"changes\": ["
                + " { \"applied\": [\"ip\", \"addr\"], \"undo\": [\"ip\", \"addr\", \"del\", \"10.8.0.2/24\", \"dev\", \"rqst0\"] } ] }");
        Files.setPosixFilePermissions(stateFile(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        HostNetException e = assertThrows(HostNetException.class, this::open);
        assertEquals("host network state file " + stateFile() + " is writable by others (mode 666): refusing to run the commands"
                + " in it; check it, remove it, or use another --state-dir", e.getMessage());
        assertEquals(List.of(), ip.commands(), "nothing from it was run");
        assertTrue(Files.exists(stateFile()), "it is left for the user to look at");
    }

    @Test
    void openRemovesATempFileLeftByAKilledWrite() throws Exception {
        Files.createDirectories(stateFile().getParent());
        Path temp = stateFile().resolveSibling("client-rqst0.json.tmp");
        Files.writeString(temp, "{ half a state fi");
        open().close();
        assertFalse(Files.exists(temp));
    }

    // ---------------------------------------------------------------- input validation

    @ParameterizedTest
    @ValueSource(strings = {"", "10.8.0.2", "10.8.0.2/", "/24", "10.8.0.300/24", "10.8.0/24", "010.8.0.2/24", "10.8.0.2/33",
        "10.8.0.2/-1", "10.8.0.2/024x", "fd00::2/129", "fd00::2", "fe80::1%eth0/64", "[fd00::2]/64", "::ffff:10.8.0.2/120",
        "fd00:::2/64", "10.8.0.2/24 dev eth0", "rqst.example.com/32", "-6/64"})
    void anInvalidAddressIsRefusedBeforeAnythingRuns(String cidr) throws Exception {
        try (HostNet net = open()) {
            HostNetException e = assertThrows(HostNetException.class, () -> net.addAddress("rqst0", cidr));
            assertTrue(e.getMessage().startsWith("invalid address '" + cidr + "': "), e.getMessage());
        }
        assertEquals(List.of(), ip.commands());
    }

    @Test
    void validationMessagesSayWhatIsWrong() throws Exception {
        try (HostNet net = open()) {
            assertEquals("invalid address '10.8.0.300/24': expected ADDRESS/LENGTH, e.g. 10.8.0.2/24 or fd00::2/64",
                    assertThrows(HostNetException.class, () -> net.addAddress("rqst0", "10.8.0.300/24")).getMessage());
            assertEquals("invalid route prefix 'fd00::/129': prefix length 129 is longer than the 128 bits of an IPv6 address",
                    assertThrows(HostNetException.class, () -> net.addRoute("fd00::/129", Optional.empty(), "rqst0")).getMessage());
            assertEquals("invalid route prefix '10.8.0.5/24': it has bits set past /24 (did you mean 10.8.0.0/24?)",
                    assertThrows(HostNetException.class, () -> net.addRoute("10.8.0.5/24", Optional.empty(), "rqst0")).getMessage());
            assertEquals("invalid route prefix 'fd00::1/0': it has bits set past /0 (did you mean ::/0?)",
                    assertThrows(HostNetException.class, () -> net.addRoute("fd00::1/0", Optional.empty(), "rqst0")).getMessage());
            assertEquals("invalid gateway fe80::1 for route 0.0.0.0/1: IPv6 gateway on an IPv4 route",
                    assertThrows(HostNetException.class,
                            () -> net.addRoute("0.0.0.0/1", Optional.of(addr("fe80::1")), "rqst0")).getMessage());
            assertEquals("invalid device name 'rqst0-with-a-long-name': longer than 15 characters",
                    assertThrows(HostNetException.class, () -> net.addAddress("rqst0-with-a-long-name", "10.8.0.2/24")).getMessage());
        }
        assertEquals(List.of(), ip.commands());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "a:b", "a b", "tab\there", "-rf", "sixteen-chars-xx", "é"})
    void anInvalidDeviceNameIsRefusedBeforeAnythingRuns(String dev) throws Exception {
        try (HostNet net = open()) {
            HostNetException e = assertThrows(HostNetException.class, () -> net.addRoute("0.0.0.0/1", Optional.empty(), dev));
            assertTrue(e.getMessage().startsWith("invalid device name '" + dev + "': "), e.getMessage());
        }
        assertEquals(List.of(), ip.commands());
    }

    @Test
    void addressesAreWrittenTheWayIpPrintsThem() throws Exception {
        try (HostNet net = open()) {
            net.addAddress("rqst0", "FD00:0:0:0::0002/64");
            InetAddress scopedGateway = Inet6Address.getByAddress(null, addr("fe80::1").getAddress(), 3); // fe80::1%3
            net.addRoute("2001:0db8:0000:0000:0001:0000:0000:0000/80", Optional.of(scopedGateway), "rqst0");
        }
        assertEquals(List.of(
                "ip -6 addr add fd00::2/64 dev rqst0",
                "ip -6 route add 2001:db8:0:0:1::/80 via fe80::1 dev rqst0",
                "ip -6 route del 2001:db8:0:0:1::/80 via fe80::1 dev rqst0",
                "ip -6 addr del fd00::2/64 dev rqst0"), ip.commands());
    }

    @ParameterizedTest
    @ValueSource(strings = {"::=::", "::1=::1", "fe80::1=fe80::1", "2001:db8:0:0:1:0:0:1=2001:db8::1:0:0:1",
        "1:0:0:2:0:0:0:3=1:0:0:2::3", "1:0:2:3:4:5:6:7=1:0:2:3:4:5:6:7", "1:2:3:4:5:6:7:0=1:2:3:4:5:6:7:0",
        "0:0:1:0:0:0:0:0=0:0:1::", "fd00:0:0:0:0:0:0:abcd=fd00::abcd"})
    void ipv6AddressesAreFormattedAsRfc5952Says(String pair) {
        String[] inOut = pair.split("=");
        assertEquals(inOut[1], Cidr.format(addr(inOut[0])));
    }

    // ---------------------------------------------------------------- routeTo

    // Real answers of `ip -j route get`, captured with iproute2 6.1 on Linux 6.18.
    private static final String V4_VIA_GATEWAY =
            "[{\"dst\":\"8.8.8.8\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\",\"prefsrc\":\"192.0.2.2\",\"flags\":[],\"uid\":0,\"cache\":[]}]\n";
    private static final String V4_ON_LINK =
            "[{\"dst\":\"10.9.0.2\",\"dev\":\"va\",\"prefsrc\":\"10.9.0.1\",\"flags\":[],\"uid\":0,\"cache\":[]}]\n";
    private static final String V4_LOCAL =
            "[{\"type\":\"local\",\"dst\":\"10.9.0.1\",\"dev\":\"lo\",\"prefsrc\":\"10.9.0.1\",\"flags\":[],\"uid\":0,\"cache\":[\"local\"]}]\n";
    private static final String V6_VIA_LINK_LOCAL =
            "[{\"dst\":\"2001:db8::5\",\"from\":\"::\",\"gateway\":\"fe80::1\",\"dev\":\"va\",\"prefsrc\":\"fd00:9::1\","
                    + "\"metric\":1024,\"flags\":[],\"pref\":\"medium\"}]\n";
    private static final String V6_ON_LINK =
            "[{\"dst\":\"fd00:9::2\",\"from\":\"::\",\"dev\":\"va\",\"protocol\":\"kernel\",\"prefsrc\":\"fd00:9::1\","
                    + "\"metric\":256,\"flags\":[],\"pref\":\"medium\"}]\n";

    @Test
    void routeToReadsTheKernelsAnswer() throws Exception {
        ip.answer("ip -j route get 8.8.8.8", 0, V4_VIA_GATEWAY, "")
                .answer("ip -j route get 10.9.0.2", 0, V4_ON_LINK, "")
                .answer("ip -j route get 10.9.0.1", 0, V4_LOCAL, "")
                .answer("ip -6 -j route get 2001:db8::5", 0, V6_VIA_LINK_LOCAL, "")
                .answer("ip -6 -j route get fd00:9::2", 0, V6_ON_LINK, "");
        try (HostNet net = open()) {
            assertEquals(Optional.of(new RouteInfo(addr("8.8.8.8"), Optional.of(addr("192.0.2.1")), "eth0")),
                    net.routeTo(addr("8.8.8.8")));
            assertEquals(Optional.of(new RouteInfo(addr("10.9.0.2"), Optional.empty(), "va")), net.routeTo(addr("10.9.0.2")));
            assertEquals(Optional.of(new RouteInfo(addr("10.9.0.1"), Optional.empty(), "lo")), net.routeTo(addr("10.9.0.1")));
            assertEquals(Optional.of(new RouteInfo(addr("2001:db8::5"), Optional.of(addr("fe80::1")), "va")),
                    net.routeTo(addr("2001:db8::5")));
            assertEquals(Optional.of(new RouteInfo(addr("fd00:9::2"), Optional.empty(), "va")), net.routeTo(addr("fd00:9::2")));
        }
        assertFalse(Files.exists(stateFile()), "looking up routes changes nothing");
    }

    @Test
    void defaultRouteReadsThePreferredOneAndIsEmptyWithoutOne() throws Exception {
        // Real answers of `ip -j route show default`: two IPv4 default routes (the first has the lowest metric), an
        // IPv6 one through a link-local gateway, none at all ("[]", or nothing on older iproute2), an unreachable one.
        ip.answer("ip -j route show default", 0, "[{\"dst\":\"default\",\"gateway\":\"192.168.201.1\",\"dev\":\"eth0\","
                        + "\"flags\":[]},{\"dst\":\"default\",\"gateway\":\"10.0.0.1\",\"dev\":\"wlan0\",\"metric\":600,\"flags\":[]}]\n", "")
                .answer("ip -6 -j route show default", 0, "[{\"dst\":\"default\",\"gateway\":\"fe80::1\",\"dev\":\"eth0\","
                        + "\"protocol\":\"ra\",\"metric\":1024,\"flags\":[],\"pref\":\"medium\"}]\n", "");
        try (HostNet net = open()) {
            assertEquals(Optional.of(new RouteInfo(addr("0.0.0.0"), Optional.of(addr("192.168.201.1")), "eth0")),
                    net.defaultRoute(addr("198.51.100.7")));
            assertEquals(Optional.of(new RouteInfo(addr("::"), Optional.of(addr("fe80::1")), "eth0")),
                    net.defaultRoute(addr("2001:db8::7")));
        }
        assertEquals(Optional.empty(), IpHostNet.parseDefaultRoute(addr("0.0.0.0"), "[]\n"));
        assertEquals(Optional.empty(), IpHostNet.parseDefaultRoute(addr("0.0.0.0"), ""));
        assertEquals(Optional.empty(), IpHostNet.parseDefaultRoute(addr("0.0.0.0"),
                "[{\"type\":\"unreachable\",\"dst\":\"default\",\"dev\":\"lo\",\"flags\":[]}]"));
        assertThrows(HostNetException.class, () -> IpHostNet.parseDefaultRoute(addr("0.0.0.0"), "Usage: ip route ..."));
        assertFalse(Files.exists(stateFile()), "looking up routes changes nothing");
    }

    @Test
    void routeToIsEmptyWhenTheKernelCannotReachTheDestination() throws Exception {
        // Real answers: no route at all, an `unreachable` route, a `prohibit` route.
        ip.answer("ip -j route get 198.51.100.7", 2, "", "RTNETLINK answers: Network is unreachable\n")
                .answer("ip -6 -j route get 2001:db8:1::1", 2, "", "RTNETLINK answers: No route to host\n")
                .answer("ip -j route get 198.51.101.7", 2, "", "RTNETLINK answers: Permission denied\n")
                .answer("ip -j route get 198.51.102.7", 0, "[{\"type\":\"blackhole\",\"dst\":\"198.51.102.7\",\"dev\":\"lo\"}]", "");
        try (HostNet net = open()) {
            assertEquals(Optional.empty(), net.routeTo(addr("198.51.100.7")));
            assertEquals(Optional.empty(), net.routeTo(addr("2001:db8:1::1")));
            assertEquals(Optional.empty(), net.routeTo(addr("198.51.101.7")));
            assertEquals(Optional.empty(), net.routeTo(addr("198.51.102.7")));
        }
    }

    @Test
    void routeToFailsClearlyOnOtherAnswers() throws Exception {
        ip.answer("ip -j route get 198.51.100.7", 2, "", "RTNETLINK answers: Invalid argument\n")
                .answer("ip -j route get 198.51.100.8", 0, "Usage: ip route ...", "")
                .answer("ip -j route get 198.51.100.9", 0, "[{\"dst\":\"198.51.100.9\"}]", "")
                .answer("ip -j route get 198.51.100.10", 0, "[{\"dst\":\"198.51.100.10\",\"gateway\":\"nonsense\",\"dev\":\"va\"}]", "");
        try (HostNet net = open()) {
            assertEquals("cannot look up the route to 198.51.100.7: Invalid argument",
                    assertThrows(HostNetException.class, () -> net.routeTo(addr("198.51.100.7"))).getMessage());
            assertTrue(assertThrows(HostNetException.class, () -> net.routeTo(addr("198.51.100.8"))).getMessage()
                    .startsWith("unexpected answer from ip route get 198.51.100.8: not JSON"));
            assertEquals("unexpected answer from ip route get 198.51.100.9: no \"dev\" in [{\"dst\":\"198.51.100.9\"}]",
                    assertThrows(HostNetException.class, () -> net.routeTo(addr("198.51.100.9"))).getMessage());
            assertEquals("unexpected answer from ip route get 198.51.100.10: gateway 'nonsense' is not an address",
                    assertThrows(HostNetException.class, () -> net.routeTo(addr("198.51.100.10"))).getMessage());
        }
    }

    @Test
    void routeToAcceptsAGatewayOfTheOtherFamily() throws Exception {
        // An IPv4 route through an IPv6 next hop (RFC 5549), as iproute2 prints it.
        ip.answer("ip -j route get 8.8.8.8", 0,
                "[{\"dst\":\"8.8.8.8\",\"via\":{\"family\":\"inet6\",\"host\":\"fe80::1\"},\"dev\":\"eth0\",\"flags\":[]}]", "");
        try (HostNet net = open()) {
            assertEquals(Optional.of(new RouteInfo(addr("8.8.8.8"), Optional.of(addr("fe80::1")), "eth0")),
                    net.routeTo(addr("8.8.8.8")));
        }
    }

}
