import Foundation
import SeatMeterCore
import Testing

@testable import SeatMeterStore

@Suite("Ledger ingest")
struct LedgerIngestTests {
    let inbox = FolderLocation(account: "helpdesk", folder: "INBOX", role: .incoming)
    let sent = FolderLocation(account: "helpdesk", folder: "Sent", role: .outgoing)

    /// Everything a test can compare to prove that nothing changed.
    struct Snapshot: Equatable {
        var observations: [MessageObservation]
        var stats: LedgerStats
        var checkpoints: [FolderCheckpoint?]
        var statuses: [FolderStatusRow]

        init(_ ledger: Ledger) throws {
            // Foreign keys are declared but not enforced: check them here.
            #expect(try ledger.strings(sql: "PRAGMA foreign_key_check") == [])
            observations = try ledger.observations()
            stats = try ledger.stats()
            let counts = try ledger.messageCounts()
            #expect(counts.messages == stats.messages && counts.withDefects == stats.messagesWithDefects)
            checkpoints = [
                try ledger.checkpoint(account: "helpdesk", folder: "INBOX"),
                try ledger.checkpoint(account: "helpdesk", folder: "Sent"),
            ]
            statuses = try ledger.folderStatuses()
        }
    }

    @Test(arguments: LedgerKind.allCases)
    func newMessagesAreStoredWithTheirAppearancesAndCheckpoint(kind: LedgerKind) throws {
        let (ledger, scratch) = try kind.make()
        defer { withExtendedLifetime(scratch) {} }
        let now = Date(timeIntervalSince1970: 1_800_000_000.25)
        let result = try ledger.ingest(Fixtures.batch(0..<100), at: now)
        #expect(result == IngestResult(newMessages: 100, duplicates: 0, newLocations: 100))
        #expect(try ledger.messageCount() == 100)
        #expect(
            try ledger.checkpoint(account: "helpdesk", folder: "INBOX")
                == FolderCheckpoint(uidValidity: 1, lastUID: 100, lastSyncAt: now, messageCount: 100)
        )
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "Sent") == nil)
        #expect(
            try ledger.observations() == (0..<100).map { Fixtures.observation(Fixtures.facts($0), locations: [inbox]) }
        )
        let stats = try ledger.stats()
        #expect(stats.messages == 100)
        #expect(stats.messagesWithDefects == (0..<100).filter { $0 % 11 == 0 }.count)
        #expect(stats.automatedMessages == (0..<100).filter { $0 % 7 == 0 }.count)
        #expect(stats.messagesWithoutDate == (0..<100).filter { $0 % 17 == 0 }.count)
        #expect(stats.appearances == (0..<100).reduce(0) { $0 + Fixtures.facts($1).appearances.count })
        #expect(stats.locations == 100)
        // 50 people, the desk, 50 "P…@Example.com" spellings kept apart (case is kept), 3 reply, 1 agent.
        #expect(stats.addresses == 50 + 1 + 50 + 3 + 1)
    }

    @Test(arguments: LedgerKind.allCases)
    func theSameMessageInTwoFoldersIsOneMessageSeenTwice(kind: LedgerKind) throws {
        let (ledger, scratch) = try kind.make()
        defer { withExtendedLifetime(scratch) {} }
        try ledger.ingest(Fixtures.batch(0..<20))
        let result = try ledger.ingest(Fixtures.batch(10..<30, folder: "Sent", role: .outgoing, uidValidity: 7))
        #expect(result == IngestResult(newMessages: 10, duplicates: 10, newLocations: 20))
        #expect(try ledger.messageCount() == 30)
        let observations = try ledger.observations()
        #expect(observations.count == 30)
        for (n, observation) in zip(0..., observations) {
            let expected: [FolderLocation] = n < 10 ? [inbox] : n < 20 ? [inbox, sent] : [sent]
            #expect(observation == Fixtures.observation(Fixtures.facts(n), locations: expected))
        }
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "Sent")?.messageCount == 20)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.messageCount == 20)
    }

    /// The insert is a cached statement and binds each message's texts in place: once a batch is stored, it holds no
    /// pointer into the batch's memory, and the next batch stores its own values.
    @Test func theCachedInsertKeepsNothingOfAStoredBatch() throws {
        let ledger = try Ledger.inMemory()
        try ledger.ingest(Fixtures.batch(0..<20))
        let expanded = try #require(try ledger.expandedCachedStatement(sql: Ledger.insertMessageSQL))
        #expect(expanded.contains("VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"),
                "\(expanded)")
        try ledger.ingest(Fixtures.batch(20..<40))
        #expect(try ledger.messageCount() == 40)
        #expect(try ledger.strings(sql: "SELECT messageID FROM message WHERE messageID = 'msg-21@example.com'")
            == ["msg-21@example.com"])
    }

    @Test func aKnownMessageKeepsItsFirstFacts() throws {
        let ledger = try Ledger.inMemory()
        try ledger.ingest(Fixtures.batch(1..<2))
        let addresses = try ledger.stats().addresses
        let names = try ledger.strings(sql: "SELECT name FROM name ORDER BY id")
        var changed = Fixtures.facts(1)
        changed.subject = "other"
        // Addresses and names only the later copy has are not kept: nothing refers to them.
        changed.appearances = [
            AddressAppearance(field: .bcc, mailbox: Mailbox(name: "Only Here", address: "only-here@example.net"))
        ]
        let result = try ledger.ingest(
            IngestBatch(
                account: "helpdesk",
                folder: "Sent",
                role: .outgoing,
                uidValidity: 3,
                messages: [IngestMessage(uid: 9, facts: changed)],
                checkpointUID: 9
            )
        )
        #expect(result == IngestResult(newMessages: 0, duplicates: 1, newLocations: 1))
        #expect(try ledger.observations() == [Fixtures.observation(Fixtures.facts(1), locations: [inbox, sent])])
        #expect(try ledger.stats().addresses == addresses)
        #expect(try ledger.strings(sql: "SELECT name FROM name ORDER BY id") == names)
        // The cache forgot them too: a new message with that address gets a fresh, stored id.
        var next = Fixtures.facts(2)
        next.appearances = changed.appearances
        try ledger.ingest(
            IngestBatch(
                account: "helpdesk", folder: "INBOX", role: .incoming, uidValidity: 1,
                messages: [IngestMessage(uid: 3, facts: next)], checkpointUID: nil))
        #expect(try ledger.observations().last?.appearances == changed.appearances)
        #expect(try ledger.stats().addresses == addresses + 1)
    }

    @Test(arguments: LedgerKind.allCases)
    func reIngestingTheSameBatchChangesNothing(kind: LedgerKind) throws {
        let (ledger, scratch) = try kind.make()
        defer { withExtendedLifetime(scratch) {} }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try ledger.ingest(Fixtures.batch(0..<50), at: now)
        try ledger.ingest(Fixtures.batch(20..<60, folder: "Sent", role: .outgoing), at: now)
        let before = try Snapshot(ledger)
        let again = try ledger.ingest(Fixtures.batch(0..<50), at: now)
        #expect(again == IngestResult(newMessages: 0, duplicates: 50, newLocations: 0))
        let againSent = try ledger.ingest(Fixtures.batch(20..<60, folder: "Sent", role: .outgoing), at: now)
        #expect(againSent == IngestResult(newMessages: 0, duplicates: 40, newLocations: 0))
        #expect(try Snapshot(ledger) == before)
    }

    @Test func duplicatesInsideOneBatchAreCountedOnce() throws {
        let ledger = try Ledger.inMemory()
        let facts = Fixtures.facts(3)
        let batch = IngestBatch(
            account: "helpdesk",
            folder: "INBOX",
            role: .incoming,
            uidValidity: 1,
            messages: [IngestMessage(uid: 1, facts: facts), IngestMessage(uid: 2, facts: facts)],
            checkpointUID: 2
        )
        #expect(try ledger.ingest(batch) == IngestResult(newMessages: 1, duplicates: 1, newLocations: 2))
        // Two copies in one folder are one location in the observation.
        #expect(try ledger.observations() == [Fixtures.observation(facts, locations: [inbox])])
        #expect(try ledger.stats().locations == 2)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.messageCount == 2)
    }

    @Test func messagesWithoutMessageIDAreKeyedByDigest() throws {
        let ledger = try Ledger.inMemory()
        let a = MessageFacts(subject: "a", digest: "aa")
        let b = MessageFacts(subject: "b", digest: "bb")
        let emptyID = MessageFacts(messageID: "", subject: "c", digest: "aa")
        let batch = IngestBatch(
            account: "helpdesk",
            folder: "INBOX",
            role: .incoming,
            uidValidity: 1,
            messages: [
                IngestMessage(uid: 1, facts: a), IngestMessage(uid: 2, facts: b), IngestMessage(uid: 3, facts: emptyID),
            ],
            checkpointUID: 3
        )
        #expect(try ledger.ingest(batch) == IngestResult(newMessages: 2, duplicates: 1, newLocations: 3))
        #expect(try ledger.observations().map(\.key) == ["sha256:aa", "sha256:bb"])
    }

    @Test func checkpointOnlyMovesForwardUnderTheSameUIDValidity() throws {
        let ledger = try Ledger.inMemory()
        let t1 = Date(timeIntervalSince1970: 1_800_000_000)
        let t2 = t1.addingTimeInterval(300)
        try ledger.ingest(Fixtures.batch(0..<10), at: t1)
        var late = Fixtures.batch(0..<3)  // an older range re-read: UIDs 1...3
        late.checkpointUID = 3
        try ledger.ingest(late, at: t2)
        #expect(
            try ledger.checkpoint(account: "helpdesk", folder: "INBOX")
                == FolderCheckpoint(uidValidity: 1, lastUID: 10, lastSyncAt: t2, messageCount: 10)
        )
        // A batch without checkpointUID stores facts but leaves the checkpoint alone.
        try ledger.ingest(Fixtures.batch(10..<12, checkpoint: false), at: t2.addingTimeInterval(60))
        #expect(
            try ledger.checkpoint(account: "helpdesk", folder: "INBOX")
                == FolderCheckpoint(uidValidity: 1, lastUID: 10, lastSyncAt: t2, messageCount: 10)
        )
        // Nothing new, but the sync reached UID 20 (e.g. expunged messages): the checkpoint follows.
        try ledger.ingest(
            IngestBatch(
                account: "helpdesk",
                folder: "INBOX",
                role: .incoming,
                uidValidity: 1,
                messages: [],
                checkpointUID: 20
            ),
            at: t2
        )
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.lastUID == 20)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.messageCount == 10)
    }

    @Test(arguments: LedgerKind.allCases)
    func aFailureInsideABatchCommitsNothing(kind: LedgerKind) throws {
        let (ledger, scratch) = try kind.make()
        defer { withExtendedLifetime(scratch) {} }
        let t1 = Date(timeIntervalSince1970: 1_800_000_000)
        try ledger.ingest(Fixtures.batch(0..<10), at: t1)
        let before = try Snapshot(ledger)
        // Fault injection: the 30th message's sender makes SQLite abort the transaction midway, after new
        // messages, addresses, names and locations were written.
        try ledger.execute(
            sql: """
                CREATE TRIGGER fail AFTER INSERT ON name
                WHEN NEW.name = 'Boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """
        )
        var batch = Fixtures.batch(10..<40)
        batch.messages[20].facts.appearances[0].mailbox = Mailbox(name: "Boom", address: "new-in-failed@example.net")
        batch.messages[5].facts.appearances.append(
            AddressAppearance(field: .bcc, mailbox: Mailbox(name: "", address: "only-in-failed@example.net"))
        )
        #expect(throws: (any Error).self) { try ledger.ingest(batch, at: t1.addingTimeInterval(60)) }
        #expect(try Snapshot(ledger) == before)
        try ledger.execute(sql: "DROP TRIGGER fail")

        // The rolled-back address ids must not be reused from the cache: a new address now takes the id
        // "only-in-failed" had, then the failed batch is retried.
        let intruder = MessageFacts(
            messageID: "intruder@example.com",
            appearances: [AddressAppearance(field: .from, mailbox: Mailbox(name: "", address: "intruder@example.net"))],
            digest: "00"
        )
        try ledger.ingest(
            IngestBatch(
                account: "helpdesk",
                folder: "Other",
                role: .incoming,
                uidValidity: 1,
                messages: [IngestMessage(uid: 1, facts: intruder)],
                checkpointUID: 1
            )
        )
        #expect(try ledger.ingest(batch) == IngestResult(newMessages: 30, duplicates: 0, newLocations: 30))
        let observations = try ledger.observations()
        let byKey = Dictionary(uniqueKeysWithValues: observations.map { ($0.key, $0) })
        for message in batch.messages {
            #expect(byKey[message.facts.deduplicationKey]?.appearances == message.facts.appearances)
        }
        #expect(byKey["mid:intruder@example.com"]?.appearances == intruder.appearances)
        #expect(try ledger.strings(sql: "PRAGMA foreign_key_check") == [])
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.lastUID == 40)
    }

    @Test(arguments: LedgerKind.allCases)
    func uidValidityResetRestartsTheFolderWithoutCountingTwice(kind: LedgerKind) throws {
        let (ledger, scratch) = try kind.make()
        defer { withExtendedLifetime(scratch) {} }
        let t1 = Date(timeIntervalSince1970: 1_800_000_000)
        try ledger.ingest(Fixtures.batch(0..<30), at: t1)
        try ledger.resetCheckpoint(account: "helpdesk", folder: "INBOX", uidValidity: 2, at: t1.addingTimeInterval(5))
        #expect(
            try ledger.checkpoint(account: "helpdesk", folder: "INBOX")
                == FolderCheckpoint(uidValidity: 2, lastUID: 0, lastSyncAt: t1, messageCount: 0)
        )
        // The server renumbered the folder: same messages, new UIDs, plus five new ones.
        let t2 = t1.addingTimeInterval(60)
        let result = try ledger.ingest(Fixtures.batch(0..<35, uidValidity: 2, uidOffset: 1000), at: t2)
        #expect(result == IngestResult(newMessages: 5, duplicates: 30, newLocations: 35))
        #expect(
            try ledger.checkpoint(account: "helpdesk", folder: "INBOX")
                == FolderCheckpoint(uidValidity: 2, lastUID: 1035, lastSyncAt: t2, messageCount: 35)
        )
        #expect(try ledger.messageCount() == 35)
        #expect(try ledger.stats().locations == 65)
        #expect(try ledger.strings(sql: "PRAGMA foreign_key_check") == [])
        #expect(
            try ledger.observations() == (0..<35).map { Fixtures.observation(Fixtures.facts($0), locations: [inbox]) }
        )
        // Re-running the same renumbered sync is still a no-op.
        #expect(
            try ledger.ingest(Fixtures.batch(0..<35, uidValidity: 2, uidOffset: 1000), at: t2)
                == IngestResult(newMessages: 0, duplicates: 35, newLocations: 0)
        )
        // A reset counts the folder's known locations under the new UIDVALIDITY: the 30 re-seen messages' are
        // `location` rows, the 5 new messages' are in their rows.
        try ledger.resetCheckpoint(account: "helpdesk", folder: "INBOX", uidValidity: 2, at: t2)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.messageCount == 35)
    }

    @Test func aNewMessageIsOneRowHoldingItsFirstLocation() throws {
        let ledger = try Ledger.inMemory()
        #expect(try ledger.ingest(Fixtures.batch(0..<10)).newLocations == 10)
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM location") == ["0"])
        #expect(
            try ledger.strings(sql: "SELECT folderId || ':' || uidValidity || ':' || uid FROM message ORDER BY id")
                == (1...10).map { "1:1:\($0)" }
        )
        // Copies in Sent are the messages' second locations: `location` rows.
        let sent = try ledger.ingest(Fixtures.batch(0..<3, folder: "Sent", role: .outgoing, uidValidity: 7))
        #expect(sent == IngestResult(newMessages: 0, duplicates: 3, newLocations: 3))
        #expect(
            try ledger.strings(sql: "SELECT messageId || ':' || folderId || ':' || uid FROM location ORDER BY 1")
                == ["1:2:1", "2:2:2", "3:2:3"]
        )
        #expect(try ledger.stats().locations == 13)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "Sent")?.messageCount == 3)
    }

    @Test func aBatchUnderANewUIDValidityWithoutResetAlsoRestarts() throws {
        let ledger = try Ledger.inMemory()
        try ledger.ingest(Fixtures.batch(0..<10))
        try ledger.ingest(Fixtures.batch(0..<4, uidValidity: 9, uidOffset: 500))
        let checkpoint = try #require(try ledger.checkpoint(account: "helpdesk", folder: "INBOX"))
        #expect(checkpoint.uidValidity == 9)
        #expect(checkpoint.lastUID == 504)
        #expect(checkpoint.messageCount == 4)
    }

    @Test(arguments: LedgerKind.allCases)
    func importsHaveNoUIDsAndDeduplicateByFolder(kind: LedgerKind) throws {
        let (ledger, scratch) = try kind.make()
        defer { withExtendedLifetime(scratch) {} }
        let archive = FolderLocation(account: "import", folder: "/srv/export/Maildir", role: .incoming)
        let batch = Fixtures.batch(0..<10, account: "import", folder: "/srv/export/Maildir", uidValidity: nil)
        #expect(batch.messages.allSatisfy { $0.uid == nil })
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try ledger.ingest(batch, at: now) == IngestResult(newMessages: 10, duplicates: 0, newLocations: 10))
        #expect(try ledger.ingest(batch, at: now) == IngestResult(newMessages: 0, duplicates: 10, newLocations: 0))
        #expect(
            try ledger.checkpoint(account: "import", folder: "/srv/export/Maildir")
                == FolderCheckpoint(uidValidity: nil, lastUID: 0, lastSyncAt: now, messageCount: 10)
        )
        #expect(try ledger.observations().allSatisfy { $0.locations == [archive] })
    }

    @Test func aUIDWithoutUIDValidityIsRejected() throws {
        let ledger = try Ledger.inMemory()
        var batch = Fixtures.batch(0..<2, uidValidity: nil)
        batch.messages[1].uid = 5
        #expect(
            throws: LedgerError.invalidBatch(
                account: "helpdesk",
                folder: "INBOX",
                reason: "messages have UIDs but the batch has no UIDVALIDITY"
            )
        ) { try ledger.ingest(batch) }
        #expect(try ledger.messageCount() == 0)
    }

    @Test func theFolderRoleFollowsTheLatestIngest() throws {
        let ledger = try Ledger.inMemory()
        try ledger.ingest(Fixtures.batch(0..<3, folder: "Sent"))
        #expect(try ledger.observations().flatMap(\.locations).map(\.role) == [.incoming, .incoming, .incoming])
        try ledger.ingest(Fixtures.batch(3..<4, folder: "Sent", role: .outgoing))
        #expect(
            try ledger.observations().flatMap(\.locations).map(\.role) == [.outgoing, .outgoing, .outgoing, .outgoing]
        )
    }

    @Test func storedTextIsNormalizedAsDocumented() throws {
        let ledger = try Ledger.inMemory()
        let facts = MessageFacts(
            messageID: "x@y",
            date: Date(timeIntervalSince1970: 1_700_000_000.75),
            subject: "",
            automation: AutomationFacts(reasons: ["two\nlines", "", "x-loop", "\u{301}combining first", "cr\rlf"]),
            defects: ["bad\r\ndate"],
            digest: "ab"
        )
        try ledger.ingest(
            IngestBatch(
                account: "a",
                folder: "INBOX",
                role: .incoming,
                uidValidity: 1,
                messages: [IngestMessage(uid: 1, facts: facts)],
                checkpointUID: 1
            )
        )
        let observation = try #require(try ledger.observations().first)
        #expect(observation.date == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(observation.subject == "")
        #expect(observation.automation.reasons == ["two lines", "x-loop", "\u{301}combining first", "cr lf"])
        #expect(try ledger.strings(sql: "SELECT defects FROM message") == ["bad  date"])
        #expect(try ledger.stats().messagesWithDefects == 1)
    }

    /// Names and addresses are interned byte for byte, as the tables' UNIQUE columns compare them: two canonically
    /// equivalent spellings (precomposed and decomposed "ë") are two rows, and each message reads back as written,
    /// also when the writer's cache met the other spelling first (in the same batch or an earlier one).
    @Test func equivalentSpellingsAreInternedAsWritten() throws {
        let ledger = try Ledger.inMemory()
        let composed = "Zo\u{00EB}"
        let decomposed = "Zoe\u{0308}"
        #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8))
        func facts(_ n: Int, _ spelling: String) -> MessageFacts {
            MessageFacts(
                messageID: "spelling-\(n)@x", date: Fixtures.epoch.addingTimeInterval(Double(n)), subject: nil,
                appearances: [
                    AddressAppearance(field: .from, mailbox: Mailbox(name: spelling, address: "\(spelling)@example.com"))
                ],
                digest: "")
        }
        let batches = [[facts(0, composed), facts(1, decomposed)], [facts(2, decomposed), facts(3, composed)]]
        for (index, messages) in batches.enumerated() {
            try ledger.ingest(IngestBatch(
                account: "a", folder: "INBOX", role: .incoming, uidValidity: 1,
                messages: messages.enumerated().map { IngestMessage(uid: UInt32(index * 2 + $0.offset + 1), facts: $0.element) },
                checkpointUID: UInt32(index * 2 + 2)))
        }
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM name") == ["2"])
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM address") == ["2"])
        let written = batches.flatMap { $0 }.map { Array($0.appearances[0].mailbox.name.utf8) }
        let read = try ledger.observations().map { Array($0.appearances[0].mailbox.name.utf8) }
        #expect(read == written)
        let addresses = try ledger.observations().map { Array($0.appearances[0].mailbox.address.utf8) }
        #expect(addresses == batches.flatMap { $0 }.map { Array($0.appearances[0].mailbox.address.utf8) })
    }

    @Test func textRoundTripsExactlyIncludingUnicodeAndNUL() throws {
        let ledger = try Ledger.inMemory()
        let facts = MessageFacts(
            messageID: "id\u{0}with-nul@x",
            date: Date(timeIntervalSince1970: -86_400),
            subject: "Grüße 👋\u{0} tail",
            appearances: [
                AddressAppearance(
                    field: .from,
                    mailbox: Mailbox(name: "Zoë \u{0}\"Q\"", address: "zoë@bücher.example")
                ),
                AddressAppearance(field: .resentCc, mailbox: Mailbox(name: "", address: "")),
            ],
            digest: ""
        )
        try ledger.ingest(
            IngestBatch(
                account: "a",
                folder: "INBOX",
                role: .incoming,
                uidValidity: 1,
                messages: [IngestMessage(uid: UInt32.max, facts: facts)],
                checkpointUID: UInt32.max
            )
        )
        #expect(
            try ledger.observations() == [
                Fixtures.observation(facts, locations: [FolderLocation(account: "a", folder: "INBOX", role: .incoming)])
            ]
        )
        #expect(try ledger.checkpoint(account: "a", folder: "INBOX")?.lastUID == UInt32.max)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 33, 200])
    func everyAppearanceIsStoredInHeaderOrder(count: Int) throws {
        let ledger = try Ledger.inMemory()
        let fields = AddressField.allCases
        let facts = MessageFacts(
            messageID: "many-\(count)@example.com",
            appearances: (0..<count).map { i in
                AddressAppearance(
                    field: fields[i % fields.count],
                    mailbox: Mailbox(name: i % 3 == 0 ? "" : "Name \(i)", address: "a\(i % 40)@example.com")
                )
            },
            digest: "d"
        )
        try ledger.ingest(
            IngestBatch(
                account: "a",
                folder: "INBOX",
                role: .incoming,
                uidValidity: 1,
                messages: [IngestMessage(uid: 1, facts: facts)],
                checkpointUID: 1
            )
        )
        #expect(try ledger.observations().first?.appearances == facts.appearances)
        #expect(try ledger.stats().appearances == count)
        #expect(try ledger.stats().addresses == min(count, 40))
    }
}
