package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The classic BPF program that steers a group's packets by connection ID, run by a small interpreter of the
 * instructions it uses (the kernel's run is in {@code ServerThreadsTest}).
 */
class ReuseportSteeringTest {
    private final ConnectionRoutes routes = new ConnectionRoutes();

    /** What the kernel does with the program's answer for {@code payload}, as a position; -1 for the hash. */
    private static int run(List<ReuseportSteering.Insn> program, byte[] payload, int sockets) {
        long a = 0;
        long x = 0;
        int pc = 0;
        while (true) {
            ReuseportSteering.Insn n = program.get(pc++);
            int k = n.k();
            switch (n.code()) {
                case ReuseportSteering.BPF_LD | ReuseportSteering.BPF_B | ReuseportSteering.BPF_ABS -> {
                    if (k + 1 > payload.length) {
                        return 0; // a load past the packet ends the program with 0
                    }
                    a = payload[k] & 0xFF;
                }
                case ReuseportSteering.BPF_LD | ReuseportSteering.BPF_H | ReuseportSteering.BPF_ABS -> {
                    if (k + 2 > payload.length) {
                        return 0;
                    }
                    a = (payload[k] & 0xFF) << 8 | payload[k + 1] & 0xFF;
                }
                case ReuseportSteering.BPF_MISC | ReuseportSteering.BPF_TAX -> x = a;
                case ReuseportSteering.BPF_MISC | ReuseportSteering.BPF_TXA -> a = x;
                case ReuseportSteering.BPF_ALU | ReuseportSteering.BPF_XOR | ReuseportSteering.BPF_K -> a = (a ^ (k & 0xFFFFFFFFL));
                case ReuseportSteering.BPF_JMP | ReuseportSteering.BPF_JA -> pc += k;
                case ReuseportSteering.BPF_JMP | ReuseportSteering.BPF_JEQ | ReuseportSteering.BPF_K ->
                        pc += a == (k & 0xFFFFFFFFL) ? n.jt() : n.jf();
                case ReuseportSteering.BPF_JMP | ReuseportSteering.BPF_JEQ | ReuseportSteering.BPF_X -> pc += a == x ? n.jt() : n.jf();
                case ReuseportSteering.BPF_JMP | ReuseportSteering.BPF_JSET | ReuseportSteering.BPF_K ->
                        pc += (a & k) != 0 ? n.jt() : n.jf();
                case ReuseportSteering.BPF_RET | ReuseportSteering.BPF_K -> {
                    long position = k & 0xFFFFFFFFL;
                    return position < sockets ? (int) position : -1;
                }
                default -> fail("an instruction the interpreter does not know: " + Integer.toHexString(n.code()));
            }
            assertTrue(pc < program.size(), "jumps stay inside the program");
        }
    }

    private static byte[] bytes(ByteBuf b) {
        return ByteBufUtil.getBytes(b);
    }

    private static byte[] shortHeader(ByteBuffer id) {
        return bytes(Unpooled.buffer().writeByte(0x40).writeBytes(id.duplicate()).writeZero(40));
    }

    private static byte[] longHeader(int type, ByteBuffer id) {
        ByteBuf b = Unpooled.buffer().writeByte(0xC0 | type << 4).writeInt(1);
        b.writeByte(id.remaining()).writeBytes(id.duplicate()).writeByte(8).writeLong(42);
        return bytes(b.writeZero(1200));
    }

    // Promise: the kernel gives each packet of a known connection, short or long header, to the socket whose codec
    // issued its ID, in the group's own order; a client's own IDs, other groups' IDs and runts go to the hash.
    @Test
    void packetsGoToTheSocketThatIssuedTheirIdAndOthersToTheHash() {
        ConnectionRoutes.Route elsewhere = routes.add(); // another address's socket: index 0
        ConnectionRoutes.Group group = routes.group();
        ConnectionRoutes.Route first = group.add();
        ConnectionRoutes.Route second = group.add();
        ConnectionRoutes.Route third = group.add();
        // bound in the order first, third, second: the positions follow the binding, not the index
        int[] indexes = {first.index, third.index, second.index};
        List<ReuseportSteering.Insn> program = ReuseportSteering.program(routes.seal(), indexes);
        for (int position = 0; position < indexes.length; position++) {
            ConnectionRoutes.Route r = List.of(first, third, second).get(position);
            for (int i = 0; i < 20; i++) {
                ByteBuffer id = routes.ids(r).newId(ConnectionRoutes.CONNECTION_ID_LENGTH);
                assertEquals(position, run(program, shortHeader(id), 3), "short header");
                assertEquals(position, run(program, longHeader(0, id), 3), "Initial");
                assertEquals(position, run(program, longHeader(2, id), 3), "Handshake");
            }
        }
        assertEquals(-1, run(program, shortHeader(routes.ids(elsewhere).newId(20)), 3), "another address's connection");
        Random random = new Random(3);
        int steered = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] id = new byte[20];
            random.nextBytes(id);
            if (run(program, shortHeader(ByteBuffer.wrap(id)), 3) >= 0 || run(program, longHeader(0, ByteBuffer.wrap(id)), 3) >= 0) {
                steered++;
            }
        }
        assertEquals(0, steered, "random IDs (a client's first Initial) are left to the hash");
        assertEquals(-1, run(program, longHeader(0, ByteBuffer.wrap(new byte[8])), 3), "an 8-byte ID");
        assertEquals(0, run(program, new byte[] {0x40, 0}, 3), "a runt: the kernel's answer for a load past the end");
        assertThrows(IllegalArgumentException.class, () -> ReuseportSteering.program(0, new int[ReuseportSteering.MAX_GROUP + 1]));
    }
}
