import Foundation
import SeatMeterCore
import Testing

@testable import SeatMeterStore

/// A message's key in the ledger is 64 bits of its de-duplication hash (`LedgerSchema.dedupKeys`): when another
/// message holds it, the message takes the second half of its hash, and every ingest checks which message a key
/// holds. Real SHA-256 prefixes never collide in a test, so these encoders make hashes that do.
@Suite("De-duplication keys that collide")
struct DedupKeyCollisionTests {
    /// Hashes whose first 8 bytes are the same for every message; the second 8 are the real hash's first.
    static let firstHalvesCollide: @Sendable (UnsafeRawBufferPointer, inout [UInt8]) -> Void = { key, output in
        output.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 1])
        SHA256.appendDigest(of: key, prefix: 8, to: &output)
    }

    /// The same 16 bytes for every message.
    static let bothHalvesCollide: @Sendable (UnsafeRawBufferPointer, inout [UInt8]) -> Void = { _, output in
        output.append(contentsOf: [UInt8](repeating: 7, count: 16))
    }

    static let batches = [
        Fixtures.batch(0..<30),
        Fixtures.batch(20..<60, folder: "Sent", role: .outgoing, uidValidity: 7),
        Fixtures.batch(0..<5, account: "import", folder: "mbox", uidValidity: nil, checkpoint: false),
    ]

    @Test func messagesWhoseFirstKeysCollideAreStoredApartAndStillRecognized() throws {
        let ledger = try Ledger.inMemory()
        var encoder = IngestEncoder(dedupHash: Self.firstHalvesCollide)
        var ids = IngestIDs()
        let results = try Self.batches.map { try ledger.ingest([encoder.encode($0)], ids: &ids)[0] }
        #expect(results.map(\.newMessages) == [30, 30, 0])
        #expect(results.map(\.duplicates) == [0, 10, 5])
        // The same facts as a ledger whose keys never collide.
        #expect(try IngestEncoderTests.Contents(ledger) == IngestEncoderTests.reference(Self.batches))
        // The first message took the shared key, every other one its second.
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM message WHERE dedupKey = 1") == ["1"])
        #expect(try ledger.strings(sql: "SELECT COUNT(DISTINCT dedupKey) FROM message") == ["60"])
        // Ingested again, every message is recognized under whichever key it holds.
        let again = try ledger.ingest([encoder.encode(Self.batches[0])], ids: &ids)[0]
        #expect(again == IngestResult(newMessages: 0, duplicates: 30, newLocations: 0))
        let rescan = try ledger.ingest(
            [encoder.encode(Fixtures.batch(0..<30, uidValidity: 2, uidOffset: 100))], ids: &ids)[0]
        #expect(rescan == IngestResult(newMessages: 0, duplicates: 30, newLocations: 30))
    }

    @Test func aMessageWhoseTwoKeysAreOtherMessagesStopsTheIngestAndStoresNothingOfItsBatch() throws {
        let ledger = try Ledger.inMemory()
        var encoder = IngestEncoder(dedupHash: Self.bothHalvesCollide)
        var ids = IngestIDs()
        try ledger.ingest([encoder.encode(Fixtures.batch(0..<1))], ids: &ids)
        // Message 1 finds both of its keys taken by message 0 (whose hash is the same).
        #expect(throws: (any Error).self) {
            try ledger.ingest([encoder.encode(Fixtures.batch(0..<3))], ids: &ids)
        }
        #expect(try ledger.messageCount() == 1)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.lastUID == 1)
        // Message 0 itself is still recognized.
        let again = try ledger.ingest([encoder.encode(Fixtures.batch(0..<1))], ids: &ids)[0]
        #expect(again == IngestResult(newMessages: 0, duplicates: 1, newLocations: 0))
    }
}
