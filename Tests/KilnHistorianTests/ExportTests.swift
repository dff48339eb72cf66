import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// `kiln export` end to end: the real binary, its output read back by Python's csv and json modules.
struct ExportTests {
    /// A file with a float (with a bad sample), a counter, a bool and an awkward string.
    func makeHistory(_ dir: TempDir) throws -> String {
        let db = dir.file("e.db")
        try writeThroughWriter(
            db,
            batches: [
                [
                    sample(0, jan1 + 1, .double(81.25), raw: .double(81.5)),
                    sample(1, jan1 + 1, .uint(12_873)),
                    sample(2, jan1 + 1, .bool(true)),
                    sample(3, jan1 + 1, .string("KB-4000, \"Steam\"\nline 2")),
                ],
                [
                    sample(0, jan1 + 60 * second + 123_456, nil, raw: nil, status: .badTimeout),
                    sample(2, jan1 + 60 * second, .bool(false)),
                ],
                [sample(0, jan1 + 90 * second, .double(-0.5))],
            ],
            // Kiln ran the whole day: the ranges below are covered.
            clock: RunClock(start: jan1, stop: jan1 + 24 * hour))
        return db
    }

    func export(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try runTool([try kilnBinary(), "export"] + arguments)
    }

    /// Reads `text` with Python and prints it back as one JSON array.
    func python(_ script: String, _ text: String) throws -> [[String: Any]] {
        let result = try runTool(["python3", "-c", script], stdin: text)
        #expect(result.status == 0, Comment(rawValue: result.err))
        let data = Data(result.out.utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    @Test func csvIsRFC4180AndReadsBackWithPythonsCsvModule() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try makeHistory(dir)
        let result = try export(["--db", db, "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T01:00:00Z"])
        #expect(result.status == 0, Comment(rawValue: result.err))
        #expect(result.out.hasPrefix("ts,device,tag,value,raw,status\r\n"))
        let rows = try python(
            "import csv, json, sys; print(json.dumps(list(csv.DictReader(sys.stdin, strict=True))))", result.out)
        let simplified = rows.map { r in
            ["ts", "device", "tag", "value", "raw", "status"].map { r[$0] as? String ?? "?" }
        }
        #expect(
            simplified == [
                ["2026-01-01T00:00:00.000001Z", "boiler-1", "burner_on", "true", "true", "Good"],
                ["2026-01-01T00:01:00.000000Z", "boiler-1", "burner_on", "false", "false", "Good"],
                [
                    "2026-01-01T00:00:00.000001Z", "boiler-1", "model", "KB-4000, \"Steam\"\nline 2",
                    "KB-4000, \"Steam\"\nline 2", "Good",
                ],
                ["2026-01-01T00:00:00.000001Z", "boiler-1", "run_hours", "12873", "12873", "Good"],
                ["2026-01-01T00:00:00.000001Z", "boiler-1", "supply_temp", "81.25", "81.5", "Good"],
                ["2026-01-01T00:01:00.123456Z", "boiler-1", "supply_temp", "", "", "BadTimeout"],
                ["2026-01-01T00:01:30.000000Z", "boiler-1", "supply_temp", "-0.5", "-0.5", "Good"],
            ])
    }

    @Test func jsonLinesHaveTheSameKeysAndReadBackWithPythonsJsonModule() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try makeHistory(dir)
        let result = try export([
            "--db", db, "--from", "2026-01-01", "--to", "2026-01-02", "--format", "jsonl", "--tag", "boiler-1/s*",
            "--tag", "boiler-1/burner_on",
        ])
        #expect(result.status == 0, Comment(rawValue: result.err))
        let rows = try python(
            "import json, sys; print(json.dumps([json.loads(l) for l in sys.stdin.read().splitlines()]))", result.out)
        #expect(rows.count == 5)
        #expect(rows.allSatisfy { Set($0.keys) == ["ts", "device", "tag", "value", "raw", "status"] })
        #expect(rows[0]["value"] as? Bool == true)
        #expect(rows[3]["ts"] as? String == "2026-01-01T00:01:00.123456Z")
        #expect(rows[3]["value"] is NSNull)
        #expect(rows[3]["status"] as? String == "BadTimeout")
        #expect((rows[2]["raw"] as? NSNumber)?.doubleValue == 81.5)
    }

    @Test func influxLineProtocolHasDeviceTagValueStatusAndNanoseconds() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try makeHistory(dir)
        let result = try export([
            "--db", db, "--from", "2026-01-01", "--to", "2026-01-02", "--format", "influx", "--tag",
            "boiler-1/supply_temp",
        ])
        #expect(result.status == 0, Comment(rawValue: result.err))
        // An independent reading of the line protocol: measurement[,tags] fields timestamp.
        let script = #"""
            import json, re, sys
            out = []
            for line in sys.stdin.read().splitlines():
                head, fields, ts = re.match(r'^((?:[^ \\]|\\.)+) ((?:[^ \\"]|\\.|"(?:[^"\\]|\\.)*")+) (\d+)$', line).groups()
                parts = re.split(r'(?<!\\),', head)
                f = dict(kv.split('=', 1) for kv in re.split(r',(?=[a-z_]+=)', fields))
                out.append({"measurement": parts[0], "tags": dict(p.split('=', 1) for p in parts[1:]), "fields": f, "ns": int(ts)})
            print(json.dumps(out))
            """#
        let rows = try python(script, result.out)
        #expect(rows.count == 3)
        #expect(rows[0]["measurement"] as? String == "boiler-1")
        #expect((rows[0]["tags"] as? [String: String]) == ["tag": "supply_temp"])
        #expect((rows[0]["fields"] as? [String: String]) == ["value": "81.25", "status": "0i"])
        #expect((rows[0]["ns"] as? NSNumber)?.int64Value == (jan1 + 1) * 1000)
        #expect((rows[1]["fields"] as? [String: String]) == ["status": "\(StatusCode.badTimeout.rawValue)i"])
    }

    @Test func aggregatesExportWithWorstStatusAndGoodFraction() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try makeHistory(dir)
        let result = try export([
            "--db", db, "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T00:02:00Z", "--tag",
            "boiler-1/supply_temp", "--every", "1m", "--agg", "count,twa,last",
        ])
        #expect(result.status == 0, Comment(rawValue: result.err))
        let rows = try python(
            "import csv, json, sys; print(json.dumps([{'row': r} for r in csv.reader(sys.stdin)]))", result.out)
        let lines = rows.compactMap { $0["row"] as? [String] }
        #expect(lines.first == ["ts", "device", "tag", "count", "twa", "last", "status", "good_fraction"])
        let first = try #require(lines.dropFirst().first)
        #expect(
            Array(first.prefix(7)) == [
                "2026-01-01T00:00:00.000000Z", "boiler-1", "supply_temp", "1", "81.25", "81.25", "Good",
            ])
        // The first microsecond has no data yet.
        #expect(abs(Double(first[7])! - (1 - 1 / 60e6)) < 1e-12)
        #expect(lines.count == 3)
        #expect(lines.last?[6] == "BadTimeout")
    }

    @Test func badArgumentsSayWhatIsWrongAndExitOne() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try makeHistory(dir)
        let cases: [([String], String)] = [
            (["--db", db, "--from", "-1h", "--tag", "boiler-1/nope"], "unknown tag 'boiler-1/nope'"),
            (["--db", db, "--from", "now", "--to", "-1h"], "must be before --to"),
            (["--db", dir.file("missing.db"), "--from", "-1h"], "no such file"),
            (["--db", db, "--from", "yesterday"], "is not a time"),
            (["--db", db, "--from", "-1h", "--format", "xml"], "unknown --format"),
            (["--db", db, "--from", "-1h", "--every", "1m", "--agg", "median"], "unknown aggregate 'median'"),
        ]
        for (arguments, message) in cases {
            let result = try export(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.err.contains(message), Comment(rawValue: result.err))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing.db")))
    }

    @Test func relativeAndAbsoluteTimes() {
        let now: Int64 = jan1 + 12 * hour
        #expect(TimeExpression.parse("now", now: now) == now)
        #expect(TimeExpression.parse("-1h", now: now) == now - hour)
        #expect(TimeExpression.parse("-7d", now: now) == now - 7 * 24 * hour)
        #expect(TimeExpression.parse("-30m", now: now) == now - hour / 2)
        #expect(TimeExpression.parse("2026-01-01T00:00:00Z", now: now) == jan1)
        #expect(TimeExpression.parse("2026-01-01T01:00:00.5+01:00", now: now) == jan1 + 500_000)
        #expect(TimeExpression.parse("2026-01-01", now: now) == jan1)
        #expect(TimeExpression.parse("2024-02-29T23:59:59.999999Z", now: now) == 1_709_251_199_999_999)
        #expect(TimeExpression.parse("2026-02-30", now: now) == nil)
        #expect(TimeExpression.parse("1h", now: now) == nil)
    }
}
