package io.rqst.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rqst.transport.AppErrors;
import io.rqst.transport.CloseInfo;
import io.rqst.transport.CloseInfo.Kind;
import io.rqst.transport.TlsAlerts;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Verdicts#fatal}: refusals end the client with a reason; everything else is retried. */
class VerdictsTest {

    private static Optional<String> fatal(CloseInfo why) {
        return Verdicts.fatal(why, "vpn");
    }

    private static CloseInfo peerApp(long code, String reason) {
        return new CloseInfo(Kind.PEER, code, true, reason, -1);
    }

    private static CloseInfo peerAlert(int alert) {
        return new CloseInfo(Kind.PEER, TlsAlerts.RFC9001_CRYPTO_ERROR + alert, false, "", alert);
    }

    // Promise: every TLS alert the server sends ends the client with the sentence that explains it.
    @ParameterizedTest(name = "alert {0}")
    @CsvSource(delimiter = '|', textBlock = """
            116 | the server requires a client certificate and this client sent none
            48  | the server does not trust this client's certificate: it is not issued by the server's CA
            45  | the server refused this client's certificate: it has expired or is not yet valid
            44  | the server refused this client's certificate: it has been revoked
            43  | the server refused this client's certificate: it is not meant for client use (extended key usage)
            42  | the server refused this client's certificate
            46  | the server refused this client's certificate
            49  | the server refused this client's certificate
            51  | the server could not verify this client's key (does the key belong to the certificate?)
            120 | the server does not speak this protocol (it refused ALPN 'vpn')
            70  | the server and this client share no TLS version
            40  | the TLS handshake failed (no parameters in common)
            47  | the server ended the TLS handshake with alert 47 (illegal_parameter)
            80  | the server ended the TLS handshake with alert 80 (internal_error)
            0   | the server ended the TLS handshake with alert 0 (close_notify)
            250 | the server ended the TLS handshake with alert 250 (alert 250)
            """)
    void tlsAlertsAreFatalWithTheirSentence(int alert, String sentence) {
        assertEquals(Optional.of(sentence), fatal(peerAlert(alert)));
    }

    // Promise: the ALPN named in the message is the one this client offered.
    @Test
    void alpnMessageNamesTheOfferedProtocol() {
        assertEquals(Optional.of("the server does not speak this protocol (it refused ALPN 'rqst-test')"),
                Verdicts.fatal(peerAlert(TlsAlerts.NO_APPLICATION_PROTOCOL), "rqst-test"));
    }

    // Promise: a server's Reject, RQST's "client cert required" close and a protocol error end the client,
    // quoting the server's reason (or naming the code when the server gave none).
    @Test
    void refusalsByApplicationCodeAreFatal() {
        assertEquals(Optional.of("the server refused this client: unsupported control version 9"),
                fatal(peerApp(AppErrors.REJECTED, "unsupported control version 9")));
        assertEquals(Optional.of("the server refused this client: rejected"), fatal(peerApp(AppErrors.REJECTED, "")));
        assertEquals(Optional.of("the server refused this client: client cert required"),
                fatal(peerApp(AppErrors.RQST_CLIENT_CERT_REQUIRED, "client cert required")));
        assertEquals(Optional.of("the server refused this client: client_cert_required"),
                fatal(peerApp(AppErrors.RQST_CLIENT_CERT_REQUIRED, "")));
        assertEquals(Optional.of("the server refused this client: a second Hello"), fatal(peerApp(AppErrors.PROTOCOL_ERROR, "a second Hello")));
        assertEquals(Optional.of("the server refused this client: protocol_error"), fatal(peerApp(AppErrors.PROTOCOL_ERROR, "")));
    }

    // Promise: when our own verifier refused the server, the client stops and says why.
    @Test
    void ourRefusalOfTheServerIsFatal() {
        assertEquals(Optional.of("refusing the server: certificate for other.example, not rqst.example.com"),
                fatal(new CloseInfo(Kind.HANDSHAKE, 0, false, "certificate for other.example, not rqst.example.com", -1)));
    }

    // Promise: a server that stops or restarts, a timeout, our own close and local errors are retried.
    @Test
    void transientEndingsAreRetried() {
        assertEquals(Optional.empty(), fatal(peerApp(AppErrors.SHUTDOWN, "server stopping")));
        assertEquals(Optional.empty(), fatal(peerApp(AppErrors.NO_ERROR, "")));
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.IDLE_TIMEOUT, 0, false, "", -1)));
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.LOCAL, AppErrors.NO_ERROR, true, "client stopped", -1)));
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.LOCAL, AppErrors.PROTOCOL_ERROR, true, "bad accept", -1)));
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.ERROR, 0, false, "connection closed", -1)));
    }

    // Promise: QUIC transport error codes are not mistaken for application codes with the same number
    // (transport 0x1 INTERNAL_ERROR, 0x2 CONNECTION_REFUSED are not "client cert required"/"rejected").
    @Test
    void transportErrorsWithTheSameNumbersAreRetried() {
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.PEER, AppErrors.RQST_CLIENT_CERT_REQUIRED, false, "", -1)));
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.PEER, AppErrors.REJECTED, false, "", -1)));
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.PEER, AppErrors.PROTOCOL_ERROR, false, "", -1)));
        assertEquals(Optional.empty(), fatal(new CloseInfo(Kind.PEER, 0xa, false, "protocol violation", -1)));
    }

    // Promise: every kind of ending has a verdict (a new Kind would fail here until decided).
    @Test
    void everyKindIsDecided() {
        for (Kind k : Kind.values()) {
            Optional<String> v = fatal(new CloseInfo(k, 0, false, "x", -1));
            assertEquals(k == Kind.HANDSHAKE, v.isPresent(), k.toString());
        }
    }
}
