package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.rqst.control.ControlMessage;
import io.rqst.control.ControlProtocol;
import io.rqst.control.ControlProtocolException;
import io.rqst.hub.Hub;
import io.rqst.hub.Mac;
import io.rqst.hub.Port;
import io.rqst.tap.TapDevice;
import io.rqst.transport.AppErrors;
import io.rqst.transport.CloseInfo;
import io.rqst.transport.Connection;
import io.rqst.transport.ConnectionListener;
import io.rqst.transport.ConnectionStats;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client on the server: its frames go through the hub to the uplink, the uplink's frames for it
 * come back in batches, and its control stream is answered. Runs on its connection's event loop,
 * except {@link #enqueue}, which the uplink reader calls.
 */
final class ServerSession implements ConnectionListener, Outbound.Owner {
    private static final Logger LOG = LoggerFactory.getLogger("rqst.server");
    private final VpnServer server;
    private final Connection connection;
    final String id;
    final String resumeToken;
    final String user;
    private final Port<ServerSession> port;
    final SessionCounters counters = new SessionCounters();
    private final Outbound outbound;
    private final FrameLoss loss = new FrameLoss("the client", System.nanoTime());
    private boolean helloSeen;
    private boolean oversizeReported;
    private String closeNote;

    ServerSession(VpnServer server, Connection connection, String id, String resumeToken, String user) {
        this.server = server;
        this.connection = connection;
        this.outbound = new Outbound(this, counters, server.uplinkReaders());
        outbound.connect(connection);
        this.id = id;
        this.resumeToken = resumeToken;
        this.user = user;
        this.port = server.hub().addSession(this);
    }

    Connection connection() {
        return connection;
    }

    Port<ServerSession> port() {
        return port;
    }

    // ---- uplink → client (reader thread, then event loop)

    /**
     * Reader {@code reader} (an uplink queue's): one frame for this session, which owns it from here
     * ({@link Outbound#enqueue(ByteBuf, int)}).
     *
     * @return whether the reader has to {@link #submit} this session at the end of its read
     */
    boolean enqueue(ByteBuf frame, int reader) {
        return outbound.enqueue(frame, reader);
    }

    /** Reader {@code reader}: at the end of a read ({@link Outbound#submit(int)}). */
    void submit(int reader) {
        outbound.submit(reader);
    }

    @Override
    public void capture(ByteBuf frame) {
        server.capture(frame);
    }

    @Override
    public void oversize(int len, int max) {
        if (!oversizeReported) {
            oversizeReported = true;
            LOG.warn("session {}: a {}-byte frame does not fit in this client's {}-byte DATAGRAMs; such frames are dropped and counted"
                    + " (lower the uplink MTU to {} or less)", id, len, max, max - TapDevice.ETHERNET_HEADER - TapDevice.VLAN_TAG);
        }
    }

    /** A server drops what one slow client cannot take rather than hold up the uplink for the others. */
    @Override
    public boolean waitForBatch() {
        return false;
    }

    // ---- client → uplink (event loop)

    @Override
    public void onDatagram(ByteBuf frame) {
        int len = frame.readableBytes();
        counters.framesIn++;
        counters.bytesIn += len;
        if (len < TapDevice.ETHERNET_HEADER) {
            counters.refused++;
            frame.release();
            return;
        }
        Hub<ServerSession> hub = server.hub();
        Port<ServerSession> to = hub.route(port, Mac.dst(frame), Mac.src(frame), System.nanoTime());
        if (to != hub.uplink()) {
            counters.refused++;
            frame.release();
            return;
        }
        server.capture(frame);
        server.uplinkWriter().write(frame); // the writer owns it now
    }

    @Override
    public void onReadComplete() {
        server.uplinkWriter().flush();
    }

    // ---- control stream (event loop)

    @Override
    public void onControl(ControlMessage message) {
        switch (message) {
            case ControlMessage.Hello h -> hello(h);
            case ControlMessage.Ping p -> connection.executor().execute(() -> pong(p)); // after this read's frames
            case ControlMessage.Close c -> {
                closeNote = "client said: " + c.reason();
                connection.close(AppErrors.NO_ERROR, "bye");
            }
            default -> { } // Pong, and types this version does not know
        }
    }

    /** Answers a ping with this end's frame counts, once the frames that came with it are counted. */
    private void pong(ControlMessage.Ping p) {
        if (!connection.isOpen()) {
            return;
        }
        long quicLost = connection.statsNow().map(ConnectionStats::packetsLost).orElse(-1L);
        p.frames().flatMap(r -> loss.heard(r, counters.framesIn, System.nanoTime()))
                .ifPresent(w -> LOG.warn("session {}: {}", id, w));
        connection.sendControl(new ControlMessage.Pong(p.seq(), Optional.of(loss.report(counters.framesOut, quicLost))));
    }

    private void hello(ControlMessage.Hello h) {
        if (helloSeen) {
            onControlError("a second Hello");
            return;
        }
        helloSeen = true;
        int version;
        try {
            version = ControlProtocol.negotiate(h.version());
        } catch (ControlProtocolException e) {
            reject(ControlProtocol.CODE_VERSION, e.getMessage());
            return;
        }
        h.resume().ifPresent(token -> server.replaceOld(this, token));
        int mtu = server.sessionMtu(connection.maxDatagramSize());
        connection.sendControl(new ControlMessage.Accept(version, id, mtu, resumeToken, server.gateways(),
                server.keepaliveSeconds()));
        LOG.info("session {}: {} speaks control version {}, mtu {}", id, h.software(), version, mtu);
    }

    private void reject(String code, String reason) {
        LOG.warn("session {}: rejected: {}", id, reason);
        connection.sendControl(new ControlMessage.Reject(code, reason));
        closeNote = "rejected: " + reason;
        connection.close(AppErrors.REJECTED, reason);
    }

    @Override
    public void onControlError(String problem) {
        closeNote = "control protocol error: " + problem;
        connection.close(AppErrors.PROTOCOL_ERROR, problem);
    }

    /** Closes this session because a newer connection of the same client took over. */
    void replacedBy(ServerSession newer) {
        closeNote = "replaced by session " + newer.id;
        connection.sendControl(new ControlMessage.Close(ControlProtocol.CODE_REPLACED, "replaced by a newer connection"));
        connection.close(AppErrors.REPLACED, "replaced by a newer connection");
    }

    /** Closes this session because its certificate may no longer hold one (e.g. it was revoked). */
    void revoke(String reason) {
        if (!connection.isOpen()) {
            return;
        }
        closeNote = reason;
        connection.sendControl(new ControlMessage.Close(ControlProtocol.CODE_POLICY, reason));
        connection.close(AppErrors.REJECTED, reason);
    }

    /** Closes this session because the server stops. */
    void shutdown() {
        closeNote = "server stopping";
        connection.sendControl(new ControlMessage.Close(ControlProtocol.CODE_SHUTDOWN, "server stopping"));
        connection.close(AppErrors.SHUTDOWN, "server stopping");
    }

    @Override
    public void onClosed(CloseInfo why) {
        server.hub().removeSession(port);
        server.removed(this);
        String reason = closeNote != null ? closeNote : why.describe();
        LOG.info("session {} closed: {} ({}, {}{}{})", id, reason, user, counters.summary(),
                loss.totals().map(t -> "; " + t).orElse(""), connection.statsNow().map(s -> "; " + s.describe()).orElse(""));
    }

    Optional<String> userName() {
        return Optional.ofNullable(user);
    }

    List<String> summaryFields() {
        return List.of(id, user, String.valueOf(connection.remoteAddress()));
    }
}
