import KilnSQLite

/// The historian's tables: its list of versioned migrations in the file's shared migration
/// record (KilnSQLite's ``Migrator``, module `historian`). Other modules (alarm state, the hook
/// outbox, the remediation queue) add their own lists to the same file.
///
/// Files written before the record kept the historian's version in `PRAGMA user_version`; it
/// still follows the historian's version, so an older Kiln refuses a file newer than it knows.
///
/// Plain SQL reads everything but the compacted blocks: `samples` holds the raw rows (time in
/// integer microseconds since the Unix epoch, UTC), `tags` names them, and the view `history`
/// joins the two with readable times.
public enum Schema {
    /// The module name the historian's steps are recorded under.
    public static let module = "historian"

    /// The version this build writes; a file from a newer Kiln is refused rather than damaged.
    public static var version: Int64 { Int64(steps.count) }

    /// The historian's migration list: step `i` brings the historian from version i to i + 1.
    public static let migrations: [Migration] = steps.enumerated().map { index, sql in
        Migration(module: module, version: index + 1, sql: sql)
    }

    /// The SQL of each step. Append only: a released step is never edited.
    static let steps: [String] = [
        """
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            device TEXT NOT NULL,
            tag TEXT NOT NULL,
            unit TEXT,
            -- The map's data type: bool, int16 … float64, string.
            type TEXT NOT NULL,
            -- The map's scale and offset (engineering = register * scale + offset).
            scale REAL NOT NULL DEFAULT 1,
            "offset" REAL NOT NULL DEFAULT 0,
            -- Microseconds since the Unix epoch, UTC, of the first and last stored sample.
            first_seen INTEGER,
            last_seen INTEGER,
            UNIQUE (device, tag)
        );
        -- One row per stored sample. value and raw have no declared type so each keeps its own:
        -- REAL for numbers, INTEGER for integers and bools (0/1), TEXT for strings, NULL when the
        -- sample has none (bad). status is the 32-bit OPC UA StatusCode (0 = Good).
        CREATE TABLE samples (
            tag INTEGER NOT NULL REFERENCES tags (id),
            time INTEGER NOT NULL,
            value,
            raw,
            status INTEGER NOT NULL,
            PRIMARY KEY (tag, time)
        ) WITHOUT ROWID;
        -- Compacted history: one row per tag and UTC window, points in KilnSeries' BlockCodec format.
        CREATE TABLE blocks (
            id INTEGER PRIMARY KEY,
            tag INTEGER NOT NULL REFERENCES tags (id),
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            first INTEGER NOT NULL,
            last INTEGER NOT NULL,
            count INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE UNIQUE INDEX blocks_by_tag ON blocks (tag, start);
        CREATE INDEX blocks_by_end ON blocks ("end");
        -- Intervals the writer could not store (disk full, I/O errors), with what was lost.
        CREATE TABLE gaps (
            id INTEGER PRIMARY KEY,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            lost INTEGER NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE VIEW history AS
            SELECT t.device, t.tag, strftime('%Y-%m-%dT%H:%M:%f', s.time / 1e6, 'unixepoch') || 'Z' AS ts,
                   s.time, s.value, s.raw, s.status
            FROM samples s JOIN tags t ON t.id = s.tag;
        """,
        // 2: tags read in one Modbus request share their timestamps: a block may keep its times
        // in a shared, content-addressed time column (blocks.times) and only its values in data.
        """
        CREATE TABLE timecols (
            id INTEGER PRIMARY KEY,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            hash INTEGER NOT NULL,
            count INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE INDEX timecols_by_hash ON timecols (start, hash);
        CREATE INDEX timecols_by_end ON timecols ("end");
        ALTER TABLE blocks ADD COLUMN times INTEGER REFERENCES timecols (id);
        """,
        // 3: when the gateway ran, so that time between runs, after the last sample and in the
        // future reads as not covered instead of carrying the last value forward. The history
        // written before this step becomes one run from its first to its last sample.
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            -- Microseconds since the Unix epoch, UTC, when the writer started.
            start INTEGER NOT NULL,
            -- When the run stopped cleanly, or, after a crash, its last committed sample (set at
            -- the next start). NULL while the run goes on, or until the next start closes it.
            "end" INTEGER,
            -- The first and last sample time this run committed.
            first INTEGER,
            last INTEGER,
            -- 'stop' (a clean stop), 'crash' (closed at the next start: killed, crashed, power
            -- cut, or a disk full until shutdown), 'migrated' (history older than schema 3).
            ended TEXT
        );
        INSERT INTO runs (start, "end", first, last, ended)
            SELECT f, l, f, l, 'migrated' FROM (SELECT min(first_seen) AS f, max(last_seen) AS l FROM tags)
            WHERE f IS NOT NULL;
        """,
    ]

    /// The migrator for the historian's list followed by `others` (other modules sharing the file).
    static func migrator(with others: [[Migration]] = []) throws(MigrationError) -> Migrator {
        try Migrator([migrations] + others, userVersionModule: module)
    }

    /// Brings the file to the current version of the historian (and of `others`), in one
    /// immediate transaction.
    static func migrate(_ db: Connection, with others: [[Migration]] = []) throws(HistorianError) {
        do {
            try migrator(with: others).migrate(db)
        } catch {
            throw HistorianError(error.message, sqlite: error.sqlite)
        }
    }

    /// The historian's version recorded in the file, without writing (nil: not a historian file).
    static func recordedVersion(_ db: Connection) throws(HistorianError) -> Int64? {
        do {
            return try migrator().recordedVersions(db)[module].map(Int64.init)
        } catch {
            throw HistorianError(error.message, sqlite: error.sqlite)
        }
    }
}
