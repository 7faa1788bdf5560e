import Foundation
import Testing

@testable import SeatMeterStore

@Suite("Ledger migrations and opening")
struct LedgerMigrationTests {
    /// Every registered migration, in order.
    static let migrations = ["v1-ledger", "auth-alarms"]

    @Test func inMemoryLedgerHasTheV1Schema() throws {
        let ledger = try Ledger.inMemory()
        #expect(ledger.path == ":memory:")
        #expect(try ledger.strings(sql: "SELECT identifier FROM grdb_migrations") == Self.migrations)
        let tables = try ledger.strings(sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        #expect(
            Set(tables).isSuperset(of: [
                "address", "appearance", "authAlarm", "checkpoint", "delivery", "folder", "grdb_migrations", "location",
                "message", "syncRun",
            ])
        )
        #expect(try ledger.messageCount() == 0)
    }

    @Test func fileLedgerCreatesItsDirectoryUsesPersistentWALAndReopens() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state/nested/ledger.sqlite").path
        do {
            let ledger = try Ledger(path: path)
            #expect(ledger.path == path)
            #expect(try ledger.strings(sql: "PRAGMA journal_mode") == ["wal"])
            try ledger.ingest(Fixtures.batch(0..<10))
        }
        // Persistent WAL: the companions survive the last connection, so read-only opens always work.
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(FileManager.default.fileExists(atPath: path + "-shm"))
        let reopened = try Ledger(path: path)
        #expect(try reopened.messageCount() == 10)
        #expect(try reopened.strings(sql: "SELECT identifier FROM grdb_migrations") == Self.migrations)
        let reader = try Ledger(readOnlyPath: path)
        #expect(reader.isReadOnly)
        #expect(try reader.messageCount() == 10)
        #expect(throws: (any Error).self) { try reader.ingest(Fixtures.batch(10..<11)) }
    }

    @Test func ledgerMigratedByANewerVersionIsRefused() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        do {
            let ledger = try Ledger(path: path)
            try ledger.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
        }
        let expected = LedgerError.newerSchema(path: path, unknownMigrations: ["v9-from-the-future"])
        #expect(throws: expected) { try Ledger(path: path) }
        #expect(throws: expected) { try Ledger(readOnlyPath: path) }
        #expect(expected.description.contains("newer SeatMeter"))
    }

    @Test func readOnlyOpenOfAMissingOrUnmigratedFileIsRefused() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.sqlite").path
        #expect(throws: LedgerError.missingFile(path: missing)) { try Ledger(readOnlyPath: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing))

        let empty = directory.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(throws: LedgerError.olderSchema(path: empty, missingMigrations: Self.migrations)) {
            try Ledger(readOnlyPath: empty)
        }
    }

    @Test func unwritableDirectoryIsAClearError() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let blocker = directory.appendingPathComponent("file")
        #expect(FileManager.default.createFile(atPath: blocker.path, contents: Data("x".utf8)))
        let path = blocker.appendingPathComponent("sub/ledger.sqlite").path
        let error = try #require(throws: LedgerError.self) { try Ledger(path: path) }
        guard case .cannotCreateDirectory(let failed, _) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(failed == blocker.appendingPathComponent("sub").path)
    }
}
