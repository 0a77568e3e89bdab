package io.rqst.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rqst.transport.CloseInfo.Kind;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link CloseInfo}: how a connection ended, in one log line. */
class CloseInfoTest {

    // Promise: each way a connection can end is described in one line that says who ended it and why.
    @Test
    void describesEveryKind() {
        assertEquals("closed here: no_error \"client stopped\"",
                new CloseInfo(Kind.LOCAL, AppErrors.NO_ERROR, true, "client stopped", -1).describe());
        assertEquals("closed here: protocol_error", new CloseInfo(Kind.LOCAL, AppErrors.PROTOCOL_ERROR, true, "", -1).describe());
        assertEquals("peer closed: shutdown \"server stopping\"",
                new CloseInfo(Kind.PEER, AppErrors.SHUTDOWN, true, "server stopping", -1).describe());
        assertEquals("peer closed: rejected \"unsupported control version 9\"",
                new CloseInfo(Kind.PEER, AppErrors.REJECTED, true, "unsupported control version 9", -1).describe());
        assertEquals("peer closed: replaced", new CloseInfo(Kind.PEER, AppErrors.REPLACED, true, "", -1).describe());
        assertEquals("peer closed: app_error_66", new CloseInfo(Kind.PEER, 66, true, null, -1).describe());
        assertEquals("peer closed: transport error 0xa \"frame encoding\"",
                new CloseInfo(Kind.PEER, 0xa, false, "frame encoding", -1).describe());
        assertEquals("peer refused the TLS handshake: certificate_required",
                new CloseInfo(Kind.PEER, 0x174, false, "", 116).describe());
        assertEquals("peer refused the TLS handshake: unknown_ca \"bad issuer\"",
                new CloseInfo(Kind.PEER, 0x130, false, "bad issuer", 48).describe());
        assertEquals("idle timeout: nothing heard from the peer", new CloseInfo(Kind.IDLE_TIMEOUT, 0, false, "", -1).describe());
        assertEquals("TLS handshake failed", new CloseInfo(Kind.HANDSHAKE, 0, false, "", -1).describe());
        assertEquals("TLS handshake failed: certificate verification failed",
                new CloseInfo(Kind.HANDSHAKE, 0, false, "certificate verification failed", -1).describe());
        assertEquals("error: connection closed", new CloseInfo(Kind.ERROR, 0, false, "connection closed", -1).describe());
    }

    // Promise: the reason is never null and the alert is present only for a refused handshake.
    @Test
    void reasonAndAlert() {
        CloseInfo c = new CloseInfo(Kind.ERROR, 0, false, null, -1);
        assertEquals("", c.reason());
        assertEquals(Optional.empty(), c.alert());
        assertEquals(Optional.of(116), new CloseInfo(Kind.PEER, 0x174, false, "", 116).alert());
        assertEquals(Optional.of(0), new CloseInfo(Kind.PEER, 0x100, false, "", 0).alert());
    }

    // Promise: the application codes have the names logs use.
    @Test
    void appErrorNames() {
        assertEquals("no_error", AppErrors.name(AppErrors.NO_ERROR));
        assertEquals("client_cert_required", AppErrors.name(AppErrors.RQST_CLIENT_CERT_REQUIRED));
        assertEquals("rejected", AppErrors.name(AppErrors.REJECTED));
        assertEquals("shutdown", AppErrors.name(AppErrors.SHUTDOWN));
        assertEquals("replaced", AppErrors.name(AppErrors.REPLACED));
        assertEquals("protocol_error", AppErrors.name(AppErrors.PROTOCOL_ERROR));
        assertEquals("app_error_4294967297", AppErrors.name(0x1_0000_0001L));
    }
}
