package io.rqst.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rqst.hostnet.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts for integration tests: Linux network namespaces joined by veth pairs, programs run inside
 * them, and everything removed again by {@link #close()} — also when the test failed. Needs root.
 *
 * <pre>{@code
 * try (Testbed tb = new Testbed()) {
 *     String server = tb.ns("server"), client = tb.ns("client");
 *     tb.link(server, List.of("192.168.101.1/24", "fd00:101::1/64"), client, List.of("192.168.101.2/24", "fd00:101::2/64"));
 *     tb.hosts(client, Map.of("rqst.example.com", "192.168.101.1"));
 *     Spawned srv = tb.spawn(server, dir.resolve("server.log"), "./rqst", "server", ...);
 *     srv.awaitLog(Pattern.compile("listening"), Duration.ofSeconds(10));
 *     assertTrue(tb.ping(client, "10.8.0.1", 3).success());
 * }
 * }</pre>
 *
 * <p>Namespaces are named {@code rqt<pid>-<n>-<name>}: the JVM's pid and a counter per testbed, so
 * that tests running at the same time (in this JVM or others) never meet, and a later run can tell
 * which namespaces a crashed run left behind ({@link #sweepStale()}). Interfaces are created inside
 * their namespaces (never in the root namespace), named {@code eth0}, {@code eth1}, ... per namespace.
 *
 * <p>Methods throw unchecked exceptions (an {@link AssertionError} where the system under test
 * misbehaved, e.g. a log line that never came). Every command runs with a timeout.
 */
public final class Testbed implements AutoCloseable {

    /** What every testbed namespace name starts with. */
    public static final String PREFIX = "rqt";
    /** The timeout of the short commands the testbed runs itself ({@code ip}, {@code kill}). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** How long {@link #close()} lets spawned processes exit after TERM before it KILLs them. */
    public static final Duration STOP_GRACE = Duration.ofSeconds(3);

    private static final Logger log = LoggerFactory.getLogger(Testbed.class);
    private static final Pattern OWNED_NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-(\\d+)-.+");
    private static final Pattern SHORT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,31}");
    private static final Path NETNS_RUN = Path.of("/run/netns");
    private static final Path NETNS_ETC = Path.of("/etc/netns");
    private static final Duration POLL = Duration.ofMillis(50);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger TESTBEDS = new AtomicInteger();
    /** Testbeds not closed yet: a JVM that is shut down (not killed) still cleans up after them. */
    private static final Set<Testbed> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("testbed-cleanup").unstarted(() -> {
            for (Testbed testbed : OPEN) {
                testbed.close();
            }
        }));
    }

    /** A veth pair: interface {@code ifA} in namespace {@code nsA}, its peer {@code ifB} in {@code nsB}. */
    public record Link(String nsA, String ifA, String nsB, String ifB) {}

    /** Packet and byte counters of an interface ({@code ip -s link}). */
    public record LinkStats(long rxPackets, long txPackets, long rxBytes, long txBytes, long rxDropped, long txDropped) {}

    /** Round-trip times in milliseconds, as {@code ping} summarises them. */
    public record Rtt(double minMs, double avgMs, double maxMs, double mdevMs) {}

    /** What a {@link #ping} saw; {@code output} is ping's own, for failure messages. */
    public record PingResult(int transmitted, int received, Optional<Rtt> rtt, String output) {
        private static final Pattern COUNTS = Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");
        private static final Pattern RTT =
                Pattern.compile("min/avg/max/mdev = ([\\d.]+)/([\\d.]+)/([\\d.]+)/([\\d.]+) ms");

        /** Whether at least one reply came back (ping's own notion of success). */
        public boolean success() {
            return received > 0;
        }

        static PingResult parse(String output) {
            Matcher counts = COUNTS.matcher(output);
            Matcher rtt = RTT.matcher(output);
            return new PingResult(
                    counts.find() ? Integer.parseInt(counts.group(1)) : 0,
                    counts.find(0) ? Integer.parseInt(counts.group(2)) : 0,
                    rtt.find() ? Optional.of(new Rtt(Double.parseDouble(rtt.group(1)), Double.parseDouble(rtt.group(2)),
                            Double.parseDouble(rtt.group(3)), Double.parseDouble(rtt.group(4)))) : Optional.empty(),
                    output.strip());
        }
    }

    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();
    private final Map<String, Integer> interfaceCounts = new HashMap<>();
    private final List<Spawned> spawned = new ArrayList<>();
    private boolean closed;

    /** Removes what crashed earlier runs left ({@link #sweepStale()}), then starts an empty testbed. */
    public Testbed() {
        requireRoot();
        sweepStale();
        prefix = PREFIX + ProcessHandle.current().pid() + "-" + TESTBEDS.incrementAndGet() + "-";
        OPEN.add(this);
    }

    /** What the names of this testbed's namespaces start with, e.g. {@code rqt4242-1-}. */
    public String prefix() {
        return prefix;
    }

    // ---------------------------------------------------------------- hosts

    /**
     * Creates namespace {@code prefix() + name} with its loopback up, and returns that full name,
     * which every other method takes (and which works with {@code ip netns exec}).
     */
    public synchronized String ns(String name) {
        checkOpen();
        if (!SHORT_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("namespace name '" + name + "' must match " + SHORT_NAME);
        }
        String ns = prefix + name;
        if (namespaces.contains(ns)) {
            throw new IllegalArgumentException("namespace " + ns + " exists already in this testbed");
        }
        namespaces.add(ns); // before creating it, so that close() removes even a half-made one
        ipOk("netns", "add", ns);
        ipOk("-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /** {@link #link(String, List, String, List)} with one address (or none: {@code ""}) per end. */
    public Link link(String nsA, String addrA, String nsB, String addrB) {
        return link(nsA, addrA.isEmpty() ? List.of() : List.of(addrA), nsB, addrB.isEmpty() ? List.of() : List.of(addrB));
    }

    /**
     * Joins two namespaces with a veth pair, gives each end its addresses (IPv4 and/or IPv6 CIDRs,
     * e.g. {@code 192.168.101.1/24} and {@code fd00:101::1/64}), brings both up and returns once the
     * kernel sees them up. IPv6 duplicate address detection is off on both ends, so every address,
     * link-local ones too, works at once.
     */
    public synchronized Link link(String nsA, List<String> addrsA, String nsB, List<String> addrsB) {
        requireNs(nsA);
        requireNs(nsB);
        if (nsA.equals(nsB)) {
            throw new IllegalArgumentException("cannot link namespace " + nsA + " to itself");
        }
        Link link = new Link(nsA, nextInterface(nsA), nsB, nextInterface(nsB));
        ipOk("-n", nsA, "link", "add", link.ifA(), "type", "veth", "peer", "name", link.ifB(), "netns", nsB);
        configure(nsA, link.ifA(), addrsA);
        configure(nsB, link.ifB(), addrsB);
        ipOk("-n", nsA, "link", "set", link.ifA(), "up");
        ipOk("-n", nsB, "link", "set", link.ifB(), "up");
        awaitUsable(nsA, link.ifA());
        awaitUsable(nsB, link.ifB());
        return link;
    }

    /**
     * Waits for the kernel to see the carrier (it does so asynchronously, within a second) and to give
     * the interface its IPv6 link-local address, which it does only then.
     */
    private void awaitUsable(String ns, String ifname) {
        waitUntil(ifname + " in " + ns + " to be up with an IPv6 link-local address",
                () -> ipJson("-n", ns, "-j", "link", "show", "dev", ifname).path("operstate").asText().equals("UP")
                        && linkLocal(ns, ifname).isPresent(),
                DEFAULT_TIMEOUT);
    }

    private void configure(String ns, String ifname, List<String> cidrs) {
        execOk(ns, "sysctl", "-qw", "net.ipv6.conf." + ifname + ".accept_dad=0");
        for (String cidr : cidrs) {
            if (cidr.contains(":")) {
                ipOk("-n", ns, "-6", "addr", "add", cidr, "dev", ifname, "nodad");
            } else {
                ipOk("-n", ns, "addr", "add", cidr, "dev", ifname);
            }
        }
    }

    private String nextInterface(String ns) {
        int index = interfaceCounts.merge(ns, 1, Integer::sum) - 1;
        return "eth" + index;
    }

    /**
     * Writes {@code /etc/netns/<ns>/hosts}, which {@code ip netns exec} mounts over {@code /etc/hosts}
     * for the programs it starts afterwards: {@code localhost} plus one line per name. Replaces an
     * earlier call's names.
     */
    public synchronized void hosts(String ns, Map<String, String> nameToIp) {
        requireNs(ns);
        StringBuilder hosts = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost\n");
        nameToIp.forEach((name, ip) -> {
            if (!name.matches("[A-Za-z0-9.-]+") || !ip.matches("[0-9A-Fa-f.:]+")) {
                throw new IllegalArgumentException("not a host name and address: " + name + " " + ip);
            }
            hosts.append(ip).append('\t').append(name).append('\n');
        });
        etcFile(ns, "hosts", hosts.toString());
    }

    /**
     * Writes {@code /etc/netns/<ns>/<name>}, which {@code ip netns exec} bind-mounts over
     * {@code /etc/<name>} for the programs it starts afterwards: such a program sees, and may change,
     * its namespace's own copy, never the host's file. E.g. {@code resolv.conf} before running a DHCP
     * client, whose script rewrites it.
     */
    public synchronized void etcFile(String ns, String name, String content) {
        requireNs(ns);
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("not a file name: " + name);
        }
        try {
            Path dir = Files.createDirectories(NETNS_ETC.resolve(ns));
            Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " of " + ns, e);
        }
    }

    // ---------------------------------------------------------------- processes

    /** Runs {@code argv} inside {@code ns} and waits for it; throws if it outlives {@code timeout} (it is killed). */
    public CommandRunner.Result exec(String ns, Duration timeout, String... argv) {
        requireNs(ns);
        return runLocal(timeout, withNs(ns, argv).toArray(String[]::new));
    }

    /** Runs {@code argv} inside {@code ns} within {@link #DEFAULT_TIMEOUT}, requires exit code 0, returns stdout. */
    public String execOk(String ns, String... argv) {
        CommandRunner.Result result = exec(ns, DEFAULT_TIMEOUT, argv);
        if (!result.ok()) {
            throw new AssertionError("'" + String.join(" ", argv) + "' in " + ns + " exited with code "
                    + result.exitCode() + ": " + (result.stderr() + result.stdout()).strip());
        }
        return result.stdout();
    }

    /**
     * Starts {@code argv} inside {@code ns} in the background, standard output and error to {@code logFile}
     * (replaced; its directory is created). {@link #close()} stops it if the test does not.
     */
    public Spawned spawn(String ns, Path logFile, String... argv) {
        return spawn(ns, Map.of(), logFile, argv);
    }

    /** {@link #spawn(String, Path, String...)} with {@code env} added to (or replacing in) the test JVM's environment. */
    public Spawned spawn(String ns, Map<String, String> env, Path logFile, String... argv) {
        requireNs(ns);
        // A test JVM started as a background job without job control inherits SIGINT and SIGQUIT ignored, and a
        // signal ignored at start can be neither trapped by sh nor handled by a JVM: Ctrl+C tests would fail.
        // env (coreutils) resets them to their defaults, then execs the command (same PID).
        List<String> withDefaults = new ArrayList<>(List.of("env", "--default-signal=INT,QUIT"));
        withDefaults.addAll(List.of(argv));
        List<String> command = withNs(ns, withDefaults.toArray(String[]::new));
        Process process;
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().putAll(env);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", argv) + " in " + ns, e);
        }
        Spawned handle = new Spawned(ns, List.of(argv), logFile, process);
        boolean tooLate;
        synchronized (this) {
            tooLate = closed;
            if (!tooLate) {
                spawned.add(handle);
            }
        }
        if (tooLate) { // closed while it started: it must not outlive the testbed
            handle.kill();
            throw new IllegalStateException("testbed " + prefix + " was closed");
        }
        return handle;
    }

    /** Starts {@code tcpdump} on {@code ifname} in {@code ns} (optionally with filter arguments) and waits until it captures. */
    public Capture capture(String ns, String ifname, Path pcapFile, String... filter) {
        return Capture.start(this, ns, ifname, pcapFile, filter);
    }

    // ---------------------------------------------------------------- observations

    /** Pings {@code target} (a name or an IPv4/IPv6 address) {@code count} times from {@code ns}, 0.2 s apart. */
    public PingResult ping(String ns, String target, int count) {
        CommandRunner.Result result = exec(ns, Duration.ofSeconds(count + 5L),
                "ping", "-n", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", target);
        return PingResult.parse(result.stdout() + result.stderr());
    }

    public boolean linkExists(String ns, String ifname) {
        requireNs(ns);
        return ip("-n", ns, "link", "show", "dev", ifname).ok();
    }

    /** The MAC address of {@code ifname}, as {@code aa:bb:cc:dd:ee:ff}. */
    public String macOf(String ns, String ifname) {
        requireNs(ns);
        return ipJson("-n", ns, "-j", "link", "show", "dev", ifname).path("address").asText();
    }

    /** The MTU of {@code ifname}. */
    public int mtuOf(String ns, String ifname) {
        requireNs(ns);
        JsonNode mtu = ipJson("-n", ns, "-j", "link", "show", "dev", ifname).path("mtu");
        if (!mtu.isInt()) {
            throw new IllegalStateException("ip shows no MTU for " + ifname + " in " + ns);
        }
        return mtu.asInt();
    }

    /** The IPv6 link-local address of {@code ifname} (e.g. to route through a neighbour's), as ip prints it. */
    public String linkLocalOf(String ns, String ifname) {
        requireNs(ns);
        return linkLocal(ns, ifname).orElseThrow(
                () -> new IllegalStateException(ifname + " in " + ns + " has no IPv6 link-local address"));
    }

    private static Optional<String> linkLocal(String ns, String ifname) {
        // iproute2 6.1 prints {} for each address the filter leaves out, so look at every entry.
        for (JsonNode address : ipJson("-n", ns, "-6", "-j", "addr", "show", "dev", ifname, "scope", "link").path("addr_info")) {
            if (address.has("local")) {
                return Optional.of(address.get("local").asText());
            }
        }
        return Optional.empty();
    }

    public LinkStats linkStats(String ns, String ifname) {
        requireNs(ns);
        JsonNode stats = ipJson("-n", ns, "-j", "-s", "link", "show", "dev", ifname).path("stats64");
        JsonNode rx = stats.path("rx");
        JsonNode tx = stats.path("tx");
        return new LinkStats(rx.path("packets").asLong(), tx.path("packets").asLong(), rx.path("bytes").asLong(),
                tx.path("bytes").asLong(), rx.path("dropped").asLong(), tx.path("dropped").asLong());
    }

    /** The one object of the JSON list that {@code ip -j ... show dev X} prints. */
    private static JsonNode ipJson(String... args) {
        String json = ipOk(args);
        try {
            return JSON.readTree(json).path(0);
        } catch (IOException e) {
            throw new IllegalStateException("unexpected answer of ip " + String.join(" ", args) + ": " + json, e);
        }
    }

    /** Waits until {@code condition} holds, polling every 50 ms; fails after {@code timeout}. */
    public static void waitUntil(BooleanSupplier condition, Duration timeout) {
        waitUntil("the condition", condition, timeout);
    }

    /** {@link #waitUntil(BooleanSupplier, Duration)}, naming {@code what} it waited for in the failure. */
    public static void waitUntil(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            sleep(POLL);
        }
    }

    // ---------------------------------------------------------------- clean-up

    /**
     * Stops every spawned process (TERM, KILL after {@link #STOP_GRACE}), kills whatever still runs in
     * the namespaces, and deletes them and their {@code /etc/netns} directories. Never throws;
     * problems are logged. Idempotent.
     */
    @Override
    public void close() {
        List<Spawned> processes;
        List<String> toRemove;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            processes = List.copyOf(spawned);
            toRemove = namespaces.reversed();
        }
        try {
            stopAll(processes);
        } catch (RuntimeException e) {
            log.warn("{}: cannot stop its processes: {}", this, e.toString());
        }
        for (String ns : toRemove) {
            try {
                removeNamespace(ns);
            } catch (RuntimeException e) {
                log.warn("{}: cannot remove namespace {}: {}", this, ns, e.toString());
            }
        }
        OPEN.remove(this);
    }

    private static void stopAll(List<Spawned> processes) {
        processes.forEach(p -> p.signal("TERM"));
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (Spawned p : processes) {
            p.waitFor(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        // What ended on TERM may have left children behind: they are no longer its descendants, but
        // they are still in its namespace, where removeNamespace finds them.
        List<Spawned> stubborn = processes.stream().filter(Spawned::isAlive).toList();
        for (Spawned p : stubborn) {
            log.warn("{} did not exit within {} ms of TERM; killing it", p, STOP_GRACE.toMillis());
            p.kill();
        }
        for (Spawned p : stubborn) {
            if (!p.waitFor(Duration.ofSeconds(5))) {
                log.warn("{} survived KILL", p);
            }
        }
    }

    /**
     * Removes the namespaces and {@code /etc/netns} directories named {@code rqt<pid>-...} whose JVM is
     * gone: left by a test run that was killed before it could close its testbeds. Namespaces of
     * running JVMs (tests running in parallel) are left alone.
     *
     * @return the names removed
     */
    public static synchronized List<String> sweepStale() {
        Set<String> names = new TreeSet<>();
        for (Path dir : List.of(NETNS_RUN, NETNS_ETC)) {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.map(p -> p.getFileName().toString()).filter(n -> OWNED_NAME.matcher(n).matches()).forEach(names::add);
            } catch (NoSuchFileException e) {
                // no namespaces at all
            } catch (IOException e) {
                log.warn("cannot list {}: {}", dir, e.toString());
            }
        }
        List<String> removed = new ArrayList<>();
        for (String name : names) {
            if (!ownerIsAlive(name)) {
                log.info("removing test namespace {} left by a test run that did not clean up", name);
                try {
                    removeNamespace(name);
                    removed.add(name);
                } catch (RuntimeException e) {
                    log.warn("cannot remove stale namespace {}: {}", name, e.toString());
                }
            }
        }
        return removed;
    }

    /**
     * Whether the JVM whose pid the name holds still runs. A live process with that pid that started
     * after the namespace was created is another program that got the pid of a dead JVM.
     */
    private static boolean ownerIsAlive(String name) {
        Matcher m = OWNED_NAME.matcher(name);
        if (!m.matches()) {
            return true;
        }
        long pid = Long.parseLong(m.group(1));
        Optional<ProcessHandle> owner = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (owner.isEmpty()) {
            return false;
        }
        Optional<Instant> started = owner.get().info().startInstant();
        Optional<Instant> created = Stream.of(NETNS_RUN.resolve(name), NETNS_ETC.resolve(name))
                .map(Testbed::modified).flatMap(Optional::stream).min(Comparator.naturalOrder());
        return started.isEmpty() || created.isEmpty() || !started.get().isAfter(created.get());
    }

    private static Optional<Instant> modified(Path path) {
        try {
            return Optional.of(Files.getLastModifiedTime(path).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Kills every process in {@code ns}, deletes it and its {@code /etc/netns} directory; tolerates any of them missing. */
    private static void removeNamespace(String ns) {
        if (Files.exists(NETNS_RUN.resolve(ns))) {
            killAllIn(ns);
            CommandRunner.Result deleted = ip("netns", "delete", ns);
            if (!deleted.ok() && Files.exists(NETNS_RUN.resolve(ns))) {
                log.warn("cannot delete namespace {}: {}", ns, deleted.stderr().strip());
            }
        }
        deleteTree(NETNS_ETC.resolve(ns));
    }

    private static void killAllIn(String ns) {
        CommandRunner.Result pids = ip("netns", "pids", ns);
        List<ProcessHandle> killed = pids.stdout().lines()
                .filter(line -> line.matches("\\d+"))
                .flatMap(line -> ProcessHandle.of(Long.parseLong(line)).stream())
                .toList();
        for (ProcessHandle process : killed) {
            log.info("killing pid {} ({}), still running in namespace {}", process.pid(),
                    process.info().commandLine().orElse("?"), ns);
            process.destroyForcibly();
        }
        for (ProcessHandle process : killed) {
            try {
                process.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("pid {} in namespace {} survived KILL: {}", process.pid(), ns, e.toString());
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dir, e.toString());
        }
    }

    // ---------------------------------------------------------------- plumbing

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("testbed " + prefix + " is closed");
        }
    }

    private synchronized void requireNs(String ns) {
        checkOpen();
        if (!namespaces.contains(ns)) {
            throw new IllegalArgumentException("no namespace " + ns + " in testbed " + prefix
                    + " (use the name ns() returned)");
        }
    }

    private static List<String> withNs(String ns, String... argv) {
        if (argv.length == 0) {
            throw new IllegalArgumentException("no command");
        }
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        command.addAll(List.of(argv));
        return command;
    }

    private static CommandRunner.Result ip(String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = "ip";
        System.arraycopy(args, 0, argv, 1, args.length);
        return runLocal(DEFAULT_TIMEOUT, argv);
    }

    private static String ipOk(String... args) {
        CommandRunner.Result result = ip(args);
        if (!result.ok()) {
            throw new IllegalStateException("ip " + String.join(" ", args) + " failed: " + result.stderr().strip());
        }
        return result.stdout();
    }

    static CommandRunner.Result runLocal(Duration timeout, String... argv) {
        try {
            return CommandRunner.local().run(List.of(argv), timeout);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void requireRoot() {
        try {
            if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
                throw new IllegalStateException("a Testbed needs root (network namespaces); run the tests as root, "
                        + "or leave out the @Tag(\"netns\") tests with -Dgroups='!netns'");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "testbed " + prefix;
    }
}
