package io.rqst.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceTest {
    private static List<String> lines(Trace.Ring r) throws IOException {
        StringWriter w = new StringWriter();
        r.writeTo(w);
        return w.toString().lines().toList();
    }

    @Test
    void writesMarksOldestFirstWithTheirNames() throws IOException {
        Trace.Ring r = new Trace.Ring(8);
        r.mark(Trace.UDP_IN, 139, 1000, 7);
        r.mark(Trace.TAP_WRITE, 108, 2000, 7);
        r.mark(Trace.UDP_FLUSH_DONE, 0, 3000, 9);
        assertEquals(List.of("1000 udp-in 139 7", "2000 tap-write 108 7", "3000 udp-flush-done 0 9"), lines(r));
    }

    @Test
    void keepsOnlyTheLastMarksOnceFull() throws IOException {
        Trace.Ring r = new Trace.Ring(4);
        for (int i = 1; i <= 6; i++) {
            r.mark(Trace.TAP_READ, i, i * 10L, 1);
        }
        assertEquals(List.of("30 tap-read 3 1", "40 tap-read 4 1", "50 tap-read 5 1", "60 tap-read 6 1"), lines(r));
    }

    @Test
    void namesAPointItDoesNotKnowByNumber() throws IOException {
        Trace.Ring r = new Trace.Ring(2);
        r.mark(42, 0, 5, 1);
        assertEquals(List.of("5 point-42 0 1"), lines(r));
    }

    @Test
    void everyPointHasAName() {
        assertEquals(Trace.UDP_FLUSH_DONE + 1, Trace.NAMES.length);
    }

    @Test
    void writesTheFileWhole(@TempDir Path dir) throws IOException {
        Trace.Ring r = new Trace.Ring(4);
        r.mark(Trace.DATAGRAM_IN, 98, 1, 1);
        Path f = dir.resolve("trace.txt");
        r.writeTo(f);
        assertEquals(List.of("1 datagram-in 98 1"), Files.readAllLines(f));
        assertEquals(List.of(f), Files.list(dir).toList()); // no temporary file left
    }

    @Test
    void refusesACapacityThatIsNotAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new Trace.Ring(1000));
    }

    @Test
    void isOffUnlessAskedForAndThenMarksNothing() {
        assertFalse(Trace.ON); // the tests run without -Drqst.trace
        Trace.mark(Trace.UDP_IN, 1); // a no-op, no ring
    }
}
