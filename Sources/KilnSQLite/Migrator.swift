#if canImport(Glibc)
    import Glibc
#endif

/// Brings a SQLite file to the versions the code knows, module by module, and records each step
/// applied in one table (`kiln_migrations`: module, version, when), so several modules can share
/// one file and one history of its schema.
///
/// `migrate` runs in one immediate transaction: it takes the write lock before reading what the
/// file has, applies every missing step in list order, and commits, so a crash or a second
/// process never sees half an upgrade. A file that records a newer version of a module than the
/// code knows is refused before anything changes.
///
/// Files written before the record existed kept one module's version in `PRAGMA user_version`;
/// `userVersionModule` names that module: its steps up to `user_version` count as applied, and
/// `user_version` keeps following its version, so a Kiln from before the record still refuses a
/// file newer than it knows.
public struct Migrator: Sendable {
    /// The table that records applied steps.
    public static let table = "kiln_migrations"

    /// Every step, in the order they apply: each module's list in turn.
    public let migrations: [Migration]
    /// The module whose version `PRAGMA user_version` mirrors, if any.
    public let userVersionModule: String?
    /// The newest version of each module this build knows.
    public let known: [String: Int]

    /// - Parameters:
    ///   - lists: each module's steps, numbered 1, 2, 3, …; modules apply in this order.
    ///   - userVersionModule: the module whose version `PRAGMA user_version` mirrors.
    /// - Throws: `.invalidList` when a list mixes modules, repeats one, or skips a number.
    public init(_ lists: [[Migration]], userVersionModule: String? = nil) throws(MigrationError) {
        var known: [String: Int] = [:]
        for list in lists {
            guard let module = list.first?.module else { continue }
            guard known[module] == nil else {
                throw MigrationError(.invalidList, "module \(module) has two migration lists", module: module)
            }
            for (index, step) in list.enumerated() {
                guard step.module == module else {
                    throw MigrationError(
                        .invalidList, "the migration list of \(module) holds a step of \(step.module)", module: module)
                }
                guard step.version == index + 1 else {
                    throw MigrationError(
                        .invalidList,
                        "the migration list of \(module) has version \(step.version) at position \(index + 1); "
                            + "versions run 1, 2, 3, … in order", module: module)
                }
            }
            known[module] = list.count
        }
        if let userVersionModule, known[userVersionModule] == nil {
            throw MigrationError(
                .invalidList, "user_version follows \(userVersionModule), which has no migration list",
                module: userVersionModule)
        }
        self.migrations = lists.flatMap { $0 }
        self.userVersionModule = userVersionModule
        self.known = known
    }

    /// The version of each module the file records (modules it has never seen are absent).
    public func recordedVersions(_ db: Connection) throws(MigrationError) -> [String: Int] {
        do {
            if try hasRecord(db) {
                let rows = try db.prepare("SELECT module, max(version) FROM \(Self.table) GROUP BY module")
                var versions: [String: Int] = [:]
                while try rows.step() { versions[rows.string(0) ?? ""] = Int(rows.int64(1)) }
                // user_version mirrors its module: ahead of the record, it means a Kiln that knows
                // more wrote it, and counts as that version (so the file is refused, not damaged).
                if let userVersionModule, let mirrored = try db.scalar("PRAGMA user_version"),
                    mirrored > versions[userVersionModule] ?? 0
                {
                    versions[userVersionModule] = Int(mirrored)
                }
                return versions
            }
            if let userVersionModule, let version = try db.scalar("PRAGMA user_version"), version > 0 {
                return [userVersionModule: Int(version)]
            }
            return [:]
        } catch {
            throw MigrationError(.failed, "\(db.path): cannot read its schema versions: \(error)", sqlite: error)
        }
    }

    /// Checks, without writing, that the file is at exactly the versions the code knows (for
    /// read-only connections, which cannot upgrade it).
    ///
    /// - Throws: `.newerThanCode` for a module newer than the code, `.needsUpgrade` for one older.
    public func check(_ db: Connection) throws(MigrationError) {
        let recorded = try recordedVersions(db)
        try refuseNewer(recorded, db)
        for (module, version) in known.sorted(by: { $0.key < $1.key }) where (recorded[module] ?? 0) < version {
            throw MigrationError(
                .needsUpgrade,
                "\(db.path) has \(module) schema \(recorded[module] ?? 0), this Kiln reads \(version)",
                module: module)
        }
    }

    /// Applies every step the file has not seen, in one immediate transaction.
    ///
    /// - Returns: the steps applied, in order (empty when the file was up to date).
    /// - Throws: `.newerThanCode` before any change when the file is newer than the code;
    ///   `.failed` when SQLite or a step failed (the transaction is rolled back).
    @discardableResult
    public func migrate(_ db: Connection) throws(MigrationError) -> [(module: String, version: Int)] {
        do {
            try db.execute("BEGIN IMMEDIATE", context: "locking \(db.path) to migrate it")
        } catch {
            throw MigrationError(.failed, "\(error)", sqlite: error)
        }
        do {
            let applied = try migrateLocked(db)
            try db.execute("COMMIT", context: "committing the migration of \(db.path)")
            return applied
        } catch {
            try? db.execute("ROLLBACK")
            switch error {
            case let error as MigrationError: throw error
            case let error as SQLiteError: throw MigrationError(.failed, error.description, sqlite: error)
            default: throw MigrationError(.failed, "migrating \(db.path): \(error)")
            }
        }
    }

    private func migrateLocked(_ db: Connection) throws -> [(module: String, version: Int)] {
        let recorded = try recordedVersions(db)
        try refuseNewer(recorded, db)
        if try !hasRecord(db) {
            try db.execute(
                """
                CREATE TABLE \(Self.table) (
                    module TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    -- Microseconds since the Unix epoch, UTC; NULL for steps a Kiln from before
                    -- this table applied (counted from PRAGMA user_version).
                    applied INTEGER,
                    PRIMARY KEY (module, version)
                ) WITHOUT ROWID
                """, context: "creating \(Self.table) in \(db.path)")
            if let userVersionModule, let adopted = recorded[userVersionModule] {
                let insert = try db.prepare(
                    "INSERT INTO \(Self.table) (module, version, applied) VALUES (?1, ?2, NULL)")
                for version in 1...adopted {
                    insert.bind(1, userVersionModule)
                    insert.bind(2, Int64(version))
                    try insert.run()
                }
            }
        }
        let record = try db.prepare("INSERT INTO \(Self.table) (module, version, applied) VALUES (?1, ?2, ?3)")
        var applied: [(module: String, version: Int)] = []
        for step in migrations where step.version > recorded[step.module] ?? 0 {
            do {
                try step.apply(db)
            } catch let error as SQLiteError {
                throw MigrationError(
                    .failed, "migrating \(db.path): \(step.module) version \(step.version): \(error)",
                    module: step.module, sqlite: error)
            } catch {
                throw MigrationError(
                    .failed, "migrating \(db.path): \(step.module) version \(step.version): \(error)",
                    module: step.module)
            }
            record.bind(1, step.module)
            record.bind(2, Int64(step.version))
            record.bind(3, Self.nowMicroseconds())
            try record.run()
            applied.append((step.module, step.version))
        }
        if let userVersionModule, let version = known[userVersionModule], recorded[userVersionModule] != version {
            try db.execute("PRAGMA user_version = \(version)", context: "recording the schema of \(db.path)")
        }
        return applied
    }

    private func refuseNewer(_ recorded: [String: Int], _ db: Connection) throws(MigrationError) {
        for (module, version) in recorded.sorted(by: { $0.key < $1.key }) {
            // A module the code has no list for is some other build's (a later issue's tables):
            // left alone. A known module recorded newer than the code is refused.
            guard let knownVersion = known[module], version > knownVersion else { continue }
            throw MigrationError(
                .newerThanCode,
                "\(db.path) was written by a newer Kiln (\(module) schema \(version), this build knows "
                    + "\(knownVersion)); upgrade Kiln or export the data with the newer one", module: module)
        }
    }

    private func hasRecord(_ db: Connection) throws(SQLiteError) -> Bool {
        try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '\(Self.table)'") == 1
    }

    private static func nowMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
