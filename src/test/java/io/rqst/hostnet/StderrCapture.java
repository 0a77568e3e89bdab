package io.rqst.hostnet;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Collects what is written to {@code System.err} (where slf4j-simple logs) until closed, then writes it out after all. */
public final class StderrCapture implements AutoCloseable {

    private final PrintStream original = System.err;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    public StderrCapture() {
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    /** The lines logged at {@code level} ({@code "WARN"}, {@code "INFO"}, ...). */
    public List<String> lines(String level) {
        return bytes.toString(StandardCharsets.UTF_8).lines().filter(line -> line.contains(" " + level + " ")).toList();
    }

    @Override
    public void close() {
        System.setErr(original);
        original.print(bytes.toString(StandardCharsets.UTF_8));
    }
}
