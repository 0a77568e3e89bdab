package io.rqst.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicConnectionStats;
import io.netty.handler.codec.quic.QuicDatagramExtensionEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.rqst.control.ControlCodec;
import io.rqst.control.ControlMessage;
import io.rqst.trace.Trace;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty handler behind a {@link Connection}: sits on a {@link QuicChannel}'s pipeline, turns its
 * events into {@link ConnectionListener} calls and its DATAGRAMs into frames.
 */
final class QuicConnection extends ChannelDuplexHandler implements Connection {
    static final AttributeKey<QuicConnection> KEY = AttributeKey.valueOf("rqst.connection");
    private static final Logger LOG = LoggerFactory.getLogger(QuicConnection.class);

    /** Called when the handshake completed; returns the listener, or null to refuse the peer. */
    interface Activation extends Function<Connection, ConnectionListener> {}

    /** Called when a connection ends before it was ever active (a refused or failed handshake). */
    interface Refusal {
        void refused(QuicConnection connection, CloseInfo why);
    }

    private final QuicChannel channel;
    private final Tls tls;
    private final Activation activation;
    private final Refusal refusal;
    private ConnectionListener listener;
    private QuicStreamChannel control;
    private boolean controlOpening;
    private final List<ControlMessage> pendingControl = new ArrayList<>(2);
    private int maxDatagram;
    private QuicConnectionCloseEvent peerClose;
    private Throwable handshakeFailure;
    private CloseInfo localClose;
    private SSLEngine engine;
    private boolean active;
    private boolean closedReported;
    /** The peer's address as last seen: the channel forgets it once closed, and a refusal is reported after that. */
    private InetSocketAddress lastRemote;
    private long nextRoundTripSample;
    /** The lowest of QUIC's smoothed round trips sampled so far (ns); 0 before the first. */
    private long minRoundTrip;

    QuicConnection(QuicChannel channel, Tls tls, Activation activation, Refusal refusal) {
        this.channel = channel;
        this.tls = tls;
        this.activation = activation;
        this.refusal = refusal;
        channel.attr(KEY).set(this);
    }

    QuicChannel channel() {
        return channel;
    }

    // ---- Connection

    @Override
    public ScheduledExecutorService executor() {
        return channel.eventLoop();
    }

    @Override
    public boolean inExecutor() {
        return channel.eventLoop().inEventLoop();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        if (channel.remoteSocketAddress() instanceof InetSocketAddress a) {
            lastRemote = a;
            return a;
        }
        return lastRemote;
    }

    @Override
    public Optional<X509Certificate> peerCertificate() {
        SSLEngine e = channel.sslEngine();
        if (e == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = e.getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? Optional.of(x) : Optional.empty();
        } catch (SSLPeerUnverifiedException ex) {
            return Optional.empty();
        }
    }

    @Override
    public int maxDatagramSize() {
        return maxDatagram;
    }

    @Override
    public boolean sendDatagram(ByteBuf frame) {
        if (frame.readableBytes() > maxDatagram || !active) {
            frame.release();
            return false;
        }
        channel.write(frame, channel.voidPromise());
        return true;
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public void openControlStream() {
        if (control != null || controlOpening) {
            return;
        }
        controlOpening = true;
        channel.createStream(QuicStreamType.BIDIRECTIONAL, new ControlStreamHandler(this)).addListener(f -> {
            controlOpening = false;
            if (f.isSuccess()) {
                attachControl((QuicStreamChannel) f.getNow());
            } else {
                LOG.debug("cannot open control stream: {}", f.cause().toString());
                close(AppErrors.PROTOCOL_ERROR, "cannot open the control stream");
            }
        });
    }

    @Override
    public boolean hasControlStream() {
        return control != null;
    }

    /** Adopts the first stream the peer opened as the control stream; refuses any later one. */
    boolean attachControl(QuicStreamChannel stream) {
        if (control != null && control != stream) {
            return false;
        }
        control = stream;
        for (ControlMessage m : pendingControl) {
            writeControl(m);
        }
        pendingControl.clear();
        stream.flush();
        return true;
    }

    @Override
    public void sendControl(ControlMessage message) {
        if (control == null) {
            if (controlOpening) {
                pendingControl.add(message);
            }
            return;
        }
        writeControl(message);
        control.flush();
    }

    private void writeControl(ControlMessage m) {
        control.write(Unpooled.wrappedBuffer(ControlCodec.encode(m)), control.voidPromise());
    }

    void controlMessage(ControlMessage m) {
        if (listener != null) {
            listener.onControl(m);
        }
    }

    void controlError(String problem) {
        if (listener != null) {
            listener.onControlError(problem);
        } else {
            close(AppErrors.PROTOCOL_ERROR, problem);
        }
    }

    @Override
    public void close(int appErrorCode, String reason) {
        if (localClose == null) {
            localClose = new CloseInfo(CloseInfo.Kind.LOCAL, appErrorCode, true, reason, -1);
        }
        if (channel.isOpen()) {
            channel.close(true, appErrorCode, Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8));
        }
    }

    @Override
    public boolean isOpen() {
        return active && channel.isActive();
    }

    @Override
    public CompletionStage<ConnectionStats> stats() {
        CompletableFuture<ConnectionStats> result = new CompletableFuture<>();
        channel.collectStats().addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
            }
            QuicConnectionStats s = (QuicConnectionStats) f.getNow();
            if (s == null) { // closed before quiche had a connection
                result.completeExceptionally(new IllegalStateException("no statistics: the connection never started"));
                return;
            }
            channel.collectPathStats(0).addListener(pf -> {
                Duration rtt = Duration.ZERO;
                long cwnd = 0;
                long rate = 0;
                if (pf.isSuccess()) {
                    QuicConnectionPathStats p = (QuicConnectionPathStats) pf.getNow();
                    rtt = Duration.ofNanos(p.rtt());
                    cwnd = p.cwnd();
                    rate = p.deliveryRate();
                }
                result.complete(new ConnectionStats(s.sent(), s.recv(), s.lost(), s.sentBytes(), s.recvBytes(), rtt, cwnd, rate));
            });
        });
        return result;
    }

    // ---- Netty events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        engine = channel.sslEngine();
        remoteAddress(); // remember it
        channel.closeFuture().addListener(f -> reportClosed());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (engine == null) {
            engine = channel.sslEngine();
        }
        remoteAddress(); // remember it
        ConnectionListener l;
        try {
            l = activation.apply(this);
        } catch (RuntimeException e) {
            LOG.error("session set-up failed for {}: {}", remoteAddress(), e.toString(), e);
            l = null;
        }
        if (l == null) {
            if (channel.isOpen() && localClose == null) {
                close(AppErrors.REJECTED, "refused");
            }
            ctx.fireChannelActive();
            return;
        }
        listener = l;
        active = true;
        listener.onOpen(this);
        if (maxDatagram > 0) {
            listener.onMaxDatagramSize(maxDatagram);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf frame) {
            if (Trace.ON) { // the argument is not evaluated when off
                Trace.mark(Trace.DATAGRAM_IN, frame.readableBytes());
            }
            if (listener != null) {
                listener.onDatagram(frame);
            } else {
                frame.release();
            }
        } else {
            ctx.fireChannelRead(msg); // a new stream from the peer: the pipeline's tail registers it
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Trace.mark(Trace.READ_COMPLETE, 0);
        if (listener != null) {
            listener.onReadComplete();
            sampleRoundTrip();
        }
        ctx.fireChannelReadComplete();
    }

    /** QUIC's round trip is sampled at most this often, while packets arrive. */
    static final long ROUND_TRIP_SAMPLE_NANOS = 1_000_000_000L;

    /**
     * A connection's round trip counts once it has received this many packets. quiche's smoothed round trip
     * (RFC 9002 section 5.3) starts at the handshake's first sample, which holds the peer's certificate checks
     * (20-60 ms on a LAN), and each later sample weighs 1/8: after about 30 samples, which 64 packets carry
     * both in bulk and in a ping exchange, the first one has faded to a few percent.
     */
    static final long ROUND_TRIP_AFTER_PACKETS = 64;

    /**
     * Tells the UDP socket's receive buffer ({@link ReceiveBuffer}) and the event loop's receive-queue CoDel, if
     * it has one ({@link ReceiveQueueAqm}), this connection's minimum round trip: both are sized for a LAN and
     * grow with it. The first sample comes after {@link #ROUND_TRIP_AFTER_PACKETS} packets; later ones only
     * lower it.
     */
    private void sampleRoundTrip() {
        long now = System.nanoTime();
        if (minRoundTrip != 0 && now - nextRoundTripSample < 0) {
            return;
        }
        nextRoundTripSample = now + ROUND_TRIP_SAMPLE_NANOS;
        channel.collectPathStats(0).addListener(f -> {
            if (f.isSuccess() && f.getNow() instanceof QuicConnectionPathStats p && p.rtt() > 0
                    && p.recv() >= ROUND_TRIP_AFTER_PACKETS
                    && (minRoundTrip == 0 || p.rtt() < minRoundTrip) && active) {
                minRoundTrip = p.rtt();
                ReceiveBuffer.roundTrip(channel.parent(), this, minRoundTrip);
                ReceiveQueueAqm.roundTrip(this, minRoundTrip);
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        remoteAddress();
        if (evt instanceof QuicDatagramExtensionEvent e) {
            maxDatagram = e.maxLength();
            if (listener != null) {
                listener.onMaxDatagramSize(maxDatagram);
            }
        } else if (evt instanceof QuicConnectionCloseEvent e) {
            LOG.debug("{}: peer closed: {}", remoteAddress(), e);
            peerClose = e;
            if (!active) {
                refusedBeforeActive(); // e.g. the server refused our ALPN: the connection never opens
            }
        } else if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
            LOG.debug("{}: handshake failed: {}", remoteAddress(), e.cause().toString());
            handshakeFailure = e.cause();
            if (!active) {
                refusedBeforeActive(); // the channel of a refused handshake never goes inactive
            }
        }
        io.netty.util.ReferenceCountUtil.release(evt);
    }

    private void refusedBeforeActive() {
        // Reporting now rather than when the channel closes saves the closing period.
        reportClosed();
        // quiche is already closing, with our alert (or the peer's) as the error, but it builds the
        // CONNECTION_CLOSE only when asked to send, and nothing asked: a server that refused a client's
        // first Initial (e.g. its ALPN) sent nothing until the client's retransmission a second later.
        // Closing the channel asks.
        closeAfterCurrentTask(channel, () -> { });
    }

    /**
     * Closes {@code ch} once its event loop has finished the task it is running, then runs {@code then}
     * (on the loop). For a refused handshake: from inside quiche's receive or send, where refusals are
     * reported, Netty's close sends nothing, so the CONNECTION_CLOSE with the alert would never leave;
     * from the next task it sends it and flushes. If the loop has shut down, closes and runs {@code then}
     * at once (nothing can be sent any more).
     */
    static void closeAfterCurrentTask(Channel ch, Runnable then) {
        try {
            ch.eventLoop().execute(() -> ch.close().addListener(f -> then.run()));
        } catch (RejectedExecutionException loopStopped) {
            ch.close();
            then.run();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof javax.net.ssl.SSLHandshakeException) {
            handshakeFailure = cause;
        } else {
            LOG.debug("connection {}: {}", remoteAddress(), cause.toString());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        reportClosed();
        ctx.fireChannelInactive();
    }

    /**
     * Reports the end once. Netty fires channelInactive only for a channel that was active: a connection
     * whose handshake failed ends without it, so the close future reports that one.
     */
    private void reportClosed() {
        if (closedReported) {
            return;
        }
        closedReported = true;
        CloseInfo why = closeInfo();
        active = false;
        if (minRoundTrip != 0) {
            Runnable forget = () -> {
                ReceiveBuffer.forget(channel.parent(), this);
                ReceiveQueueAqm.forget(this);
            };
            if (inExecutor()) {
                forget.run();
            } else {
                channel.eventLoop().execute(forget); // the loop's CoDel is the loop's own
            }
        }
        if (listener != null) {
            listener.onClosed(why);
        } else {
            refusal.refused(this, why);
        }
    }

    /** The reason our own verifier refused this connection's peer, if it did. */
    Optional<String> verifierFailure() {
        Optional<String> r = tls.verifier().flatMap(v -> v.failureFor(engine));
        return r.isPresent() ? r : tls.verifier().flatMap(v -> v.failureFor(channel.sslEngine()));
    }

    private CloseInfo closeInfo() {
        if (localClose != null) {
            return localClose;
        }
        Optional<String> refusedHere = verifierFailure();
        if (refusedHere.isPresent()) {
            return new CloseInfo(CloseInfo.Kind.HANDSHAKE, 0, false, refusedHere.get(), -1);
        }
        if (peerClose != null) {
            return peerCloseInfo(peerClose);
        }
        if (channel.isTimedOut()) {
            return new CloseInfo(CloseInfo.Kind.IDLE_TIMEOUT, 0, false, "", -1);
        }
        if (handshakeFailure != null) {
            return new CloseInfo(CloseInfo.Kind.HANDSHAKE, 0, false, handshakeText(handshakeFailure), -1);
        }
        return new CloseInfo(CloseInfo.Kind.ERROR, 0, false, "connection closed", -1);
    }

    /** How the peer closed the connection, from its CONNECTION_CLOSE. */
    static CloseInfo peerCloseInfo(QuicConnectionCloseEvent e) {
        byte[] reason;
        try {
            reason = e.reason();
        } catch (NullPointerException noReason) {
            // Netty 4.2's reason() clones a null array when the CONNECTION_CLOSE had no reason
            // phrase, as a TLS alert sent by BoringSSL has none.
            reason = new byte[0];
        }
        int alert = e.isTlsError() ? QuicConnectionCloseEvent.extractTlsError(e.error()) : -1;
        return new CloseInfo(CloseInfo.Kind.PEER, e.error(), e.isApplicationClose(), new String(reason, StandardCharsets.UTF_8), alert);
    }

    /** Turns BoringSSL's error text into words. */
    static String handshakeText(Throwable t) {
        if (t instanceof io.netty.handler.codec.quic.QuicClosedChannelException) {
            // closed without a close from the peer: quiche's idle timer ended the handshake (no answer in time)
            return "no answer to the handshake within the idle timeout";
        }
        if (t.getMessage() == null) {
            return "the connection closed during the handshake";
        }
        String m = t.getMessage();
        if (m.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE")) {
            return "the client sent no certificate";
        }
        if (m.contains("NO_APPLICATION_PROTOCOL") || m.contains("ALPN")) {
            return "no common application protocol (ALPN)";
        }
        if (m.contains("CERTIFICATE_VERIFY_FAILED")) {
            return "certificate verification failed";
        }
        return m;
    }
}
