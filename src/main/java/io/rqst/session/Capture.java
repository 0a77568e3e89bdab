package io.rqst.session;

import io.netty.buffer.ByteBuf;
import io.rqst.pcap.PcapWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional pcap of the tunnel's frames ({@code -p FILE}). A write error is reported once and
 * ends the capture; it never disturbs the tunnel.
 */
final class Capture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Capture.class);
    private static final Capture NONE = new Capture(null);

    /** How often buffered frames reach the file, so that a capture can be watched while it grows. */
    static final long FLUSH_EVERY_MS = 1000;

    private volatile PcapWriter writer;
    private final long baseNanos = System.nanoTime();
    private final long baseMicros = System.currentTimeMillis() * 1000;
    private final java.util.concurrent.ScheduledExecutorService flusher;

    private Capture(PcapWriter writer) {
        this.writer = writer;
        if (writer == null) {
            flusher = null;
            return;
        }
        flusher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("rqst-pcap-flush").daemon(true).unstarted(r));
        flusher.scheduleWithFixedDelay(this::flush, FLUSH_EVERY_MS, FLUSH_EVERY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void flush() {
        PcapWriter w = writer;
        if (w != null) {
            try {
                w.flush();
            } catch (IOException e) {
                writer = null;
                LOG.error("capture stopped: {}", e.getMessage());
            }
        }
    }

    /** Opens the capture file, or returns a capture that records nothing. */
    static Capture open(Optional<Path> file) throws IOException {
        if (file.isEmpty()) {
            return NONE;
        }
        Capture c = new Capture(PcapWriter.open(file.get()));
        LOG.info("capturing the tunnel's frames to {}", file.get());
        return c;
    }

    /** Records one frame (indexes untouched). Any thread. */
    void frame(ByteBuf frame) {
        PcapWriter w = writer;
        if (w == null) {
            return;
        }
        try {
            w.write(frame, baseMicros + (System.nanoTime() - baseNanos) / 1000);
        } catch (IOException e) {
            writer = null;
            LOG.error("capture stopped: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        if (flusher != null) {
            flusher.shutdownNow();
        }
        PcapWriter w = writer;
        writer = null;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                LOG.error("capture: {}", e.getMessage());
            }
        }
    }
}
