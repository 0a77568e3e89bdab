package io.rqst.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The few libc calls and kernel constants rqst needs (the TAP device, and the UDP socket's receive
 * buffer and queue), bound once through the FFM API.
 *
 * <p>Conventions, chosen for the data path:
 * <ul>
 *   <li>Pointer parameters are declared {@code JAVA_LONG} (same register and ABI as a pointer on
 *       x86_64 and aarch64), so a hot call passes a raw address and creates no {@link MemorySegment}.
 *       The caller keeps the memory alive for the duration of the call.</li>
 *   <li>Calls whose errno matters capture it ({@code captureCallState("errno")}) into a segment the
 *       caller preallocates with {@link #newErrnoSegment}; read it back with {@link #errno}.</li>
 *   <li>The per-frame calls ({@code readv}, {@code write}, {@code poll}) also come without capture: the
 *       JDK makes a slice of the capture segment on every capturing call, which only the JIT's escape
 *       analysis removes, and not reliably (measured: 40 bytes a call). The data path uses the plain
 *       variants and repeats a failed call with capture on the rare path where the errno matters.</li>
 *   <li>No call that may block is declared {@code critical} (it would hold off GC safepoints).</li>
 *   <li>Constants are named as in the kernel/libc headers (x86_64 values) and say where they come from.</li>
 * </ul>
 * Wrappers are static and tiny so that the JIT inlines them with the constant method handles.
 */
@SuppressWarnings("restricted") // the launcher and surefire pass --enable-native-access
public final class Libc {

    private Libc() {}

    // ---- <asm-generic/fcntl.h> (open flags) ----
    /** {@code O_RDWR}, asm-generic/fcntl.h. */
    public static final int O_RDWR = 0x2;
    /** {@code O_NONBLOCK} (octal 04000), asm-generic/fcntl.h. */
    public static final int O_NONBLOCK = 0x800;
    /** {@code O_CLOEXEC} (octal 02000000), asm-generic/fcntl.h. */
    public static final int O_CLOEXEC = 0x80000;

    // ---- <sys/eventfd.h> ----
    /** {@code EFD_CLOEXEC} (= O_CLOEXEC), sys/eventfd.h. */
    public static final int EFD_CLOEXEC = O_CLOEXEC;
    /** {@code EFD_NONBLOCK} (= O_NONBLOCK), sys/eventfd.h. */
    public static final int EFD_NONBLOCK = O_NONBLOCK;

    // ---- <bits/socket.h>, <linux/socket.h> ----
    /** {@code AF_INET}, linux/socket.h. */
    public static final int AF_INET = 2;
    /** {@code AF_INET6}, linux/socket.h. */
    public static final int AF_INET6 = 10;
    /** {@code sizeof(struct sockaddr_in)}: family (2), port (2, network order), address (4), zero (8), netinet/in.h. */
    public static final int SOCKADDR_IN_SIZE = 16;
    /** {@code sizeof(struct sockaddr_in6)}: family, port, flowinfo (4), address (16), scope id (4), netinet/in.h. */
    public static final int SOCKADDR_IN6_SIZE = 28;
    /** {@code SOCK_DGRAM}, bits/socket_type.h. */
    public static final int SOCK_DGRAM = 2;
    /** {@code SOCK_CLOEXEC} (= O_CLOEXEC), bits/socket_type.h. */
    public static final int SOCK_CLOEXEC = O_CLOEXEC;

    // ---- <asm-generic/poll.h> ----
    /** {@code POLLIN}, asm-generic/poll.h. */
    public static final short POLLIN = 0x0001;
    /** {@code POLLERR}, asm-generic/poll.h. */
    public static final short POLLERR = 0x0008;
    /** {@code POLLHUP}, asm-generic/poll.h. */
    public static final short POLLHUP = 0x0010;
    /** {@code POLLNVAL}, asm-generic/poll.h. */
    public static final short POLLNVAL = 0x0020;
    /** {@code sizeof(struct pollfd)}: {@code int fd; short events; short revents;}, asm-generic/poll.h. */
    public static final int POLLFD_SIZE = 8;
    /** Offset of {@code events} in {@code struct pollfd}. */
    public static final int POLLFD_EVENTS = 4;
    /** Offset of {@code revents} in {@code struct pollfd}. */
    public static final int POLLFD_REVENTS = 6;

    // ---- <bits/types/struct_iovec.h> ----
    /** {@code sizeof(struct iovec)}: {@code void *iov_base; size_t iov_len;}. */
    public static final int IOVEC_SIZE = 16;
    /** Offset of {@code iov_len} in {@code struct iovec}. */
    public static final int IOVEC_LEN = 8;

    // ---- <linux/if_tun.h> ----
    /** {@code TUNSETIFF = _IOW('T', 202, int)}, linux/if_tun.h. */
    public static final long TUNSETIFF = 0x400454caL;
    /** {@code TUNGETFEATURES = _IOR('T', 207, unsigned int)}, linux/if_tun.h. */
    public static final long TUNGETFEATURES = 0x800454cfL;
    /** {@code IFF_TUN}, linux/if_tun.h: an L3 device (not used by rqst). */
    public static final short IFF_TUN = 0x0001;
    /** {@code IFF_TAP}, linux/if_tun.h: an Ethernet device. */
    public static final short IFF_TAP = 0x0002;
    /** {@code IFF_NO_PI}, linux/if_tun.h: no packet-information header before each frame. */
    public static final short IFF_NO_PI = 0x1000;
    /** {@code IFF_VNET_HDR}, linux/if_tun.h: a virtio_net_hdr before each frame (offloads). */
    public static final short IFF_VNET_HDR = 0x4000;
    /** {@code IFF_MULTI_QUEUE}, linux/if_tun.h: one fd per queue. */
    public static final short IFF_MULTI_QUEUE = 0x0100;
    /** {@code IFF_TUN_EXCL}, linux/if_tun.h: {@code TUNSETIFF} fails with EBUSY if the device exists already. */
    public static final short IFF_TUN_EXCL = (short) 0x8000;
    /** {@code TUNSETOFFLOAD = _IOW('T', 208, unsigned int)}, linux/if_tun.h: the offloads the reader handles (argument by value). */
    public static final long TUNSETOFFLOAD = 0x400454d0L;
    /** {@code TUNSETVNETHDRSZ = _IOW('T', 216, int)}, linux/if_tun.h: the virtio_net_hdr size (argument by pointer). */
    public static final long TUNSETVNETHDRSZ = 0x400454d8L;
    /** {@code TUN_F_CSUM}, linux/if_tun.h: the reader can finish partial checksums. */
    public static final int TUN_F_CSUM = 0x01;
    /** {@code TUN_F_TSO4}, linux/if_tun.h: the reader can segment TCP over IPv4. */
    public static final int TUN_F_TSO4 = 0x02;
    /** {@code TUN_F_TSO6}, linux/if_tun.h: the reader can segment TCP over IPv6. */
    public static final int TUN_F_TSO6 = 0x04;
    /** {@code TUN_F_TSO_ECN}, linux/if_tun.h: ... with the ECN/CWR bit. */
    public static final int TUN_F_TSO_ECN = 0x08;

    // ---- <linux/sockios.h> ----
    /** {@code SIOCGIFFLAGS}, linux/sockios.h: get interface flags. */
    public static final long SIOCGIFFLAGS = 0x8913;
    /** {@code SIOCSIFFLAGS}, linux/sockios.h: set interface flags. */
    public static final long SIOCSIFFLAGS = 0x8914;
    /** {@code SIOCSIFMTU}, linux/sockios.h: set the MTU. */
    public static final long SIOCSIFMTU = 0x8922;
    /** {@code SIOCSIFHWADDR}, linux/sockios.h: set the hardware address. */
    public static final long SIOCSIFHWADDR = 0x8924;
    /** {@code SIOCGIFHWADDR}, linux/sockios.h: get the hardware address. */
    public static final long SIOCGIFHWADDR = 0x8927;

    /** {@code SIOCINQ} (= {@code FIONREAD}), linux/sockios.h: for UDP, the size of the next queued packet. */
    public static final long SIOCINQ = 0x541B;
    /** {@code SIOCGSTAMPNS} (the 64-bit time_t form on x86_64), asm-generic/sockios.h: arrival time of the last packet read. */
    public static final long SIOCGSTAMPNS = 0x8907;

    // ---- <asm-generic/socket.h> ----
    /** {@code SOL_SOCKET}, asm-generic/socket.h. */
    public static final int SOL_SOCKET = 1;
    /** {@code SO_RCVBUFFORCE}, asm-generic/socket.h: like SO_RCVBUF, past rmem_max, with CAP_NET_ADMIN. */
    public static final int SO_RCVBUFFORCE = 33;
    /**
     * {@code SO_ATTACH_REUSEPORT_CBPF}, asm-generic/socket.h: a classic BPF program that picks the socket of an
     * {@code SO_REUSEPORT} group for each packet (its return value is the index in the group; one past it leaves
     * the packet to the hash). The value is a {@code struct sock_fprog}.
     */
    public static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    /** {@code sizeof(struct sock_fprog)}: {@code unsigned short len;} (padded to 8), {@code struct sock_filter *filter;}, linux/filter.h. */
    public static final int SOCK_FPROG_SIZE = 16;
    /** Offset of {@code filter} in {@code struct sock_fprog}. */
    public static final int SOCK_FPROG_FILTER = 8;
    /** {@code sizeof(struct sock_filter)}: {@code __u16 code; __u8 jt; __u8 jf; __u32 k;}, linux/filter.h. */
    public static final int SOCK_FILTER_SIZE = 8;

    // ---- <linux/in.h>, <linux/in6.h> ----
    /** {@code IPPROTO_IP} (the socket level of IPv4 options), linux/in.h. */
    public static final int IPPROTO_IP = 0;
    /** {@code IP_MTU}, linux/in.h: on a connected socket, the MTU the kernel knows for its route (path MTU included). */
    public static final int IP_MTU = 14;
    /** {@code IPPROTO_IPV6}, linux/in6.h. */
    public static final int IPPROTO_IPV6 = 41;
    /** {@code IPV6_MTU}, linux/in6.h: {@link #IP_MTU} for IPv6. */
    public static final int IPV6_MTU = 24;

    // ---- <linux/time.h> ----
    /** {@code CLOCK_REALTIME}, linux/time.h: the clock socket timestamps use. */
    public static final int CLOCK_REALTIME = 0;
    /** {@code sizeof(struct timespec)} on x86_64: {@code time_t tv_sec; long tv_nsec;}. */
    public static final int TIMESPEC_SIZE = 16;

    // ---- <linux/if.h> ----
    /** {@code IFF_UP}, linux/if.h: the interface is administratively up. */
    public static final short IFF_UP = 0x1;
    /** {@code IFNAMSIZ}, linux/if.h: interface name buffer including the terminating NUL. */
    public static final int IFNAMSIZ = 16;

    // ---- <linux/if_arp.h> ----
    /** {@code ARPHRD_ETHER}, linux/if_arp.h: {@code sa_family} of an Ethernet hardware address. */
    public static final short ARPHRD_ETHER = 1;

    // ---- <asm-generic/errno-base.h>, <asm-generic/errno.h> ----
    /** {@code EPERM}, asm-generic/errno-base.h. */
    public static final int EPERM = 1;
    /** {@code ENOENT}, asm-generic/errno-base.h. */
    public static final int ENOENT = 2;
    /** {@code EINTR}, asm-generic/errno-base.h. */
    public static final int EINTR = 4;
    /** {@code ENXIO}, asm-generic/errno-base.h. */
    public static final int ENXIO = 6;
    /** {@code EBADF}, asm-generic/errno-base.h. */
    public static final int EBADF = 9;
    /** {@code EAGAIN} (= EWOULDBLOCK), asm-generic/errno-base.h. */
    public static final int EAGAIN = 11;
    /** {@code EACCES}, asm-generic/errno-base.h. */
    public static final int EACCES = 13;
    /** {@code EBUSY}, asm-generic/errno-base.h. */
    public static final int EBUSY = 16;
    /** {@code ENODEV}, asm-generic/errno-base.h. */
    public static final int ENODEV = 19;
    /** {@code EINVAL}, asm-generic/errno-base.h. */
    public static final int EINVAL = 22;
    /** {@code EBADFD}, asm-generic/errno.h: the tun fd's device is gone. */
    public static final int EBADFD = 77;
    /** {@code ENOBUFS}, asm-generic/errno.h. */
    public static final int ENOBUFS = 105;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CAPTURE_LAYOUT.byteOffset(groupElement("errno"));

    // int open(const char *path, int flags, ...)          -> (cap, long path, int flags, int mode) int
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT),
            ERRNO, Linker.Option.firstVariadicArg(2));
    // int ioctl(int fd, unsigned long request, ...)        -> (cap, int fd, long req, long arg) int
    // The variadic argument is a pointer or a by-value integer; both travel as a 64-bit integer.
    private static final MethodHandle IOCTL = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            ERRNO, Linker.Option.firstVariadicArg(2));
    // int socket(int domain, int type, int protocol)
    private static final MethodHandle SOCKET = downcall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    // int eventfd(unsigned int initval, int flags)
    private static final MethodHandle EVENTFD = downcall("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    // int close(int fd)
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // ssize_t read(int fd, void *buf, size_t n)            -> (int fd, long buf, long n) long
    private static final FunctionDescriptor READ_DESC = FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle READ_ERRNO = downcall("read", READ_DESC, ERRNO);
    private static final MethodHandle READ = downcall("read", READ_DESC);
    // ssize_t readv(int fd, const struct iovec *iov, int iovcnt) -> (int fd, long iov, int cnt) long
    private static final FunctionDescriptor READV_DESC = FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle READV = downcall("readv", READV_DESC);
    private static final MethodHandle READV_ERRNO = downcall("readv", READV_DESC, ERRNO);
    // ssize_t write(int fd, const void *buf, size_t n)     -> (int fd, long buf, long n) long
    private static final MethodHandle WRITE = downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    // ssize_t writev(int fd, const struct iovec *iov, int iovcnt) -> (int fd, long iov, int cnt) long
    private static final MethodHandle WRITEV = downcall("writev", READV_DESC);
    // int poll(struct pollfd *fds, nfds_t nfds, int timeout) -> (long fds, long nfds, int ms) int
    private static final FunctionDescriptor POLL_DESC = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle POLL = downcall("poll", POLL_DESC);
    private static final MethodHandle POLL_ERRNO = downcall("poll", POLL_DESC, ERRNO);
    // int setsockopt(int fd, int level, int name, const void *value, socklen_t len) -> (cap, int, int, int, long value, int) int
    private static final MethodHandle SETSOCKOPT = downcall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO);
    // int getsockopt(int fd, int level, int name, void *value, socklen_t *len) -> (cap, int, int, int, long value, long len) int
    private static final MethodHandle GETSOCKOPT = downcall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    // int connect(int fd, const struct sockaddr *addr, socklen_t len) -> (cap, int fd, long addr, int len) int
    private static final MethodHandle CONNECT = downcall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO);
    // int clock_gettime(clockid_t clock, struct timespec *ts) -> (int clock, long ts) int
    private static final MethodHandle CLOCK_GETTIME = downcall("clock_gettime",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    // char *strerror(int errnum)
    private static final MethodHandle STRERROR = downcall("strerror",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** A segment to capture errno into; one per thread that makes capturing calls concurrently. */
    public static MemorySegment newErrnoSegment(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno captured by the last call made with {@code cap}. */
    public static int errno(MemorySegment cap) {
        return cap.get(JAVA_INT, ERRNO_OFFSET);
    }

    public static int open(MemorySegment cap, MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(cap, path.address(), flags, 0);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code ioctl} whose argument is a pointer to {@code arg} (e.g. a {@code struct ifreq}). */
    public static int ioctl(MemorySegment cap, int fd, long request, MemorySegment arg) {
        return ioctl(cap, fd, request, arg.address());
    }

    /** {@code ioctl} whose argument is a pointer given as an address, or an integer passed by value. */
    public static int ioctl(MemorySegment cap, int fd, long request, long arg) {
        try {
            return (int) IOCTL.invokeExact(cap, fd, request, arg);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int socket(MemorySegment cap, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(cap, domain, type, protocol);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int eventfd(MemorySegment cap, int initval, int flags) {
        try {
            return (int) EVENTFD.invokeExact(cap, initval, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code close(fd)}; errors are ignored (Linux releases the fd even when close reports one). */
    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code readv(2)} without errno: the per-frame variant. */
    public static long readv(int fd, long iov, int iovcnt) {
        try {
            return (long) READV.invokeExact(fd, iov, iovcnt);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code readv(2)} capturing errno into {@code cap}. */
    public static long readv(MemorySegment cap, int fd, long iov, int iovcnt) {
        try {
            return (long) READV_ERRNO.invokeExact(cap, fd, iov, iovcnt);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code read(2)} capturing errno into {@code cap}. */
    public static long read(MemorySegment cap, int fd, long address, long length) {
        try {
            return (long) READ_ERRNO.invokeExact(cap, fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code write(2)} without errno: callers that only need success or failure. */
    public static long write(int fd, long address, long length) {
        try {
            return (long) WRITE.invokeExact(fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code writev(2)} without errno: the per-frame variant of the offload writer. */
    public static long writev(int fd, long iov, int iovcnt) {
        try {
            return (long) WRITEV.invokeExact(fd, iov, iovcnt);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code read(2)} without errno: the per-frame variant of the offload reader. */
    public static long read(int fd, long address, long length) {
        try {
            return (long) READ.invokeExact(fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code poll(2)} without errno: the per-batch variant. */
    public static int poll(long pollfds, long nfds, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(pollfds, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code poll(2)} capturing errno into {@code cap}. */
    public static int poll(MemorySegment cap, long pollfds, long nfds, int timeoutMillis) {
        try {
            return (int) POLL_ERRNO.invokeExact(cap, pollfds, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code setsockopt(2)} with an {@code int} value at {@code value} (an address), capturing errno into {@code cap}. */
    public static int setsockopt(MemorySegment cap, int fd, int level, int name, long value) {
        return setsockopt(cap, fd, level, name, value, Integer.BYTES);
    }

    /** {@code setsockopt(2)} with a value of {@code length} bytes at {@code value} (an address), capturing errno into {@code cap}. */
    public static int setsockopt(MemorySegment cap, int fd, int level, int name, long value, int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(cap, fd, level, name, value, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /**
     * {@code getsockopt(2)}: the option's value is written at {@code value} (an address), whose room in bytes is
     * the {@code socklen_t} at {@code length} (an address), which is then set to the bytes written.
     */
    public static int getsockopt(MemorySegment cap, int fd, int level, int name, long value, long length) {
        try {
            return (int) GETSOCKOPT.invokeExact(cap, fd, level, name, value, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code connect(2)} to the {@code struct sockaddr} of {@code length} bytes at {@code address}. */
    public static int connect(MemorySegment cap, int fd, long address, int length) {
        try {
            return (int) CONNECT.invokeExact(cap, fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code clock_gettime(2)} into the {@code struct timespec} at {@code timespec} (an address). */
    public static int clockGettime(int clock, long timespec) {
        try {
            return (int) CLOCK_GETTIME.invokeExact(clock, timespec);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** The C library's text for {@code errno}, e.g. "No such file or directory". */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            if (text.address() == 0) {
                return "errno " + errno;
            }
            return text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** A downcall throws only on a programming error (wrong types) or an unchecked error. */
    private static RuntimeException fail(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("native call failed", t);
    }
}
