/// One step of one module's tables: module `module` at version `version - 1` becomes `version`.
///
/// Every module that keeps state in Kiln's SQLite file (the historian now; alarm state, the hook
/// outbox and the remediation queue later) contributes its own list, numbered 1, 2, 3, … and
/// append-only: a released step is never edited, a change is a new step. ``Migrator`` applies
/// the steps a file has not seen yet and records each in the file.
public struct Migration: Sendable {
    /// The owning module's name, as recorded in the file: `historian`, `alarms`, ….
    public let module: String
    /// 1 for the module's first step, then one more for each.
    public let version: Int
    /// Applies the step; runs inside the migration's transaction, so it must not begin or end one.
    public let apply: @Sendable (Connection) throws -> Void

    /// - Parameters:
    ///   - module: the owning module's name.
    ///   - version: the version the step brings the module to.
    ///   - apply: the step itself.
    public init(module: String, version: Int, apply: @escaping @Sendable (Connection) throws -> Void) {
        self.module = module
        self.version = version
        self.apply = apply
    }

    /// A step that runs SQL statements.
    ///
    /// - Parameters:
    ///   - module: the owning module's name.
    ///   - version: the version the step brings the module to.
    ///   - sql: one or more statements, run as they are.
    public init(module: String, version: Int, sql: String) {
        self.init(module: module, version: version) { db in
            try db.execute(sql, context: "migrating \(db.path): \(module) to version \(version)")
        }
    }
}
