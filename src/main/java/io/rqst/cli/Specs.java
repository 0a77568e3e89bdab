package io.rqst.cli;

import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Picocli models of the tunnel commands, built in code and bound to the commands' fields by lambdas.
 * Reading the same model from annotations costs a cold start a few hundred milliseconds on the way to the
 * tunnel's first packet: reflection over every field, and a dynamic proxy class generated per annotation
 * type (the JDK's AOT cache cannot hold those). The help text and the error messages stay the same.
 */
final class Specs {
    private Specs() {}

    /**
     * An option bound to a field: picocli stores what it parsed (or the default) through {@code set}; the
     * field's value now is its initial value.
     */
    static <T> OptionSpec option(OptionSpec.Builder b, Class<T> type, Supplier<T> get, Consumer<T> set) {
        Binding<T> binding = new Binding<>(get, set);
        return b.type(type).getter(binding).setter(binding).initialValue(get.get()).build();
    }

    /** A repeatable option collecting strings into a list field. */
    static OptionSpec strings(OptionSpec.Builder b, Supplier<java.util.List<String>> get, Consumer<java.util.List<String>> set) {
        Binding<java.util.List<String>> binding = new Binding<>(get, set);
        return b.type(java.util.List.class).auxiliaryTypes(String.class).getter(binding).setter(binding).initialValue(get.get()).build();
    }

    /** A positional parameter bound to a string field. */
    static PositionalParamSpec positional(PositionalParamSpec.Builder b, Supplier<String> get, Consumer<String> set) {
        Binding<String> binding = new Binding<>(get, set);
        return b.type(String.class).getter(binding).setter(binding).initialValue(get.get()).build();
    }

    /** Getter and setter of one field (picocli's interfaces have generic methods, so no lambdas). */
    private static final class Binding<T> implements IGetter, ISetter {
        private final Supplier<T> get;
        private final Consumer<T> set;

        Binding(Supplier<T> get, Consumer<T> set) {
            this.get = get;
            this.set = set;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <R> R get() {
            return (R) get.get();
        }

        @Override
        @SuppressWarnings("unchecked")
        public <R> R set(R value) {
            R old = (R) get.get();
            set.accept((T) value);
            return old;
        }
    }
}
