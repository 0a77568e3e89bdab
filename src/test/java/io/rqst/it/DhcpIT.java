package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rqst.hostnet.CommandRunner;
import io.rqst.it.VpnBed.Site;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Addresses by DHCP, as the README tells users: a DHCP server ({@code dnsmasq}) on the server's
 * uplink {@code rqst-up0}, the user's own DHCP client ({@code dhclient} with Debian's
 * {@code dhclient-script}) on the client's {@code rqst0}. Test mode ({@code -d}).
 *
 * <p>{@code dhclient-script} may rewrite {@code /etc/resolv.conf}: the client's namespace gets its
 * own copy ({@code /etc/netns/NS/resolv.conf}, which {@code ip netns exec} mounts over it), and the
 * test checks that the host's file is byte for byte what it was.
 */
@Tag("netns")
class DhcpIT {

    private static final String TAP = "rqst0";
    private static final String UPLINK = "rqst-up0";
    private static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");
    private static final Duration DHCP = Duration.ofSeconds(25);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private VpnBed bed;
    private Testbed tb;

    @BeforeEach
    void createTestbed(TestInfo test) {
        bed = new VpnBed(work, "DhcpIT-" + test.getTestMethod().map(m -> m.getName()).orElse("?"));
        tb = bed.tb;
    }

    @AfterEach
    void closeTestbed() {
        bed.close();
    }

    /**
     * Promise: a client started without {@code --address} leaves its TAP to the user's own DHCP client:
     * {@code dhclient} on {@code rqst0} gets a lease through the tunnel from {@code dnsmasq} on the
     * server's uplink, for the TAP's MAC; the address is on the TAP and carries traffic both ways.
     */
    @Test
    void usersOwnDhcpClientGetsALeaseThroughTheTunnel() throws IOException {
        byte[] hostResolvConf = Files.readAllBytes(HOST_RESOLV_CONF);
        Site a = bed.site("a");
        tb.etcFile(a.ns(), "resolv.conf", "# " + a.ns() + "'s own, for dhclient-script to rewrite\n");
        bed.startServer(bed.emptyDir("server-empty"), "-d", "--address", "10.8.0.1/24");
        Path leases = work.resolve("dnsmasq.leases");
        Spawned dnsmasq = tb.spawn(bed.server, work.resolve("dnsmasq.log"), "dnsmasq", "--keep-in-foreground", "--log-facility=-",
                "--conf-file=/dev/null", "--port=0", "--interface=" + UPLINK, "--bind-interfaces",
                "--dhcp-range=10.8.0.100,10.8.0.109,255.255.255.0,2m", "--dhcp-leasefile=" + leases,
                "--pid-file=" + work.resolve("dnsmasq.pid"), "--log-dhcp");
        Spawned dhclient = null;
        try {
            dnsmasq.awaitLog(Pattern.compile("DHCP, IP range 10\\.8\\.0\\.100 -- 10\\.8\\.0\\.109"), Duration.ofSeconds(10));
            Spawned client = bed.startClient(a.ns(), bed.emptyDir("client-empty"), "client", "-d", "vpn://" + VpnBed.NAME);
            String mac = tb.macOf(a.ns(), TAP);
            assertTrue(client.log().contains(TAP + " is up: mtu 1280, mac " + mac + " (no address: run a DHCP client on it"), client.logTail());
            assertEquals(List.of(), ipv4Addresses(a.ns()), "rqst0 has an address before DHCP");

            Path conf = work.resolve("dhclient.conf");
            Files.writeString(conf, "timeout 20;\nrequest subnet-mask, broadcast-address, routers;\n");
            List<String> dhclientArgs = List.of("-cf", conf.toString(), "-pf", work.resolve("dhclient.pid").toString(),
                    "-lf", work.resolve("dhclient.leases").toString(), TAP);
            List<String> argv = new ArrayList<>(List.of("dhclient", "-d", "-1", "-v"));
            argv.addAll(dhclientArgs);
            dhclient = tb.spawn(a.ns(), work.resolve("dhclient.log"), argv.toArray(String[]::new));
            String leased = dhclient.awaitLog(Pattern.compile("bound to (10\\.8\\.0\\.\\d+) -- renewal in"), DHCP).group(1);

            int host = Integer.parseInt(leased.substring(leased.lastIndexOf('.') + 1));
            assertTrue(host >= 100 && host <= 109, () -> leased + " is not from the range 10.8.0.100-109");
            assertEquals(List.of(leased + "/24"), ipv4Addresses(a.ns()), "the addresses of rqst0");
            bed.assertPings(a.ns(), "10.8.0.1", 3);
            bed.assertPings(bed.server, leased, 2);
            Pattern lease = Pattern.compile("^\\d+ " + Pattern.quote(mac) + " " + Pattern.quote(leased) + " ", Pattern.MULTILINE);
            Testbed.waitUntil("dnsmasq's lease file to hold " + leased + " for " + mac,
                    () -> lease.matcher(read(leases)).find(), Duration.ofSeconds(5));
            assertTrue(dnsmasq.log().contains("DHCPACK(" + UPLINK + ") " + leased + " " + mac), dnsmasq.logTail());

            // dhclient -r: the lease goes back, and dhclient-script takes the address off
            List<String> release = new ArrayList<>(List.of("dhclient", "-r", "-v"));
            release.addAll(dhclientArgs);
            CommandRunner.Result released = tb.exec(a.ns(), Duration.ofSeconds(15), release.toArray(String[]::new));
            assertEquals(0, released.exitCode(), () -> "dhclient -r: " + released.stderr() + released.stdout());
            dnsmasq.awaitLog(Pattern.compile("DHCPRELEASE\\(" + UPLINK + "\\) " + Pattern.quote(leased) + " " + Pattern.quote(mac)), DHCP);
            assertTrue(dhclient.waitFor(Duration.ofSeconds(5)), "dhclient -r did not stop the running dhclient");
            assertEquals(List.of(), ipv4Addresses(a.ns()), "the addresses of rqst0 after the release");
        } finally {
            if (dhclient != null) {
                dhclient.stop(Duration.ofSeconds(3));
            }
            dnsmasq.stop(Duration.ofSeconds(3));
        }
        assertArrayEquals(hostResolvConf, Files.readAllBytes(HOST_RESOLV_CONF), "the host's /etc/resolv.conf changed");
    }

    /** The IPv4 addresses of the client's TAP, as {@code ADDRESS/PREFIX}. */
    private List<String> ipv4Addresses(String ns) {
        List<String> addresses = new ArrayList<>();
        try {
            for (JsonNode link : JSON.readTree(bed.sh(ns, "ip", "-4", "-j", "addr", "show", "dev", TAP))) {
                for (JsonNode address : link.path("addr_info")) {
                    if (address.has("local")) {
                        addresses.add(address.get("local").asText() + "/" + address.path("prefixlen").asInt());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return addresses;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
