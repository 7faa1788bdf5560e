import Foundation
import Testing

@testable import SeatMeterStore

@Suite("WAL checkpointer")
struct WALCheckpointerTests {
    @Test func onlyAWritableFileLedgerHasOne() throws {
        #expect(WALCheckpointer(ledger: try Ledger.inMemory()) == nil)
        let (ledger, scratch) = try LedgerKind.file.make()
        defer { withExtendedLifetime(scratch) {} }
        try ledger.ingest(Fixtures.batch(0..<10))
        #expect(WALCheckpointer(ledger: ledger) != nil)
        #expect(WALCheckpointer(ledger: try Ledger(readOnlyPath: ledger.path)) == nil)
    }

    /// The checkpointer opens the database file SQLite opened: the real one when the ledger path is a symbolic link.
    @Test func theDatabasePathIsSQLites() throws {
        #expect(try Ledger.inMemory().databasePath() == nil)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let real = directory.appendingPathComponent("real.sqlite").path
        let link = directory.appendingPathComponent("link.sqlite").path
        _ = try Ledger(path: real)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let ledger = try Ledger(path: link)
        let database = try #require(ledger.databasePath())
        #expect(URL(fileURLWithPath: database).resolvingSymlinksInPath().path
            == URL(fileURLWithPath: real).resolvingSymlinksInPath().path)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == real)
        #expect(database != link)
    }

    /// A commit stays in the WAL (the writer's own checkpoint is far off) until a request copies it into the
    /// database file; closed, the checkpointer copies nothing more.
    @Test func copiesWhatWasCommittedIntoTheDatabaseFileWhenAsked() throws {
        let (ledger, scratch) = try LedgerKind.file.make()
        defer { withExtendedLifetime(scratch) {} }
        let checkpointer = try #require(WALCheckpointer(ledger: ledger))
        #expect(!checkpointer.isOpen)
        try ledger.ingest(Fixtures.batch(0..<100))
        #expect(try ledger.messagesInDatabaseFileAlone() == 0)
        checkpointer.request()
        checkpointer.waitForCheckpoint()
        #expect(checkpointer.isOpen)
        #expect(try ledger.messagesInDatabaseFileAlone() == 100)
        try ledger.ingest(Fixtures.batch(100..<250))
        #expect(try ledger.messagesInDatabaseFileAlone() == 100)
        checkpointer.request()
        checkpointer.waitForCheckpoint()
        #expect(try ledger.messagesInDatabaseFileAlone() == 250)
        #expect(checkpointer.checkpointsRun == 2)

        checkpointer.close()
        #expect(!checkpointer.isOpen)
        try ledger.ingest(Fixtures.batch(250..<260))
        checkpointer.request()
        checkpointer.waitForCheckpoint()
        #expect(!checkpointer.isOpen)
        #expect(checkpointer.checkpointsRun == 2)
        #expect(try ledger.messagesInDatabaseFileAlone() == 250)
        #expect(try ledger.messageCount() == 260)
        #expect(try ledger.strings(sql: "PRAGMA integrity_check") == ["ok"])
    }

    /// Requests while one is queued or running add nothing: the one running covers them or the next request will.
    @Test func requestsWhileOneIsPendingAreOne() throws {
        let (ledger, scratch) = try LedgerKind.file.make()
        defer { withExtendedLifetime(scratch) {} }
        let checkpointer = try #require(WALCheckpointer(ledger: ledger))
        try ledger.ingest(Fixtures.batch(0..<50))
        for _ in 0..<20 { checkpointer.request() }
        checkpointer.waitForCheckpoint()
        #expect(checkpointer.checkpointsRun >= 1 && checkpointer.checkpointsRun < 20)
        #expect(try ledger.messagesInDatabaseFileAlone() == 50)
    }

    /// The last reference may go while a checkpoint is queued: nothing waits for it, the writer goes on, and the
    /// checkpoint still runs.
    @Test func canBeDroppedWhileACheckpointIsQueued() throws {
        let (ledger, scratch) = try LedgerKind.file.make()
        defer { withExtendedLifetime(scratch) {} }
        try ledger.ingest(Fixtures.batch(0..<50))
        for _ in 0..<20 {
            WALCheckpointer(ledger: ledger)?.request()
        }
        try ledger.ingest(Fixtures.batch(50..<60))
        #expect(try ledger.messageCount() == 60)
        #expect(try ledger.messagesInDatabaseFileAlone(reaching: 50) >= 50)
        #expect(try ledger.strings(sql: "PRAGMA integrity_check") == ["ok"])
    }
}
