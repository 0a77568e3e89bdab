package io.rqst.transport;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.rqst.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A classic BPF program for the kernel to pick, among the sockets that share one address ({@code SO_REUSEPORT}),
 * the one whose codec holds each packet's connection, from the index its connection ID carries
 * ({@link ConnectionRoutes}). Packets whose destination ID is none of the group's (a client's first Initial) are
 * left to the kernel's hash of the client's address and port.
 *
 * <p>The kernel runs the program on the UDP payload and takes its return value as a position in the group, which
 * is the order the sockets were bound in while none of them has closed (the group's sockets close together); a
 * value past the group leaves the packet to the hash (net/core/sock_reuseport.c, {@code run_bpf_filter}).
 */
final class ReuseportSteering {
    // linux/bpf_common.h: instruction classes, sizes, modes, operations and sources
    static final int BPF_LD = 0x00;
    static final int BPF_ALU = 0x04;
    static final int BPF_JMP = 0x05;
    static final int BPF_RET = 0x06;
    static final int BPF_MISC = 0x07;
    static final int BPF_H = 0x08;
    static final int BPF_B = 0x10;
    static final int BPF_ABS = 0x20;
    static final int BPF_XOR = 0xa0;
    static final int BPF_JA = 0x00;
    static final int BPF_JEQ = 0x10;
    static final int BPF_JSET = 0x40;
    static final int BPF_K = 0x00;
    static final int BPF_X = 0x08;
    static final int BPF_TAX = 0x00;
    static final int BPF_TXA = 0x80;

    /** The program's answer for a packet to leave to the kernel's hash: no socket has this position. */
    static final int LEAVE_TO_HASH = 0xFFFFFFFF;

    /** Sockets one program can tell apart: its jumps over them are at most 255 instructions. */
    static final int MAX_GROUP = 100;

    /** One {@code struct sock_filter}. */
    record Insn(int code, int jt, int jf, int k) {}

    private ReuseportSteering() {}

    /**
     * The program for a group whose socket at position {@code p} has route index {@code indexes[p]}, for IDs sealed
     * with {@code seal}: the layout of {@link ConnectionRoutes#indexOf}, in a short header at byte 1 and in a long
     * header at byte 6 when its ID length (byte 5) is {@link ConnectionRoutes#CONNECTION_ID_LENGTH}.
     */
    static List<Insn> program(int seal, int[] indexes) {
        if (indexes.length < 1 || indexes.length > MAX_GROUP) {
            throw new IllegalArgumentException(indexes.length + " sockets in one group");
        }
        int fallback = 14 + 2 * indexes.length;
        List<Insn> p = new ArrayList<>();
        p.add(new Insn(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0));                  // 0: A = first byte
        p.add(new Insn(BPF_JMP | BPF_JSET | BPF_K, 4, 0, 0x80));             // 1: long header? to 6
        p.add(new Insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 1));                  // 2: short: A = index
        p.add(new Insn(BPF_MISC | BPF_TAX, 0, 0, 0));                        // 3: X = index
        p.add(new Insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 3));                  // 4: A = sealed index
        p.add(new Insn(BPF_JMP | BPF_JA, 0, 0, 5));                          // 5: to 11
        p.add(new Insn(BPF_LD | BPF_B | BPF_ABS, 0, 0, 5));                  // 6: long: A = ID length
        p.add(new Insn(BPF_JMP | BPF_JEQ | BPF_K, 0, fallback - 8, ConnectionRoutes.CONNECTION_ID_LENGTH)); // 7
        p.add(new Insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 6));                  // 8: A = index
        p.add(new Insn(BPF_MISC | BPF_TAX, 0, 0, 0));                        // 9: X = index
        p.add(new Insn(BPF_LD | BPF_H | BPF_ABS, 0, 0, 8));                  // 10: A = sealed index
        p.add(new Insn(BPF_ALU | BPF_XOR | BPF_K, 0, 0, seal));              // 11: A ^= seal
        p.add(new Insn(BPF_JMP | BPF_JEQ | BPF_X, 0, fallback - 13, 0));     // 12: A == X, or not ours
        p.add(new Insn(BPF_MISC | BPF_TXA, 0, 0, 0));                        // 13: A = index
        for (int pos = 0; pos < indexes.length; pos++) {
            p.add(new Insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, indexes[pos]));   // 14 + 2 pos
            p.add(new Insn(BPF_RET | BPF_K, 0, 0, pos));
        }
        p.add(new Insn(BPF_RET | BPF_K, 0, 0, LEAVE_TO_HASH));               // fallback
        return p;
    }

    /**
     * Attaches {@code program} to the group of {@code udp} (any one of its sockets): null if done, else why not (the
     * kernel's error, or not an epoll socket).
     */
    static String attach(Channel udp, List<Insn> program) {
        if (!(udp instanceof EpollDatagramChannel e) || !e.isOpen()) {
            return "not an open epoll socket";
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment filter = a.allocate((long) Libc.SOCK_FILTER_SIZE * program.size(), 8);
            for (int i = 0; i < program.size(); i++) {
                Insn n = program.get(i);
                long at = (long) i * Libc.SOCK_FILTER_SIZE;
                filter.set(JAVA_SHORT_UNALIGNED, at, (short) n.code());
                filter.set(JAVA_BYTE, at + 2, (byte) n.jt());
                filter.set(JAVA_BYTE, at + 3, (byte) n.jf());
                filter.set(JAVA_INT_UNALIGNED, at + 4, n.k());
            }
            MemorySegment fprog = a.allocate(Libc.SOCK_FPROG_SIZE, 8);
            fprog.set(JAVA_SHORT_UNALIGNED, 0, (short) program.size());
            fprog.set(JAVA_LONG_UNALIGNED, Libc.SOCK_FPROG_FILTER, filter.address());
            MemorySegment cap = Libc.newErrnoSegment(a);
            if (Libc.setsockopt(cap, e.fd().intValue(), Libc.SOL_SOCKET, Libc.SO_ATTACH_REUSEPORT_CBPF, fprog.address(),
                    Libc.SOCK_FPROG_SIZE) == 0) {
                return null;
            }
            return Libc.strerror(Libc.errno(cap));
        }
    }
}
