package io.rqst.hostnet;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A {@link CommandRunner} that records every command and answers from a script (default: success, no output). */
final class FakeRunner implements CommandRunner {

    private static final Result OK = new Result(0, "", "");

    private final List<String> commands = new ArrayList<>();
    private final Map<String, Result> answers = new HashMap<>();
    private final Map<String, IOException> failures = new HashMap<>();

    /** Answers {@code command} (argv joined by spaces) with this result, every time. */
    FakeRunner answer(String command, int exitCode, String stdout, String stderr) {
        answers.put(command, new Result(exitCode, stdout, stderr));
        return this;
    }

    /** Makes {@code command} fail to run, as a timeout would. */
    FakeRunner fail(String command, IOException e) {
        failures.put(command, e);
        return this;
    }

    /** The commands run so far, each argv joined by spaces. */
    List<String> commands() {
        return List.copyOf(commands);
    }

    /** The commands run since {@code commands().size()} was {@code from}. */
    List<String> commandsSince(int from) {
        return List.copyOf(commands.subList(from, commands.size()));
    }

    @Override
    public Result run(List<String> argv, Duration timeout) throws IOException {
        String command = String.join(" ", argv);
        commands.add(command);
        if (failures.containsKey(command)) {
            throw failures.get(command);
        }
        return answers.getOrDefault(command, OK);
    }
}
