package io.rqst.tap;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.netty.buffer.ByteBuf;
import io.rqst.sys.Libc;
import io.rqst.tap.TapErrors.Step;
import io.rqst.trace.Trace;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Linux TAP device ({@code /dev/net/tun} with {@code IFF_TAP | IFF_NO_PI}) driven through the FFM API.
 *
 * <p>The device is not persistent: the kernel removes the interface when its file descriptor is closed,
 * by {@link #close()} or by the death of the process. {@link #open} creates it, sets the MTU, brings
 * the link up and reads its MAC address. (Should an idle persistent TAP of that name exist, made with
 * {@code ip tuntap add mode tap}, {@code open} attaches to it, and it stays after {@code close()}.) {@link #openQueues}
 * with several queues only creates: a multi-queue TAP takes any number of readers, so attaching to an existing one
 * would join another process's device (a second server with the same {@code --tap} took half of a running
 * server's uplink traffic), and it is refused as in use.
 *
 * <p>Reading: the reader {@code poll}s the TAP and an eventfd (at most one second, then {@code read}
 * returns 0), then drains up to {@code count} frames with non-blocking {@code readv}s straight into the
 * buffers' memory. {@link #close()} writes the eventfd, which wakes the reader at once.
 *
 * <p>File descriptors are closed only once no thread is inside {@code read}, {@code write} or
 * {@code close} any more (a count of users in one atomic word, with a closed bit), so a frame can never
 * go to an unrelated file that reused the number. {@code close()} waits up to two seconds for that; if a
 * user is still inside then, the last one out closes them.
 *
 * <p>The per-frame path allocates nothing and logs nothing: addresses go to the kernel as {@code long}s,
 * the {@code pollfd} and {@code iovec} arrays are allocated once per device, and {@code poll}/{@code readv}/{@code write} run
 * without errno capture (which costs a small allocation per call in the JDK); only when one fails on
 * the read path is it repeated once with capture, into a segment allocated once per device.
 */
public final class LinuxTap implements SelectableTap {

    /** How long one {@code poll} waits before {@code read} returns 0: a backstop to the eventfd wake-up. */
    static final int POLL_TIMEOUT_MILLIS = 1000;
    /** How long {@code close()} waits for threads inside {@code read}/{@code write} to leave. */
    static final long CLOSE_WAIT_MILLIS = 2000;

    /** The closed bit of {@link #state}; the bits below it count threads using the file descriptors. */
    private static final long CLOSED = 1L << 62;
    private static final VarHandle STATE;
    private static final VarHandle RELEASED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(LinuxTap.class, "state", long.class);
            RELEASED = lookup.findVarHandle(LinuxTap.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final int mtu;
    private final int frameCapacity;
    private final long mac;
    private final int tapFd;
    private final int eventFd;

    /** Native memory of this device, freed with the file descriptors. */
    private final Arena arena;
    /** {@code struct pollfd[2]}: the TAP, then the eventfd. */
    private final MemorySegment pollFds;
    private final long pollFdsAddress;
    /**
     * {@code struct iovec[2]} of the reader, then one spare byte: the frame buffer ({@code iov_base}
     * set per read, length {@link #frameCapacity}), then the spare byte, which only a frame longer than
     * {@code frameCapacity} reaches. The kernel silently truncates a frame to the space it is given,
     * so this is how an oversize frame is told from one that fits exactly.
     */
    private final MemorySegment iov;
    private final long iovAddress;
    /** errno capture for the (single) reader thread, used only when a read or poll failed. */
    private final MemorySegment readErrno;
    /** The 8-byte counter value {@code close()} writes to the eventfd. */
    private final MemorySegment wakeValue;

    /** Every frame carries a virtio_net_hdr (IFF_VNET_HDR). */
    private final boolean vnet;
    /** The kernel accepted TUNSETOFFLOAD: reads may be TSO super-frames. */
    private final boolean offloads;
    /** vnet mode: the reader's buffer for one frame as the kernel gives it (up to 64 KiB). */
    private final ByteBuf superFrame;
    /** vnet mode: the reader's splitter; it may still hold segments of a super-frame between reads. */
    private final TsoSplitter splitter;
    /** vnet mode: an all-zero virtio_net_hdr for frames written as they are. */
    private final long zeroHeaderAddress;
    private final LongAdder malformedFrames = new LongAdder();

    private final LongAdder writeErrors = new LongAdder();
    private final LongAdder oversizeFrames = new LongAdder();
    private final CountDownLatch fdsClosed = new CountDownLatch(1);

    /** {@link #CLOSED} bit | number of threads currently using the file descriptors. */
    @SuppressWarnings("unused") // accessed through STATE
    private volatile long state;
    @SuppressWarnings("unused") // accessed through RELEASED
    private volatile boolean released;

    /** Linux's limit on a TUN/TAP device's queues ({@code MAX_TAP_QUEUES}). */
    public static final int MAX_QUEUES = 256;

    /** The largest frame the kernel hands a vnet reader: 64 KiB of IP, the headers, the virtio_net_hdr. */
    static final int SUPER_FRAME_CAPACITY = VirtioNet.HDR_LEN + ETHERNET_HEADER + VLAN_TAG + 65535 + 16;

    private LinuxTap(String name, int mtu, long mac, int tapFd, int eventFd, Arena arena, boolean vnet, boolean offloads) {
        this.name = name;
        this.mtu = mtu;
        this.frameCapacity = mtu + ETHERNET_HEADER + VLAN_TAG;
        this.mac = mac;
        this.tapFd = tapFd;
        this.eventFd = eventFd;
        this.arena = arena;
        this.pollFds = arena.allocate(2L * Libc.POLLFD_SIZE, 8);
        pollFds.set(JAVA_INT, 0, tapFd);
        pollFds.set(JAVA_SHORT, Libc.POLLFD_EVENTS, Libc.POLLIN);
        pollFds.set(JAVA_INT, Libc.POLLFD_SIZE, eventFd);
        pollFds.set(JAVA_SHORT, Libc.POLLFD_SIZE + Libc.POLLFD_EVENTS, Libc.POLLIN);
        this.pollFdsAddress = pollFds.address();
        this.iov = arena.allocate(2L * Libc.IOVEC_SIZE + 8, 8);
        iov.set(JAVA_LONG, Libc.IOVEC_LEN, frameCapacity);
        iov.set(JAVA_LONG, Libc.IOVEC_SIZE, iov.address() + 2L * Libc.IOVEC_SIZE); // overflowByte
        iov.set(JAVA_LONG, Libc.IOVEC_SIZE + Libc.IOVEC_LEN, 1L);
        this.iovAddress = iov.address();
        this.readErrno = Libc.newErrnoSegment(arena);
        this.wakeValue = arena.allocate(JAVA_LONG);
        wakeValue.set(JAVA_LONG, 0, 1L);
        this.vnet = vnet;
        this.offloads = offloads;
        if (vnet) {
            this.superFrame = io.netty.buffer.Unpooled.directBuffer(SUPER_FRAME_CAPACITY, SUPER_FRAME_CAPACITY);
            this.splitter = new TsoSplitter();
            this.zeroHeaderAddress = arena.allocate(16, 8).address();
        } else {
            this.superFrame = null;
            this.splitter = null;
            this.zeroHeaderAddress = 0;
        }
    }

    /** Whether the host hands this device TSO super-frames and partial checksums (see {@link #open(String, int, OptionalLong, boolean)}). */
    public boolean offloads() {
        return offloads;
    }

    /** vnet mode: frames the kernel gave that could not be understood, dropped. */
    public long malformedFrames() {
        return malformedFrames.sum();
    }

    /**
     * Checks a TAP name as {@link #open} will, without touching the kernel: lets a command refuse a bad
     * name before it sets anything up.
     *
     * @return {@code name}
     * @throws IllegalArgumentException naming the name and what is wrong with it, in one line
     */
    public static String checkName(String name) {
        return Ifreq.checkName(name);
    }

    /**
     * Creates TAP {@code name} with {@code mtu}, brings it up and returns it open.
     *
     * @param name the interface name: 1 to 15 printable ASCII characters, no {@code /}, {@code :},
     *             {@code %} or whitespace
     * @param mtu  the interface MTU, 68 to 65535; Linux itself accepts at most 65521 for a TAP
     *             (65535 minus the Ethernet header) and larger values fail with an IOException saying so
     * @return the open device; the caller closes it
     * @throws IllegalArgumentException if the name or MTU is invalid; the message says which and why
     * @throws IOException if the kernel refuses; one line naming the device and the cause, e.g.
     *         {@code cannot create TAP 'rqst0': name is in use by another device}. Nothing is left open.
     */
    public static LinuxTap open(String name, int mtu) throws IOException {
        return open(name, mtu, OptionalLong.empty());
    }

    /**
     * Creates TAP {@code name} as {@link #open(String, int)} does, with the given MAC address instead
     * of a random one (set before the link goes up).
     *
     * @param mac a unicast MAC, 48 bits in the low bits, first octet most significant; empty for the
     *            kernel's random one
     */
    public static LinuxTap open(String name, int mtu, OptionalLong mac) throws IOException {
        return open(name, mtu, mac, false);
    }

    /**
     * Creates TAP {@code name} as {@link #open(String, int, OptionalLong)} does; with {@code offload},
     * the device carries a virtio-net header ({@code IFF_VNET_HDR}) and takes TSO super-frames and
     * partial checksums from the host ({@code TUNSETOFFLOAD}): {@link #read} segments them into
     * ordinary frames and {@link #writer()} coalesces TCP segments into super-frames for the host. On
     * the wire nothing changes. If the kernel refuses the offloads, the device works without them.
     */
    public static LinuxTap open(String name, int mtu, OptionalLong mac, boolean offload) throws IOException {
        return open(name, mtu, mac, offload, false);
    }

    /**
     * Creates TAP {@code name} as {@link #open(String, int, OptionalLong, boolean)} does, with {@code queues}
     * queues ({@code IFF_MULTI_QUEUE}): each is a device of its own here, with its own file descriptor, reader and
     * writers, for one thread each. The kernel gives each flow from the host to the queue its packets were last
     * written to (the TUN driver's automatic flow steering), so the thread that writes a connection's frames also
     * reads the answers. The interface goes when every queue is closed.
     *
     * @param queues 1 or more; 1 opens an ordinary device
     * @throws IOException as {@link #open(String, int, OptionalLong, boolean)}; nothing is left open
     */
    public static List<LinuxTap> openQueues(String name, int mtu, OptionalLong mac, boolean offload, int queues) throws IOException {
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("TAP '" + Ifreq.quote(name) + "': " + queues + " queues is out of range 1-" + MAX_QUEUES);
        }
        if (queues == 1) {
            return List.of(open(name, mtu, mac, offload, false));
        }
        List<LinuxTap> all = new ArrayList<>();
        try {
            all.add(open(name, mtu, mac, offload, true));
            for (int i = 1; i < queues; i++) {
                all.add(attachQueue(all.getFirst()));
            }
        } catch (IOException | RuntimeException e) {
            all.forEach(LinuxTap::close);
            throw e;
        }
        return List.copyOf(all);
    }

    /** One more queue of {@code first}'s multi-queue device: the device's settings are {@code first}'s. */
    private static LinuxTap attachQueue(LinuxTap first) throws IOException {
        String name = first.name;
        Arena arena = Arena.ofShared();
        int tap = -1;
        int efd = -1;
        boolean ok = false;
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment cap = Libc.newErrnoSegment(setup);
            tap = tunFd(setup, cap, Ifreq.allocate(setup, name), name, tapFlags(first.vnet, true), first.mtu);
            efd = eventFd(cap, name, first.mtu);
            LinuxTap queue = new LinuxTap(name, first.mtu, first.mac, tap, efd, arena, first.vnet, first.offloads);
            ok = true;
            return queue;
        } finally {
            if (!ok) {
                Libc.close(efd);
                Libc.close(tap);
                arena.close();
            }
        }
    }

    /** {@code TUNSETIFF} flags of a TAP without packet information. */
    private static int tapFlags(boolean vnetHeader, boolean multiQueue) {
        return Libc.IFF_TAP | Libc.IFF_NO_PI | (vnetHeader ? Libc.IFF_VNET_HDR : 0) | (multiQueue ? Libc.IFF_MULTI_QUEUE : 0);
    }

    /**
     * A non-blocking descriptor of {@code /dev/net/tun} attached to TAP {@code name} ({@code TUNSETIFF} with
     * {@code flags}, creating the device or adding a queue to it); closed again if attaching fails.
     */
    private static int tunFd(Arena setup, MemorySegment cap, MemorySegment ifr, String name, int flags, int mtu) throws IOException {
        int fd = Libc.open(cap, setup.allocateFrom("/dev/net/tun"), Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        check(fd, name, Step.OPEN_TUN, mtu, cap);
        boolean ok = false;
        try {
            Ifreq.setFlags(ifr, (short) flags);
            check(Libc.ioctl(cap, fd, Libc.TUNSETIFF, ifr), name, Step.TUNSETIFF, mtu, cap);
            ok = true;
            return fd;
        } finally {
            if (!ok) {
                Libc.close(fd);
            }
        }
    }

    /** The non-blocking eventfd that wakes a blocked reader when the device closes. */
    private static int eventFd(MemorySegment cap, String name, int mtu) throws IOException {
        int efd = Libc.eventfd(cap, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        check(efd, name, Step.EVENTFD, mtu, cap);
        return efd;
    }

    private static LinuxTap open(String name, int mtu, OptionalLong mac, boolean offload, boolean multiQueue) throws IOException {
        Ifreq.checkName(name);
        if (mac.isPresent() && ((mac.getAsLong() >>> 40) & 1) != 0) {
            throw new IllegalArgumentException("MAC address for TAP " + Ifreq.quote(name) + " must be unicast");
        }
        Taps.checkMtu(name, mtu);
        Arena arena = Arena.ofShared();
        int tap = -1;
        int sock = -1;
        int efd = -1;
        boolean ok = false;
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment cap = Libc.newErrnoSegment(setup);
            MemorySegment ifr = Ifreq.allocate(setup, name);
            // a multi-queue TAP accepts more queues from anyone: create it, never join an existing one
            tap = tunFd(setup, cap, ifr, name, tapFlags(offload, multiQueue) | (multiQueue ? Libc.IFF_TUN_EXCL & 0xffff : 0), mtu);
            boolean offloads = false;
            if (offload) {
                MemorySegment size = setup.allocate(JAVA_INT);
                size.set(JAVA_INT, 0, VirtioNet.HDR_LEN);
                check(Libc.ioctl(cap, tap, Libc.TUNSETVNETHDRSZ, size), name, Step.TUNSETIFF, mtu, cap);
                offloads = Libc.ioctl(cap, tap, Libc.TUNSETOFFLOAD,
                        Libc.TUN_F_CSUM | Libc.TUN_F_TSO4 | Libc.TUN_F_TSO6 | Libc.TUN_F_TSO_ECN) == 0;
            }

            sock = Libc.socket(cap, Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            check(sock, name, Step.SOCKET, mtu, cap);

            reset(ifr, name);
            Ifreq.setMtu(ifr, mtu);
            check(Libc.ioctl(cap, sock, Libc.SIOCSIFMTU, ifr), name, Step.SET_MTU, mtu, cap);

            if (mac.isPresent()) {
                reset(ifr, name);
                Ifreq.setHwaddr(ifr, mac.getAsLong());
                check(Libc.ioctl(cap, sock, Libc.SIOCSIFHWADDR, ifr), name, Step.SET_HWADDR, mtu, cap);
            }

            reset(ifr, name);
            check(Libc.ioctl(cap, sock, Libc.SIOCGIFFLAGS, ifr), name, Step.GET_FLAGS, mtu, cap);
            Ifreq.setFlags(ifr, (short) (Ifreq.flags(ifr) | Libc.IFF_UP));
            check(Libc.ioctl(cap, sock, Libc.SIOCSIFFLAGS, ifr), name, Step.SET_FLAGS, mtu, cap);

            reset(ifr, name);
            check(Libc.ioctl(cap, sock, Libc.SIOCGIFHWADDR, ifr), name, Step.GET_HWADDR, mtu, cap);
            if (Ifreq.hwaddrFamily(ifr) != Libc.ARPHRD_ETHER) {
                throw new IOException("cannot create TAP '" + name + "': hardware type "
                        + Ifreq.hwaddrFamily(ifr) + " is not Ethernet");
            }
            long hwaddr = Ifreq.hwaddr(ifr);

            efd = eventFd(cap, name, mtu);

            LinuxTap device = new LinuxTap(name, mtu, hwaddr, tap, efd, arena, offload, offloads);
            ok = true;
            return device;
        } finally {
            Libc.close(sock);
            if (!ok) {
                Libc.close(efd);
                Libc.close(tap);
                arena.close();
            }
        }
    }

    private static void reset(MemorySegment ifr, String name) {
        ifr.fill((byte) 0);
        Ifreq.setName(ifr, name);
    }

    private static void check(int result, String name, Step step, int mtu, MemorySegment cap) throws IOException {
        if (result < 0) {
            int errno = Libc.errno(cap);
            throw new IOException(TapErrors.openFailure(name, step, mtu, errno, Libc.strerror(errno)));
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public int frameCapacity() {
        return frameCapacity;
    }

    @Override
    public long macAddress() {
        return mac;
    }

    /** Frames {@link #write} dropped: the kernel refused them or the device was closed. */
    public long writeErrors() {
        return writeErrors.sum();
    }

    /**
     * Frames the reader dropped because they were longer than {@link #frameCapacity()} (only possible
     * if someone raised the interface MTU on the host after {@link #open}).
     */
    public long oversizeFrames() {
        return oversizeFrames.sum();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Waits at most one second in {@code poll}; returns 0 when that passes without a frame. Reads
     * at most {@link #frameCapacity()} bytes into each buffer; a longer frame (the host MTU was raised
     * behind this device's back) is dropped and counted in {@link #oversizeFrames()}, never delivered
     * truncated.
     *
     * @throws IllegalArgumentException if a buffer breaks the contract (no memory address, released,
     *         too small) or {@code count} is out of range
     * @throws IllegalStateException if called on a virtual thread
     */
    @Override
    public int read(ByteBuf[] bufs, int count) throws IOException {
        Taps.checkRead(bufs, count, frameCapacity);
        if (!enter()) {
            return -1;
        }
        try {
            return pollAndDrain(bufs, count);
        } finally {
            exit();
        }
    }

    private int pollAndDrain(ByteBuf[] bufs, int count) throws IOException {
        if (pendingSegments()) {
            return drain(bufs, count);
        }
        for (;;) {
            int ready = Libc.poll(pollFdsAddress, 2, POLL_TIMEOUT_MILLIS);
            if (isClosed()) {
                return -1;
            }
            if (ready < 0) {
                // rare (a signal, or a real failure): ask again, without waiting, to learn errno
                ready = Libc.poll(readErrno, pollFdsAddress, 2, 0);
                if (ready < 0) {
                    int e = Libc.errno(readErrno);
                    if (e == Libc.EINTR) {
                        continue;
                    }
                    throw new IOException(TapErrors.ioFailure(name, "poll", e, Libc.strerror(e)));
                }
                if (ready == 0) {
                    continue; // interrupted, and nothing ready yet: wait again
                }
            }
            short tapEvents = pollFds.get(JAVA_SHORT, Libc.POLLFD_REVENTS);
            if (ready == 0 || tapEvents == 0) {
                return 0;
            }
            int n = drain(bufs, count);
            if (n > 0) {
                return n;
            }
            // readable, yet the first read failed: read once more capturing errno
            n = readOneWithErrno(bufs[0]);
            if (n > 0) {
                return n;
            }
            if ((tapEvents & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0) {
                throw new IOException("TAP '" + name + "' failed: poll reports revents 0x"
                        + Integer.toHexString(tapEvents & 0xffff));
            }
            // a spurious wake-up (or only oversize frames): wait again
        }
    }

    /**
     * Non-blocking reads into {@code bufs[0..)} until {@code count} frames or a failed read; the
     * failure is EAGAIN (drained) unless it happens on the first read, which the caller then examines.
     */
    private int drain(ByteBuf[] bufs, int count) {
        if (vnet) {
            return drainVnet(bufs, count);
        }
        int n = 0;
        while (n < count) {
            ByteBuf buf = bufs[n];
            int writerIndex = buf.writerIndex();
            iov.set(JAVA_LONG, 0, buf.memoryAddress() + writerIndex);
            long got = Libc.readv(tapFd, iovAddress, 2);
            if (got <= 0) {
                break;
            }
            if (got > frameCapacity) {
                oversizeFrames.increment(); // truncated by the kernel: drop it
                continue;
            }
            buf.writerIndex(writerIndex + (int) got);
            n++;
        }
        return n;
    }

    /**
     * vnet mode: reads frames with their virtio_net_hdr into {@link #superFrame} and turns each into
     * ordinary frames (segments of a TSO super-frame, or the frame with its checksum finished). Segments
     * that do not fit in this call's buffers stay in the splitter for the next call.
     */
    private int drainVnet(ByteBuf[] bufs, int count) {
        int n = 0;
        while (n < count) {
            if (splitter.hasNext()) {
                splitter.next(bufs[n++]);
                continue;
            }
            long got = Libc.read(tapFd, superFrame.memoryAddress(), SUPER_FRAME_CAPACITY);
            if (got <= 0) {
                break;
            }
            int len = (int) got - VirtioNet.HDR_LEN;
            ByteBuf f = superFrame;
            boolean ok = len > 0 && splitter.load(f, VirtioNet.HDR_LEN, len, f.getUnsignedByte(VirtioNet.FLAGS),
                    f.getUnsignedByte(VirtioNet.GSO_TYPE), f.getUnsignedShortLE(VirtioNet.GSO_SIZE),
                    f.getUnsignedShortLE(VirtioNet.CSUM_START), f.getUnsignedShortLE(VirtioNet.CSUM_OFFSET));
            if (!ok) {
                malformedFrames.increment();
                continue;
            }
            if (splitter.maxFrameLength() > frameCapacity) {
                oversizeFrames.increment(); // the MTU was raised behind our back
                splitter.skip();
            }
        }
        return n;
    }

    /** Whether the reader holds segments of a super-frame it has not handed out yet. */
    private boolean pendingSegments() {
        return vnet && splitter.hasNext();
    }

    @Override
    public int fileDescriptor() {
        return tapFd;
    }

    /** {@inheritDoc} Read errors other than "nothing ready" drop out as 0 here; {@link #read} reports them. */
    @Override
    public int readReady(ByteBuf[] bufs, int count) {
        Taps.checkRead(bufs, count, frameCapacity);
        if (!enter()) {
            return 0;
        }
        try {
            return drain(bufs, count);
        } finally {
            exit();
        }
    }

    @Override
    public boolean hasPending() {
        return pendingSegments();
    }

    /** One read capturing errno: 1 if it got a frame, 0 on EAGAIN/EINTR or an oversize frame. */
    private int readOneWithErrno(ByteBuf buf) throws IOException {
        if (vnet) {
            long got = Libc.read(readErrno, tapFd, superFrame.memoryAddress(), SUPER_FRAME_CAPACITY);
            if (got >= 0) {
                return 0; // a frame came after all (it is lost; rare) or end of file
            }
            int e = Libc.errno(readErrno);
            if (e == Libc.EAGAIN || e == Libc.EINTR) {
                return 0;
            }
            throw new IOException(TapErrors.ioFailure(name, "read", e, Libc.strerror(e)));
        }
        int writerIndex = buf.writerIndex();
        iov.set(JAVA_LONG, 0, buf.memoryAddress() + writerIndex);
        long got = Libc.readv(readErrno, tapFd, iovAddress, 2);
        if (got > frameCapacity) {
            oversizeFrames.increment();
            return 0;
        }
        if (got > 0) {
            buf.writerIndex(writerIndex + (int) got);
            return 1;
        }
        if (got == 0) {
            return 0;
        }
        int e = Libc.errno(readErrno);
        if (e == Libc.EAGAIN || e == Libc.EINTR) {
            return 0;
        }
        throw new IOException(TapErrors.ioFailure(name, "read", e, Libc.strerror(e)));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One non-blocking {@code write(2)}; a refused frame is counted in {@link #writeErrors()}.
     *
     * @throws IllegalArgumentException if the buffer has no memory address (a contract breach, not a
     *         lost frame)
     */
    @Override
    public boolean write(ByteBuf frame) {
        Taps.checkWrite(frame);
        if (!enter()) {
            writeErrors.increment();
            return false;
        }
        try {
            int length = frame.readableBytes();
            long written;
            if (vnet) {
                MemorySegment v = writeIov.get();
                v.set(JAVA_LONG, 0, zeroHeaderAddress);
                v.set(JAVA_LONG, Libc.IOVEC_LEN, VirtioNet.HDR_LEN);
                v.set(JAVA_LONG, Libc.IOVEC_SIZE, frame.memoryAddress() + frame.readerIndex());
                v.set(JAVA_LONG, Libc.IOVEC_SIZE + Libc.IOVEC_LEN, length);
                written = Libc.writev(tapFd, v.address(), 2) - VirtioNet.HDR_LEN;
            } else {
                written = Libc.write(tapFd, frame.memoryAddress() + frame.readerIndex(), length);
            }
            if (written == length) {
                return true;
            }
            writeErrors.increment();
            return false;
        } finally {
            exit();
        }
    }

    /** vnet mode, {@link #write}: a two-entry iovec per writing thread. */
    private final ThreadLocal<MemorySegment> writeIov = ThreadLocal.withInitial(() -> Arena.global().allocate(2L * Libc.IOVEC_SIZE, 8));

    /**
     * {@inheritDoc}
     *
     * <p>With offloads, the writer coalesces TCP segments of one connection into super-frames
     * ({@link GroCoalescer}) and writes each with one {@code writev}, the payloads straight from the
     * frames' memory.
     */
    @Override
    public FrameWriter writer() {
        return vnet ? new VnetWriter() : SelectableTap.super.writer();
    }

    /** A vnet-mode writer: GRO coalescing, {@code writev} of header and payloads. One thread. */
    private final class VnetWriter implements FrameWriter, GroCoalescer.Output {
        private final MemorySegment iovs = Arena.global().allocate((GroCoalescer.MAX_SEGMENTS + 1L) * Libc.IOVEC_SIZE, 8);
        private final long iovsAddress = iovs.address();
        private final GroCoalescer gro;

        VnetWriter() {
            ByteBuf header = io.netty.buffer.Unpooled.directBuffer(256, 256);
            this.gro = offloads ? new GroCoalescer(this, header) : null;
        }

        @Override
        public void write(ByteBuf frame) {
            if (gro != null) {
                gro.add(frame);
            } else {
                try {
                    plain(frame);
                } finally {
                    frame.release();
                }
            }
        }

        @Override
        public void flush() {
            if (gro != null) {
                gro.flush();
            }
        }

        @Override
        public void plain(ByteBuf frame) {
            iov(0, zeroHeaderAddress, VirtioNet.HDR_LEN);
            iov(1, frame.memoryAddress() + frame.readerIndex(), frame.readableBytes());
            writev(2, VirtioNet.HDR_LEN + frame.readableBytes());
        }

        @Override
        public void group(ByteBuf header, ByteBuf[] frames, int count, int payloadOffset) {
            long total = header.readableBytes();
            iov(0, header.memoryAddress() + header.readerIndex(), header.readableBytes());
            for (int i = 0; i < count; i++) {
                ByteBuf f = frames[i];
                int len = f.readableBytes() - payloadOffset;
                iov(i + 1, f.memoryAddress() + f.readerIndex() + payloadOffset, len);
                total += len;
            }
            writev(count + 1, total);
        }

        private void iov(int i, long address, long length) {
            iovs.set(JAVA_LONG, (long) i * Libc.IOVEC_SIZE, address);
            iovs.set(JAVA_LONG, (long) i * Libc.IOVEC_SIZE + Libc.IOVEC_LEN, length);
        }

        private void writev(int count, long total) {
            if (!enter()) {
                writeErrors.increment();
                return;
            }
            try {
                Trace.mark(Trace.TAP_WRITE, (int) total);
                long written = Libc.writev(tapFd, iovsAddress, count);
                Trace.mark(Trace.TAP_WRITE_DONE, 0);
                if (written != total) {
                    writeErrors.increment();
                }
            } finally {
                exit();
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Wakes the reader through the eventfd, then waits up to two seconds until no
     * thread is inside {@code read} or {@code write} and the file descriptors (hence the interface) are
     * closed. Should a thread still be inside after that, it closes them when it leaves.
     */
    @Override
    public void close() {
        long s;
        do {
            s = state;
            if ((s & CLOSED) != 0) {
                awaitRelease();
                return;
            }
        } while (!STATE.compareAndSet(this, s, (s | CLOSED) + 1)); // closed, and this thread is a user
        try {
            Libc.write(eventFd, wakeValue.address(), Long.BYTES);
        } finally {
            exit();
        }
        awaitRelease();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return (state & CLOSED) != 0;
    }

    @Override
    public String toString() {
        return "LinuxTap[" + name + ", mtu " + mtu + ", mac " + Taps.formatMac(mac)
                + (isClosed() ? ", closed]" : "]");
    }

    /** Registers a user of the file descriptors; false (and nothing registered) once closed. */
    private boolean enter() {
        long s = (long) STATE.getAndAdd(this, 1L);
        if ((s & CLOSED) != 0) {
            exit();
            return false;
        }
        return true;
    }

    /** Unregisters a user; the last one out after {@code close()} releases the file descriptors. */
    private void exit() {
        long s = (long) STATE.getAndAdd(this, -1L) - 1;
        if (s == CLOSED) {
            release();
        }
    }

    private void release() {
        if (!RELEASED.compareAndSet(this, false, true)) {
            return;
        }
        try {
            Libc.close(tapFd);
            Libc.close(eventFd);
            arena.close();
            if (superFrame != null) {
                superFrame.release();
            }
        } catch (RuntimeException e) {
            // nothing to do: close() never throws and the fds are gone either way
        } finally {
            fdsClosed.countDown();
        }
    }

    private void awaitRelease() {
        try {
            fdsClosed.await(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
