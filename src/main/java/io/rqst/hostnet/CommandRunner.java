package io.rqst.hostnet;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one external command and reports how it ended: the seam between {@link HostNet} and the
 * programs it drives ({@code ip}), so that unit tests can record the commands instead and
 * integration tests can run them inside a network namespace ({@link #withPrefix}).
 */
@FunctionalInterface
public interface CommandRunner {

    /** How a command ended: its exit code and everything it wrote (decoded as UTF-8). */
    record Result(int exitCode, String stdout, String stderr) {
        /** Whether the command exited with code 0. */
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Runs {@code argv} (program first, looked up on the {@code PATH}) with an empty standard input
     * and waits for it to end.
     *
     * @throws IOException if the program cannot be started, or did not end within {@code timeout}
     *     (it is then killed); the message names the command
     */
    Result run(List<String> argv, Duration timeout) throws IOException;

    /** Runs commands as processes of this host, each killed when it outlives its timeout. */
    static CommandRunner local() {
        return LocalCommandRunner.INSTANCE;
    }

    /**
     * This runner with {@code prefix} put before every command, e.g.
     * {@code withPrefix("ip", "netns", "exec", "ns1")} to run them inside network namespace {@code ns1}.
     */
    default CommandRunner withPrefix(String... prefix) {
        List<String> head = List.of(prefix);
        return (argv, timeout) -> {
            List<String> full = new ArrayList<>(head.size() + argv.size());
            full.addAll(head);
            full.addAll(argv);
            return run(full, timeout);
        };
    }
}
