package io.rqst.tap;

import io.netty.buffer.ByteBuf;
import io.rqst.sys.Memory;

/**
 * Coalesces consecutive TCP segments of the same connection into one super-frame to write to a TAP
 * opened with {@code IFF_VNET_HDR}, as the kernel's GRO would: the host's TCP stack then handles one
 * packet instead of dozens, and one write replaces many. Everything else passes through unchanged.
 *
 * <p>Sans-I/O: frames go in with {@link #add} (ownership passes to the coalescer), and come out
 * through the {@link Output} as plain frames or as groups, in order per connection; {@link #flush}
 * emits what is still held. The coalescer releases every frame after the output has used it. One
 * thread at a time.
 *
 * <p>Segments join a group only when the kernel would have merged them (Linux
 * {@code tcp_gro_receive}): same Ethernet, IP and TCP headers except lengths, IDs and checksums
 * (TCP options byte-for-byte), the next sequence number, only ACK (and PSH on the last) set, all
 * segments but the last of one size, IPv4 without options or fragmentation, IPv6 without extension
 * headers.
 */
final class GroCoalescer {
    /** Where coalesced and plain frames go. */
    interface Output {
        /** One frame as it came (to write with an empty virtio-net header). */
        void plain(ByteBuf frame);

        /**
         * A super-frame: {@code header} holds the virtio-net header and the packet headers (readable
         * bytes), followed by the payloads of {@code frames[0..count)}, each starting at {@code payloadOffset}.
         */
        void group(ByteBuf header, ByteBuf[] frames, int count, int payloadOffset);
    }

    /** Segments per group at most. */
    static final int MAX_SEGMENTS = 64;
    /** Connections coalesced at the same time; more are flushed oldest first. */
    static final int MAX_GROUPS = 8;
    /** IP packets (and so super-frames) are at most this long. */
    static final int MAX_IP_LENGTH = 65535;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_PSH = 0x08;
    private static final int IPV4_DF = 0x4000;

    private final Output out;
    private final Group[] groups = new Group[MAX_GROUPS];
    private int open;
    private final ByteBuf header;

    GroCoalescer(Output out, ByteBuf headerScratch) {
        this.out = out;
        this.header = headerScratch;
        for (int i = 0; i < MAX_GROUPS; i++) {
            groups[i] = new Group();
        }
    }

    private static final class Group {
        final ByteBuf[] frames = new ByteBuf[MAX_SEGMENTS];
        int count;
        boolean ipv6;
        int headerLen;
        int segSize;
        int payload;
        long nextSeq;
        int nextId;
        boolean closed;
        int hash;
    }

    /** Takes a frame (its readable bytes); may emit earlier frames. */
    void add(ByteBuf frame) {
        int base = frame.readerIndex();
        int len = frame.readableBytes();
        // ---- is it a TCP segment we could merge?
        if (len < 14 + 20 + 20) {
            passThrough(frame, -1);
            return;
        }
        int ethertype = frame.getUnsignedShort(base + 12);
        boolean v6;
        int tcp;
        int ipLen;
        if (ethertype == TsoSplitter.ETHERTYPE_IPV4) {
            v6 = false;
            int vihl = frame.getUnsignedByte(base + 14);
            int frag = frame.getUnsignedShort(base + 14 + 6);
            if (vihl != 0x45 || frame.getUnsignedByte(base + 14 + 9) != TsoSplitter.IPPROTO_TCP || (frag & ~IPV4_DF) != 0) {
                passThrough(frame, -1);
                return;
            }
            ipLen = frame.getUnsignedShort(base + 14 + 2);
            tcp = 14 + 20;
        } else if (ethertype == TsoSplitter.ETHERTYPE_IPV6) {
            v6 = true;
            if (len < 14 + 40 + 20 || (frame.getUnsignedByte(base + 14) >>> 4) != 6
                    || frame.getUnsignedByte(base + 14 + 6) != TsoSplitter.IPPROTO_TCP) {
                passThrough(frame, -1);
                return;
            }
            ipLen = 40 + frame.getUnsignedShort(base + 14 + 4);
            tcp = 14 + 40;
        } else {
            passThrough(frame, -1);
            return;
        }
        if (14 + ipLen != len) {
            passThrough(frame, -1); // padded or truncated: leave it alone
            return;
        }
        int tcpHeader = (frame.getUnsignedByte(base + tcp + 12) >>> 4) * 4;
        int flags = frame.getUnsignedByte(base + tcp + 13);
        int headerLen = tcp + tcpHeader;
        int payload = len - headerLen;
        int hash = flowHash(frame, base, v6, tcp);
        if (tcpHeader < 20 || payload <= 0 || (flags & ~(TCP_ACK | TCP_PSH)) != 0 || (flags & TCP_ACK) == 0) {
            passThrough(frame, hash); // control segments and pure ACKs keep their place in their flow
            return;
        }
        long seq = frame.getUnsignedInt(base + tcp + 4);
        int id = v6 ? 0 : frame.getUnsignedShort(base + 14 + 4);
        // ---- the open group of this connection, if any (at most one: a segment that cannot join it
        // ends it, so that segments of one connection leave in order)
        for (int g = 0; g < open; g++) {
            Group grp = groups[g];
            if (grp.hash != hash) {
                continue;
            }
            boolean fits = sameFlow(grp, frame, base, v6, headerLen) && !grp.closed && seq == grp.nextSeq
                    && payload <= grp.segSize && grp.count < MAX_SEGMENTS
                    && (headerLen - 14) + grp.payload + payload <= MAX_IP_LENGTH
                    && (v6 || sameIdRule(grp, id, frame, base));
            if (fits) {
                grp.frames[grp.count++] = frame;
                grp.payload += payload;
                grp.nextSeq = (seq + payload) & 0xffffffffL;
                grp.nextId = (id + 1) & 0xffff;
                grp.closed = payload < grp.segSize || (flags & TCP_PSH) != 0;
                return;
            }
            emit(g);
            break; // this segment starts a new group below
        }
        if (open == MAX_GROUPS) {
            emit(0);
        }
        Group grp = groups[open++];
        grp.frames[0] = frame;
        grp.count = 1;
        grp.ipv6 = v6;
        grp.headerLen = headerLen;
        grp.segSize = payload;
        grp.payload = payload;
        grp.nextSeq = (seq + payload) & 0xffffffffL;
        grp.nextId = (id + 1) & 0xffff;
        grp.closed = (flags & TCP_PSH) != 0;
        grp.hash = hash;
    }

    /** Emits everything held. */
    void flush() {
        while (open > 0) {
            emit(0);
        }
    }

    /** A frame that is not merged: first emit its connection's group (order within a flow), then it. */
    private void passThrough(ByteBuf frame, int hash) {
        if (hash != -1) {
            for (int g = 0; g < open; g++) {
                if (groups[g].hash == hash) {
                    emit(g);
                    break;
                }
            }
        }
        try {
            out.plain(frame);
        } finally {
            frame.release();
        }
    }

    /** Emits group {@code g} and closes the gap in the table. */
    private void emit(int g) {
        Group grp = groups[g];
        try {
            if (grp.count == 1) {
                out.plain(grp.frames[0]);
            } else {
                buildHeader(grp);
                out.group(header, grp.frames, grp.count, grp.headerLen);
            }
        } finally {
            for (int i = 0; i < grp.count; i++) {
                grp.frames[i].release();
                grp.frames[i] = null;
            }
            grp.count = 0;
            System.arraycopy(groups, g + 1, groups, g, open - g - 1);
            groups[--open] = grp;
        }
    }

    private void buildHeader(Group grp) {
        ByteBuf first = grp.frames[0];
        ByteBuf last = grp.frames[grp.count - 1];
        int base = first.readerIndex();
        int tcp = grp.ipv6 ? 14 + 40 : 14 + 20;
        int l4Len = grp.headerLen - tcp + grp.payload;
        header.clear();
        VirtioNet.write(header, 0, VirtioNet.F_NEEDS_CSUM, grp.ipv6 ? VirtioNet.GSO_TCPV6 : VirtioNet.GSO_TCPV4,
                grp.headerLen, grp.segSize, tcp, 16);
        header.writerIndex(VirtioNet.HDR_LEN);
        int h = VirtioNet.HDR_LEN;
        Memory.append(header, first, base, grp.headerLen);
        if (grp.ipv6) {
            header.setShort(h + 14 + 4, l4Len);
        } else {
            header.setShort(h + 14 + 2, 20 + l4Len);
            InetChecksum.setIpv4HeaderChecksum(header, h + 14);
        }
        int lastFlags = last.getUnsignedByte(last.readerIndex() + tcp + 13);
        header.setByte(h + tcp + 13, header.getUnsignedByte(h + tcp + 13) | (lastFlags & TCP_PSH));
        // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, the kernel (or nobody, for
        // local delivery) does the rest
        header.setShort(h + tcp + 16, InetChecksum.fold(InetChecksum.pseudoHeader(header, h + 14, grp.ipv6,
                TsoSplitter.IPPROTO_TCP, l4Len)));
    }

    /** IPv4 IDs must either be fixed with DF set, or count up by one per segment. */
    private static boolean sameIdRule(Group grp, int id, ByteBuf frame, int base) {
        boolean df = (frame.getUnsignedShort(base + 14 + 6) & IPV4_DF) != 0;
        return id == grp.nextId || df;
    }

    private static int flowHash(ByteBuf f, int base, boolean v6, int tcp) {
        int h = f.getInt(base + tcp); // ports
        if (v6) {
            for (int i = 8; i < 40; i += 4) {
                h = 31 * h + f.getInt(base + 14 + i);
            }
        } else {
            h = 31 * h + f.getInt(base + 14 + 12);
            h = 31 * h + f.getInt(base + 14 + 16);
        }
        return h == -1 ? 0 : h;
    }

    /** The fields that must match for two segments to be one stream of data. */
    private static boolean sameFlow(Group grp, ByteBuf f, int base, boolean v6, int headerLen) {
        ByteBuf g = grp.frames[0];
        int gb = g.readerIndex();
        if (grp.ipv6 != v6 || grp.headerLen != headerLen) {
            return false;
        }
        int tcp = v6 ? 14 + 40 : 14 + 20;
        // Ethernet header
        if (g.getLong(gb) != f.getLong(base) || g.getInt(gb + 8) != f.getInt(base + 8) || g.getShort(gb + 12) != f.getShort(base + 12)) {
            return false;
        }
        if (v6) {
            // version/class/flow, next header + hop limit, addresses
            if (g.getInt(gb + 14) != f.getInt(base + 14) || g.getShort(gb + 14 + 6) != f.getShort(base + 14 + 6)) {
                return false;
            }
            for (int i = 8; i < 40; i += 8) {
                if (g.getLong(gb + 14 + i) != f.getLong(base + 14 + i)) {
                    return false;
                }
            }
        } else {
            // version/ihl/tos, flags (DF), ttl/protocol, addresses
            if (g.getShort(gb + 14) != f.getShort(base + 14) || g.getShort(gb + 14 + 6) != f.getShort(base + 14 + 6)
                    || g.getShort(gb + 14 + 8) != f.getShort(base + 14 + 8) || g.getLong(gb + 14 + 12) != f.getLong(base + 14 + 12)) {
                return false;
            }
        }
        // ports, ack number, data offset, window, urgent pointer (and flags via add's checks)
        if (g.getInt(gb + tcp) != f.getInt(base + tcp) || g.getInt(gb + tcp + 8) != f.getInt(base + tcp + 8)
                || g.getByte(gb + tcp + 12) != f.getByte(base + tcp + 12) || g.getShort(gb + tcp + 14) != f.getShort(base + tcp + 14)
                || g.getShort(gb + tcp + 18) != f.getShort(base + tcp + 18)) {
            return false;
        }
        // TCP options byte for byte
        for (int i = tcp + 20; i < headerLen; i += 4) {
            if (g.getInt(gb + i) != f.getInt(base + i)) {
                return false;
            }
        }
        return true;
    }
}
