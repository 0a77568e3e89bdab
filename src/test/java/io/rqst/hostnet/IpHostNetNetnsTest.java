package io.rqst.hostnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rqst.hostnet.HostNet.RouteInfo;
import io.rqst.it.Spawned;
import io.rqst.it.Testbed;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HostNets} and {@link IpHostNet} changing a real (namespaced) host: namespace {@code a} is the
 * host under test, {@code b} its neighbour on {@code 10.77.0.0/24} and {@code fd00:77::/64}.
 */
@Tag("netns")
class IpHostNetNetnsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final InetAddress NEIGHBOUR = InetAddress.ofLiteral("10.77.0.2");
    /** Only reachable through the routes the tests add: it sits on b's loopback. */
    private static final String FAR_AWAY = "203.0.113.9";

    @TempDir
    Path dir;

    private Testbed tb;
    private String a;
    private String b;
    private CommandRunner inA;
    private Path stateFile;

    @BeforeEach
    void createHosts() {
        tb = new Testbed();
        a = tb.ns("a");
        b = tb.ns("b");
        tb.link(a, List.of("10.77.0.1/24", "fd00:77::1/64"), b, List.of("10.77.0.2/24", "fd00:77::2/64"));
        tb.execOk(b, "ip", "addr", "add", FAR_AWAY + "/32", "dev", "lo");
        inA = CommandRunner.local().withPrefix("ip", "netns", "exec", a);
        stateFile = dir.resolve("run/rqst/client-eth0.json");
    }

    @AfterEach
    void removeHosts() {
        if (tb != null) {
            tb.close();
        }
    }

    @Test
    void changesReachTheKernelAndAreGoneAfterClose() throws Exception {
        List<String> routesBefore = routes();
        List<String> addressesBefore = addresses();
        InetAddress linkLocalOfB = InetAddress.ofLiteral(tb.linkLocalOf(b, "eth0"));
        assertFalse(tb.ping(a, FAR_AWAY, 1).success(), "no route yet");

        try (HostNet net = HostNets.open(stateFile, inA)) {
            assertEquals(Optional.empty(), net.routeTo(InetAddress.ofLiteral(FAR_AWAY)), "Network is unreachable");
            net.addAddress("eth0", "10.78.0.1/32");
            net.addAddress("eth0", "fd00:78::1/128");
            net.addRoute("0.0.0.0/1", Optional.of(NEIGHBOUR), "eth0");
            net.addRoute("128.0.0.0/1", Optional.of(NEIGHBOUR), "eth0");
            net.addRoute("198.51.100.0/24", Optional.empty(), "eth0");
            net.addRoute("2000::/3", Optional.of(linkLocalOfB), "eth0");
            HostNetException refused = assertThrows(HostNetException.class,
                    () -> net.addRoute("192.0.2.0/24", Optional.of(InetAddress.ofLiteral("10.99.0.1")), "eth0"));
            assertEquals("cannot add route 192.0.2.0/24 via 10.99.0.1 dev eth0: Nexthop has invalid gateway",
                    refused.getMessage());

            List<String> routes = routes();
            assertTrue(routes.containsAll(List.of("0.0.0.0/1 via 10.77.0.2 dev eth0", "128.0.0.0/1 via 10.77.0.2 dev eth0",
                    "198.51.100.0/24 dev eth0", "2000::/3 via " + tb.linkLocalOf(b, "eth0") + " dev eth0")), routes.toString());
            assertFalse(routes.toString().contains("192.0.2.0/24"), routes.toString());
            assertTrue(addresses().containsAll(List.of("10.78.0.1/32", "fd00:78::1/128")), addresses().toString());
            assertEquals(6, JSON.readTree(stateFile.toFile()).path("changes").size());
            assertTrue(tb.ping(a, FAR_AWAY, 1).success(), "the routes carry packets");

            assertEquals(Optional.of(new RouteInfo(InetAddress.ofLiteral(FAR_AWAY), Optional.of(NEIGHBOUR), "eth0")),
                    net.routeTo(InetAddress.ofLiteral(FAR_AWAY)));
            assertEquals(Optional.of(new RouteInfo(InetAddress.ofLiteral("2001:db8::1"), Optional.of(linkLocalOfB), "eth0")),
                    net.routeTo(InetAddress.ofLiteral("2001:db8::1")));
            assertEquals(Optional.of(new RouteInfo(InetAddress.ofLiteral("198.51.100.7"), Optional.empty(), "eth0")),
                    net.routeTo(InetAddress.ofLiteral("198.51.100.7")));
            assertEquals(Optional.of(new RouteInfo(InetAddress.ofLiteral("fd00:77::2"), Optional.empty(), "eth0")),
                    net.routeTo(InetAddress.ofLiteral("fd00:77::2")));
        }

        assertEquals(routesBefore, routes());
        assertEquals(addressesBefore, addresses());
        assertFalse(Files.exists(stateFile));
        assertFalse(tb.ping(a, FAR_AWAY, 1).success(), "no route any more");
    }

    @Test
    void theNextStartUndoesTheChangesOfAKilledProcess() throws Exception {
        List<String> routesBefore = routes();
        List<String> addressesBefore = addresses();
        Spawned first = tb.spawn(a, dir.resolve("first.log"), ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), MakeChangesThenHang.class.getName(),
                stateFile.toString(), NEIGHBOUR.getHostAddress());
        first.awaitLog(Pattern.compile("changes made"), Duration.ofSeconds(30));
        assertTrue(routes().contains("0.0.0.0/1 via 10.77.0.2 dev eth0"), routes().toString());
        assertTrue(addresses().contains("10.78.0.1/32"), addresses().toString());

        HostNetException inUse = assertThrows(HostNetException.class, () -> HostNets.open(stateFile, inA));
        assertTrue(inUse.getMessage().contains("belongs to process " + first.pid() + ", which is still running"),
                inUse.getMessage());
        assertTrue(routes().contains("0.0.0.0/1 via 10.77.0.2 dev eth0"), "a running process's changes are left alone");

        first.signal("KILL");
        assertTrue(first.waitFor(Duration.ofSeconds(5)));
        assertTrue(Files.exists(stateFile), "a killed process leaves its state file");
        assertTrue(routes().contains("0.0.0.0/1 via 10.77.0.2 dev eth0"), "... and its changes");

        try (HostNet second = HostNets.open(stateFile, inA)) {
            assertEquals(routesBefore, routes());
            assertEquals(addressesBefore, addresses());
            assertFalse(Files.exists(stateFile));
            second.addRoute("198.51.100.0/24", Optional.empty(), "eth0");
        }
        assertEquals(routesBefore, routes());
    }

    @Test
    void theNextStartUndoesTheChangesOfAHostNetDroppedWithoutClose() throws Exception {
        List<String> routesBefore = routes();
        List<String> addressesBefore = addresses();
        HostNet dropped = HostNets.open(stateFile, inA);
        dropped.addAddress("eth0", "fd00:78::1/128");
        dropped.addRoute("0.0.0.0/1", Optional.of(NEIGHBOUR), "eth0");
        dropped.addRoute("2000::/3", Optional.of(InetAddress.ofLiteral("fd00:77::2")), "eth0");
        assertTrue(routes().containsAll(List.of("0.0.0.0/1 via 10.77.0.2 dev eth0", "2000::/3 via fd00:77::2 dev eth0")),
                routes().toString());

        HostNets.open(stateFile, inA).close();

        assertEquals(routesBefore, routes());
        assertEquals(addressesBefore, addresses());
        assertFalse(Files.exists(stateFile));
    }

    @Test
    void closeCopesWithAnInterfaceThatDisappeared() throws Exception {
        String c = tb.ns("c");
        tb.link(a, "10.79.0.1/24", c, "10.79.0.2/24");
        List<String> warnings;
        try (StderrCapture stderr = new StderrCapture()) {
            try (HostNet net = HostNets.open(stateFile, inA)) {
                net.addRoute("0.0.0.0/1", Optional.of(NEIGHBOUR), "eth0");
                net.addAddress("eth1", "10.80.0.1/32");
                net.addRoute("128.0.0.0/1", Optional.of(InetAddress.ofLiteral("10.79.0.2")), "eth1");
                tb.execOk(a, "ip", "link", "delete", "eth1");
            }
            warnings = stderr.lines("WARN");
        }
        assertEquals(List.of(), warnings, "an undo of something already gone is no failure");
        assertFalse(routes().contains("0.0.0.0/1 via 10.77.0.2 dev eth0"), routes().toString());
        assertFalse(Files.exists(stateFile));
    }

    /** The routes of namespace a (main table, IPv4 then IPv6) as {@code PREFIX [via GW] dev DEV}. */
    private List<String> routes() throws Exception {
        List<String> routes = new ArrayList<>();
        for (String family : List.of("-4", "-6")) {
            for (JsonNode route : JSON.readTree(tb.execOk(a, "ip", family, "-j", "route", "show"))) {
                String dst = route.path("dst").asText();
                dst = dst.equals("default") || dst.contains("/") ? dst : dst + (family.equals("-4") ? "/32" : "/128");
                routes.add(dst + (route.has("gateway") ? " via " + route.get("gateway").asText() : "")
                        + " dev " + route.path("dev").asText());
            }
        }
        return routes;
    }

    /** The addresses on a's eth0, as CIDRs. */
    private List<String> addresses() throws Exception {
        List<String> addresses = new ArrayList<>();
        for (JsonNode address : JSON.readTree(tb.execOk(a, "ip", "-j", "addr", "show", "dev", "eth0")).path(0).path("addr_info")) {
            addresses.add(address.path("local").asText() + "/" + address.path("prefixlen").asText());
        }
        return addresses;
    }

}
