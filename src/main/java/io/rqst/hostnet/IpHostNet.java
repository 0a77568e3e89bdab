package io.rqst.hostnet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rqst.hostnet.StateFile.Change;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link HostNet} through the {@code ip} command of iproute2. Made by {@link HostNets#open}, which
 * first undoes whatever an earlier process left in the same state file.
 */
final class IpHostNet implements HostNet {

    private static final Logger log = LoggerFactory.getLogger(IpHostNet.class);

    /** How long one {@code ip} command may take; it talks to the kernel only, so seconds mean a hang. */
    static final Duration IP_TIMEOUT = Duration.ofSeconds(10);

    /** Linux IFNAMSIZ (16) less the terminating NUL. */
    static final int IFNAMSIZ_MAX_LENGTH = 15;

    /**
     * What {@code ip} answers when the thing to delete is not there (any more): a route
     * ({@code ESRCH}), an address (newer kernels say "Address not found", older ones
     * {@code EADDRNOTAVAIL}), or the whole device. Undo counts these as done.
     */
    private static final List<String> ALREADY_GONE = List.of(
            "no such process", "cannot find device", "address not found", "cannot assign requested address",
            "no such device");

    /**
     * What {@code ip route get} answers when the kernel has no usable route: none at all
     * ({@code ENETUNREACH}), an {@code unreachable} route ({@code EHOSTUNREACH}), a {@code prohibit}
     * route ({@code EACCES}).
     */
    private static final List<String> NO_ROUTE = List.of(
            "network is unreachable", "no route to host", "permission denied");

    /** Route types that {@code ip -j route get} may report without error but that carry nothing. */
    private static final Set<String> DROPPING_ROUTE_TYPES = Set.of("unreachable", "prohibit", "blackhole", "throw");

    private static final Pattern STDERR_PREFIX = Pattern.compile("^(Error: |RTNETLINK answers: )");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path stateFile;
    private final CommandRunner runner;
    private final List<Change> changes = new ArrayList<>();
    private boolean closed;

    IpHostNet(Path stateFile, CommandRunner runner) {
        this.stateFile = stateFile;
        this.runner = runner;
    }

    @Override
    public synchronized void addAddress(String dev, String cidr) throws HostNetException {
        checkDevice(dev);
        Cidr address = Cidr.parse("address", cidr);
        List<String> ip = ipFor(address.address());
        apply("add address " + address + " dev " + dev,
                concat(ip, List.of("addr", "add", address.toString(), "dev", dev)),
                concat(ip, List.of("addr", "del", address.toString(), "dev", dev)));
    }

    @Override
    public synchronized void addRoute(String prefix, Optional<InetAddress> gateway, String dev)
            throws HostNetException {
        checkDevice(dev);
        Cidr route = Cidr.parse("route prefix", prefix);
        Cidr network = route.network();
        if (!network.equals(route)) {
            throw new HostNetException("invalid route prefix '" + prefix + "': it has bits set past /"
                    + route.length() + " (did you mean " + network + "?)");
        }
        List<String> spec = new ArrayList<>(List.of(route.toString()));
        if (gateway.isPresent()) {
            InetAddress via = gateway.get();
            if (Cidr.isV6(via) != Cidr.isV6(route.address())) {
                throw new HostNetException("invalid gateway " + Cidr.format(via) + " for route " + route + ": "
                        + Cidr.family(via) + " gateway on an " + Cidr.family(route.address()) + " route");
            }
            spec.addAll(List.of("via", Cidr.format(via)));
        }
        spec.addAll(List.of("dev", dev));
        List<String> ip = ipFor(route.address());
        apply("add route " + String.join(" ", spec),
                concat(ip, List.of("route", "add"), spec),
                concat(ip, List.of("route", "del"), spec));
    }

    @Override
    public Optional<RouteInfo> routeTo(InetAddress destination) throws HostNetException {
        List<String> argv = concat(ipFor(destination), List.of("-j", "route", "get", Cidr.format(destination)));
        String attempt = "look up the route to " + Cidr.format(destination);
        CommandRunner.Result result = run(attempt, argv);
        if (!result.ok()) {
            if (containsAny(result.stderr(), NO_ROUTE)) {
                return Optional.empty();
            }
            throw failure(attempt, result);
        }
        return parseRouteGet(destination, result.stdout());
    }

    @Override
    public Optional<RouteInfo> defaultRoute(InetAddress family) throws HostNetException {
        List<String> argv = concat(ipFor(family), List.of("-j", "route", "show", "default"));
        String attempt = "look up the " + Cidr.family(family) + " default route";
        CommandRunner.Result result = run(attempt, argv);
        if (!result.ok()) {
            throw failure(attempt, result);
        }
        InetAddress any = Cidr.isV6(family) ? ANY_V6 : ANY_V4;
        return parseDefaultRoute(any, result.stdout());
    }

    private static final InetAddress ANY_V4 = InetAddress.ofLiteral("0.0.0.0");
    private static final InetAddress ANY_V6 = InetAddress.ofLiteral("::");

    /**
     * Reads the answer of {@code ip -j route show default}: a list of the default routes, the preferred (lowest
     * metric) first; an empty list (or nothing) when there is none.
     */
    static Optional<RouteInfo> parseDefaultRoute(InetAddress any, String json) throws HostNetException {
        String what = "unexpected answer from ip route show default: ";
        JsonNode root;
        try {
            root = json.isBlank() ? null : JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new HostNetException(what + "not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            return Optional.empty();
        }
        for (JsonNode route : root) {
            if (route.isObject() && !DROPPING_ROUTE_TYPES.contains(route.path("type").asText("")) && !route.path("dev").asText("").isEmpty()) {
                return Optional.of(routeInfo(any, route, what));
            }
        }
        return Optional.empty();
    }

    /** Reads the answer of {@code ip -j route get}: a list holding the one route the kernel would use. */
    static Optional<RouteInfo> parseRouteGet(InetAddress destination, String json) throws HostNetException {
        String what = "unexpected answer from ip route get " + Cidr.format(destination) + ": ";
        JsonNode route;
        try {
            JsonNode root = JSON.readTree(json);
            route = root != null && root.isArray() && !root.isEmpty() ? root.get(0) : null;
        } catch (JsonProcessingException e) {
            throw new HostNetException(what + "not JSON (" + e.getOriginalMessage() + ")");
        }
        if (route == null || !route.isObject()) {
            throw new HostNetException(what + "no route in " + oneLine(json));
        }
        if (DROPPING_ROUTE_TYPES.contains(route.path("type").asText(""))) {
            return Optional.empty();
        }
        if (route.path("dev").asText("").isEmpty()) {
            throw new HostNetException(what + "no \"dev\" in " + oneLine(json));
        }
        return Optional.of(routeInfo(destination, route, what));
    }

    /** A route object of {@code ip -j} (with a "dev") as a {@link RouteInfo} to {@code destination}. */
    private static RouteInfo routeInfo(InetAddress destination, JsonNode route, String what) throws HostNetException {
        // "gateway" for a gateway of the route's own family; "via" {family, host} for another (RFC 5549).
        String gatewayText = route.hasNonNull("gateway") ? route.get("gateway").asText()
                : route.path("via").path("host").asText("");
        Optional<InetAddress> gateway = Optional.empty();
        if (!gatewayText.isEmpty()) {
            int scope = gatewayText.indexOf('%');
            String bare = scope < 0 ? gatewayText : gatewayText.substring(0, scope);
            gateway = Optional.of(Cidr.parseAddress(bare).orElseThrow(
                    () -> new HostNetException(what + "gateway '" + gatewayText + "' is not an address")));
        }
        return new RouteInfo(destination, gateway, route.path("dev").asText(""));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        undo(changes, runner);
        changes.clear();
        try {
            Files.deleteIfExists(stateFile);
        } catch (IOException e) {
            log.warn("cannot delete host network state file {}: {}", stateFile, e.toString());
        }
    }

    /**
     * Runs the undo commands of {@code changes}, newest first, and goes on past failures: a thing
     * already gone is logged at DEBUG, any other failure as one WARN line.
     *
     * @return how many undo commands failed for another reason than the thing being already gone
     */
    static int undo(List<Change> changes, CommandRunner runner) {
        int failed = 0;
        for (Change change : changes.reversed()) {
            String command = String.join(" ", change.undo());
            try {
                CommandRunner.Result result = runner.run(change.undo(), IP_TIMEOUT);
                if (result.ok()) {
                    log.debug("undone: {}", command);
                } else if (containsAny(result.stderr(), ALREADY_GONE)) {
                    log.debug("already undone: {} ({})", command, kernelAnswer(result));
                } else {
                    failed++;
                    log.warn("cannot undo host change: {}: {}", command, kernelAnswer(result));
                }
            } catch (IOException e) {
                failed++;
                log.warn("cannot undo host change: {}: {}", command, e.getMessage());
            }
        }
        return failed;
    }

    private void apply(String attempt, List<String> argv, List<String> undo) throws HostNetException {
        if (closed) {
            throw new IllegalStateException("cannot " + attempt + ": this HostNet is closed");
        }
        CommandRunner.Result result = run(attempt, argv);
        if (!result.ok()) {
            throw failure(attempt, result);
        }
        changes.add(new Change(argv, undo));
        try {
            StateFile.write(stateFile, changes);
        } catch (IOException e) {
            // The change stays recorded in memory, so close() still undoes it.
            throw new HostNetException("did " + attempt + " but cannot record it in " + stateFile + ": " + e);
        }
    }

    private CommandRunner.Result run(String attempt, List<String> argv) throws HostNetException {
        try {
            return runner.run(argv, IP_TIMEOUT);
        } catch (IOException e) {
            throw new HostNetException("cannot " + attempt + ": " + e.getMessage());
        }
    }

    private static HostNetException failure(String attempt, CommandRunner.Result result) {
        return new HostNetException("cannot " + attempt + ": " + kernelAnswer(result));
    }

    /** {@code ip}'s complaint in one line, without its "Error: " prefix and final period. */
    static String kernelAnswer(CommandRunner.Result result) {
        List<String> lines = new ArrayList<>();
        for (String line : result.stderr().strip().split("\\R")) {
            String text = STDERR_PREFIX.matcher(line.strip()).replaceFirst("");
            text = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
            if (!text.isEmpty()) {
                lines.add(text);
            }
        }
        return lines.isEmpty() ? "ip exited with code " + result.exitCode() : String.join("; ", lines);
    }

    private static boolean containsAny(String text, List<String> needles) {
        String lower = text.toLowerCase(Locale.ROOT);
        return needles.stream().anyMatch(lower::contains);
    }

    /** Checks {@code dev} the way the kernel does ({@code dev_valid_name}), and refuses option look-alikes. */
    static void checkDevice(String dev) throws HostNetException {
        String problem = null;
        if (dev == null || dev.isEmpty()) {
            problem = "it is empty";
        } else if (dev.length() > IFNAMSIZ_MAX_LENGTH) {
            problem = "longer than " + IFNAMSIZ_MAX_LENGTH + " characters";
        } else if (dev.equals(".") || dev.equals("..")) {
            problem = "not a name";
        } else if (dev.startsWith("-")) {
            problem = "it starts with '-'";
        } else if (!dev.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '/' && c != ':')) {
            problem = "only printable ASCII without '/', ':' or spaces is allowed";
        }
        if (problem != null) {
            throw new HostNetException("invalid device name '" + dev + "': " + problem);
        }
    }

    private static List<String> ipFor(InetAddress address) {
        return Cidr.isV6(address) ? List.of("ip", "-6") : List.of("ip");
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> argv = new ArrayList<>();
        for (List<String> part : parts) {
            argv.addAll(part);
        }
        return List.copyOf(argv);
    }

    private static String oneLine(String text) {
        String line = text.strip().replaceAll("\\s+", " ");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
