package io.rqst.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;

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
    /** The index, in two bytes: at most this many sockets. */
    private static final int MAX_SOCKETS = 1 << 16;

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Ties an index to this server: a client's random connection ID passes this check once in 2^16, and must also name
     * one of the server's few sockets to pass for one of ours.
     */
    private final int seal = RANDOM.nextInt() & 0xFFFF;
    private volatile Route[] routes = new Route[0];

    /** A new socket's route, to go right before its codec, whose IDs come from {@link #ids}. */
    synchronized Route add() {
        Route[] now = routes;
        int free = 0;
        while (free < now.length && now[free] != null) {
            free++;
        }
        if (free >= MAX_SOCKETS) {
            throw new IllegalStateException("more than " + MAX_SOCKETS + " UDP sockets");
        }
        Route r = new Route(free);
        Route[] next = Arrays.copyOf(now, Math.max(now.length, free + 1));
        next[free] = r;
        routes = next;
        return r;
    }

    /** Frees {@code r}'s index (its socket is closed). */
    synchronized void remove(Route r) {
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
     * One socket's handler, right before its codec: passes a packet of another socket's connection to that socket's
     * codec, and that socket a read-complete after the burst. Not sharable: one per socket.
     */
    final class Route extends ChannelInboundHandlerAdapter {
        final int index;
        private volatile ChannelHandlerContext ctx;
        /** The routes this burst of reads passed packets to (this socket's loop only). */
        private Route[] passedTo = new Route[2];
        private int passed;

        private Route(int index) {
            this.index = index;
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
                if (to >= 0 && to != index) {
                    Route[] all = routes;
                    Route target = to < all.length ? all[to] : null;
                    ChannelHandlerContext there = target == null ? null : target.ctx;
                    if (there != null) {
                        // as if that socket had read it: its codec takes the local address from the packet
                        there.fireChannelRead(new DatagramPacket(p.content(), (InetSocketAddress) there.channel().localAddress(),
                                p.sender()));
                        remember(target);
                        return;
                    }
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
