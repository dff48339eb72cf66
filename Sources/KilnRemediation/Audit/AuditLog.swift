import KilnCrypto
import KilnSQLite

/// The hash-chained audit log in `remediation_audit`.
///
/// `hash = SHA-256(previous hash (hex) ‖ canonical content)`, starting from 64 zeros. The head
/// row (`remediation_audit_head`) holds the last entry's number and hash, so a deleted tail
/// breaks the chain as well. Anyone who can write the file can rewrite the whole chain from the
/// first edit on; the chain shows edits made without doing that, and Kiln's log carries every
/// entry's hash as a second copy outside the file.
public enum AuditLog {
    /// The previous hash of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The result of ``verify(_:)``.
    public struct Verification: Sendable, Hashable {
        /// Entries checked.
        public var count: Int
        /// The first entry whose hash or link does not match (nil: the chain holds).
        public var brokenAt: Int64?
        /// For people: what does not match.
        public var reason: String?

        public var holds: Bool { brokenAt == nil }
    }

    /// Appends `entry`, numbering and hashing it. Call inside a write transaction (`BEGIN
    /// IMMEDIATE`): the last hash is read and the new one written under the same lock, so two
    /// writers (the gateway and `kiln remediation reject`) never fork the chain.
    @discardableResult
    public static func append(_ entry: AuditEntry, to db: Connection) throws(SQLiteError) -> AuditEntry {
        var e = entry
        let head = try db.prepare("SELECT seq, hash FROM remediation_audit_head WHERE id = 1")
        if try head.step() {
            e.seq = head.int64(0) + 1
            e.previousHash = head.string(1) ?? genesis
        } else {
            e.seq = 1
            e.previousHash = genesis
        }
        e.hash = hash(of: e)
        let insert = try db.prepare(
            """
            INSERT INTO remediation_audit (seq, time, run, rule, episode, host, fingerprint, argv, started, ended,
                exit_code, stdout_head, stdout_tail, stderr_head, stderr_tail, outcome, by, detail, prev_hash, hash)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
            """)
        insert.bind(1, e.seq)
        insert.bind(2, e.time)
        insert.bind(3, e.run)
        insert.bind(4, e.rule)
        insert.bind(5, e.episode)
        insert.bind(6, e.host)
        insert.bind(7, e.fingerprint)
        insert.bind(8, e.argv.map(AuditEntry.json))
        insert.bind(9, e.started)
        insert.bind(10, e.ended)
        insert.bind(11, e.exitCode.map { Int64($0) })
        insert.bind(12, e.stdout.head)
        insert.bind(13, e.stdout.tail)
        insert.bind(14, e.stderr.head)
        insert.bind(15, e.stderr.tail)
        insert.bind(16, e.outcome.rawValue)
        insert.bind(17, e.by)
        insert.bind(18, e.detail)
        insert.bind(19, e.previousHash)
        insert.bind(20, e.hash)
        try insert.run()
        let update = try db.prepare(
            "INSERT INTO remediation_audit_head (id, seq, hash) VALUES (1, ?1, ?2) "
                + "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
        update.bind(1, e.seq)
        update.bind(2, e.hash)
        try update.run()
        return e
    }

    /// `hash` of an entry whose `previousHash` is set.
    static func hash(of e: AuditEntry) -> String {
        Base64.hex(Digest.sha256(Array(e.previousHash.utf8) + e.canonicalContent))
    }

    /// Every entry, oldest first (`after`: only those with a greater number; `limit`: at most so many).
    public static func entries(_ db: Connection, after: Int64 = 0, limit: Int = .max) throws(SQLiteError)
        -> [AuditEntry]
    {
        let s = try db.prepare(
            """
            SELECT seq, time, run, rule, episode, host, fingerprint, argv, started, ended, exit_code,
                stdout_head, stdout_tail, stderr_head, stderr_tail, outcome, by, detail, prev_hash, hash
            FROM remediation_audit WHERE seq > ?1 ORDER BY seq LIMIT ?2
            """)
        s.bind(1, after)
        s.bind(2, Int64(min(limit, Int(Int64.max))))
        var out: [AuditEntry] = []
        while try s.step() {
            out.append(read(s))
        }
        return out
    }

    private static func read(_ s: Statement) -> AuditEntry {
        func optional(_ c: Int32) -> Int64? { s.isNull(c) ? nil : s.int64(c) }
        func blob(_ c: Int32) -> [UInt8] { s.withBlob(c) { Array($0) } }
        // An outcome the code does not know reads as `failed` for display; the hash is checked
        // against the stored text (see `verify`), so nothing is hidden by the mapping.
        var e = AuditEntry(
            time: s.int64(1), run: optional(2), rule: s.string(3) ?? "", episode: s.string(4), host: s.string(5),
            fingerprint: s.string(6), argv: s.string(7).flatMap(AuditEntry.argv(json:)), started: optional(8),
            ended: optional(9), exitCode: optional(10).map { Int32(truncatingIfNeeded: $0) },
            stdout: CapturedOutput(head: blob(11), tail: blob(12)),
            stderr: CapturedOutput(head: blob(13), tail: blob(14)),
            outcome: RemediationOutcome(rawValue: s.string(15) ?? "") ?? .failed, by: s.string(16),
            detail: s.string(17))
        e.seq = s.int64(0)
        e.previousHash = s.string(18) ?? ""
        e.hash = s.string(19) ?? ""
        return e
    }

    /// Walks the chain from the first entry: each entry's number follows the last, its
    /// `prev_hash` is the last entry's hash, and its hash matches its content; the head row
    /// names the last entry. Reads in pages, so a long log needs no more memory than a page.
    public static func verify(_ db: Connection) throws(SQLiteError) -> Verification {
        var previous = genesis
        var expected: Int64 = 1
        var count = 0
        let raw = try db.prepare("SELECT outcome, argv FROM remediation_audit WHERE seq = ?1")
        while true {
            let page = try entries(db, after: expected - 1, limit: 1024)
            if page.isEmpty { break }
            for e in page {
                if e.seq != expected {
                    return Verification(
                        count: count, brokenAt: expected,
                        reason: "entry \(expected) is missing (the next is \(e.seq))")
                }
                if e.previousHash != previous {
                    return Verification(
                        count: count, brokenAt: e.seq,
                        reason:
                            "entry \(e.seq) does not follow entry \(e.seq - 1): its prev_hash is not that entry's hash")
                }
                // The stored texts as they are: an outcome or argv edited into something the
                // reader cannot map must not hash as the mapped value.
                raw.reset()
                raw.bind(1, e.seq)
                _ = try raw.step()
                var stored = e
                if raw.string(0) != e.outcome.rawValue
                    || (raw.string(1).map { AuditEntry.argv(json: $0) == nil } ?? false)
                {
                    return Verification(
                        count: count, brokenAt: e.seq, reason: "entry \(e.seq) does not match its hash")
                }
                stored.hash = ""
                if hash(of: stored) != e.hash {
                    return Verification(
                        count: count, brokenAt: e.seq, reason: "entry \(e.seq) does not match its hash")
                }
                previous = e.hash
                expected += 1
                count += 1
            }
        }
        let head = try db.prepare("SELECT seq, hash FROM remediation_audit_head WHERE id = 1")
        if try head.step() {
            let seq = head.int64(0)
            if seq != expected - 1 || head.string(1) != previous {
                let missing = seq >= expected ? expected : seq
                return Verification(
                    count: count, brokenAt: missing,
                    reason: seq >= expected
                        ? "entries \(expected) to \(seq) are missing (the head names entry \(seq))"
                        : "the head names entry \(seq), but the log goes on to entry \(expected - 1)")
            }
        } else if count > 0 {
            return Verification(count: count, brokenAt: 1, reason: "the head row is missing")
        }
        return Verification(count: count, brokenAt: nil, reason: nil)
    }
}
