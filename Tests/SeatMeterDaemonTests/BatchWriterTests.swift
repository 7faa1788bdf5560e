import Foundation
import SeatMeterCore
import SeatMeterStore
import Testing
import TestSupport

@testable import SeatMeterDaemon

@Suite("Batch writer", .timeLimit(.minutes(1)))
struct BatchWriterTests {
    struct FetchFailed: Error {}

    static func message(_ n: Int) -> IngestMessage {
        IngestMessage(
            uid: UInt32(n),
            facts: MessageFacts(
                messageID: "m\(n)@example.com",
                appearances: [
                    AddressAppearance(field: .from, mailbox: Mailbox(name: "P \(n)", address: "p\(n)@example.com"))
                ]))
    }

    /// A fetch that fails half-way queues nothing (its messages are dropped, the checkpoint stays); the next batch
    /// is stored whole, with the addresses the dropped messages met first.
    @Test func aFailedFetchQueuesNothingAndTheNextBatchIsStoredWhole() throws {
        let ledger = try Ledger.inMemory()
        let writer = BatchWriter(ledger: ledger, chunkSize: 100)
        #expect(throws: FetchFailed.self) {
            try writer.submit(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 10) {
                append in
                for n in 1...5 { append(Self.message(n)) }
                throw FetchFailed()
            }
        }
        try writer.submit(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 8) { append in
            for n in 3...8 { append(Self.message(n)) }
        }
        #expect(try writer.finish() == [IngestResult(newMessages: 6, duplicates: 0, newLocations: 6)])
        #expect(try ledger.checkpoint(account: "a", folder: "INBOX")?.lastUID == 8)
        let stored = try ledger.observations()
        #expect(stored.map(\.messageID) == (3...8).map { "m\($0)@example.com" })
        #expect(stored.map(\.appearances) == (3...8).map { Self.message($0).facts.appearances })
    }

    /// Messages appended one by one go out as one batch per commit; a batch with nothing appended moves the
    /// checkpoint alone (a folder with nothing new).
    @Test func appendedMessagesGoOutPerCommitAndAnEmptyBatchMovesTheCheckpoint() throws {
        let ledger = try Ledger.inMemory()
        let writer = BatchWriter(ledger: ledger, chunkSize: 2)
        try writer.begin(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 3)
        for n in 1...3 { writer.append(Self.message(n)) }
        #expect(writer.appendedCount == 3)
        try writer.commit()
        #expect(writer.appendedCount == 0)
        try writer.submit(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 9)
        #expect(
            try writer.finish() == [
                IngestResult(newMessages: 3, duplicates: 0, newLocations: 3),
                IngestResult(newMessages: 0, duplicates: 0, newLocations: 0),
            ])
        #expect(try ledger.checkpoint(account: "a", folder: "INBOX")?.lastUID == 9)
        #expect(try ledger.observations().map(\.messageID) == (1...3).map { "m\($0)@example.com" })
    }

    /// The writer stores a batch's chunks while the batch is still being filled, inside one transaction: none of it
    /// is visible (to a reader, or after a crash) before the commit, which stores the checkpoint with it.
    @Test func chunksStoredBeforeTheCommitStayInvisibleUntilIt() throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-writer")
        let ledger = try Ledger(path: directory.path + "/ledger.sqlite")
        let writer = BatchWriter(ledger: ledger, chunkSize: 3)
        try writer.begin(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 20)
        for n in 1...7 { writer.append(Self.message(n)) }
        // Two chunks of three are handed off; wait until the writer has stored both.
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while writer.chunksStored < 2, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.002) }
        #expect(writer.chunksStored == 2)
        let reader = try Ledger(readOnlyPath: directory.path + "/ledger.sqlite")
        #expect(try reader.messageCount() == 0)
        #expect(try reader.checkpoint(account: "a", folder: "INBOX") == nil)

        try writer.commit()
        #expect(try writer.finish() == [IngestResult(newMessages: 7, duplicates: 0, newLocations: 7)])
        #expect(writer.chunksStored == 3)
        #expect(try reader.messageCount() == 7)
        let checkpoint = try #require(try reader.checkpoint(account: "a", folder: "INBOX"))
        #expect(checkpoint.lastUID == 20)
        #expect(checkpoint.messageCount == 7)
    }

    /// A fetch that fails after chunks went to the writer: their transaction rolls back, the ledger's writer is
    /// free again, and the next batch is stored whole.
    @Test func aBatchDroppedAfterChunksWentToTheWriterStoresNothing() throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-writer")
        let ledger = try Ledger(path: directory.path + "/ledger.sqlite")
        let writer = BatchWriter(ledger: ledger, chunkSize: 2)
        #expect(throws: FetchFailed.self) {
            try writer.submit(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 10) {
                append in
                for n in 1...7 { append(Self.message(n)) }
                throw FetchFailed()
            }
        }
        // The ledger's writer is not held by the dropped batch: another connection can write (a held writer makes it
        // fail after the busy timeout, rather than hang like this connection would).
        try Ledger(path: directory.path + "/ledger.sqlite").recordSyncRun(
            account: "a", folder: "INBOX", startedAt: Date(), finishedAt: Date(), newMessages: 0, error: "dropped")
        #expect(try writer.finish() == [])
        #expect(try ledger.messageCount() == 0)
        #expect(try ledger.checkpoint(account: "a", folder: "INBOX") == nil)

        try writer.submit(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 10) { append in
            for n in 1...10 { append(Self.message(n)) }
        }
        #expect(try writer.finish() == [IngestResult(newMessages: 10, duplicates: 0, newLocations: 10)])
        #expect(try ledger.checkpoint(account: "a", folder: "INBOX")?.messageCount == 10)
        let stored = try ledger.observations()
        #expect(stored.map(\.messageID) == (1...10).map { "m\($0)@example.com" })
        #expect(stored.map(\.appearances) == (1...10).map { Self.message($0).facts.appearances })
    }

    /// Each batch after a writer's first checkpoints the ones committed before it beside the writer: the database
    /// file alone (without its WAL) comes to hold every batch but perhaps the last. A writer of one batch (a
    /// service's usual sync) asks for no checkpoint.
    @Test func batchesCommittedBeforeTheLastAreCheckpointedIntoTheDatabaseFile() throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-writer")
        let ledger = try Ledger(path: directory.path + "/ledger.sqlite")
        let single = BatchWriter(ledger: ledger, chunkSize: 10)
        try single.submit(account: "b", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 5) { append in
            for n in 1001...1005 { append(Self.message(n)) }
        }
        #expect(try single.finish().map(\.newMessages) == [5])
        #expect(single.checkpointsRequested == 0)
        #expect(try ledger.messagesInDatabaseFileAlone() == 0)

        let writer = BatchWriter(ledger: ledger, chunkSize: 10)
        for range in [1...40, 41...80, 81...120] {
            try writer.submit(
                account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: UInt32(range.upperBound)
            ) { append in
                for n in range { append(Self.message(n)) }
            }
        }
        #expect(try writer.finish().map(\.newMessages) == [40, 40, 40])
        #expect(writer.checkpointsRequested == 2)
        #expect(try ledger.messageCount() == 125)
        #expect(try ledger.checkpoint(account: "a", folder: "INBOX")?.lastUID == 120)
        writer.waitForCheckpoints()
        #expect(try ledger.messagesInDatabaseFileAlone() >= 85)
    }

    @Test func chunksAreAnEighthOfABatchAndAtMostAThousand() {
        #expect(BatchWriter.chunkSize(batchSize: 8000) == 1000)
        #expect(BatchWriter.chunkSize(batchSize: 100_000) == 1000)
        #expect(BatchWriter.chunkSize(batchSize: 4000) == 500)
        #expect(BatchWriter.chunkSize(batchSize: 50) == 6)
        #expect(BatchWriter.chunkSize(batchSize: 1) == 1)
    }
}
