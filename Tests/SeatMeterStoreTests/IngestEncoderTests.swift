import Foundation
import SeatMeterCore
import Testing

@testable import SeatMeterStore

/// Batches encoded by one ``IngestEncoder`` and stored with one ``IngestIDs`` (a sync's writer) must store exactly what
/// storing each batch on its own stores, whatever the dictionary met earlier, dropped or started over.
@Suite("Ledger ingest of encoded batches")
struct IngestEncoderTests {
    /// The ledger's facts, for comparing two ledgers.
    struct Contents: Equatable {
        var observations: [MessageObservation]
        var stats: LedgerStats
        var addresses: [String]
        var names: [String]

        init(_ ledger: Ledger) throws {
            observations = try ledger.observations()
            stats = try ledger.stats()
            addresses = try ledger.strings(sql: "SELECT address FROM address ORDER BY address")
            names = try ledger.strings(sql: "SELECT name FROM name ORDER BY name")
        }
    }

    static let batches = [
        Fixtures.batch(0..<30),
        Fixtures.batch(20..<60, folder: "Sent", role: .outgoing, uidValidity: 7),
        Fixtures.batch(50..<90),
        Fixtures.batch(0..<5, account: "import", folder: "mbox", uidValidity: nil, checkpoint: false),
    ]

    /// The reference: each batch stored on its own (a fresh dictionary each time).
    static func reference(_ batches: [IngestBatch]) throws -> Contents {
        let ledger = try Ledger.inMemory()
        for batch in batches { try ledger.ingest(batch) }
        return try Contents(ledger)
    }

    @Test(arguments: [1, 2, 4])
    func oneEncoderStoresWhatSeparateIngestsStore(batchesPerTransaction: Int) throws {
        let ledger = try Ledger.inMemory()
        var encoder = IngestEncoder()
        var ids = IngestIDs()
        let encoded = Self.batches.map { encoder.encode($0) }
        for start in stride(from: 0, to: encoded.count, by: batchesPerTransaction) {
            try ledger.ingest(Array(encoded[start..<min(start + batchesPerTransaction, encoded.count)]), ids: &ids)
        }
        #expect(try Contents(ledger) == Self.reference(Self.batches))
    }

    /// Each distinct address and display name gets one dictionary index, byte for byte, however often and in whichever
    /// company it appears (the same name with other addresses, the same address with other names).
    @Test func theDictionaryHoldsEachAddressAndNameOnce() {
        var encoder = IngestEncoder()
        var values: [[String]] = [[], []]
        for batch in Self.batches {
            let encoded = encoder.encode(batch)
            for table in values.indices { values[table] += encoded.newValues[table] }
        }
        let appearances = Self.batches.flatMap(\.messages).flatMap(\.facts.appearances)
        let addresses = Set(appearances.map(\.mailbox.address))
        let names = Set(appearances.map(\.mailbox.name).filter { !$0.isEmpty })
        #expect(values[Interner.Table.address.rawValue].sorted() == addresses.sorted())
        #expect(values[Interner.Table.name.rawValue].sorted() == names.sorted())
    }

    /// Each message is stored under the first 8 bytes of the SHA-256 of its own key: "mid:" and its Message-ID, else
    /// "sha256:" and its header digest. The encoder builds the keys in memory it reuses: a short key after a long one,
    /// and a digest key after a Message-ID key, must not keep anything of the one before.
    @Test func eachMessageIsStoredUnderTheHashOfItsOwnKey() throws {
        let facts = [
            MessageFacts(messageID: "a-rather-long-message-id-0123456789-0123456789@example.test"),
            MessageFacts(messageID: "b@x.test"),
            MessageFacts(messageID: nil, digest: "ab12"),
            MessageFacts(messageID: "", digest: "cd"),
            MessageFacts(messageID: "c@x.test", digest: "ignored when there is a Message-ID"),
        ]
        let keys = [
            "mid:a-rather-long-message-id-0123456789-0123456789@example.test", "mid:b@x.test", "sha256:ab12",
            "sha256:cd", "mid:c@x.test",
        ]
        let ledger = try Ledger.inMemory()
        try ledger.ingest(IngestBatch(
            account: "helpdesk", folder: "INBOX", role: .incoming, uidValidity: 1,
            messages: facts.enumerated().map { IngestMessage(uid: UInt32($0.offset + 1), facts: $0.element) },
            checkpointUID: UInt32(facts.count)))
        // The first 8 bytes of the hash, big-endian, as a signed integer.
        let expected = keys.map { key in
            String(Int64(bitPattern: SHA256.digest(of: Array(key.utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }))
        }
        #expect(try ledger.strings(sql: "SELECT dedupKey FROM message ORDER BY uid") == expected)
    }

    @Test func theDictionaryStartsOverAtItsLimitAndStoresTheSame() throws {
        let ledger = try Ledger.inMemory()
        var encoder = IngestEncoder(dictionaryLimit: 3)
        var ids = IngestIDs()
        var restarts = 0
        for batch in Self.batches {
            let encoded = encoder.encode(batch)
            if encoded.startsDictionary { restarts += 1 }
            try ledger.ingest([encoded], ids: &ids)
        }
        #expect(restarts == Self.batches.count)
        #expect(try Contents(ledger) == Self.reference(Self.batches))
    }

    /// A duplicate message interns its addresses before the ledger knows it is a duplicate; those rows are removed
    /// again. A later message that uses the same address must get a row of its own, not the removed one's id.
    @Test func anAddressOnlyADuplicateBroughtIsStoredWhenALaterMessageUsesIt() throws {
        let first = Fixtures.facts(1)
        var duplicate = first
        duplicate.appearances.append(
            AddressAppearance(field: .to, mailbox: Mailbox(name: "Only Dup", address: "only-dup@example.com")))
        var later = Fixtures.facts(2)
        later.appearances.append(
            AddressAppearance(field: .cc, mailbox: Mailbox(name: "Only Dup", address: "only-dup@example.com")))
        let batches = [
            IngestBatch(
                account: "a", folder: "INBOX", role: .incoming, uidValidity: 1,
                messages: [IngestMessage(uid: 1, facts: first), IngestMessage(uid: 2, facts: duplicate)],
                checkpointUID: 2),
            IngestBatch(
                account: "a", folder: "INBOX", role: .incoming, uidValidity: 1,
                messages: [IngestMessage(uid: 3, facts: later)], checkpointUID: 3),
        ]
        let ledger = try Ledger.inMemory()
        var encoder = IngestEncoder()
        var ids = IngestIDs()
        try ledger.ingest([encoder.encode(batches[0])], ids: &ids)
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM address WHERE address = 'only-dup@example.com'") == ["0"])
        try ledger.ingest([encoder.encode(batches[1])], ids: &ids)
        #expect(try ledger.observations().last?.appearances == later.appearances)
        #expect(try Contents(ledger) == Self.reference(batches))
    }

    /// Ids a failed transaction found or handed out are forgotten: the rows it inserted were rolled back.
    @Test func aFailedTransactionForgetsTheIdsItResolved() throws {
        let ledger = try Ledger.inMemory()
        try ledger.execute(sql: """
            CREATE TRIGGER poison BEFORE INSERT ON message WHEN NEW.messageID = 'msg-3@example.com'
            BEGIN SELECT RAISE(ABORT, 'poisoned'); END
            """)
        var encoder = IngestEncoder()
        var ids = IngestIDs()
        let failing = encoder.encode(Fixtures.batch(0..<4))
        #expect(throws: (any Error).self) { try ledger.ingest([failing], ids: &ids) }
        #expect(try ledger.messageCount() == 0)
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM address") == ["0"])
        try ledger.execute(sql: "DROP TRIGGER poison")
        // The same addresses and names, met again by the next batch of the same encoder.
        try ledger.ingest([encoder.encode(Fixtures.batch(0..<4))], ids: &ids)
        #expect(try Contents(ledger) == Self.reference([Fixtures.batch(0..<4)]))
    }

    @Test func batchesOutOfOrderOrTwiceAreRefusedAndStoreNothing() throws {
        let ledger = try Ledger.inMemory()
        var encoder = IngestEncoder()
        var ids = IngestIDs()
        let first = encoder.encode(Fixtures.batch(0..<10))
        let second = encoder.encode(Fixtures.batch(10..<60))
        #expect(throws: LedgerError.self) { try ledger.ingest([second], ids: &ids) }
        #expect(throws: LedgerError.self) { try ledger.ingest([second, first], ids: &ids) }
        #expect(try ledger.messageCount() == 0)
        try ledger.ingest([first], ids: &ids)
        var otherIDs = IngestIDs()
        #expect(throws: LedgerError.self) { try ledger.ingest([second], ids: &otherIDs) }
        try ledger.ingest([second], ids: &ids)
        #expect(throws: LedgerError.self) { try ledger.ingest([second], ids: &ids) }
        // A batch that starts the dictionary may come again: it starts it over.
        #expect(try ledger.ingest([first], ids: &ids) == [IngestResult(newMessages: 0, duplicates: 10, newLocations: 0)])
        #expect(try Contents(ledger) == Self.reference([Fixtures.batch(0..<10), Fixtures.batch(10..<60)]))
    }

    /// Messages dropped after a failed fetch leave their dictionary entries to the next batch.
    @Test func discardedMessagesLeaveTheirValuesToTheNextBatch() throws {
        let ledger = try Ledger.inMemory()
        var encoder = IngestEncoder()
        var ids = IngestIDs()
        for message in Fixtures.batch(0..<20).messages { encoder.append(message) }
        #expect(encoder.count == 20)
        encoder.discardMessages()
        #expect(encoder.count == 0)
        let batch = Fixtures.batch(10..<30)
        try ledger.ingest([encoder.encode(batch)], ids: &ids)
        #expect(try Contents(ledger) == Self.reference([batch]))
    }
}
