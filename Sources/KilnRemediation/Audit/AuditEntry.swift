import Foundation

/// One entry of the remediation audit log: what was decided or done, by whom, with what result.
///
/// Entries are only appended (``AuditLog/append(_:to:)``); each carries the SHA-256 of the
/// previous entry's hash and its own content, so an edit or a deletion breaks the chain at the
/// first entry it touched.
public struct AuditEntry: Sendable, Hashable {
    /// Assigned when appended (1, 2, 3, …).
    public var seq: Int64
    /// µs since the Unix epoch, UTC.
    public var time: Int64
    public var run: Int64?
    public var rule: String
    public var episode: String?
    public var host: String?
    public var fingerprint: String?
    /// The exact remote argv (before quoting for the remote shell).
    public var argv: [String]?
    public var started: Int64?
    public var ended: Int64?
    public var exitCode: Int32?
    public var stdout: CapturedOutput
    public var stderr: CapturedOutput
    public var outcome: RemediationOutcome
    /// Who decided (`cli:root`, `api:NAME`, `kiln` for the gateway itself).
    public var by: String?
    public var detail: String?
    /// Hex SHA-256, set when appended.
    public var previousHash: String
    public var hash: String

    public init(
        time: Int64, run: Int64? = nil, rule: String, episode: String? = nil, host: String? = nil,
        fingerprint: String? = nil, argv: [String]? = nil, started: Int64? = nil, ended: Int64? = nil,
        exitCode: Int32? = nil, stdout: CapturedOutput = CapturedOutput(), stderr: CapturedOutput = CapturedOutput(),
        outcome: RemediationOutcome, by: String? = nil, detail: String? = nil
    ) {
        seq = 0
        self.time = time
        self.run = run
        self.rule = rule
        self.episode = episode
        self.host = host
        self.fingerprint = fingerprint
        self.argv = argv
        self.started = started
        self.ended = ended
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.outcome = outcome
        self.by = by
        self.detail = detail
        previousHash = AuditLog.genesis
        hash = ""
    }

    /// The bytes the hash covers, after the previous hash: every field in a fixed order, each
    /// tagged and length-prefixed so no two different entries encode alike.
    var canonicalContent: [UInt8] {
        var out: [UInt8] = []
        func field(_ tag: UInt8, _ bytes: [UInt8]?) {
            out.append(tag)
            guard let bytes else {
                out.append(0)
                return
            }
            out.append(1)
            var n = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &n) { out += $0 }
            out += bytes
        }
        func number(_ tag: UInt8, _ value: Int64?) { field(tag, value.map { Array(String($0).utf8) }) }
        number(1, seq)
        number(2, time)
        number(3, run)
        field(4, Array(rule.utf8))
        field(5, episode.map { Array($0.utf8) })
        field(6, host.map { Array($0.utf8) })
        field(7, fingerprint.map { Array($0.utf8) })
        field(8, argv.map { Array(AuditEntry.json($0).utf8) })
        number(9, started)
        number(10, ended)
        number(11, exitCode.map { Int64($0) })
        field(12, stdout.head)
        field(13, stdout.tail)
        field(14, stderr.head)
        field(15, stderr.tail)
        field(16, Array(outcome.rawValue.utf8))
        field(17, by.map { Array($0.utf8) })
        field(18, detail.map { Array($0.utf8) })
        return out
    }

    /// An argv as the table stores it: a JSON array of strings.
    public static func json(_ argv: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: argv, options: [.withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The argv of a stored JSON array (nil for anything else).
    public static func argv(json: String) -> [String]? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String]
    }
}
