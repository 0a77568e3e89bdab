package io.rqst.hostnet;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@link CommandRunner#local()}: a {@link ProcessBuilder} with both outputs drained concurrently. */
final class LocalCommandRunner implements CommandRunner {

    static final LocalCommandRunner INSTANCE = new LocalCommandRunner();

    /** How long to wait for the output pipes to close once the process has ended or been killed. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    private LocalCommandRunner() {}

    @Override
    public Result run(List<String> argv, Duration timeout) throws IOException {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        String command = String.join(" ", argv);
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + command + ": " + e.getMessage(), e);
        }
        process.getOutputStream().close();
        // Drain both pipes at once, so that a command filling one of them cannot block forever.
        CompletableFuture<String> stdout = drain(process.getInputStream());
        CompletableFuture<String> stderr = drain(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new IOException("timed out after " + timeout.toMillis() + " ms: " + command);
            }
            return new Result(process.exitValue(), collect(stdout, command), collect(stderr, command));
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while running " + command);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().name("command-output").start(() -> {
            try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                text.completeExceptionally(e);
            }
        });
        return text;
    }

    /** Waits for what a pipe delivered; a descendant that kept it open must not hang the caller. */
    private static String collect(CompletableFuture<String> output, String command)
            throws IOException, InterruptedException {
        try {
            return output.get(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("output still open " + DRAIN_TIMEOUT.toMillis()
                    + " ms after the command ended (a child process kept it?): " + command);
        } catch (ExecutionException e) {
            throw new IOException("cannot read the output of " + command + ": " + e.getCause(), e.getCause());
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
