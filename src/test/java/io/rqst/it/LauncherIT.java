package io.rqst.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM options the {@code rqst} launcher chooses: transparent huge pages where the kernel offers them, and
 * the user's {@code RQST_JAVA_OPTS} after its own, so that they win. Runs the launcher itself (no namespaces).
 */
class LauncherIT {
    private static final Path THP_MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final Pattern VERSION_LINE = Pattern.compile("(?m)^rqst \\S+ \\(Java ");
    private static final Pattern THP_FLAG = Pattern.compile("bool UseTransparentHugePages\\s+= (true|false)");

    @TempDir
    Path work;

    private record Run(int exitCode, String stdout, String stderr) {}

    /** {@code rqst --version} with {@code RQST_JAVA_OPTS} set to {@code javaOpts} plus the JVM's flag listing. */
    private Run version(String javaOpts) throws IOException, InterruptedException {
        Path out = work.resolve("stdout");
        Path err = work.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(List.of(VpnBed.launcher().toString(), "--version"))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("RQST_JAVA_OPTS", (javaOpts + " -XX:+PrintFlagsFinal").strip());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rqst --version did not end within 60 s");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static boolean thpFlag(Run run) {
        Matcher m = THP_FLAG.matcher(run.stdout());
        assertTrue(m.find(), "no UseTransparentHugePages in the JVM's flags: " + run.stdout().lines().limit(5).toList());
        return Boolean.parseBoolean(m.group(1));
    }

    /**
     * Promise: the JVM uses transparent huge pages exactly when the kernel's mode is {@code [madvise]} or
     * {@code [always]}, and never prints a warning about them (it would with {@code [never]}).
     */
    @Test
    void hugePagesFollowTheKernelsMode() throws Exception {
        String mode = Files.isReadable(THP_MODE) ? Files.readString(THP_MODE) : "";
        boolean offered = mode.contains("[madvise]") || mode.contains("[always]");
        Run run = version("");
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals(offered, thpFlag(run), "kernel mode '" + mode.strip() + "'");
        assertFalse(run.stderr().toLowerCase().contains("warning"), run.stderr());
        assertTrue(VERSION_LINE.matcher(run.stdout()).find(), () -> "no version line: " + run.stdout().lines().toList().getLast());
    }

    /** Promise: the user's {@code RQST_JAVA_OPTS} turn the launcher's huge pages off. */
    @Test
    void theUsersOptionsComeLastAndWin() throws Exception {
        Run run = version("-XX:-UseTransparentHugePages");
        assertEquals(0, run.exitCode(), run.stderr());
        assertFalse(thpFlag(run), "RQST_JAVA_OPTS=-XX:-UseTransparentHugePages was overridden");
    }
}
