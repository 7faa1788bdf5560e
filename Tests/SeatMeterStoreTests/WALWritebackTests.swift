import Foundation
import Testing

@testable import SeatMeterStore

@Suite("WAL writeback")
struct WALWritebackTests {
    @Test func onlyAWritableFileLedgerHasOne() throws {
        #expect(WALWriteback(ledger: try Ledger.inMemory()) == nil)
        let (ledger, scratch) = try LedgerKind.file.make()
        defer { withExtendedLifetime(scratch) {} }
        try ledger.ingest(Fixtures.batch(0..<10))
        #expect(WALWriteback(ledger: ledger) != nil)
        #expect(WALWriteback(ledger: try Ledger(readOnlyPath: ledger.path)) == nil)
    }

    /// The WAL is the one SQLite writes: next to the real database file when the ledger path is a symbolic link.
    @Test func theWALPathIsSQLites() throws {
        #expect(try Ledger.inMemory().walPath() == nil)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let real = directory.appendingPathComponent("real.sqlite").path
        let link = directory.appendingPathComponent("link.sqlite").path
        _ = try Ledger(path: real)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let ledger = try Ledger(path: link)
        try ledger.ingest(Fixtures.batch(0..<5))
        let wal = try #require(ledger.walPath())
        #expect(URL(fileURLWithPath: wal).resolvingSymlinksInPath().path
            == URL(fileURLWithPath: real + "-wal").resolvingSymlinksInPath().path)
        #expect(FileManager.default.fileExists(atPath: wal))
    }

    @Test func writesBackAfterCommitsAndClosesItsFile() throws {
        let (ledger, scratch) = try LedgerKind.file.make()
        defer { withExtendedLifetime(scratch) {} }
        let writeback = try #require(WALWriteback(ledger: ledger))
        #expect(!writeback.isOpen)
        for start in stride(from: 0, to: 300, by: 100) {
            try ledger.ingest(Fixtures.batch(start..<start + 100))
            writeback.request()
            writeback.waitForWriteback()
            #expect(writeback.isOpen)
        }
        writeback.close()
        #expect(!writeback.isOpen)
        // Closed for good: a later request opens nothing.
        writeback.request()
        writeback.waitForWriteback()
        #expect(!writeback.isOpen)
        #expect(try ledger.messageCount() == 300)
    }

    /// The last reference may go while a writeback is queued: `deinit` waits for it instead of deadlocking.
    @Test func canBeDroppedWhileAWritebackIsQueued() throws {
        let (ledger, scratch) = try LedgerKind.file.make()
        defer { withExtendedLifetime(scratch) {} }
        try ledger.ingest(Fixtures.batch(0..<50))
        for _ in 0..<20 {
            WALWriteback(ledger: ledger)?.request()
        }
        try ledger.ingest(Fixtures.batch(50..<60))
        #expect(try ledger.messageCount() == 60)
    }
}
