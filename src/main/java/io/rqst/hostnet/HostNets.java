package io.rqst.hostnet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the {@link HostNet} of this process, after undoing what an earlier, killed process left. */
public final class HostNets {

    private static final Logger log = LoggerFactory.getLogger(HostNets.class);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private HostNets() {}

    /** {@link #open(Path, CommandRunner)} with commands run on this host. */
    public static HostNet open(Path stateFile) throws HostNetException {
        return open(stateFile, CommandRunner.local());
    }

    /**
     * Returns a fresh {@link HostNet} that records its changes in {@code stateFile} (e.g.
     * {@code /run/rqst/client-rqst0.json}; its directory is created 0700 if missing).
     *
     * <p>If {@code stateFile} exists, the process that wrote it ended without {@link HostNet#close()}:
     * its changes are undone first, newest first, going on past failures (as {@code close()} does),
     * and the file is deleted. A file that cannot be read as a state file is moved aside to
     * {@code stateFile.corrupt-TIMESTAMP} with a warning, and nothing in it is run. A file left by this
     * very process (a {@code HostNet} dropped without {@code close()}) counts as left over too. Files that other
     * runs (another TAP name) left in the same directory are undone as well if their processes are gone.
     *
     * @throws HostNetException if the state file belongs to a process that is still running (one
     *     state file serves one process at a time), or cannot be read, moved or deleted
     */
    public static HostNet open(Path stateFile, CommandRunner runner) throws HostNetException {
        Path file = stateFile.toAbsolutePath();
        try {
            if (!Files.isDirectory(file.getParent())) {
                Files.createDirectories(file.getParent(),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Files.deleteIfExists(StateFile.tempFor(file));
            if (Files.exists(file)) {
                recover(file, runner, false);
            }
            recoverSiblings(file, runner);
        } catch (IOException e) {
            throw new HostNetException("cannot prepare host network state file " + file + ": " + io.rqst.sys.FileErrors.describe(e)
                    + " (check --state-dir)");
        }
        return new IpHostNet(file, runner);
    }

    /** The names rqst gives state files: {@code server-TAP.json}, {@code client-TAP.json}. */
    private static final java.util.regex.Pattern STATE_FILE_NAME = java.util.regex.Pattern.compile("(server|client)-.+\\.json");

    /**
     * Undoes what earlier runs with another TAP name left in the same directory, if their processes are gone: a run
     * killed with {@code --tap a} and started again with {@code --tap b} would otherwise leave {@code a}'s routes.
     * A file of a running process is left alone, one that cannot be read or trusted too (with a warning), an invalid
     * one is moved aside as for this run's own; nothing here stops this start.
     */
    private static void recoverSiblings(Path file, CommandRunner runner) throws IOException {
        List<Path> siblings;
        try (Stream<Path> entries = Files.list(file.getParent())) {
            siblings = entries.filter(p -> !p.equals(file) && STATE_FILE_NAME.matcher(p.getFileName().toString()).matches())
                    .sorted().toList();
        }
        for (Path sibling : siblings) {
            try {
                recover(sibling, runner, true);
            } catch (HostNetException | IOException e) {
                log.warn("left {} as it is: {}", sibling, e.getMessage());
            }
        }
    }

    /**
     * The commands in a state file run as this user (root): the file must be this user's own and writable by no
     * one else, as rqst writes it (0600), or anyone who could write it (a state directory open to all, say) could
     * make the next start run commands.
     */
    private static void checkTrusted(Path file) throws IOException, HostNetException {
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new HostNetException("host network state file " + file + " is not a regular file: refusing to read it;"
                    + " remove it, or use another --state-dir");
        }
        int owner = (Integer) Files.getAttribute(file, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        int self = (Integer) Files.getAttribute(Path.of("/proc/self/"), "unix:uid");
        int mode = (Integer) Files.getAttribute(file, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (owner != self || (mode & 0022) != 0) {
            throw new HostNetException("host network state file " + file + " is " + (owner != self ? "owned by uid " + owner
                    + ", not this user (uid " + self + ")" : "writable by others (mode " + Integer.toOctalString(mode & 0777) + ")")
                    + ": refusing to run the commands in it; check it, remove it, or use another --state-dir");
        }
    }

    /**
     * Undoes a left-over state file and deletes it. {@code sibling}: another run's file (another TAP name), which is
     * left alone, silently, while its process runs or if it is this process's own; this run's own file is refused
     * while its process runs, and counts as left over if this process wrote it.
     */
    private static void recover(Path file, CommandRunner runner, boolean sibling) throws IOException, HostNetException {
        checkTrusted(file);
        StateFile.Contents leftover;
        try {
            leftover = StateFile.read(file);
        } catch (StateFile.InvalidException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + STAMP.format(Instant.now()));
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            log.warn("host network state file {} is not valid ({}); moved it to {} and undid nothing: "
                    + "check 'ip address' and 'ip route' for changes an earlier run may have left",
                    file, e.getMessage(), aside);
            return;
        }
        if (sibling && (leftover.pid() == ProcessHandle.current().pid() || ownerIsRunning(leftover))) {
            return;
        }
        if (ownerIsRunning(leftover)) {
            throw new HostNetException("host network state file " + file + " belongs to process "
                    + leftover.pid() + ", which is still running: stop it first, or give this one another --tap");
        }
        if (!leftover.changes().isEmpty()) {
            log.info("undoing {} host changes left by an earlier run that did not exit cleanly ({})",
                    leftover.changes().size(), file);
            IpHostNet.undo(leftover.changes(), runner);
        }
        Files.delete(file);
    }

    /**
     * Whether the process that wrote the file still runs. Its pid alone is not enough (pids are
     * reused), so its start time must match too; when either start time is unknown, a live process
     * with that pid counts as the owner, to be safe.
     */
    private static boolean ownerIsRunning(StateFile.Contents contents) {
        ProcessHandle self = ProcessHandle.current();
        if (contents.pid() == self.pid()) {
            return false;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(contents.pid()).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return false;
        }
        Optional<Instant> started = process.get().info().startInstant();
        if (contents.processStart().isEmpty() || started.isEmpty()) {
            return true;
        }
        return started.get().toEpochMilli() == contents.processStart().get().toEpochMilli();
    }
}
