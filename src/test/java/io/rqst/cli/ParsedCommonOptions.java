package io.rqst.cli;

import io.rqst.tap.TapFactory;
import io.rqst.transport.QuicSettings;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The options both the server and the client take, parsed as the CLI parses them, for code outside this
 * package that builds endpoints itself: the tests, and the benchmark's load generator
 * ({@code io.rqst.bench.ClientFleet}, which takes {@code bench/compare.sh}'s {@code RQST_ARGS} this way).
 */
public final class ParsedCommonOptions {
    private final CommonOptions options = new CommonOptions();

    /**
     * Parses {@code args} ({@code --rx-aqm on}, {@code --idle-timeout 60s}, ...).
     *
     * @throws CommandLine.ParameterException for an unknown option or a bad value
     * @throws Main.UsageError for a value the CLI refuses after parsing
     */
    public ParsedCommonOptions(String... args) {
        CommandSpec spec = CommandSpec.create();
        options.addTo(spec);
        new CommandLine(spec).parseArgs(args);
    }

    /** {@return the QUIC settings these options give} */
    public QuicSettings quic() {
        return options.quic();
    }

    /** {@return how these options open TAPs (with or without offloads)} */
    public TapFactory taps() {
        return options.taps();
    }
}
