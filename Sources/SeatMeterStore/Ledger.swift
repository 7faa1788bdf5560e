import CSQLiteSetup
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The SQLite ledger: facts about messages (who appeared in which header of which message, in which
/// folder), per-folder checkpoints, sync runs and the report delivery log. Never verdicts.
///
/// A file ledger is a GRDB `DatabasePool` in WAL mode with persistent WAL, so that read-only ledgers in
/// other processes (`seatmeter users`, `explain`, `report`) can read while a sync writes. Writers wait up
/// to 10 s for each other (`busyMode`). Each write method is one transaction.
///
/// The methods are synchronous and may block for the length of a transaction (or the busy timeout):
/// call them off the cooperative thread pool when that matters.
package final class Ledger: Sendable {
    /// The database file, or `":memory:"` for ``inMemory()``.
    package let path: String
    /// True for ledgers opened with ``init(readOnlyPath:)``.
    package let isReadOnly: Bool

    let dbWriter: any DatabaseWriter

    /// Opens (creating it and its directory if needed) and migrates the ledger at `path`.
    ///
    /// - Throws: ``LedgerError/newerSchema(path:unknownMigrations:)`` when a newer SeatMeter migrated the
    ///   file; ``LedgerError/cannotCreateDirectory(path:reason:)``; GRDB's `DatabaseError`.
    package convenience init(path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o750]
                )
            } catch {
                throw LedgerError.cannotCreateDirectory(path: directory, reason: "\(error)")
            }
        }
        let pool = try DatabasePool(path: path, configuration: Self.makeConfiguration(readOnly: false, file: true))
        try self.init(path: path, dbWriter: pool, isReadOnly: false)
    }

    /// Opens an existing ledger for reading only, e.g. while a sync writes to it from another process.
    ///
    /// - Throws: ``LedgerError/missingFile(path:)``, ``LedgerError/newerSchema(path:unknownMigrations:)``,
    ///   ``LedgerError/olderSchema(path:missingMigrations:)``, or GRDB's `DatabaseError`.
    package convenience init(readOnlyPath path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw LedgerError.missingFile(path: path) }
        let pool = try DatabasePool(path: path, configuration: Self.makeConfiguration(readOnly: true, file: true))
        try self.init(path: path, dbWriter: pool, isReadOnly: true)
    }

    /// A migrated, empty, private in-memory ledger (tests).
    package static func inMemory() throws -> Ledger {
        let queue = try DatabaseQueue(configuration: makeConfiguration(readOnly: false, file: false))
        return try Ledger(path: ":memory:", dbWriter: queue, isReadOnly: false)
    }

    private init(path: String, dbWriter: any DatabaseWriter, isReadOnly: Bool) throws {
        self.path = path
        self.dbWriter = dbWriter
        self.isReadOnly = isReadOnly
        let migrator = LedgerSchema.migrator
        let (applied, complete) = try dbWriter.read { db in
            (try migrator.appliedIdentifiers(db), try migrator.hasCompletedMigrations(db))
        }
        let unknown = applied.subtracting(migrator.migrations).sorted()
        if !unknown.isEmpty {
            throw LedgerError.newerSchema(path: path, unknownMigrations: unknown)
        }
        if isReadOnly {
            if !complete {
                throw LedgerError.olderSchema(
                    path: path,
                    missingMigrations: migrator.migrations.filter { !applied.contains($0) }
                )
            }
        } else {
            do {
                try migrator.migrate(dbWriter)
            } catch {
                // Two processes creating the same ledger at once: the one that lost the race finds the
                // schema complete. Anything else is a real failure.
                guard try dbWriter.read(migrator.hasCompletedMigrations) else { throw error }
            }
            // Another process may have migrated further in between.
            if try dbWriter.read(migrator.hasBeenSuperseded) {
                let now = try dbWriter.read(migrator.appliedIdentifiers)
                throw LedgerError.newerSchema(
                    path: path,
                    unknownMigrations: now.subtracting(migrator.migrations).sorted()
                )
            }
        }
    }

    /// Process-wide SQLite settings (`CSQLiteSetup`), made once, before the first ledger connection opens.
    /// `SQLITE_MISUSE` (SQLite already initialized by someone else) leaves SQLite's defaults: slower, not wrong.
    static let sqliteSetup: Int32 = seatmeter_sqlite_setup()

    /// The GRDB configuration of every ledger connection.
    ///
    /// - Parameters:
    ///   - readOnly: open connections read-only.
    ///   - file: a file database (persistent WAL, bigger page cache) rather than an in-memory one.
    static func makeConfiguration(readOnly: Bool, file: Bool) -> Configuration {
        _ = sqliteSetup
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(10)
        // Declared, not enforced: see LedgerSchema.
        configuration.foreignKeysEnabled = false
        configuration.label = "SeatMeterLedger"
        configuration.prepareDatabase { db in
            guard file, !db.configuration.readonly else { return }
            // Keep the -wal and -shm files when the last connection closes, so that read-only
            // connections of other processes can always open the file (GRDB DatabaseSharing.md).
            var flag: CInt = 1
            let code = withUnsafeMutablePointer(to: &flag) { flagPointer in
                sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, flagPointer)
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot enable persistent WAL")
            }
            // In WAL mode, NORMAL syncs the WAL at checkpoints instead of at every commit. A committed
            // transaction is in the WAL file (the OS page cache) when the commit returns, so it survives
            // `kill -9` of the process; a power loss or OS crash may roll back the last commits before a
            // checkpoint, never corrupt the file (https://www.sqlite.org/pragma.html#pragma_synchronous).
            // A rolled-back batch is fetched again on the next sync: its checkpoint rolled back with it.
            // 16 KB pages for a new ledger (an existing one keeps its size): a sync's commits write a quarter as
            // many WAL frames (two system calls each) for the same bytes, and a report's scans step fewer pages.
            // Measured on the 100,000-message bench: cold sync 1.45 s -> 1.25 s (medians of 11, interleaved).
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A persistent WAL is not truncated by checkpoints; cap what stays on disk after one.
            try db.execute(sql: "PRAGMA journal_size_limit = 33554432")
            // 8 MB of page cache (SQLite's default is 2 MB): a sync's transaction (24,000 messages) dirties about 7 MB,
            // mostly the pages of the hash-keyed de-duplication index, which every range touches all over. With 4 MB
            // SQLite spilled dirty pages into the WAL mid-transaction and read them back (a cold sync of 100,000
            // messages made about 1,500 more 16 KB writes and as many reads): 8 MB made that sync 0.018 s faster
            // (median of 15 paired differences, 12 faster) and its peak RSS 46 -> 50 MB; 16 MB was no faster, 58 MB.
            // The cache is a bound, not a share of the ledger: pages beyond it are read back from the OS page cache,
            // which does not count in the process's memory.
            try db.execute(sql: "PRAGMA cache_size = -8192")
            // A sync or an import checkpoints beside the writer, on its own connection (`WALCheckpointer`). The
            // writer's own checkpoint, inside the commit that crosses the threshold, is the backstop for everything
            // else, and for a long import, during which the WAL does not start over (a transaction always begins
            // before the checkpoint of the previous one is done): at 64 MB (4,096 pages of 16 KB) it copies what
            // little the checkpointer has not, and the WAL is then written over from its start again.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4096")
            // No checkpoint when the writer closes: the WAL's last pages (a sync's last range) are copied by a
            // later sync's checkpoint, while it fetches (or by the backstop above), instead of after a sync's last
            // commit, when nothing else runs. Readers read them from the WAL meanwhile (PERSIST_WAL keeps it, and
            // the -shm, on disk). Measured on the 100,000-message bench: cold sync -0.019 and -0.055 s (medians of
            // paired differences, 15 pairs twice, 18 of 30 pairs faster).
            let noCheckpoint = seatmeter_sqlite_skip_checkpoint_on_close(UnsafeMutableRawPointer(db.sqliteConnection))
            guard noCheckpoint == SQLITE_OK else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: noCheckpoint),
                    message: "cannot leave the checkpoint to the next writer")
            }
        }
        return configuration
    }
}

extension Ledger {
    /// Whether closing this ledger's writer leaves the WAL as it is (tests).
    func writerSkipsCheckpointOnClose() -> Bool {
        dbWriter.writeWithoutTransaction { db in
            seatmeter_sqlite_skips_checkpoint_on_close(UnsafeMutableRawPointer(db.sqliteConnection)) != 0
        }
    }

    /// The writer connection's cached statement for `sql` with its bound values written in (`sqlite3_expanded_sql`),
    /// for tests.
    func expandedCachedStatement(sql: String) throws -> String? {
        try dbWriter.writeWithoutTransaction { db in
            let statement = try db.cachedStatement(sql: sql)
            guard let expanded = sqlite3_expanded_sql(statement.sqliteStatement) else { return nil }
            defer { sqlite3_free(expanded) }
            return String(cString: expanded)
        }
    }

    /// The database file SQLite opened for this ledger (after it resolved symbolic links); nil for an in-memory
    /// ledger.
    package func databasePath() -> String? {
        dbWriter.writeWithoutTransaction { db in
            guard let database = sqlite3_db_filename(db.sqliteConnection, "main"), database.pointee != 0 else {
                return nil
            }
            return String(cString: database)
        }
    }

    /// How many messages the database file holds without its WAL: those a checkpoint copied into it (tests; read
    /// from a copy of the file alone).
    package func messagesInDatabaseFileAlone() throws -> Int {
        guard let database = databasePath() else { return 0 }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seatmeter-dbfile-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("ledger.sqlite").path
        try FileManager.default.copyItem(atPath: database, toPath: copy)
        return try Ledger(path: copy).messageCount()
    }

    /// ``messagesInDatabaseFileAlone()`` once it reaches `minimum`, or when `timeout` is over (tests: a checkpoint
    /// that runs on its own thread, which nothing can wait for). A copy taken while that checkpoint writes the file
    /// can be torn (SQLite itself reads those pages from the WAL until the checkpoint is complete): it is taken again.
    package func messagesInDatabaseFileAlone(reaching minimum: Int, within timeout: Duration = .seconds(20)) throws
        -> Int
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let count = try? messagesInDatabaseFileAlone()
            if let count, count >= minimum { return count }
            if ContinuousClock.now >= deadline { return try count ?? messagesInDatabaseFileAlone() }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// Raw SQL in one write transaction, for tests (`@testable import`): schema probes and fault injection.
    func execute(sql: String) throws {
        try dbWriter.write { db in try db.execute(sql: sql) }
    }

    /// The first column of a raw query's rows as text, for tests (`@testable import`).
    func strings(sql: String) throws -> [String] {
        try dbWriter.read { db in try String.fetchAll(db, sql: sql) }
    }

    /// Creates a ledger file migrated only up to `migration`, then runs `sql` on it: a ledger an older SeatMeter
    /// wrote, for migration tests (`@testable import`).
    static func createFile(path: String, migratedUpTo migration: String, sql: String) throws {
        let queue = try DatabaseQueue(path: path, configuration: makeConfiguration(readOnly: false, file: true))
        try LedgerSchema.migrator.migrate(queue, upTo: migration)
        try queue.write { db in try db.execute(sql: sql) }
    }

    /// The `detail` lines of `EXPLAIN QUERY PLAN sql`, for tests (`@testable import`).
    func queryPlan(sql: String) throws -> [String] {
        try dbWriter.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String? ?? "" }
        }
    }
}
