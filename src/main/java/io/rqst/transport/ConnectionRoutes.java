package io.rqst.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands each QUIC packet a server receives to the socket whose codec holds its connection, across all of the
 * server's sockets.
 *
 * <p>Every socket of a server has an index here, and the connection IDs its codec issues carry it (RFC 9000 §5.1
 * leaves their content to the server): two bytes of index, two bytes that tie them to this server, then random
 * bytes. A packet that reaches another socket than its connection's is passed to that socket's codec. This happens
 * to a client whose NAT gave it a new port (the kernel's {@code SO_REUSEPORT} hash may then pick another socket of
 * the address), and to a connection that a wildcard socket accepted just before its address got sockets of its own
 * ({@link AddressCover}): the kernel gives its packets to the new sockets from then on. Long-header packets are
 * routed too, so a handshake under way survives either. A client's first Initial carries a connection ID of the
 * client's choosing, which is none of ours, and stays where the kernel put it.
 *
 * <p>Netty's {@code QuicCodecDispatcher} does the same for the sockets that share one dispatcher, short-header
 * packets only; one dispatcher for all of a wildcard server's sockets cost one stream 10 %
 * (bench/RESULTS.md 2026-11-24 23:40), as its read-complete touches every socket's flag. Here a socket's
 * read-complete touches only the sockets it passed packets to.
 *
 * <p>The sockets of one address form a {@link Group}. Where the kernel can be told to give each packet to the
 * socket its connection ID names ({@link ReuseportSteering}), a new client's first Initial is handed to the
 * group's socket with the fewest connections, so that the event loops get equal shares of the clients; after the
 * handshake's first flight nothing of it is handed over.
 *
 * <p>Thread rules: {@link #add} and {@link #remove} on any thread; a {@link Route} runs on its socket's event loop,
 * and a packet it passes on is read on the other socket's event loop (Netty's pipeline moves it there).
 */
final class ConnectionRoutes {
    /** Netty's and quiche's connection ID length ({@code QUICHE_MAX_CONN_ID_LEN}), that of every server socket. */
    static final int CONNECTION_ID_LENGTH = 20;
    /** RFC 9000 §17.2: a long header has the form bit set; its Destination Connection ID Length byte is at offset 5. */
    private static final int RFC9000_LONG_FORM = 0x80;
    private static final int RFC9000_LONG_DCID_LENGTH_AT = 5;
    /** RFC 9000 §17.3.1: a short header's Destination Connection ID follows its first byte. */
    private static final int RFC9000_SHORT_DCID_AT = 1;
    /** RFC 9000 §17.2: the Long Packet Type bits of a long header's first byte, and their value for an Initial (§17.2.2). */
    private static final int RFC9000_LONG_TYPE = 0x30;
    private static final int RFC9000_INITIAL = 0x00;
    /** RFC 9000 §15: QUIC version 1, whose Initial the balancing recognises. */
    private static final int RFC9000_VERSION_1 = 0x00000001;
    /** A new client's choice of socket holds for its retransmitted Initials this long (quiche's handshake timeout is 10 s). */
    static final long REMEMBER_CHOICE_NANOS = 10_000_000_000L;
    /** Choices remembered at most; a flood of Initials past this stays where the kernel put it. */
    static final int MAX_CHOICES = 4096;
    /** A socket given a new client counts it this long, until its codec has made the connection. */
    static final long SETTLE_NANOS = 250_000_000L;
    /** The index, in two bytes: at most this many sockets. */
    private static final int MAX_SOCKETS = 1 << 16;

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Ties an index to this server: a client's random connection ID passes this check once in 2^16, and must also name
     * one of the server's few sockets to pass for one of ours.
     */
    private final int seal = RANDOM.nextInt() & 0xFFFF;
    private volatile Route[] routes = new Route[0];

    /** The value this server's IDs seal their index with (tests of the kernel program). */
    int seal() {
        return seal;
    }

    /** A new socket's route, alone in its group, to go right before its codec, whose IDs come from {@link #ids}. */
    Route add() {
        return group().add();
    }

    /** A new group: the sockets that share one address ({@code SO_REUSEPORT}). */
    Group group() {
        return new Group();
    }

    private synchronized Route add(Group g) {
        Route[] now = routes;
        int free = 0;
        while (free < now.length && now[free] != null) {
            free++;
        }
        if (free >= MAX_SOCKETS) {
            throw new IllegalStateException("more than " + MAX_SOCKETS + " UDP sockets");
        }
        Route r = new Route(free, g);
        Route[] next = Arrays.copyOf(now, Math.max(now.length, free + 1));
        next[free] = r;
        routes = next;
        return r;
    }

    /** Frees {@code r}'s index (its socket is closed). */
    synchronized void remove(Route r) {
        r.group.lost(r);
        Route[] next = routes.clone();
        if (r.index < next.length && next[r.index] == r) {
            next[r.index] = null;
            routes = next;
        }
    }

    /** The connection IDs for the codec of {@code r}'s socket. */
    QuicConnectionIdGenerator ids(Route r) {
        return new Ids(r.index);
    }

    /**
     * The index of the socket whose codec issued the destination connection ID of {@code datagram}'s (first) packet,
     * or -1 if that ID is not one of this server's.
     */
    int indexOf(ByteBuf datagram) {
        int at = datagram.readerIndex();
        int n = datagram.readableBytes();
        if (n < 1) {
            return -1;
        }
        int id;
        if ((datagram.getUnsignedByte(at) & RFC9000_LONG_FORM) == 0) {
            if (n < RFC9000_SHORT_DCID_AT + CONNECTION_ID_LENGTH) {
                return -1;
            }
            id = at + RFC9000_SHORT_DCID_AT;
        } else {
            if (n < RFC9000_LONG_DCID_LENGTH_AT + 1 + CONNECTION_ID_LENGTH
                    || datagram.getUnsignedByte(at + RFC9000_LONG_DCID_LENGTH_AT) != CONNECTION_ID_LENGTH) {
                return -1;
            }
            id = at + RFC9000_LONG_DCID_LENGTH_AT + 1;
        }
        int index = datagram.getUnsignedShort(id);
        return datagram.getUnsignedShort(id + 2) == (index ^ seal) ? index : -1;
    }

    /** Connection IDs that carry a socket's index: index, index sealed, random. */
    private final class Ids implements QuicConnectionIdGenerator {
        private final int index;

        Ids(int index) {
            this.index = index;
        }

        @Override
        public ByteBuffer newId(int length) {
            byte[] id = new byte[length];
            RANDOM.nextBytes(id);
            if (length >= 4) {
                id[0] = (byte) (index >>> 8);
                id[1] = (byte) index;
                id[2] = (byte) ((index ^ seal) >>> 8);
                id[3] = (byte) (index ^ seal);
            }
            return ByteBuffer.wrap(id);
        }

        @Override
        public ByteBuffer newId(ByteBuffer input, int length) {
            return newId(length);
        }

        @Override
        public int maxConnectionIdLength() {
            return CONNECTION_ID_LENGTH;
        }

        @Override
        public boolean isIdempotent() {
            return false;
        }
    }

    /**
     * The sockets that share one address ({@code SO_REUSEPORT}), in the order they were bound: their order in the
     * kernel's group. Once {@link #steer} has the kernel give each packet of a known connection straight to its
     * socket ({@link ReuseportSteering}), a new client's first Initial is handed to the socket with the fewest
     * connections, so that the group's event loops get equal shares of the clients. The kernel's hash of the
     * clients' addresses and ports alone gave 16 clients to two loops 12 / 4 (bench/RESULTS.md 2026-11-25 01:45).
     * Without steering every packet of a connection balanced away from its hash would be handed over, so an
     * unsteered group is not balanced.
     */
    final class Group {
        private final List<Route> members = new CopyOnWriteArrayList<>();
        private volatile boolean steered;
        /** Each new client's socket, by its first Initial's destination connection ID, for its retransmissions. */
        private final ConcurrentHashMap<ByteBuffer, Choice> choices = new ConcurrentHashMap<>();

        private Group() {}

        /** A new socket's route in this group, to go right before its codec, whose IDs come from {@link #ids}. */
        Route add() {
            Route r = ConnectionRoutes.this.add(this);
            members.add(r);
            return r;
        }

        /**
         * Has the kernel give each packet of a known connection to its socket; {@code channels} are the group's sockets
         * in the order their routes were added. Null if done, else why not: the group is then left to the kernel's
         * hash and not balanced.
         */
        String steer(List<Channel> channels) {
            List<Route> now = List.copyOf(members);
            if (now.size() < 2 || now.size() != channels.size()) {
                return now.size() + " routes for " + channels.size() + " sockets";
            }
            if (now.size() > ReuseportSteering.MAX_GROUP) {
                return "more than " + ReuseportSteering.MAX_GROUP + " sockets on one address";
            }
            int[] indexes = now.stream().mapToInt(r -> r.index).toArray();
            String why = ReuseportSteering.attach(channels.getFirst(), ReuseportSteering.program(seal, indexes));
            steered = why == null;
            return why;
        }

        /** Whether the kernel steers this group's packets and new clients are balanced (tests). */
        boolean steered() {
            return steered;
        }

        /** Balances new clients as if the kernel steered the group (tests without sockets). */
        void steeredForTests() {
            steered = true;
        }

        /** A socket of the group closed: the kernel's positions have changed, so no more balancing. */
        private void lost(Route r) {
            steered = false;
            members.remove(r);
            choices.clear();
        }

        /**
         * The socket for the packet {@code datagram} that reached {@code here} and names none of the server's
         * connections: for a client's first Initial (QUIC v1) in a steered group the one with the fewest connections
         * (ties stay), the same for its retransmissions; else {@code here}.
         */
        Route forNewConnection(Route here, ByteBuf datagram) {
            if (!steered) {
                return here;
            }
            int at = datagram.readerIndex();
            int n = datagram.readableBytes();
            if (n < RFC9000_LONG_DCID_LENGTH_AT + 1
                    || (datagram.getUnsignedByte(at) & (RFC9000_LONG_FORM | RFC9000_LONG_TYPE)) != (RFC9000_LONG_FORM | RFC9000_INITIAL)
                    || datagram.getInt(at + 1) != RFC9000_VERSION_1) {
                return here;
            }
            int length = datagram.getUnsignedByte(at + RFC9000_LONG_DCID_LENGTH_AT);
            if (length < 1 || length > CONNECTION_ID_LENGTH || n < RFC9000_LONG_DCID_LENGTH_AT + 1 + length) {
                return here;
            }
            byte[] id = new byte[length];
            datagram.getBytes(at + RFC9000_LONG_DCID_LENGTH_AT + 1, id);
            ByteBuffer key = ByteBuffer.wrap(id);
            long now = System.nanoTime();
            Choice before = choices.get(key);
            if (before != null && now - before.at() < REMEMBER_CHOICE_NANOS && before.to().ctx != null) {
                return before.to();
            }
            Route best = here;
            int least = here.load(now);
            for (Route r : members) {
                if (r != here && r.ctx != null) {
                    int load = r.load(now);
                    if (load < least) {
                        best = r;
                        least = load;
                    }
                }
            }
            best.chosen(now);
            if (choices.size() >= MAX_CHOICES) {
                choices.values().removeIf(c -> now - c.at() >= REMEMBER_CHOICE_NANOS);
            }
            if (choices.size() < MAX_CHOICES) {
                choices.put(key, new Choice(best, now));
            }
            return best;
        }
    }

    /** Where a new client's first Initial went, and when. */
    private record Choice(Route to, long at) {}

    /**
     * One socket's handler, right before its codec: passes a packet of another socket's connection to that socket's
     * codec, and that socket a read-complete after the burst. Not sharable: one per socket.
     */
    final class Route extends ChannelInboundHandlerAdapter {
        final int index;
        private final Group group;
        private volatile ChannelHandlerContext ctx;
        /** The codec's connections, handshakes included. */
        private final AtomicInteger connections = new AtomicInteger();
        /** New clients given this socket within {@link #SETTLE_NANOS} of {@link #lastChosen} whose connection is not counted yet. */
        private final AtomicInteger settling = new AtomicInteger();
        private volatile long lastChosen;
        /** Packets passed to another socket (tests). */
        private final AtomicLong handedOver = new AtomicLong();
        /** The routes this burst of reads passed packets to (this socket's loop only). */
        private Route[] passedTo = new Route[2];
        private int passed;

        private Route(int index, Group group) {
            this.index = index;
            this.group = group;
        }

        /** The group of sockets on this one's address. */
        Group group() {
            return group;
        }

        /** Packets this socket read that went to another socket's codec (tests). */
        long handedOver() {
            return handedOver.get();
        }

        /** The codec's connections, handshakes included (tests). */
        int connections() {
            return connections.get();
        }

        /** The codec made {@code quic}, on this socket's loop: it counts until it closes. */
        void opened(Channel quic) {
            connections.incrementAndGet();
            settling.updateAndGet(v -> Math.max(0, v - 1));
            quic.closeFuture().addListener(f -> connections.decrementAndGet());
        }

        /**
         * Connections and new clients on their way here. Read by other sockets' loops without a lock: two loops that
         * choose at once may both pick this socket, which the next choice evens out.
         */
        private int load(long now) {
            return connections.get() + (now - lastChosen < SETTLE_NANOS ? settling.get() : 0);
        }

        private void chosen(long now) {
            if (now - lastChosen >= SETTLE_NANOS) {
                settling.set(0);
            }
            settling.incrementAndGet();
            lastChosen = now;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            remove(this);
            ctx.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket p) {
                int to = indexOf(p.content());
                Route target = null;
                if (to >= 0) {
                    Route[] all = routes;
                    target = to != index && to < all.length ? all[to] : null;
                } else {
                    target = group.forNewConnection(this, p.content());
                }
                ChannelHandlerContext there = target == null || target == this ? null : target.ctx;
                if (there != null) {
                    // as if that socket had read it: its codec takes the local address from the packet
                    there.fireChannelRead(new DatagramPacket(p.content(), (InetSocketAddress) there.channel().localAddress(),
                            p.sender()));
                    handedOver.incrementAndGet();
                    remember(target);
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            for (int i = 0; i < passed; i++) {
                ChannelHandlerContext there = passedTo[i].ctx;
                passedTo[i] = null;
                if (there != null) {
                    there.fireChannelReadComplete();
                }
            }
            passed = 0;
            ctx.fireChannelReadComplete();
        }

        private void remember(Route target) {
            for (int i = 0; i < passed; i++) {
                if (passedTo[i] == target) {
                    return;
                }
            }
            if (passed == passedTo.length) {
                passedTo = Arrays.copyOf(passedTo, passed * 2);
            }
            passedTo[passed++] = target;
        }
    }
}
