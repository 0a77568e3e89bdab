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

    private volatile PcapWriter writer;
    private final long baseNanos = System.nanoTime();
    private final long baseMicros = System.currentTimeMillis() * 1000;

    private Capture(PcapWriter writer) {
        this.writer = writer;
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
