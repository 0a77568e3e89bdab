package io.rqst.transport;

import io.netty.buffer.ByteBuf;
import io.rqst.control.ControlMessage;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;

/**
 * One QUIC connection as the session layer sees it: DATAGRAMs that carry Ethernet frames, the
 * control stream, and the close.
 *
 * <p>Thread rules: every {@link ConnectionListener} callback runs on {@link #executor()}, and every
 * method here except {@link #executor()} must be called on it too (hand work over with
 * {@code executor().execute(...)}). The executor is one thread; several connections may share it.
 */
public interface Connection {

    /** The single thread this connection lives on. */
    ScheduledExecutorService executor();

    /** Whether the calling thread is {@link #executor()}'s thread. */
    boolean inExecutor();

    /** The peer's UDP address (the latest, after NAT rebinding). */
    InetSocketAddress remoteAddress();

    /** The certificate the peer authenticated with, if it sent one. */
    Optional<X509Certificate> peerCertificate();

    /** The largest DATAGRAM payload the peer accepts right now; 0 until the handshake told us. */
    int maxDatagramSize();

    /**
     * Queues one frame as one DATAGRAM. Takes ownership of {@code frame} (released here, now or
     * after sending). Frames above {@link #maxDatagramSize()} are not sent: the method returns
     * {@code false} and the caller counts them. Nothing goes on the wire before {@link #flush()}.
     */
    boolean sendDatagram(ByteBuf frame);

    /** Sends what {@link #sendDatagram} queued. */
    void flush();

    /** Opens the control stream (client side); messages sent before it is open are queued. */
    void openControlStream();

    /** True once a control stream exists (opened by us, or by the peer on the server). */
    boolean hasControlStream();

    /** Sends a control message; silently nothing if this connection has no control stream. */
    void sendControl(ControlMessage message);

    /** Closes the connection with an application error code and a reason the peer can show. */
    void close(int appErrorCode, String reason);

    /** True until the connection is closed or lost. */
    boolean isOpen();

    /**
     * Transport statistics (loss, RTT, congestion window), collected on the connection's thread. Once the
     * connection has closed: its final counters, RTT unknown (zero).
     */
    CompletionStage<ConnectionStats> stats();

    /**
     * {@link #stats()} if they are at hand without waiting, as they are when called on {@link #executor()}'s
     * thread (also from {@link ConnectionListener#onClosed}); empty otherwise or if they failed.
     */
    default Optional<ConnectionStats> statsNow() {
        CompletableFuture<ConnectionStats> f = stats().toCompletableFuture();
        return f.isDone() && !f.isCompletedExceptionally() ? Optional.ofNullable(f.join()) : Optional.empty();
    }
}
