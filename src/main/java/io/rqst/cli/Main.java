package io.rqst.cli;

import io.rqst.session.Version;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code rqst}. Invoked as {@code vpn-server} or {@code vpn-client} (the RQST
 * manual's names), the launcher passes {@code -Drqst.alias} and the matching subcommand is implied.
 */
@Command(name = "rqst", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = {"A virtual Ethernet (L2) VPN over one QUIC connection, compatible with RQST.", ""},
        footer = {"", "Examples:", "  rqst server --address 10.8.0.1/24", "  rqst client --address 10.8.0.2/24 vpn://rqst.example.com:3456",
                "  rqst client --address 10.8.0.2/24 --bundle alice.rqst",
                "  rqst ca init; rqst ca issue server --name rqst.example.com; rqst ca issue client --name alice",
                "  rqst server -d        (test mode: no certificates)", "  rqst client -d vpn://192.0.2.1"})
public final class Main implements Runnable {
    /** Exit code for a failure at run time (refused, cannot set up, lost for good). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for a usage error (unknown option, bad value). */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private Main() {}

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * {@code -v}/{@code --verbose}: SLF4J's simple logger reads its level once, when the first logger is made, and
     * that happens before picocli has parsed anything (the preloading threads start Netty, which makes its
     * loggers). So the flag is looked for here, among the arguments before {@code --}.
     */
    static void verboseBeforeAnyLogger(String... args) {
        for (String a : args) {
            if (a.equals("--")) {
                return;
            }
            if (a.equals("-v") || a.equals("--verbose")) {
                System.setProperty(CommonOptions.LOG_LEVEL_PROPERTY, "debug");
                return;
            }
        }
    }

    /** Runs the command line and returns the exit code (for tests). */
    public static int execute(String... args) {
        verboseBeforeAnyLogger(args);
        nettyDefaults();
        String alias = System.getProperty("rqst.alias", "");
        if (alias.equals("vpn-server") || alias.equals("vpn-client")) {
            String[] a = new String[args.length + 1];
            a[0] = alias.substring(4);
            System.arraycopy(args, 0, a, 1, args.length);
            args = a;
        }
        CommandLine cl;
        if (args.length > 0 && (args[0].equals("server") || args[0].equals("client"))) {
            // the tunnel commands build only their own model: picocli's reflection over every command
            // (the CA's dozen) costs a noticeable part of a cold start, i.e. of the time to the first ping
            Preload.start();
            cl = new CommandLine(args[0].equals("server") ? new ServerCommand().model() : new ClientCommand().model());
            cl.setCommandName("rqst " + args[0]);
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else {
            cl = new CommandLine(new Main());
            // the tunnel commands' models are built in code (Specs); the others from their annotations
            cl.addSubcommand(new CommandLine(new ServerCommand().model()));
            cl.addSubcommand(new CommandLine(new ClientCommand().model()));
            cl.addSubcommand(new CommandLine(new CaCommand()));
            cl.addSubcommand(new CommandLine(new CommandLine.HelpCommand()));
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("rqst: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("rqst: " + (ex instanceof UsageError ? "" : "internal error: ") + ex.getMessage());
            if (!(ex instanceof UsageError)) {
                ex.printStackTrace(c.getErr());
            }
            return ex instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
        });
        return cl.execute(args);
    }

    /**
     * Netty settings for a quick start, each unless set on the command line. A random machine id for
     * channel ids (which only need to differ between processes): otherwise Netty scans the network
     * interfaces for a MAC address at the first channel, which costs start-up time and, in a namespace
     * with only a loopback, logs a warning. No JFR events from Netty's allocator: the first chunk it
     * allocates would register an event class with JFR, ~0.3 s of cold JFR and class-file code on the
     * event loop in the middle of the first QUIC handshake ({@code -Dio.netty.jfr.enabled=true} for them).
     */
    static void nettyDefaults() {
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
        // Netty's NetUtil reads the interfaces once to find the loopback; in a network namespace whose loopback is still
        // down it logs two warnings, one with a stack trace, about something rqst never uses (-v shows them)
        String netUtil = "org.slf4j.simpleLogger.log.io.netty.util.NetUtilInitializations";
        if (System.getProperty(netUtil) == null && !"debug".equals(System.getProperty(CommonOptions.LOG_LEVEL_PROPERTY))) {
            System.setProperty(netUtil, "error");
        }
        if (System.getProperty("io.netty.machineId") == null) {
            byte[] mac = new byte[6];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(mac);
            mac[0] = (byte) ((mac[0] & 0xfc) | 0x02); // locally administered, unicast
            System.setProperty("io.netty.machineId", java.util.HexFormat.ofDelimiter(":").formatHex(mac));
        }
    }

    /** A bad option value found after parsing (e.g. a file that does not exist). */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"rqst " + Version.VERSION + " (Java " + Runtime.version() + ")"};
        }
    }
}
