package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rqst.hostnet.CommandRunner;
import io.rqst.it.Capture.Frame;
import io.rqst.it.Testbed.PingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * rqst itself on a {@link Testbed}: a {@code server} namespace, client "sites" linked to it by veth,
 * the manual PKI, per-role working directories, the real launcher started inside a namespace from
 * such a directory, and the observations the tunnel tests share. {@link #close()} removes everything
 * (namespaces, TAPs with them, processes), also when a test failed.
 *
 * <p>Every rqst process runs as {@code cd DIR && ./rqst ARGS --state-dir STATE >STDOUT}: its log
 * (the {@link Spawned#logFile()}) is exactly its standard error, where rqst writes its log lines and
 * its one-line errors.
 */
final class VpnBed implements AutoCloseable {

    /** Starting a JVM on a busy two-core machine can be slow: the bound for a process to get going. */
    static final Duration START = Duration.ofSeconds(30);
    static final Pattern LISTENING = Pattern.compile("INFO listening on ");
    /** {@code connected to vpn://HOST:PORT (ADDRESS:PORT): session ID, ...}. */
    static final Pattern CONNECTED = Pattern.compile("INFO connected to (\\S+) \\((\\S+)\\): session (\\w+)");
    /** What rqst logs on the server for a new client: {@code session ID open: user NAME from ADDRESS}. */
    static final Pattern SESSION_OPEN = Pattern.compile("INFO session (\\w+) open: user (\\S+) from (\\S+)");
    static final String BROADCAST = "ff:ff:ff:ff:ff:ff";
    /** The names every site's hosts file gives the server; the manual PKI's server certificate holds the first three. */
    static final String NAME = "rqst.example.com";
    static final String NAME4 = "rqst4.example.com";
    static final String NAME6 = "rqst6.example.com";
    /** A name of the server that its certificate does not hold. */
    static final String ALIAS = "alias.example.com";
    static final String SERVER_SANS = "DNS:" + NAME + ",DNS:" + NAME4 + ",DNS:" + NAME6;

    private static Path pki;

    /**
     * A client namespace linked to the server's: site {@code n} is 192.168.(100+n).0/24 and
     * fd00:(100+n)::/64, the server being .1 / ::1 and the site .2 / ::2 on that link.
     */
    record Site(String ns, String serverV4, String serverV6, String v4, String v6) {}

    final Testbed tb;
    final Path work;
    private final String label;
    final String server;
    private final AtomicInteger sites = new AtomicInteger();
    private final AtomicInteger processes = new AtomicInteger();

    /**
     * A testbed with just the server namespace; files go under {@code work}, and the processes' logs
     * are kept in {@code <build dir>/it-logs/<label>/} when it closes (for a failure in CI).
     */
    VpnBed(Path work, String label) {
        this.work = work;
        this.label = label.replaceAll("[^A-Za-z0-9_.-]", "_");
        this.tb = new Testbed();
        try {
            this.server = tb.ns("server");
        } catch (RuntimeException e) {
            tb.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- hosts

    /**
     * Creates namespace {@code name} linked to the server; its hosts file maps {@link #NAME} and
     * {@link #NAME4} (and {@link #ALIAS}) to the server's IPv4 address on that link, {@link #NAME6}
     * to its IPv6 one.
     */
    Site site(String name) {
        int n = 100 + sites.incrementAndGet();
        String ns = tb.ns(name);
        Site site = new Site(ns, "192.168." + n + ".1", "fd00:" + n + "::1", "192.168." + n + ".2", "fd00:" + n + "::2");
        tb.link(server, List.of(site.serverV4() + "/24", site.serverV6() + "/64"), ns, List.of(site.v4() + "/24", site.v6() + "/64"));
        Map<String, String> hosts = new LinkedHashMap<>();
        hosts.put(NAME, site.serverV4());
        hosts.put(NAME4, site.serverV4());
        hosts.put(NAME6, site.serverV6());
        hosts.put(ALIAS, site.serverV4());
        tb.hosts(ns, hosts);
        return site;
    }

    // ---------------------------------------------------------------- files

    /**
     * The PKI of the RQST manual §3, made once per test JVM by {@code manual-pki.sh} with OpenSSL,
     * its server certificate naming {@link #SERVER_SANS}.
     */
    static synchronized Path pki() {
        if (pki == null) {
            try {
                Path dir = Files.createTempDirectory("rqst-it-pki-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
                Path script = Path.of(VpnBed.class.getResource("/pki/manual-pki.sh").toURI());
                ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), dir.toString()).redirectErrorStream(true);
                builder.environment().put("SERVER_SANS", SERVER_SANS);
                Process process = builder.start();
                process.getOutputStream().close();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                assertEquals(0, process.exitValue(), () -> "manual-pki.sh failed:\n" + output);
                pki = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return pki;
    }

    /** A file of the manual PKI, e.g. {@code certs/ca.crt} or {@code other/other-client.key}. */
    static Path pki(String relative) {
        return pki().resolve(relative);
    }

    /** The server's working directory as the manual's §3.4 makes it: ca.crt, server.crt, server.key. */
    Path serverDir() {
        return dir("server-files", Map.of("ca.crt", pki("certs/ca.crt"), "server.crt", pki("certs/server.crt"),
                "server.key", pki("private/server.key")));
    }

    /** A client's working directory holding ca.crt, client.crt and client.key made from the given PKI files. */
    Path clientDir(String name, String cert, String key) {
        return dir(name + "-files", Map.of("ca.crt", pki("certs/ca.crt"), "client.crt", pki(cert), "client.key", pki(key)));
    }

    /** A new directory {@code work/name} holding copies of {@code files} (name in the directory → source). */
    Path dir(String name, Map<String, Path> files) {
        try {
            Path dir = Files.createDirectories(work.resolve(name));
            for (Map.Entry<String, Path> f : files.entrySet()) {
                Files.copy(f.getValue(), dir.resolve(f.getKey()), StandardCopyOption.REPLACE_EXISTING);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An empty new directory {@code work/name}. */
    Path emptyDir(String name) {
        Path dir = dir(name, Map.of());
        try (Stream<Path> entries = Files.list(dir)) {
            assertEquals(0, entries.count(), dir + " is not empty");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    // ---------------------------------------------------------------- processes

    static Path launcher() {
        Path launcher = Path.of(System.getProperty("rqst.launcher", "rqst")).toAbsolutePath();
        assertTrue(Files.isExecutable(launcher), "no rqst launcher at " + launcher + " (failsafe passes -Drqst.launcher)");
        return launcher;
    }

    /**
     * Runs {@code rqst ARGS} in {@code ns} from working directory {@code dir}, with its own state
     * directory; its standard error goes to {@code work/NAME.log} (the returned process's log), its
     * standard output to {@code work/NAME.stdout}. {@code args[0]} is the command ({@code server},
     * {@code client}).
     */
    Spawned rqst(String ns, Path dir, String name, String... args) {
        return rqst(ns, Map.of(), dir, name, args);
    }

    /** {@link #rqst(String, Path, String, String...)} with {@code env} added to its environment (e.g. {@code SSLKEYLOGFILE}). */
    Spawned rqst(String ns, Map<String, String> env, Path dir, String name, String... args) {
        String unique = name + "-" + processes.incrementAndGet();
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "cd \"$1\" || exit 97; out=$2; shift 2; exec \"$@\" >\"$out\"",
                "rqst-in-dir", dir.toString(), work.resolve(unique + ".stdout").toString(), launcher().toString(), args[0],
                "--state-dir", work.resolve("state-" + unique).toString()));
        argv.addAll(List.of(args).subList(1, args.length));
        return tb.spawn(ns, env, work.resolve(unique + ".log"), argv.toArray(String[]::new));
    }

    /** Starts {@code rqst server ARGS} in the server namespace from {@code dir} and waits until it listens. */
    Spawned startServer(Path dir, String... args) {
        return startServer(Map.of(), dir, args);
    }

    /** {@link #startServer(Path, String...)} with {@code env} added to the server's environment. */
    Spawned startServer(Map<String, String> env, Path dir, String... args) {
        List<String> argv = new ArrayList<>(List.of("server"));
        argv.addAll(List.of(args));
        Spawned s = rqst(server, env, dir, "server", argv.toArray(String[]::new));
        s.awaitLog(LISTENING, START);
        return s;
    }

    /** Starts {@code rqst client ARGS} in {@code ns} from {@code dir}, without waiting. */
    Spawned client(String ns, Path dir, String name, String... args) {
        return client(Map.of(), ns, dir, name, args);
    }

    /** {@link #client(String, Path, String, String...)} with {@code env} added to the client's environment. */
    Spawned client(Map<String, String> env, String ns, Path dir, String name, String... args) {
        List<String> argv = new ArrayList<>(List.of("client"));
        argv.addAll(List.of(args));
        return rqst(ns, env, dir, name, argv.toArray(String[]::new));
    }

    /** {@link #client}, then waits for its {@code connected to} line and returns that client. */
    Spawned startClient(String ns, Path dir, String name, String... args) {
        return startClient(Map.of(), ns, dir, name, args);
    }

    /** {@link #startClient(String, Path, String, String...)} with {@code env} added to the client's environment. */
    Spawned startClient(Map<String, String> env, String ns, Path dir, String name, String... args) {
        Spawned c = client(env, ns, dir, name, args);
        c.awaitLog(CONNECTED, START);
        return c;
    }

    // ---------------------------------------------------------------- observations

    /** Pings until one reply comes (e.g. while IPv6 duplicate address detection runs); fails after {@code timeout}. */
    PingResult awaitPing(String ns, String target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        PingResult last;
        do {
            last = tb.ping(ns, target, 1);
            if (last.success()) {
                return last;
            }
        } while (System.nanoTime() - deadline < 0);
        throw new AssertionError("no reply from " + target + " in " + ns + " within " + timeout.toSeconds() + " s: " + last.output());
    }

    /** Asserts that {@code count} pings from {@code ns} to {@code target} all come back. */
    /**
     * Pings {@code target} from {@code ns}: {@code count} replies out of {@code count + 1} echo requests. One lost
     * datagram is tolerated (on a CI machine whose hypervisor takes a third of the CPU, a tunnel that has
     * just come up can lose one while its JIT warms up); a tunnel that loses two, or carries nothing, fails.
     */
    void assertPings(String ns, String target, int count) {
        PingResult r = tb.ping(ns, target, count + 1);
        assertTrue(r.received() >= count, () -> "ping " + target + " from " + ns + ": " + r.output());
    }

    /** The length of a process's log now: {@link #awaitLogAfter} looks only at what comes after it. */
    static int mark(Spawned p) {
        return p.log().length();
    }

    /** Waits for a line matching {@code pattern} in the part of the log after {@code mark}; returns the match. */
    static Matcher awaitLogAfter(Spawned p, int mark, Pattern pattern, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String log = p.log();
            for (String line : log.substring(Math.min(mark, log.length())).split("\n")) {
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    return m;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no line of the log of " + p + " matched /" + pattern + "/ within "
                        + timeout.toMillis() + " ms (after its first " + mark + " characters); it ends with:\n" + p.logTail());
            }
            Testbed.sleep(Duration.ofMillis(50));
        }
    }

    /** The lines of {@code text} that match {@code pattern}. */
    static List<String> lines(String text, Pattern pattern) {
        return text.lines().filter(l -> pattern.matcher(l).find()).toList();
    }

    /** The source MAC addresses of {@code frames}. */
    static Set<String> sources(Collection<Frame> frames) {
        Set<String> macs = new LinkedHashSet<>();
        frames.forEach(f -> macs.add(f.src()));
        return macs;
    }

    /** The frames sent from {@code mac}. */
    static List<Frame> from(Collection<Frame> frames, String mac) {
        return frames.stream().filter(f -> f.src().equals(mac)).toList();
    }

    /** Runs a command in {@code ns} and returns what it printed (stdout and stderr), failing if it does not exit 0. */
    String sh(String ns, String... argv) {
        CommandRunner.Result r = tb.exec(ns, Testbed.DEFAULT_TIMEOUT, argv);
        assertEquals(0, r.exitCode(), () -> String.join(" ", argv) + " in " + ns + ": " + r.stderr() + r.stdout());
        return r.stdout() + r.stderr();
    }

    // ---------------------------------------------------------------- TCP transfer

    /**
     * Moves {@code bytes} bytes of random data by TCP from namespace {@code from} to a {@code socat}
     * listening on {@code toIp:port} in namespace {@code to}, and asserts that what arrived has the
     * sent data's SHA-256.
     */
    void assertTcpTransfer(String from, String to, String toIp, int port, int bytes) {
        String name = "tcp-" + port + "-" + processes.incrementAndGet();
        Path sent = work.resolve(name + ".sent");
        Path received = work.resolve(name + ".received");
        try {
            byte[] data = new byte[bytes];
            new Random(port * 31L + bytes).nextBytes(data);
            Files.write(sent, data);
            Spawned listener = tb.spawn(to, work.resolve(name + "-listener.log"), "socat", "-d", "-d", "-u",
                    "TCP-LISTEN:" + port + ",bind=" + toIp + ",reuseaddr", "CREATE:" + received);
            listener.awaitLog(Pattern.compile("listening on"), START);
            CommandRunner.Result send = tb.exec(from, Duration.ofSeconds(120), "socat", "-u", "OPEN:" + sent,
                    "TCP:" + toIp + ":" + port + ",connect-timeout=10");
            assertEquals(0, send.exitCode(), () -> "socat sending to " + toIp + ":" + port + " from " + from + ": " + send.stderr());
            assertTrue(listener.waitFor(Duration.ofSeconds(30)), "the receiving socat did not finish");
            assertEquals(0, listener.exitCode().orElseThrow(), () -> "receiving socat: " + listener.logTail());
            assertEquals(bytes, Files.size(received), "bytes received at " + toIp + ":" + port);
            assertEquals(sha256(sent), sha256(received), "SHA-256 of the data received at " + toIp + ":" + port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(sent);
                Files.deleteIfExists(received);
            } catch (IOException ignored) {
                // the temporary directory goes anyway
            }
        }
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- clean-up

    @Override
    public void close() {
        tb.close();
        keepLogs();
    }

    /** Copies the logs of this testbed's processes next to the jar under test, if that is known. */
    private void keepLogs() {
        String jar = System.getProperty("rqst.jar");
        if (jar == null) {
            return;
        }
        Path keep = Path.of(jar).toAbsolutePath().resolveSibling("it-logs").resolve(label);
        try (Stream<Path> files = Files.list(work)) {
            Files.createDirectories(keep);
            for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, keep.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("cannot keep the logs of " + label + " in " + keep + ": " + e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }
}
