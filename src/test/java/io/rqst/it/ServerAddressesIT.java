package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.it.VpnBed.Site;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server with several addresses on one link, listening as by default (no {@code --listen}): a client that
 * uses a second address of the server, IPv4 or IPv6, connects, also when that address was added after the
 * server started. The kernel's choice of source for a reply to such a client is the link's first address,
 * which the client would not take as the server's. Test mode ({@code -d}).
 */
@Tag("netns")
class ServerAddressesIT {

    @TempDir
    Path work;

    private VpnBed bed;

    @BeforeEach
    void createTestbed() {
        bed = new VpnBed(work, "ServerAddressesIT");
    }

    @AfterEach
    void closeTestbed() {
        bed.close();
    }

    /**
     * Promise: clients reach the server at second addresses of its links: an IPv4 and an IPv6 one it had when it
     * started, and an IPv4 one added while it runs. Each tunnel carries pings.
     */
    @Test
    void clientsConnectToSecondAddressesOfTheServerIncludingOneAddedWhileItRuns() {
        Site a = bed.site("a");
        Site b = bed.site("b");
        Site c = bed.site("c");
        String secondV4 = second(a.serverV4());
        String secondV6 = b.serverV6().replaceAll("::1$", "::9");
        bed.tb.execOk(bed.server, "ip", "address", "add", secondV4 + "/24", "dev", serverSideOf(a));
        bed.tb.execOk(bed.server, "ip", "address", "add", secondV6 + "/64", "dev", serverSideOf(b), "nodad");

        Spawned server = bed.startServer(bed.emptyDir("server-empty"), "-d", "--address", "10.8.0.1/24");
        Spawned clientA = bed.startClient(a.ns(), bed.emptyDir("a-empty"), "client-a", "-d",
                "--address", "10.8.0.2/24", "vpn://" + secondV4);
        Spawned clientB = bed.startClient(b.ns(), bed.emptyDir("b-empty"), "client-b", "-d",
                "--address", "10.8.0.3/24", "vpn://[" + secondV6 + "]");
        assertTrue(clientA.log().contains("(" + secondV4 + ":3456)"), clientA.logTail());
        assertTrue(clientB.log().contains("([" + secondV6 + "]:3456)"), clientB.logTail());
        bed.assertPings(a.ns(), "10.8.0.1", 3);
        bed.assertPings(b.ns(), "10.8.0.1", 3);

        String late = second(c.serverV4());
        int mark = VpnBed.mark(server);
        bed.tb.execOk(bed.server, "ip", "address", "add", late + "/24", "dev", serverSideOf(c));
        // at once: its first packets may reach the server before the server has seen the new address
        Spawned clientC = bed.startClient(c.ns(), bed.emptyDir("c-empty"), "client-c", "-d",
                "--address", "10.8.0.4/24", "vpn://" + late);
        assertTrue(clientC.log().contains("(" + late + ":3456)"), clientC.logTail());
        VpnBed.awaitLogAfter(server, mark, Pattern.compile("INFO listening on " + Pattern.quote(late) + ":3456 too"),
                Duration.ofSeconds(5));
        bed.assertPings(c.ns(), "10.8.0.1", 3);

        // an address that goes away has its sockets closed within AddressCover.GONE_FOR and a scan; the others stay
        mark = VpnBed.mark(server);
        bed.tb.execOk(bed.server, "ip", "address", "del", late + "/24", "dev", serverSideOf(c));
        VpnBed.awaitLogAfter(server, mark, Pattern.compile("INFO no longer listening on " + Pattern.quote(late)
                + ":3456: the address is gone from this host"), Duration.ofSeconds(25));
        String sockets = bed.tb.execOk(bed.server, "ss", "-Hluan"); // IPv4 ones as [::ffff:a.b.c.d]:3456
        assertFalse(sockets.contains(late + "]:3456"), sockets);
        assertTrue(sockets.contains(secondV4 + "]:3456"), sockets);
        bed.assertPings(a.ns(), "10.8.0.1", 3);
    }

    /**
     * Promise: in a network namespace whose loopback is still down (no address at all, so Java and Netty find no IPv6),
     * the server listens on IPv4 by default, with no warning or stack trace. It used to stop with "internal error: IPv6
     * not available" and a stack trace.
     */
    @Test
    void aServerInANamespaceWithoutAddressesListensOnIpv4Quietly() {
        String bare = bed.tb.ns("bare");
        bed.tb.execOk(bare, "ip", "link", "set", "lo", "down");
        Spawned server = bed.rqst(bare, bed.emptyDir("bare-empty"), "bare-server", "server", "-d", "--address", "10.8.0.1/24");
        server.awaitLog(Pattern.compile("INFO listening on \\[0\\.0\\.0\\.0:3456\\]"), VpnBed.START);
        String log = server.log();
        assertTrue(log.lines().noneMatch(l -> l.contains(" WARN ") || l.startsWith("\tat ") || l.contains("internal error")), log);
    }

    /** {@code 192.168.N.1} → {@code 192.168.N.9}. */
    private static String second(String first) {
        return first.replaceAll("\\.1$", ".9");
    }

    /** The server's interface on the link to {@code site}: the one with its first IPv4 address there. */
    private String serverSideOf(Site site) {
        String line = bed.tb.execOk(bed.server, "ip", "-o", "-4", "address", "show", "to", site.serverV4()).strip();
        return line.split("\\s+")[1];
    }
}
