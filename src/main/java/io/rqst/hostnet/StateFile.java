package io.rqst.hostnet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The on-disk record of the changes a {@link HostNet} made, so that the next start can undo them
 * if this process is killed. A JSON document, oldest change first:
 *
 * <pre>{@code
 * { "format": "rqst-hostnet-state", "version": 1, "pid": 4242, "processStart": "2026-01-01T10:00:00.120Z",
 *   "changes": [ { "applied": ["ip", "addr", "add", "10.8.0.2/24", "dev", "rqst0"],
 *                  "undo":    ["ip", "addr", "del", "10.8.0.2/24", "dev", "rqst0"] } ] }
 * }</pre>
 *
 * <p>{@code pid} and {@code processStart} name the process that owns the file, so that a second
 * process using the same file can tell a leftover from a file still in use.
 */
final class StateFile {

    /** A change that was applied, and the command that undoes it (both argv, program first). */
    record Change(List<String> applied, List<String> undo) {
        Change {
            applied = List.copyOf(applied);
            undo = List.copyOf(undo);
        }
    }

    /** What a state file holds. {@code processStart} is empty if the owner's start time was unknown. */
    record Contents(long pid, Optional<Instant> processStart, List<Change> changes) {}

    /** A state file that cannot be trusted; the message says what is wrong with it. */
    static final class InvalidException extends Exception {
        InvalidException(String message) {
            super(message);
        }
    }

    static final String FORMAT = "rqst-hostnet-state";
    static final int VERSION = 1;
    /** The only programs an undo command may run: a state file is read as root, it must not become a script. */
    static final Set<String> UNDO_PROGRAMS = Set.of("ip");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StateFile() {}

    /** The temp file {@link #write} renames into place: a fixed name, so a killed write leaves no litter. */
    static Path tempFor(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    /**
     * Replaces {@code file} with one listing {@code changes}, owned by this process: written to a temp
     * file in the same directory (0600), then renamed over it atomically, so a reader sees either the
     * old or the new list. No fsync: the file describes kernel state that a reboot erases anyway.
     */
    static void write(Path file, List<Change> changes) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        ProcessHandle self = ProcessHandle.current();
        root.put("pid", self.pid());
        self.info().startInstant().ifPresent(start -> root.put("processStart", start.toString()));
        ArrayNode list = root.putArray("changes");
        for (Change change : changes) {
            ObjectNode entry = list.addObject();
            change.applied().forEach(entry.putArray("applied")::add);
            change.undo().forEach(entry.putArray("undo")::add);
        }
        byte[] bytes = (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);

        Path temp = tempFor(file);
        Files.deleteIfExists(temp);
        try (FileChannel out = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads and checks {@code file}; nothing in it is run unless all of it is valid. */
    static Contents read(Path file) throws IOException, InvalidException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new InvalidException("not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidException("not a JSON object");
        }
        if (!FORMAT.equals(root.path("format").asText(null))) {
            throw new InvalidException("no \"format\": \"" + FORMAT + "\"");
        }
        if (root.path("version").asInt(-1) != VERSION) {
            throw new InvalidException("version " + root.path("version") + ", expected " + VERSION);
        }
        JsonNode pid = root.path("pid");
        if (!pid.canConvertToLong() || pid.asLong() <= 0) {
            throw new InvalidException("\"pid\" is not a process id");
        }
        Optional<Instant> processStart = Optional.empty();
        if (root.hasNonNull("processStart")) {
            try {
                processStart = Optional.of(Instant.parse(root.get("processStart").asText()));
            } catch (DateTimeParseException e) {
                throw new InvalidException("\"processStart\" is not a time");
            }
        }
        JsonNode list = root.path("changes");
        if (!list.isArray()) {
            throw new InvalidException("\"changes\" is not a list");
        }
        List<Change> changes = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String where = "changes[" + i + "]";
            List<String> applied = argv(list.get(i).path("applied"), where + ".applied");
            List<String> undo = argv(list.get(i).path("undo"), where + ".undo");
            if (!UNDO_PROGRAMS.contains(undo.getFirst())) {
                throw new InvalidException(where + ".undo runs '" + undo.getFirst() + "', expected one of "
                        + UNDO_PROGRAMS);
            }
            if (!isUndoWeWrite(undo)) {
                throw new InvalidException(where + ".undo is not a command rqst writes (ip [-6] addr del ... or ip [-6] route"
                        + " del ...): " + String.join(" ", undo));
            }
            changes.add(new Change(applied, undo));
        }
        return new Contents(pid.asLong(), processStart, changes);
    }

    /**
     * Whether {@code undo} has the shape of what {@link IpHostNet} records: {@code ip [-6] addr del ADDRESS/LEN dev DEV}
     * or {@code ip [-6] route del PREFIX [via GATEWAY] dev DEV}. Only {@code ip} may run, and not every {@code ip}:
     * {@code ip netns exec} and {@code ip -batch} run anything, and {@code ip link del} takes away a link that is
     * not ours. (The file is also refused unless this user owns it: {@link HostNets}.)
     */
    static boolean isUndoWeWrite(List<String> undo) {
        int i = 1;
        if (i < undo.size() && undo.get(i).equals("-6")) {
            i++;
        }
        if (i + 1 >= undo.size() || !List.of("addr", "route").contains(undo.get(i)) || !undo.get(i + 1).equals("del")) {
            return false;
        }
        List<String> rest = undo.subList(i + 2, undo.size());
        boolean via = rest.size() == 5 && rest.get(1).equals("via") && undo.get(i).equals("route");
        if (!(rest.size() == 3 || via) || !rest.get(rest.size() - 2).equals("dev")) {
            return false;
        }
        String device = rest.getLast();
        if (device.isEmpty() || device.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            return false;
        }
        try {
            Cidr.parse("undo", rest.getFirst());
        } catch (HostNetException e) {
            return false;
        }
        return !via || Cidr.parseAddress(rest.get(2)).isPresent();
    }

    private static List<String> argv(JsonNode node, String where) throws InvalidException {
        if (!node.isArray() || node.isEmpty()) {
            throw new InvalidException(where + " is not a non-empty list of strings");
        }
        List<String> argv = new ArrayList<>(node.size());
        for (JsonNode element : node) {
            if (!element.isTextual()) {
                throw new InvalidException(where + " is not a non-empty list of strings");
            }
            argv.add(element.asText());
        }
        return argv;
    }
}
