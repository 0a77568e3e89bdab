package io.rqst.hostnet;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process that makes host changes through {@link HostNets#open(Path)} (the production runner:
 * plain {@code ip}) and then waits to be killed: {@link IpHostNetNetnsTest} runs it in a namespace
 * and kills it with SIGKILL, to see the next start clean up after it.
 *
 * <p>Arguments: the state file, then the gateway (IPv4) to route through {@code eth0}.
 */
public final class MakeChangesThenHang {

    private MakeChangesThenHang() {}

    public static void main(String[] args) throws Exception {
        HostNet net = HostNets.open(Path.of(args[0]));
        Optional<InetAddress> gateway = Optional.of(InetAddress.ofLiteral(args[1]));
        net.addAddress("eth0", "10.78.0.1/32");
        net.addRoute("0.0.0.0/1", gateway, "eth0");
        net.addRoute("128.0.0.0/1", gateway, "eth0");
        System.out.println("changes made, waiting to be killed");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
