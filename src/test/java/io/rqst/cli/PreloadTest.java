package io.rqst.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

/** {@link Preload} ignores its failures, so what it names must be checked here. */
class PreloadTest {

    /** Promise: every class {@link Preload} initialises by name exists under that name. */
    @Test
    void theClassesPreloadedByNameExist() {
        assertDoesNotThrow(() -> Class.forName(Preload.STATE_FILE, false, PreloadTest.class.getClassLoader()));
    }
}
