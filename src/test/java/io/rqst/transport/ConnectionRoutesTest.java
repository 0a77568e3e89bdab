package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Connection IDs that carry their socket's index, and packets handed to the socket whose connection they are. */
class ConnectionRoutesTest {
    private final ConnectionRoutes routes = new ConnectionRoutes();

    private static ByteBuf shortHeader(ByteBuffer id) {
        ByteBuf b = Unpooled.buffer().writeByte(0x40); // RFC 9000 §17.3.1: form 0, fixed bit
        b.writeBytes(id.duplicate());
        return b.writeZero(40);
    }

    private static ByteBuf longHeader(int type, ByteBuffer id) {
        ByteBuf b = Unpooled.buffer().writeByte(0xC0 | type << 4).writeInt(1); // form 1, fixed bit; QUIC v1
        b.writeByte(id.remaining()).writeBytes(id.duplicate());
        b.writeByte(8).writeLong(42); // the client's own source connection ID
        return b.writeZero(1200);
    }

    // Promise: every ID a socket's codec issues names that socket, in a short header and in any long header.
    @Test
    void idsNameTheirSocketInEveryHeaderForm() {
        ConnectionRoutes.Route a = routes.add();
        ConnectionRoutes.Route b = routes.add();
        for (ConnectionRoutes.Route r : List.of(a, b)) {
            for (int i = 0; i < 50; i++) {
                ByteBuffer id = routes.ids(r).newId(ConnectionRoutes.CONNECTION_ID_LENGTH);
                assertEquals(ConnectionRoutes.CONNECTION_ID_LENGTH, id.remaining());
                assertEquals(r.index, routes.indexOf(shortHeader(id)));
                assertEquals(r.index, routes.indexOf(longHeader(0, id)), "Initial");
                assertEquals(r.index, routes.indexOf(longHeader(2, id)), "Handshake");
            }
        }
        assertNotEquals(a.index, b.index);
        ByteBuffer x = routes.ids(a).newId(ConnectionRoutes.CONNECTION_ID_LENGTH);
        ByteBuffer y = routes.ids(a).newId(ConnectionRoutes.CONNECTION_ID_LENGTH);
        assertNotEquals(x, y, "the rest is random");
    }

    // Promise: a client's own connection IDs (its first Initial's), other servers' IDs and runt packets are not ours.
    @Test
    void foreignIdsAndRuntsAreNotOurs() {
        routes.add();
        routes.add();
        Random random = new Random(7);
        int ours = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] id = new byte[ConnectionRoutes.CONNECTION_ID_LENGTH];
            random.nextBytes(id);
            id[0] = 0; // even an index that exists
            id[1] = (byte) (i & 1);
            if (routes.indexOf(longHeader(0, ByteBuffer.wrap(id))) >= 0 || routes.indexOf(shortHeader(ByteBuffer.wrap(id))) >= 0) {
                ours++;
            }
        }
        assertTrue(ours <= 3, ours + " of 40000 random IDs passed for ours (about 1 in 65536 may)");
        assertEquals(-1, routes.indexOf(Unpooled.EMPTY_BUFFER));
        assertEquals(-1, routes.indexOf(Unpooled.wrappedBuffer(new byte[] {0x40, 0, 0})), "a short header too short for an ID");
        ByteBuffer eight = ByteBuffer.wrap(new byte[8]);
        assertEquals(-1, routes.indexOf(longHeader(0, eight)), "a long header whose ID is not 20 bytes");
        ConnectionRoutes other = new ConnectionRoutes();
        ConnectionRoutes.Route o = other.add();
        int foreign = 0;
        for (int i = 0; i < 1000; i++) {
            if (routes.indexOf(shortHeader(other.ids(o).newId(ConnectionRoutes.CONNECTION_ID_LENGTH))) >= 0) {
                foreign++;
            }
        }
        assertTrue(foreign <= 1000 / 65536 + 1, "another server's IDs are sealed with its own secret");
    }

    // Promise: a packet of another socket's connection goes to that socket's codec, addressed as if it had read it,
    // and that socket gets one read-complete after the burst; a packet of its own connection stays.
    @Test
    void aPacketOfAnotherSocketsConnectionGoesToThatSocketsCodec() {
        ConnectionRoutes.Route a = routes.add();
        ConnectionRoutes.Route b = routes.add();
        List<Object> readA = new ArrayList<>();
        List<Object> readB = new ArrayList<>();
        int[] completesB = new int[1];
        InetSocketAddress atA = new InetSocketAddress("127.0.0.1", 3456);
        InetSocketAddress atB = new InetSocketAddress("0.0.0.0", 3456);
        EmbeddedChannel chA = channel(a, readA, new int[1], atA);
        EmbeddedChannel chB = channel(b, readB, completesB, atB);
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 50000);

        chA.pipeline().fireChannelRead(new DatagramPacket(shortHeader(routes.ids(a).newId(20)), atA, client));
        chA.pipeline().fireChannelRead(new DatagramPacket(shortHeader(routes.ids(b).newId(20)), atA, client));
        chA.pipeline().fireChannelRead(new DatagramPacket(longHeader(2, routes.ids(b).newId(20)), atA, client));
        chA.pipeline().fireChannelReadComplete();

        assertEquals(1, readA.size(), "its own packet stays");
        assertEquals(2, readB.size(), "the other socket's short- and long-header packets are passed on");
        for (Object m : readB) {
            DatagramPacket p = (DatagramPacket) m;
            assertEquals(atB, p.recipient(), "addressed to the socket that reads it");
            assertEquals(client, p.sender());
        }
        assertEquals(1, completesB[0], "one read-complete for the burst");
        chA.pipeline().fireChannelReadComplete();
        assertEquals(1, completesB[0], "none after a burst that passed nothing");

        chB.close();
        chA.pipeline().fireChannelRead(new DatagramPacket(shortHeader(routes.ids(b).newId(20)), atA, client));
        assertEquals(2, readA.size(), "a closed socket's packets stay where they came: its codec is gone");
        assertEquals(b.index, routes.add().index, "a closed socket's index is taken again");
        chA.close();
    }

    // Promise: in a steered group a new client's first Initial goes to the socket with the fewest connections (a tie
    // stays where the kernel put it), its retransmissions follow it, and a packet of a known connection is not
    // balanced; an unsteered group hands nothing over.
    @Test
    void aNewClientsInitialGoesToTheSocketWithFewestConnections() {
        ConnectionRoutes.Group group = routes.group();
        ConnectionRoutes.Route a = group.add();
        ConnectionRoutes.Route b = group.add();
        List<Object> readA = new ArrayList<>();
        List<Object> readB = new ArrayList<>();
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", 3456);
        EmbeddedChannel chA = channel(a, readA, new int[1], at);
        EmbeddedChannel chB = channel(b, readB, new int[1], at);
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 50000);
        ByteBuffer first = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        ByteBuffer second = ByteBuffer.wrap(new byte[] {9, 9, 9, 9, 9, 9, 9, 9});

        chA.pipeline().fireChannelRead(new DatagramPacket(longHeader(0, first), at, client));
        assertEquals(List.of(1, 0), List.of(readA.size(), readB.size()), "unsteered: stays");

        group.steeredForTests();
        chA.pipeline().fireChannelRead(new DatagramPacket(longHeader(0, first), at, client));
        assertEquals(List.of(2, 0), List.of(readA.size(), readB.size()), "a tie stays where the kernel put it");
        EmbeddedChannel quic = new EmbeddedChannel();
        a.opened(quic);
        chA.pipeline().fireChannelRead(new DatagramPacket(longHeader(0, first), at, client));
        assertEquals(List.of(3, 0), List.of(readA.size(), readB.size()), "a retransmission follows its first Initial");

        chA.pipeline().fireChannelRead(new DatagramPacket(longHeader(0, second), at, client));
        assertEquals(List.of(3, 1), List.of(readA.size(), readB.size()), "a new client goes to the socket with fewer");
        chA.pipeline().fireChannelRead(new DatagramPacket(longHeader(0, second), at, client));
        assertEquals(List.of(3, 2), List.of(readA.size(), readB.size()), "its retransmission follows it");
        assertEquals(2, a.handedOver());

        chA.pipeline().fireChannelRead(new DatagramPacket(longHeader(2, second), at, client));
        chA.pipeline().fireChannelRead(new DatagramPacket(shortHeader(second), at, client));
        assertEquals(List.of(5, 2), List.of(readA.size(), readB.size()), "only Initials are balanced");

        quic.close();
        assertEquals(0, a.connections(), "a closed connection no longer counts");
        chA.close();
        assertFalse(group.steered(), "a group that lost a socket is no longer balanced: the kernel's positions moved");
        chB.close();
    }

    private static EmbeddedChannel channel(ConnectionRoutes.Route route, List<Object> read, int[] completes, InetSocketAddress local) {
        EmbeddedChannel ch = new EmbeddedChannel() {
            @Override
            protected java.net.SocketAddress localAddress0() {
                return local;
            }
        };
        ch.pipeline().addLast(route, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                read.add(msg);
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                completes[0]++;
            }
        });
        return ch;
    }
}
