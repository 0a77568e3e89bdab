package io.rqst.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;

/** Assertions on keys for tests of several packages. */
public final class KeyAssertions {
    private KeyAssertions() {}

    /** The same private key, whether or not an EC encoding carries the optional public point (RFC 5915). */
    public static void assertSameKey(PrivateKey expected, PrivateKey actual) {
        if (expected instanceof ECPrivateKey e && actual instanceof ECPrivateKey a) {
            assertEquals(e.getS(), a.getS());
            assertEquals(e.getParams().getCurve(), a.getParams().getCurve());
        } else {
            assertEquals(expected, actual);
        }
    }
}
