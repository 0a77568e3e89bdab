package io.rqst.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rqst.control.ControlMessage;
import io.rqst.transport.Connection;
import io.rqst.transport.ConnectionStats;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Outbound}: inline sends on the loop, batches from a reader thread, and what a full pool does. */
class OutboundTest {
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    private final FakeConnection conn = new FakeConnection(loop);
    private final SessionCounters counters = new SessionCounters();
    private final List<Integer> captured = new ArrayList<>();
    private final List<int[]> oversize = new ArrayList<>();
    private final AtomicBoolean wait = new AtomicBoolean(false);
    private final AtomicInteger waits = new AtomicInteger();
    private final Outbound out = new Outbound(new Outbound.Owner() {
        @Override
        public void capture(ByteBuf frame) {
            captured.add(frame.readableBytes());
        }

        @Override
        public void oversize(int length, int maxDatagram) {
            oversize.add(new int[] {length, maxDatagram});
        }

        @Override
        public boolean waitForBatch() {
            waits.incrementAndGet();
            return wait.get();
        }
    }, counters, 2); // two readers: twoReadersAtOnceEachKeepTheirOwnBatch uses both

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    private static ByteBuf frame(int len) {
        return Unpooled.directBuffer(len).writeZero(len);
    }

    @Test
    void onTheLoopFramesGoAtOnceAndTheReadEndsWithOneFlush() throws Exception {
        out.connect(conn);
        List<Boolean> firsts = new ArrayList<>();
        loop.submit(() -> {
            firsts.add(out.enqueue(frame(100)));
            firsts.add(out.enqueue(frame(200)));
            assertEquals(2, conn.sent.size(), "sent before the end of the read");
            assertEquals(0, conn.flushes.get());
            out.submit();
            out.submit(); // nothing more to flush
            firsts.add(out.enqueue(frame(300))); // the next read begins again
        }).get(5, TimeUnit.SECONDS);
        assertEquals(List.of(true, false, true), firsts);
        assertEquals(1, conn.flushes.get());
        assertEquals(List.of(100, 200, 300), conn.sent);
        assertEquals(List.of(100, 200, 300), captured);
        assertEquals(3, counters.framesOut);
        assertEquals(600, counters.bytesOut);
    }

    @Test
    void tooLongAndClosedFramesAreDroppedCountedAndReleased() throws Exception {
        out.connect(conn);
        conn.max = 150;
        ByteBuf big = frame(151);
        loop.submit(() -> out.enqueue(big)).get(5, TimeUnit.SECONDS);
        assertEquals(0, big.refCnt());
        assertEquals(1, counters.oversize);
        assertEquals(151, oversize.get(0)[0]);
        assertEquals(150, oversize.get(0)[1]);
        conn.open = false;
        ByteBuf late = frame(10);
        loop.submit(() -> out.enqueue(late)).get(5, TimeUnit.SECONDS);
        assertEquals(0, late.refCnt());
        assertTrue(conn.sent.isEmpty());
        assertEquals(0, counters.framesOut);
    }

    @Test
    void fromAReaderThreadFramesTravelInBatchesAndAFullPoolDropsWhenTheOwnerWillNotWait() throws Exception {
        out.connect(conn);
        CountDownLatch hold = new CountDownLatch(1);
        loop.execute(() -> await(hold)); // the loop is busy: batches stay in flight
        assertTrue(out.enqueue(frame(60)), "the first frame of a read starts a batch");
        for (int i = 1; i < TapReader.BATCH * Outbound.BATCHES_IN_FLIGHT; i++) {
            out.enqueue(frame(60)); // full batches are handed over as they fill
        }
        ByteBuf dropped = frame(60);
        assertFalse(out.enqueue(dropped));
        assertEquals(0, dropped.refCnt());
        assertEquals(1, counters.queueDrops);
        assertEquals(1, waits.get());
        hold.countDown();
        loop.submit(() -> {}).get(5, TimeUnit.SECONDS);
        assertEquals(TapReader.BATCH * Outbound.BATCHES_IN_FLIGHT, conn.sent.size());
        assertEquals(Outbound.BATCHES_IN_FLIGHT, conn.flushes.get());
    }

    // Promise: two readers (a server's uplink queues) filling batches for one session at once each keep their own
    // batch: every frame arrives once, and each reader's frames in the order it read them.
    @Test
    void twoReadersAtOnceEachKeepTheirOwnBatch() throws Exception {
        out.connect(conn);
        wait.set(true); // no drops: each reader waits for a free batch
        int perReader = 3 * TapReader.BATCH + 5;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int reader = r;
            readers.add(Thread.ofPlatform().start(() -> {
                await(start);
                for (int i = 0; i < perReader; i++) {
                    out.enqueue(frame(100 * (reader + 1) + i % 100), reader); // length says reader and order
                    if (i % 7 == 6) {
                        out.submit(reader); // the end of one of its reads
                    }
                }
                out.submit(reader);
            }));
        }
        start.countDown();
        for (Thread t : readers) {
            t.join(5_000);
            assertFalse(t.isAlive());
        }
        loop.submit(() -> {}).get(5, TimeUnit.SECONDS);
        List<Integer> sent = new ArrayList<>(conn.sent);
        assertEquals(2 * perReader, sent.size(), "every frame once");
        for (int r = 0; r < 2; r++) {
            int base = 100 * (r + 1);
            List<Integer> mine = sent.stream().filter(len -> len >= base && len < base + 100).toList();
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < perReader; i++) {
                expected.add(base + i % 100);
            }
            assertEquals(expected, mine, "reader " + r + "'s frames in its order");
        }
        assertEquals(0, counters.queueDrops);
    }

    @Test
    void anOwnerThatWaitsGetsTheNextFreeBatch() throws Exception {
        out.connect(conn);
        wait.set(true);
        CountDownLatch hold = new CountDownLatch(1);
        loop.execute(() -> await(hold));
        for (int i = 0; i < TapReader.BATCH * Outbound.BATCHES_IN_FLIGHT; i++) {
            out.enqueue(frame(60));
        }
        Thread reader = Thread.ofPlatform().start(() -> {
            out.enqueue(frame(60)); // waits for a batch
            out.submit();
        });
        while (waits.get() == 0) {
            Thread.onSpinWait();
        }
        hold.countDown();
        reader.join(5_000);
        assertFalse(reader.isAlive());
        loop.submit(() -> {}).get(5, TimeUnit.SECONDS);
        assertEquals(TapReader.BATCH * Outbound.BATCHES_IN_FLIGHT + 1, conn.sent.size());
        assertEquals(0, counters.queueDrops);
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The parts of a connection Outbound uses; frames sent are recorded by length and released. */
    private static final class FakeConnection implements Connection {
        final ScheduledExecutorService loop;
        final List<Integer> sent = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger flushes = new AtomicInteger();
        final Thread loopThread;
        volatile int max = 1200;
        volatile boolean open = true;

        FakeConnection(ScheduledExecutorService loop) {
            this.loop = loop;
            try {
                this.loopThread = loop.submit(Thread::currentThread).get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public ScheduledExecutorService executor() {
            return loop;
        }

        @Override
        public boolean inExecutor() {
            return Thread.currentThread() == loopThread;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("192.0.2.1", 3456);
        }

        @Override
        public Optional<X509Certificate> peerCertificate() {
            return Optional.empty();
        }

        @Override
        public int maxDatagramSize() {
            return max;
        }

        @Override
        public boolean sendDatagram(ByteBuf frame) {
            sent.add(frame.readableBytes());
            frame.release();
            return true;
        }

        @Override
        public void flush() {
            flushes.incrementAndGet();
        }

        @Override
        public void openControlStream() {}

        @Override
        public boolean hasControlStream() {
            return false;
        }

        @Override
        public void sendControl(ControlMessage message) {}

        @Override
        public void close(int appErrorCode, String reason) {
            open = false;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public CompletionStage<ConnectionStats> stats() {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
    }
}
