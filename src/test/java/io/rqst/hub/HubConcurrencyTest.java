package io.rqst.hub;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Several threads route frames from sessions and from the uplink over a small shared pool of MACs
 * (so they fight over them) while another thread adds and removes sessions and a checker verifies
 * the hub's invariants under its lock.
 */
class HubConcurrencyTest {

    static final int SLOTS = 6;
    static final int MAC_POOL = 48;
    static final int SESSION_THREADS = 3;
    static final int ROUTES_PER_THREAD = 300_000;

    @Test
    void concurrentRoutingLearningAndChurnKeepInvariants() throws Exception {
        Hub<Integer> hub = new Hub<>(4, 16);
        Port<Integer> up = hub.uplink();
        long[] pool = new long[MAC_POOL];
        for (int i = 0; i < MAC_POOL; i++) {
            pool[i] = 0x020000000000L | i;
        }
        AtomicReferenceArray<Port<Integer>> slots = new AtomicReferenceArray<>(SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            slots.set(i, hub.addSession(i));
        }
        AtomicLong clock = new AtomicLong(1_000_000_000_000L); // advances ~1 ms per route: uplink MACs age
        Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Queue<Port<Integer>> removed = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        LongAdder toUplink = new LongAdder();
        LongAdder toSession = new LongAdder();
        LongAdder floods = new LongAdder();
        LongAdder drops = new LongAdder();
        LongAdder checks = new LongAdder();
        LongAdder churns = new LongAdder();

        List<Thread> routers = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < SESSION_THREADS; t++) {
            long seed = t;
            routers.add(Thread.ofPlatform().name("session-router-" + t).unstarted(guard(errors, start, () -> {
                SplittableRandom r = new SplittableRandom(seed);
                for (int i = 0; i < ROUTES_PER_THREAD; i++) {
                    Port<Integer> from = slots.get(r.nextInt(SLOTS));
                    long src = pool[r.nextInt(MAC_POOL)];
                    long dst = r.nextInt(8) == 0 ? Mac.BROADCAST : pool[r.nextInt(MAC_POOL)];
                    Port<Integer> to = hub.route(from, dst, src, clock.addAndGet(1_000_000));
                    if (to == up) {
                        toUplink.increment();
                    } else if (to == Hub.DROP) {
                        drops.increment();
                    } else {
                        throw new AssertionError("from a session to " + to);
                    }
                }
            })));
        }
        routers.add(Thread.ofPlatform().name("uplink-router").unstarted(guard(errors, start, () -> {
            SplittableRandom r = new SplittableRandom(99);
            for (int i = 0; i < ROUTES_PER_THREAD; i++) {
                long src = pool[r.nextInt(MAC_POOL)];
                long dst = r.nextInt(8) == 0 ? Mac.BROADCAST : pool[r.nextInt(MAC_POOL)];
                long now = clock.addAndGet(1_000_000);
                Port<Integer> to = hub.route(up, dst, src, now);
                if (Mac.isMulticast(dst)) {
                    assertSame(Hub.FLOOD, to);
                    floods.increment();
                } else if (to == Hub.DROP) {
                    drops.increment();
                } else if (to.isSession() && to.hub == hub) {
                    toSession.increment();
                } else {
                    throw new AssertionError("unicast from the uplink to " + to);
                }
            }
        })));
        Thread churn = Thread.ofPlatform().name("churn").unstarted(guard(errors, start, () -> {
            SplittableRandom r = new SplittableRandom(7);
            while (!done.get()) {
                int slot = r.nextInt(SLOTS);
                Port<Integer> old = slots.getAndSet(slot, hub.addSession(1000 + (int) churns.sum()));
                hub.removeSession(old);
                removed.add(old);
                churns.increment();
                Thread.sleep(0, 200_000);
            }
        }));
        Thread checker = Thread.ofPlatform().name("checker").unstarted(guard(errors, start, () -> {
            while (!done.get()) {
                hub.checkInvariants();
                checks.increment();
                Thread.onSpinWait();
            }
        }));
        for (Thread t : routers) {
            t.start();
        }
        churn.start();
        checker.start();
        start.countDown();
        for (Thread t : routers) {
            t.join(TimeUnit.MINUTES.toMillis(2));
            assertFalse(t.isAlive(), t.getName() + " hangs");
        }
        done.set(true);
        churn.join();
        checker.join();
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(errors.size() + " thread(s) failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }

        hub.checkInvariants();
        // a MAC is never owned by two sessions, and each owned MAC is its owner's
        List<Long> seen = new ArrayList<>();
        for (Port<Integer> s : hub.sessions()) {
            assertTrue(s.isLive());
            assertTrue(s.macs().length <= 4);
            for (long mac : s.macs()) {
                assertFalse(seen.contains(mac), Mac.toString(mac) + " owned twice");
                seen.add(mac);
                assertSame(s, hub.ownerOf(mac, clock.get()));
            }
        }
        for (Port<Integer> p : removed) {
            assertFalse(p.isLive());
            assertEquals(0, p.macs().length, p + " was removed but owns MACs");
            assertFalse(hub.sessions().contains(p));
        }
        assertEquals(SLOTS, hub.sessions().size());
        // every kind of outcome happened, so the invariants were tested under contention
        Hub.Counters c = hub.counters();
        assertTrue(toUplink.sum() > 0 && toSession.sum() > 0 && floods.sum() > 0 && drops.sum() > 0,
                "uplink " + toUplink + ", session " + toSession + ", flood " + floods + ", drop " + drops);
        assertTrue(c.spoofed() > 0 && c.isolation() > 0 && c.unknownDestination() > 0 && c.reclaimedByUplink() > 0, c.toString());
        assertTrue(churns.sum() > 10, "churns " + churns);
        assertTrue(checks.sum() > 10, "checks " + checks);
    }

    interface Body {
        void run() throws Exception;
    }

    static Runnable guard(Queue<Throwable> errors, CountDownLatch start, Body body) {
        return () -> {
            try {
                start.await();
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            }
        };
    }
}
