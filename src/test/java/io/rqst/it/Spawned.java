package io.rqst.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A background process started by {@link Testbed#spawn} inside a namespace, its standard output and
 * error going to one log file. The testbed stops it on {@link Testbed#close()} if the test did not.
 */
public final class Spawned {

    private static final Pattern SIGNAL = Pattern.compile("[A-Z][A-Z0-9+-]*");
    private static final Duration POLL = Duration.ofMillis(50);
    private static final int TAIL_LINES = 40;

    private final String ns;
    private final List<String> argv;
    private final Path logFile;
    private final Process process;

    Spawned(String ns, List<String> argv, Path logFile, Process process) {
        this.ns = ns;
        this.argv = List.copyOf(argv);
        this.logFile = logFile;
        this.process = process;
    }

    /** The process id (that of the program itself: {@code ip netns exec} replaces itself with it). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The file that receives the process's standard output and error. */
    public Path logFile() {
        return logFile;
    }

    /** Waits up to {@code timeout} for the process to end; true if it has. */
    public boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The exit code (128 + N after signal N), or empty while the process runs. */
    public OptionalInt exitCode() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    /**
     * Sends signal {@code sig} ({@code TERM}, {@code KILL}, {@code INT}, {@code HUP}, ...; a {@code SIG}
     * prefix is allowed) to the process, not to its children.
     *
     * @return false if the process had already ended
     */
    public boolean signal(String sig) {
        String name = sig.startsWith("SIG") ? sig.substring(3) : sig;
        if (!SIGNAL.matcher(name).matches()) {
            throw new IllegalArgumentException("not a signal name: " + sig);
        }
        if (!process.isAlive()) {
            return false;
        }
        switch (name) {
            case "TERM" -> process.destroy();
            case "KILL" -> process.destroyForcibly();
            default -> {
                var result = Testbed.runLocal(Testbed.DEFAULT_TIMEOUT, "kill", "-s", name, Long.toString(pid()));
                if (!result.ok() && process.isAlive()) {
                    throw new IllegalStateException("kill -s " + name + " " + pid() + " failed: " + result.stderr().strip());
                }
            }
        }
        return true;
    }

    /**
     * Stops the process: {@code TERM}, then after {@code grace} {@code KILL} for it and every process it
     * started. Returns the exit code, or empty if even {@code KILL} did not end it within a few seconds.
     */
    public OptionalInt stop(Duration grace) {
        signal("TERM");
        if (!waitFor(grace)) {
            kill();
            waitFor(Duration.ofSeconds(5));
        }
        return exitCode();
    }

    /** {@code KILL} for the process and all its descendants, without waiting. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** The whole log so far (invalid UTF-8 replaced). */
    public String log() {
        try {
            return new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of the log, for failure messages. */
    public String logTail() {
        List<String> lines = log().lines().toList();
        List<String> tail = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
        return (lines.size() > tail.size() ? "[... " + (lines.size() - tail.size()) + " lines]\n" : "")
                + String.join("\n", tail);
    }

    /**
     * Waits until a line of the log (searched from its start) contains a match of {@code pattern}, and
     * returns that match (groups included). Fails with the log's tail in the message if the process
     * ends, or {@code timeout} passes, first.
     */
    public MatchResult awaitLog(Pattern pattern, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        LineScanner scanner = new LineScanner();
        while (true) {
            boolean ended = !process.isAlive();
            // Read after checking for the end: a process writes its last line before it ends.
            MatchResult match = scanner.scan(pattern, ended);
            if (match != null) {
                return match;
            }
            if (ended) {
                throw new AssertionError(this + " exited with code " + process.exitValue()
                        + " before its log matched /" + pattern + "/; log " + logFile + " ends with:\n" + logTail());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no line of the log of " + this + " matched /" + pattern + "/ within "
                        + timeout.toMillis() + " ms; log " + logFile + " ends with:\n" + logTail());
            }
            Testbed.sleep(POLL);
        }
    }

    @Override
    public String toString() {
        return "pid " + pid() + " (" + String.join(" ", argv) + ") in " + ns;
    }

    /** Reads a growing log file line by line, each byte once. */
    private final class LineScanner {
        private long offset;

        /** The first match in the complete lines added since the last call (and the last, partial line if {@code all}). */
        MatchResult scan(Pattern pattern, boolean all) {
            String text;
            try (FileChannel in = FileChannel.open(logFile)) {
                long size = in.size();
                if (size <= offset) {
                    return null;
                }
                ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(size - offset, 16 << 20));
                in.read(bytes, offset);
                int end = bytes.position();
                if (!all) {
                    while (end > 0 && bytes.get(end - 1) != '\n') {
                        end--;
                    }
                }
                offset += end;
                text = new String(bytes.array(), 0, end, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (String line : text.split("\n")) {
                Matcher matcher = pattern.matcher(line);
                if (matcher.find()) {
                    return matcher.toMatchResult();
                }
            }
            return null;
        }
    }
}
