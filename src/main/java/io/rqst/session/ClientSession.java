package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.rqst.control.ControlMessage;
import io.rqst.control.ControlProtocol;
import io.rqst.transport.AppErrors;
import io.rqst.transport.CloseInfo;
import io.rqst.transport.Connection;
import io.rqst.transport.ConnectionListener;
import io.rqst.transport.ConnectionStats;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection of the client: says hello, waits for the server's accept, then carries frames
 * between the TAP and the connection and keeps the connection alive. Runs on the connection's event
 * loop, except {@link #enqueue}/{@link #submit}, which the TAP reader calls.
 */
final class ClientSession implements ConnectionListener, Outbound.Owner {
    private static final Logger LOG = LoggerFactory.getLogger("rqst.client");
    private final VpnClient client;
    private final boolean compat;
    private final Optional<String> resume;
    final CompletableFuture<ControlMessage.Accept> accepted = new CompletableFuture<>();
    final CompletableFuture<CloseInfo> closed = new CompletableFuture<>();
    final SessionCounters counters = new SessionCounters();
    /** QUIC's counters when the connection closed (event loop; read after {@link #closed} completed). */
    private volatile ConnectionStats finalStats;
    private final Outbound outbound = new Outbound(this, counters);
    private final FrameLoss loss = new FrameLoss("the server", System.nanoTime());
    private volatile Connection connection;
    private volatile boolean carrying;
    private ScheduledFuture<?> keepalive;
    private long pingSeq;
    private String rejection;
    private String serverNote;
    private boolean oversizeReported;

    ClientSession(VpnClient client, boolean compat, Optional<String> resume) {
        this.client = client;
        this.compat = compat;
        this.resume = resume;
    }

    Connection connection() {
        return connection;
    }

    /** Why the server refused us, from its Reject or Close message, if it said. */
    Optional<String> serverReason() {
        return Optional.ofNullable(rejection != null ? rejection : serverNote);
    }

    @Override
    public void onOpen(Connection c) {
        connection = c;
        outbound.connect(c);
        if (compat) {
            if (c.maxDatagramSize() > 0) {
                acceptCompat(c.maxDatagramSize());
            }
            return;
        }
        c.openControlStream();
        c.sendControl(new ControlMessage.Hello(ControlProtocol.VERSION, VpnClient.SOFTWARE,
                List.of("keepalive", "resume"), resume));
    }

    @Override
    public void onMaxDatagramSize(int bytes) {
        if (compat && connection != null && !accepted.isDone()) {
            acceptCompat(bytes);
        }
    }

    /** An RQST server sends no accept: the handshake and the DATAGRAM limit are all we get. */
    private void acceptCompat(int maxDatagram) {
        accepted.complete(new ControlMessage.Accept(1, "rqst", Math.max(576, Math.min(Mtu.DEFAULT, Mtu.forDatagram(maxDatagram))),
                "-", List.of(), (int) Math.max(1, client.keepaliveSeconds())));
    }

    /** Starts carrying frames both ways, from now on (the TAP is open). */
    void startCarrying() {
        carrying = true;
        connection.executor().execute(() -> {
            int every = accepted.getNow(null).keepaliveSeconds();
            if (!compat) {
                keepalive = connection.executor().scheduleAtFixedRate(
                        () -> connection.sendControl(new ControlMessage.Ping(++pingSeq, Optional.of(report()))), every, every, TimeUnit.SECONDS);
            }
        });
    }

    @Override
    public void onControl(ControlMessage message) {
        switch (message) {
            case ControlMessage.Accept a -> accepted.complete(a);
            case ControlMessage.Reject r -> rejection = r.reason();
            case ControlMessage.Close c -> serverNote = c.reason();
            case ControlMessage.Ping p -> connection.executor().execute(() -> {
                heard(p.frames());
                connection.sendControl(new ControlMessage.Pong(p.seq(), Optional.of(report())));
            });
            case ControlMessage.Pong p -> connection.executor().execute(() -> heard(p.frames()));
            default -> { }
        }
    }

    /** This end's frame counts for a Ping or Pong. Event loop. */
    private ControlMessage.FrameReport report() {
        return loss.report(counters.framesOut, connection.statsNow().map(ConnectionStats::packetsLost).orElse(-1L));
    }

    /** The server's frame counts, read once the frames that came with them are counted (a task after the read). */
    private void heard(Optional<ControlMessage.FrameReport> frames) {
        frames.flatMap(r -> loss.heard(r, counters.framesIn, System.nanoTime())).ifPresent(w -> LOG.warn("{}", w));
    }

    @Override
    public void onControlError(String problem) {
        LOG.warn("server broke the control protocol: {}", problem);
        connection.close(AppErrors.PROTOCOL_ERROR, problem);
    }

    // ---- server → TAP (event loop)

    @Override
    public void onDatagram(ByteBuf frame) {
        counters.framesIn++;
        counters.bytesIn += frame.readableBytes();
        if (!carrying) {
            counters.early++;
            frame.release();
            return;
        }
        client.capture(frame);
        client.tapWriter().write(frame); // the writer owns it now
    }

    @Override
    public void onReadComplete() {
        if (carrying) {
            client.tapWriter().flush();
        }
    }

    // ---- TAP → server (reader thread, then event loop)

    /** Reader: one frame for the server, which owns it from here ({@link Outbound#enqueue}). */
    void enqueue(ByteBuf frame) {
        outbound.enqueue(frame);
    }

    /** Reader: at the end of a read ({@link Outbound#submit}). */
    void submit() {
        outbound.submit();
    }

    @Override
    public void capture(ByteBuf frame) {
        client.capture(frame);
    }

    @Override
    public void oversize(int len, int max) {
        if (!oversizeReported) {
            oversizeReported = true;
            LOG.warn("a {}-byte frame does not fit in the server's {}-byte DATAGRAMs; such frames are dropped and counted"
                    + " (the tunnel MTU should be {} or less)", len, max, Mtu.forDatagram(max));
        }
    }

    /** A client's own TAP: its reader waits for a batch rather than lose frames, while the session lasts. */
    @Override
    public boolean waitForBatch() {
        return !closed.isDone();
    }

    /** Ends the connection because the user stops the client. */
    void stop() {
        Connection c = connection;
        if (c != null) {
            c.executor().execute(() -> {
                c.sendControl(new ControlMessage.Close(ControlProtocol.CODE_NORMAL, "client stopped"));
                c.close(AppErrors.NO_ERROR, "client stopped");
            });
        }
    }

    @Override
    public void onClosed(CloseInfo why) {
        carrying = false;
        if (keepalive != null) {
            keepalive.cancel(false);
        }
        finalStats = connection.statsNow().orElse(null);
        closed.complete(why);
    }

    /** The counters of this session for a log line: frames, and QUIC's packets once the connection closed. */
    String summary() {
        ConnectionStats s = finalStats;
        return counters.summary() + loss.totals().map(t -> "; " + t).orElse("") + (s == null ? "" : "; " + s.describe());
    }
}
