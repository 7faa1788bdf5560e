import Foundation
import SeatMeterCore
import SeatMeterStore
import Testing

@testable import SeatMeterDaemon

@Suite("Batch writer")
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
        let writer = BatchWriter(ledger: ledger)
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

    /// Messages appended one by one go out as one batch per submit; a submit with nothing appended moves the
    /// checkpoint alone (a folder with nothing new).
    @Test func appendedMessagesGoOutPerSubmitAndAnEmptySubmitMovesTheCheckpoint() throws {
        let ledger = try Ledger.inMemory()
        let writer = BatchWriter(ledger: ledger)
        for n in 1...3 { writer.append(Self.message(n)) }
        #expect(writer.appendedCount == 3)
        try writer.submit(account: "a", folder: "INBOX", role: .incoming, uidValidity: 1, checkpointUID: 3)
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
}
