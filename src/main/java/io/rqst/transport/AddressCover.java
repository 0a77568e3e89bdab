package io.rqst.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets that make a server listening on a wildcard address ({@code 0.0.0.0}, {@code ::}) answer each client
 * from the address that client sent to.
 *
 * <p>A UDP socket bound to the wildcard answers from the address the kernel picks for the way back: on a link with
 * two addresses, the first, not the second one a client may have used; the client drops such answers (its socket is
 * connected to the address it chose) and never connects. Netty's epoll transport cannot send from a chosen address
 * (no {@code IP_PKTINFO} on send, and it reads the destination of IPv4 packets only), so, next to the wildcard, each
 * address of the host gets a socket group of its own: the kernel gives a packet to the most specific socket, which
 * answers from its own address. This is what wireguard-go's sticky sockets and OpenVPN's {@code --multihome} achieve
 * with {@code IP_PKTINFO}.
 *
 * <p>Addresses that appear later (DHCP, SLAAC, an administrator) are found by a scan every {@link #SCAN_PERIOD}, and
 * when a client's first packet reaches the wildcard socket: with every address covered, it went to an address not yet
 * seen. That packet waits for a scan that starts after it came, and is dropped if the scan bound a new address; the
 * client sends it again within a second, to the new socket. Packets of connections under way are not held. A
 * connection the wildcard socket accepted for an address that gets a socket later (the address came between the scan
 * and the client's next packet) keeps working: its packets reach the new socket, which hands them to the wildcard
 * socket's codec ({@link ConnectionRoutes}). An address gone for {@link #GONE_FOR} has its sockets closed, and is
 * bound again if it comes back.
 *
 * <p>Thread rules: {@link #start} on the caller's thread; scans on this cover's own thread; {@link #afterScan} from
 * any event loop; {@link #close} from any thread.
 */
final class AddressCover implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AddressCover.class);

    /** How often the host's addresses are read again when no packet asked for it. */
    static final Duration SCAN_PERIOD = Duration.ofSeconds(5);

    /**
     * Scans that packets ask for start at least this far apart: a stream of first packets to an address that has no
     * socket of its own (a link-local one) costs at most ten scans a second, and each such packet waits at most this
     * long and a scan.
     */
    static final Duration SCAN_GAP = Duration.ofMillis(100);

    /** First packets held for a scan at most; more are dropped, and their clients send them again. */
    static final int MAX_HELD = 1024;

    /** Addresses covered at most (each costs a socket per event loop); further ones are served by the wildcard alone. */
    static final int MAX_ADDRESSES = 64;

    /** Binds the socket group of one address; the channels it returns are this cover's to close. */
    interface GroupBinder {
        List<Channel> bind(InetSocketAddress address) throws IOException;
    }

    private final InetAddress wildcard;
    private final GroupBinder binder;
    private final Supplier<Collection<InetAddress>> hostAddresses;
    private final ScheduledExecutorService scanner;
    private final ChannelHandler initialHandler = new InitialHandler();
    private final Predicate<ByteBuf> ours;
    /** What waits for the next scan: each is told whether that scan found a new address. */
    private final Queue<Consumer<Boolean>> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scanQueued = new AtomicBoolean();
    private final AtomicInteger held = new AtomicInteger();
    private volatile long lastAskedScan = System.nanoTime() - SCAN_GAP.toNanos();

    /**
     * An address gone from the host this long has its sockets closed, and is bound again if it comes back. A host whose
     * addresses change (IPv6 temporary addresses are replaced every day) would otherwise gather sockets until
     * {@link #MAX_ADDRESSES}. A connection on such a socket ends with it: its packets could not arrive anyway.
     */
    static final Duration GONE_FOR = Duration.ofSeconds(10);

    /** One address tried: whether it was bound, and its sockets. */
    private static final class Tried {
        final boolean bound;
        final List<Channel> channels;
        /** When a scan first missed the address on the host, or 0 while it is there. */
        long missingSince;

        Tried(boolean bound, List<Channel> channels) {
            this.bound = bound;
            this.channels = channels;
        }
    }

    /** Each address tried, in the order found. Guarded by {@code this}, as are the fields below. */
    private final Map<InetAddress, Tried> tried = new LinkedHashMap<>();
    private Duration goneFor = GONE_FOR;
    private int port = -1;
    private boolean full;
    /** Set first by {@link #close}: a bind that fails then is the close's doing, not worth a warning. */
    private volatile boolean closed;

    /**
     * @param wildcard      the wildcard address listened on: {@code 0.0.0.0} covers the IPv4 addresses, {@code ::}
     *                      (a dual-stack socket) all
     * @param hostAddresses reads the host's addresses, e.g. {@link #interfaceAddresses()}
     */
    AddressCover(InetAddress wildcard, GroupBinder binder, Supplier<Collection<InetAddress>> hostAddresses) {
        this(wildcard, binder, hostAddresses, datagram -> false);
    }

    /**
     * @param ours whether a datagram belongs to a connection this server has (its ID is one of the server's): such
     *             packets are never held
     */
    AddressCover(InetAddress wildcard, GroupBinder binder, Supplier<Collection<InetAddress>> hostAddresses,
                 Predicate<ByteBuf> ours) {
        if (!wildcard.isAnyLocalAddress()) {
            throw new IllegalArgumentException(wildcard + " is not a wildcard address");
        }
        this.wildcard = wildcard;
        this.binder = binder;
        this.hostAddresses = hostAddresses;
        this.ours = ours;
        this.scanner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rqst-addresses");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The handler for the wildcard sockets' pipelines, before the codec: it holds the first packet of a new connection
     * (a QUIC Initial) until a scan has looked for a new address.
     */
    ChannelHandler initialHandler() {
        return initialHandler;
    }

    /**
     * Binds every address of the host now, on {@code port} (the wildcard sockets' port), then keeps scanning. An
     * address that cannot be bound is logged and left to the wildcard socket.
     */
    void start(int port) {
        synchronized (this) {
            this.port = port;
        }
        scan(false);
        scanner.scheduleWithFixedDelay(() -> scan(true), SCAN_PERIOD.toMillis(), SCAN_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Scans soon, in a scan that starts after this call (one for all that wait, {@link #SCAN_GAP} after the last one
     * asked for), then tells {@code then}, on the scanning thread, whether the scan found a new address; true also when
     * this cover is closing.
     *
     * @return false, and {@code then} is not called, when {@link #MAX_HELD} already wait
     */
    boolean afterScan(Consumer<Boolean> then) {
        if (held.incrementAndGet() > MAX_HELD) {
            held.decrementAndGet();
            return false;
        }
        waiting.add(then);
        if (scanQueued.compareAndSet(false, true)) {
            long wait = Math.max(0, lastAskedScan + SCAN_GAP.toNanos() - System.nanoTime());
            try {
                scanner.schedule(() -> {
                    scanQueued.set(false);
                    lastAskedScan = System.nanoTime();
                    List<Consumer<Boolean>> these = new ArrayList<>();
                    for (Consumer<Boolean> c; (c = waiting.poll()) != null; ) {
                        these.add(c);
                    }
                    held.addAndGet(-these.size());
                    boolean found = scan(true);
                    these.forEach(c -> c.accept(found));
                }, wait, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                letGo();
            }
        }
        return true;
    }

    /** Tells all that wait that no scan will run (this cover is closing): each lets its packet go. */
    private void letGo() {
        for (Consumer<Boolean> c; (c = waiting.poll()) != null; ) {
            held.decrementAndGet();
            c.accept(true);
        }
    }

    /** The addresses that have their own sockets (tests). */
    synchronized Set<InetAddress> covered() {
        Set<InetAddress> out = new LinkedHashSet<>();
        tried.forEach((a, t) -> {
            if (t.bound) {
                out.add(a);
            }
        });
        return out;
    }

    /** Sets {@link #GONE_FOR} (tests). */
    synchronized void goneFor(Duration d) {
        goneFor = d;
    }

    /**
     * Binds the host's addresses not tried yet, and closes the sockets of those gone for {@link #GONE_FOR}; returns
     * whether it bound one, or is closing.
     */
    private boolean scan(boolean later) {
        List<InetAddress> want;
        try {
            want = wanted(wildcard, hostAddresses.get());
        } catch (RuntimeException e) {
            LOG.debug("cannot read this host's addresses: {}", e.toString());
            return false;
        }
        List<Channel> toClose = new ArrayList<>();
        List<InetAddress> gone = new ArrayList<>();
        try {
            return scan(want, later, toClose, gone);
        } finally {
            for (Channel c : toClose) {
                c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            for (InetAddress a : gone) { // said once its sockets are closed, so that it is true when read
                LOG.info("no longer listening on {}: the address is gone from this host",
                        QuicServerTransport.format(new InetSocketAddress(a, port)));
            }
        }
    }

    /** One scan under the lock: sockets to close go to {@code toClose}, addresses no longer listened on to {@code gone}. */
    private boolean scan(List<InetAddress> want, boolean later, List<Channel> toClose, List<InetAddress> gone) {
        boolean found = false;
        synchronized (this) {
            long now = System.nanoTime();
            Set<InetAddress> here = Set.copyOf(want);
            for (var it = tried.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                Tried t = e.getValue();
                if (here.contains(e.getKey())) {
                    t.missingSince = 0;
                } else if (t.missingSince == 0) {
                    t.missingSince = now;
                } else if (now - t.missingSince >= goneFor.toNanos()) {
                    it.remove();
                    toClose.addAll(t.channels);
                    if (t.bound) {
                        gone.add(e.getKey());
                    }
                }
            }
            for (InetAddress a : want) {
                if (closed) {
                    return true;
                }
                if (tried.containsKey(a)) {
                    continue;
                }
                if (tried.size() >= MAX_ADDRESSES) {
                    if (!full) {
                        full = true;
                        LOG.warn("this host has more than {} addresses: clients that use the others get answers from the address"
                                + " the kernel picks (give those with --listen if they are for clients)", MAX_ADDRESSES);
                    }
                    break;
                }
                InetSocketAddress at = new InetSocketAddress(a, port);
                try {
                    tried.put(a, new Tried(true, List.copyOf(binder.bind(at))));
                    found = true;
                    if (later) {
                        LOG.info("listening on {} too: a new address of this host", QuicServerTransport.format(at));
                    } else {
                        LOG.debug("listening on {} too", QuicServerTransport.format(at));
                    }
                } catch (IOException | RuntimeException e) {
                    if (closed) {
                        return true;
                    }
                    tried.put(a, new Tried(false, List.of()));
                    LOG.warn("{}; clients that connect to that address may get no answer", e.getMessage());
                }
            }
        }
        return found;
    }

    /**
     * The addresses a socket bound to {@code wildcard} receives for that need a socket of their own, in the host's
     * order, each once: unicast, not link-local (a client on the link can use another one); IPv4 ones for
     * {@code 0.0.0.0}, all for {@code ::}.
     */
    static List<InetAddress> wanted(InetAddress wildcard, Collection<InetAddress> host) {
        boolean v4Only = wildcard instanceof Inet4Address;
        Set<InetAddress> out = new LinkedHashSet<>();
        for (InetAddress a : host) {
            if (a.isAnyLocalAddress() || a.isMulticastAddress() || a.isLinkLocalAddress() || (v4Only && a instanceof Inet6Address)) {
                continue;
            }
            out.add(a instanceof Inet6Address v6 && v6.getScopeId() != 0 ? withoutScope(v6) : a);
        }
        return List.copyOf(out);
    }

    private static InetAddress withoutScope(Inet6Address a) {
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** The addresses of this host's interfaces (in this network namespace), up or down. */
    static Collection<InetAddress> interfaceAddresses() {
        try {
            return NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses).toList();
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops scanning and closes the sockets this cover bound. */
    @Override
    public void close() {
        closed = true;
        scanner.shutdownNow();
        letGo(); // a scan scheduled for them will not run now
        List<Channel> toClose = new ArrayList<>();
        synchronized (this) {
            tried.values().forEach(t -> toClose.addAll(t.channels));
            tried.clear();
        }
        for (Channel c : toClose) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    /**
     * QUIC v1's Initial packet (RFC 9000 §17.2.2): long header form, type 0. A client's first packet of a connection
     * is one.
     */
    static boolean isInitial(ByteBuf datagram) {
        return datagram.isReadable() && (datagram.getByte(datagram.readerIndex()) & RFC9000_FORM_AND_TYPE) == RFC9000_LONG_INITIAL;
    }

    /** RFC 9000 §17.2: the header form bit and the long packet type bits of the first byte. */
    private static final int RFC9000_FORM_AND_TYPE = 0xB0;
    /** Long header form (0x80), type Initial (0x00). */
    private static final int RFC9000_LONG_INITIAL = 0x80;

    /**
     * Holds an Initial at a wildcard socket until a scan has looked for a new address (unless {@link #MAX_HELD} wait
     * already: then it is dropped): if it found one, the Initial is
     * dropped (most likely it went to that address, whose socket now gets the client's next one and answers from the
     * right address; an answer from the wildcard socket would come from another address and could leave the client
     * half-connected to it); otherwise it goes on to the codec. Other packets go on at once.
     */
    @ChannelHandler.Sharable
    private final class InitialHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket p) || !isInitial(p.content()) || ours.test(p.content())) {
                ctx.fireChannelRead(msg);
                return;
            }
            boolean waits = afterScan(found -> {
                if (found) {
                    p.release();
                    return;
                }
                try {
                    ctx.executor().execute(() -> ctx.fireChannelRead(p).fireChannelReadComplete());
                } catch (RejectedExecutionException closing) {
                    p.release();
                }
            });
            if (!waits) {
                p.release();
            }
        }
    }
}
