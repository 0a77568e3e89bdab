package io.rqst.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rqst.pki.PkiException;
import io.rqst.pki.Revocation;
import io.rqst.pki.RevocationReason;
import io.rqst.pki.Serials;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The CA's register ({@code index.json}): every certificate it issued, whether it is revoked, and the number
 * of the last CRL. Immutable: the methods that change it return a new register, which {@link CaStore} writes.
 *
 * <pre>{@code
 * { "format": "rqst-ca-index", "version": 1, "crlDays": 30, "crlNumber": 2,
 *   "certificates": [
 *     { "serial": "3F1A...", "name": "rqst.example.com", "type": "server", "subject": "CN=rqst.example.com",
 *       "notBefore": "2026-01-01T00:00:00Z", "notAfter": "2028-01-01T00:00:00Z", "status": "valid" },
 *     { "serial": "51C0...", "name": "alice", "type": "client", "subject": "CN=alice",
 *       "notBefore": "...", "notAfter": "...", "status": "revoked",
 *       "revoked": "2026-03-01T12:00:00Z", "reason": "keyCompromise" } ] }
 * }</pre>
 *
 * <p>Serial numbers are hex as {@link Serials#hex} writes them; times are UTC, ISO 8601; {@code reason} is an
 * RFC 5280 reason as OpenSSL names it. "Expired" is not stored: it follows from {@code notAfter}.
 *
 * @param crlDays      days from one CRL to its nextUpdate
 * @param crlNumber    number of the last CRL made (0 before the first)
 * @param certificates every certificate issued, oldest first
 */
public record CaIndex(int crlDays, BigInteger crlNumber, List<Entry> certificates) {
    static final String FORMAT = "rqst-ca-index";
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One issued certificate.
     *
     * @param serial    its serial number
     * @param name      its common name
     * @param kind      server or client
     * @param subject   its subject, e.g. {@code CN=alice}
     * @param notBefore start of validity
     * @param notAfter  end of validity
     * @param revoked   when it was revoked, if it was
     * @param reason    why it was revoked, if it was
     */
    public record Entry(BigInteger serial, String name, CertificateKind kind, String subject, Instant notBefore,
                        Instant notAfter, Optional<Instant> revoked, Optional<RevocationReason> reason) {
        /** {@return whether it is revoked} */
        public boolean isRevoked() {
            return revoked.isPresent();
        }

        /** {@return whether it is neither revoked nor past its end at {@code now}} */
        public boolean isActive(Instant now) {
            return !isRevoked() && !now.isAfter(notAfter);
        }

        /** {@return {@code valid}, {@code expired}, {@code not yet valid} or {@code revoked}, at {@code now}} */
        public String status(Instant now) {
            if (isRevoked()) {
                return "revoked";
            }
            return now.isAfter(notAfter) ? "expired" : now.isBefore(notBefore) ? "not yet valid" : "valid";
        }

        /** {@return e.g. {@code client "alice" (serial 0x3F1A)}} */
        public String describe() {
            return kind + " \"" + name + "\" (serial " + Serials.describe(serial) + ")";
        }

        Entry revokedAt(Instant when, RevocationReason why) {
            return new Entry(serial, name, kind, subject, notBefore, notAfter, Optional.of(when), Optional.of(why));
        }
    }

    public CaIndex {
        certificates = List.copyOf(certificates);
    }

    /** {@return an empty register} */
    public static CaIndex empty(int crlDays) {
        return new CaIndex(crlDays, BigInteger.ZERO, List.of());
    }

    /** {@return the certificate with this serial, if this CA issued it} */
    public Optional<Entry> bySerial(BigInteger serial) {
        return certificates.stream().filter(e -> e.serial().equals(serial)).findFirst();
    }

    /** {@return the certificates named {@code name}, oldest first} */
    public List<Entry> byName(String name) {
        return certificates.stream().filter(e -> e.name().equals(name)).toList();
    }

    /** {@return the certificates named {@code name} that are neither revoked nor expired, oldest first} */
    public List<Entry> active(String name, Instant now) {
        return byName(name).stream().filter(e -> e.isActive(now)).toList();
    }

    /**
     * The certificates a person means by {@code nameOrSerial}: all unrevoked ones of that name, or else the one
     * with that serial (hex, as {@code rqst ca list} shows it).
     *
     * @throws PkiException if there is none, naming what was looked for
     */
    public List<Entry> select(String nameOrSerial) throws PkiException {
        List<Entry> named = byName(nameOrSerial).stream().filter(e -> !e.isRevoked()).toList();
        if (!named.isEmpty()) {
            return named;
        }
        if (!byName(nameOrSerial).isEmpty()) {
            throw new PkiException("every certificate named \"" + nameOrSerial + "\" is revoked already");
        }
        BigInteger serial = Serials.parse(nameOrSerial);
        Optional<Entry> bySerial = serial == null ? Optional.empty() : bySerial(serial);
        if (bySerial.isPresent()) {
            return List.of(bySerial.get());
        }
        throw new PkiException("no certificate named or numbered \"" + nameOrSerial + "\" in this CA (see: rqst ca list)");
    }

    /** {@return this register with {@code entry} added} */
    public CaIndex with(Entry entry) {
        List<Entry> list = new ArrayList<>(certificates);
        list.add(entry);
        return new CaIndex(crlDays, crlNumber, list);
    }

    /** {@return this register with the certificates of {@code serials} revoked at {@code when} for {@code why}} */
    public CaIndex revoke(Set<BigInteger> serials, Instant when, RevocationReason why) {
        List<Entry> list = certificates.stream()
                .map(e -> serials.contains(e.serial()) && !e.isRevoked() ? e.revokedAt(when, why) : e).toList();
        return new CaIndex(crlDays, crlNumber, list);
    }

    /** {@return this register with the next CRL number taken} */
    public CaIndex nextCrl() {
        return new CaIndex(crlDays, crlNumber.add(BigInteger.ONE), certificates);
    }

    /** {@return what a CRL must list: every revoked certificate} */
    public Collection<Revocation> revocations() {
        return certificates.stream().filter(Entry::isRevoked)
                .map(e -> new Revocation(e.serial(), e.revoked().orElseThrow(), e.reason().orElse(RevocationReason.UNSPECIFIED)))
                .toList();
    }

    /** {@return the register as the JSON document above} */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("crlDays", crlDays);
        root.put("crlNumber", crlNumber);
        ArrayNode list = root.putArray("certificates");
        for (Entry e : certificates) {
            ObjectNode o = list.addObject();
            o.put("serial", Serials.hex(e.serial()));
            o.put("name", e.name());
            o.put("type", e.kind().label());
            o.put("subject", e.subject());
            o.put("notBefore", e.notBefore().toString());
            o.put("notAfter", e.notAfter().toString());
            o.put("status", e.isRevoked() ? "revoked" : "valid");
            e.revoked().ifPresent(r -> o.put("revoked", r.toString()));
            e.reason().ifPresent(r -> o.put("reason", r.label()));
        }
        try {
            return (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a register.
     *
     * @param file  where it was read from, for messages
     * @param bytes its content
     * @throws PkiException naming the file and what is wrong
     */
    public static CaIndex parse(Path file, byte[] bytes) throws PkiException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new PkiException(file + ": is corrupt (not JSON: " + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new PkiException(file + ": is corrupt (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText())) {
            throw new PkiException(file + ": is not an rqst CA register (no \"format\": \"" + FORMAT + "\")");
        }
        if (root.path("version").asInt() != VERSION) {
            throw new PkiException(file + ": is version " + root.path("version").asText() + "; this rqst reads version " + VERSION);
        }
        try {
            int crlDays = positive(root, "crlDays").intValue();
            BigInteger crlNumber = number(root, "crlNumber");
            List<Entry> entries = new ArrayList<>();
            JsonNode list = root.path("certificates");
            if (!list.isArray()) {
                throw new IllegalArgumentException("\"certificates\" is not a list");
            }
            for (JsonNode o : list) {
                String status = text(o, "status");
                boolean revoked = switch (status) {
                    case "valid" -> false;
                    case "revoked" -> true;
                    default -> throw new IllegalArgumentException("status \"" + status + "\" is neither valid nor revoked");
                };
                BigInteger serial = Serials.parse(text(o, "serial"));
                if (serial == null) {
                    throw new IllegalArgumentException("serial \"" + text(o, "serial") + "\" is not hex");
                }
                entries.add(new Entry(serial, text(o, "name"), CertificateKind.parse(text(o, "type")), text(o, "subject"),
                        Instant.parse(text(o, "notBefore")), Instant.parse(text(o, "notAfter")),
                        revoked ? Optional.of(Instant.parse(text(o, "revoked"))) : Optional.empty(),
                        revoked ? Optional.of(RevocationReason.parse(text(o, "reason"))) : Optional.empty()));
            }
            return new CaIndex(crlDays, crlNumber, entries);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new PkiException(file + ": is corrupt (" + e.getMessage() + ")", e);
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("an entry has no text field \"" + field + "\"");
        }
        return v.asText();
    }

    private static BigInteger number(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isIntegralNumber() || v.bigIntegerValue().signum() < 0) {
            throw new IllegalArgumentException("\"" + field + "\" is not a number of 0 or more");
        }
        return v.bigIntegerValue();
    }

    private static BigInteger positive(JsonNode o, String field) {
        BigInteger n = number(o, field);
        if (n.signum() <= 0 || n.bitLength() > 16) {
            throw new IllegalArgumentException("\"" + field + "\" is not a number from 1 to 65535");
        }
        return n;
    }
}
