package io.rqst.session;

/** The version of this build. */
public final class Version {
    /** Semantic version of rqst. */
    public static final String VERSION = "0.1.0";

    private Version() {}
}
