import Foundation
import GRDB
import SeatMeterCore
import Testing

@testable import SeatMeterStore

@Suite("Ledger migrations and opening")
struct LedgerMigrationTests {
    @Test func inMemoryLedgerHasTheCurrentSchema() throws {
        let ledger = try Ledger.inMemory()
        #expect(ledger.path == ":memory:")
        let migrations = try ledger.strings(sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        #expect(migrations == LedgerSchema.identifiers)
        #expect(migrations.prefix(2) == ["v1-ledger", "v2-packed-appearances"])
        let tables = Set(try ledger.strings(sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        #expect(
            tables.isSuperset(of: [
                "address", "checkpoint", "delivery", "folder", "grdb_migrations", "location", "message", "name",
                "syncRun",
            ])
        )
        #expect(!tables.contains("appearance"))
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
            // The writer's own checkpoint is the backstop at 64 MB of WAL (a sync's checkpoints run beside it).
            #expect(
                try ledger.dbWriter.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
                    == 4096)
            #expect(try ledger.strings(sql: "PRAGMA page_size") == ["16384"])
            #expect(ledger.writerSkipsCheckpointOnClose())
            try ledger.ingest(Fixtures.batch(0..<10))
        }
        // Persistent WAL: the companions survive the last connection, so read-only opens always work.
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(FileManager.default.fileExists(atPath: path + "-shm"))
        // Closing left the last commits in the WAL (no checkpoint on close): a read-only open reads them from it.
        let walSize = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(walSize > 0)
        #expect(try Ledger(readOnlyPath: path).messageCount() == 10)
        let reopened = try Ledger(path: path)
        #expect(try reopened.messageCount() == 10)
        #expect(
            try reopened.strings(sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
                == LedgerSchema.identifiers
        )
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
        #expect(throws: LedgerError.olderSchema(path: empty, missingMigrations: LedgerSchema.identifiers)) {
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

    /// Rows stored before "v3-message-location" have no location of their own: the migration adds the columns
    /// as NULL and every location stays in `location`. Here a ledger is put in that state by moving its rows'
    /// locations into `location`; reads, re-ingests and counts must not tell the difference.
    @Test func rowsStoredBeforeRowsHeldALocationKeepThemAllInTheLocationTable() throws {
        let ledger = try Ledger.inMemory()
        let sent = (folder: "Sent", role: FolderRole.outgoing, uidValidity: UInt32(7))
        try ledger.ingest(Fixtures.batch(0..<20))
        try ledger.ingest(Fixtures.batch(0..<5, folder: sent.folder, role: sent.role, uidValidity: sent.uidValidity))
        let observations = try ledger.observations()
        let stats = try ledger.stats()
        try ledger.execute(
            sql: """
                INSERT INTO location SELECT id, folderId, uidValidity, uid FROM message;
                UPDATE message SET folderId = NULL, uidValidity = NULL, uid = NULL;
                """
        )
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM location") == ["25"])
        #expect(try ledger.observations() == observations)
        #expect(try ledger.stats() == stats)
        #expect(try ledger.ingest(Fixtures.batch(0..<20)) == IngestResult(newMessages: 0, duplicates: 20, newLocations: 0))
        #expect(
            try ledger.ingest(
                Fixtures.batch(0..<5, folder: sent.folder, role: sent.role, uidValidity: sent.uidValidity)
            ) == IngestResult(newMessages: 0, duplicates: 5, newLocations: 0)
        )
        try ledger.resetCheckpoint(account: "helpdesk", folder: "INBOX", uidValidity: 1)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.messageCount == 20)
        // New mail after the migration: its rows hold their first location.
        #expect(try ledger.ingest(Fixtures.batch(20..<23)).newLocations == 3)
        #expect(try ledger.strings(sql: "SELECT COUNT(*) FROM message WHERE folderId IS NOT NULL") == ["3"])
        #expect(try ledger.stats().locations == 28)
        #expect(try ledger.strings(sql: "PRAGMA foreign_key_check") == [])
    }
}

@Suite("Migrating a v1 ledger to packed appearances")
struct LedgerV1MigrationTests {
    static let inbox = FolderLocation(account: "helpdesk", folder: "INBOX", role: .incoming)
    static let sent = FolderLocation(account: "helpdesk", folder: "Sent", role: .outgoing)
    static let count = 120
    /// The migrations a v1 ledger lacks.
    static let afterV1 = Array(LedgerSchema.identifiers.dropFirst())

    /// Folders of message `n`: every message in INBOX; every third also in Sent (folder 2, met after INBOX).
    static func locations(_ n: Int) -> [FolderLocation] {
        n % 3 == 0 ? [inbox, sent] : [inbox]
    }

    /// The rows a v1 SeatMeter wrote for `Fixtures.facts(0..<count)`: INBOX UIDs n + 1 under UIDVALIDITY 1, every
    /// fifth message seen again under UIDVALIDITY 2 (a reset), every third in Sent too; ids in ingest order.
    static func v1Rows() -> String {
        func literal(_ text: String?) -> String {
            text.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL"
        }
        var sql = """
            INSERT INTO folder (id, account, name, role) VALUES (1, 'helpdesk', 'INBOX', 'incoming');
            INSERT INTO folder (id, account, name, role) VALUES (2, 'helpdesk', 'Sent', 'outgoing');
            INSERT INTO checkpoint VALUES ('helpdesk', 'INBOX', 2, \(count), 1800000000.5, \(count / 5));
            INSERT INTO syncRun (account, folder, startedAt, finishedAt, newMessages, status, error)
                VALUES ('helpdesk', 'INBOX', 1800000000, 1800000000.5, \(count), 'ok', NULL);

            """
        var addressIDs: [String: Int] = [:]
        for n in 0..<count {
            let facts = Fixtures.facts(n)
            let id = n + 1
            let date = facts.date.map { String(Int64($0.timeIntervalSince1970)) } ?? "NULL"
            sql += """
                INSERT INTO message VALUES (\(id), \(literal(facts.deduplicationKey)), \(literal(facts.messageID)), \
                \(date), \(literal(facts.subject)), \(literal(facts.automation.reasons.joined(separator: "\n"))), \
                \(literal(facts.defects.joined(separator: "\n"))), \(literal(facts.digest)), 1800000000.25);

                """
            for (position, appearance) in facts.appearances.enumerated() {
                let address = appearance.mailbox.address
                let addressID: Int
                if let known = addressIDs[address] {
                    addressID = known
                } else {
                    addressID = addressIDs.count + 1
                    addressIDs[address] = addressID
                    sql += "INSERT INTO address VALUES (\(addressID), \(literal(address)));\n"
                }
                sql += """
                    INSERT INTO appearance VALUES (\(id), \(position), \(literal(appearance.field.rawValue)), \
                    \(addressID), \(literal(appearance.mailbox.name)));

                    """
            }
            sql += "INSERT INTO location VALUES (\(id), 1, 1, \(n + 1));\n"
            if n % 5 == 0 { sql += "INSERT INTO location VALUES (\(id), 1, 2, \(n / 5 + 1));\n" }
            if n % 3 == 0 { sql += "INSERT INTO location VALUES (\(id), 2, 7, \(n + 1));\n" }
        }
        return sql
    }

    @Test func aV1LedgerIsMigratedWithTheSameObservations() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        try Ledger.createFile(path: path, migratedUpTo: "v1-ledger", sql: Self.v1Rows())
        // A reader never migrates: it asks for a sync first.
        #expect(throws: LedgerError.olderSchema(path: path, missingMigrations: Self.afterV1)) {
            try Ledger(readOnlyPath: path)
        }

        let ledger = try Ledger(path: path)
        let expected = (0..<Self.count).map { Fixtures.observation(Fixtures.facts($0), locations: Self.locations($0)) }
        #expect(try ledger.observations() == expected)
        let start = Fixtures.epoch.addingTimeInterval(10 * 60)
        let end = Fixtures.epoch.addingTimeInterval(90 * 60)
        #expect(
            try ledger.observations(from: start, to: end)
                == expected.filter { $0.date.map { $0 >= start && $0 < end } ?? false }
        )
        #expect(try !ledger.strings(sql: "SELECT name FROM sqlite_master").contains("appearance"))
        #expect(try ledger.strings(sql: "PRAGMA foreign_key_check") == [])
        #expect(try ledger.strings(sql: "PRAGMA integrity_check") == ["ok"])
        let facts = (0..<Self.count).map { Fixtures.facts($0) }
        let stats = try ledger.stats()
        #expect(stats.messages == Self.count)
        #expect(stats.appearances == facts.map { $0.appearances.count }.reduce(0, +))
        #expect(stats.locations == Self.count + Self.count / 5 + Self.count / 3)
        #expect(stats.messagesWithDefects == facts.filter { !$0.defects.isEmpty }.count)
        #expect(stats.automatedMessages == facts.filter { $0.automation.isAutomated }.count)
        #expect(try ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.lastUID == UInt32(Self.count))

        // The migrated keys still de-duplicate: a rescan stores nothing new, new mail joins the same addresses.
        let rescan = try ledger.ingest(Fixtures.batch(0..<Self.count, uidValidity: 2, uidOffset: 500))
        #expect(rescan == IngestResult(newMessages: 0, duplicates: Self.count, newLocations: Self.count))
        let addresses = stats.addresses
        try ledger.ingest(Fixtures.batch(Self.count..<Self.count + 10, uidValidity: 2, uidOffset: 500))
        #expect(try ledger.stats().addresses == addresses)
        #expect(try ledger.observations().suffix(10) == (Self.count..<Self.count + 10).map {
            Fixtures.observation(Fixtures.facts($0), locations: [Self.inbox])
        })
    }

    @Test func aV1RowV2CannotRepresentStopsTheMigrationAndKeepsTheLedger() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        try Ledger.createFile(
            path: path, migratedUpTo: "v1-ledger",
            sql: Self.v1Rows() + "UPDATE appearance SET field = 'x-unknown' WHERE messageId = 3 AND position = 1;")
        #expect(throws: (any Error).self) { try Ledger(path: path) }
        // Still a complete v1 ledger: nothing was dropped.
        #expect(throws: LedgerError.olderSchema(path: path, missingMigrations: Self.afterV1)) {
            try Ledger(readOnlyPath: path)
        }
    }
}

@Suite("Migrating to integer de-duplication keys")
struct LedgerV4MigrationTests {
    /// An SQL BLOB literal.
    static func hex(_ bytes: [UInt8]) -> String {
        "X'" + bytes.map { String(format: "%02X", $0) }.joined() + "'"
    }

    /// A ledger migrated up to v3 holding one message per hash (Message-IDs m1@x.test, m2@x.test, ... in order),
    /// each seen in INBOX under UIDVALIDITY 1 with UID = its id.
    static func v3Ledger(hashes: [[UInt8]], at path: String) throws {
        var sql = "INSERT INTO folder VALUES (1, 'helpdesk', 'INBOX', 'incoming');\n"
        let folders = hex(LedgerPacking.folders([1]))
        for (offset, hash) in hashes.enumerated() {
            let id = offset + 1
            sql += """
                INSERT INTO message (id, dedupHash, messageID, date, subject, digest, firstIngestedAt, appearances,
                    folders, folderId, uidValidity, uid)
                VALUES (\(id), \(hex(hash)), 'm\(id)@x.test', \(1_700_000_000 + id), 'subject \(id)', '',
                    1700000000.5, X'00', \(folders), 1, 1, \(id));

                """
        }
        try Ledger.createFile(path: path, migratedUpTo: "v3-message-location", sql: sql)
    }

    static func key(_ bytes: ArraySlice<UInt8>) -> String {
        String(Int64(bitPattern: bytes.reduce(0) { $0 << 8 | UInt64($1) }))
    }

    @Test func eachRowTakesItsFirstKeyOrTheSecondWhenAnEarlierRowHoldsIt() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        let real = LedgerSchema.dedupHash("mid:m1@x.test")
        // Row 2's first half is row 1's.
        let hashes = [real, Array(real.prefix(8)) + [9, 9, 9, 9, 9, 9, 9, 9], Array(repeating: 5, count: 16)]
        try Self.v3Ledger(hashes: hashes, at: path)
        let ledger = try Ledger(path: path)
        #expect(
            try ledger.strings(sql: "SELECT dedupKey FROM message ORDER BY id")
                == [Self.key(hashes[0].prefix(8)), Self.key(hashes[1].suffix(8)), Self.key(hashes[2].prefix(8))])
        #expect(
            try ledger.strings(sql: "SELECT messageID FROM message ORDER BY id")
                == ["m1@x.test", "m2@x.test", "m3@x.test"])
        #expect(try ledger.stats().locations == 3)
        #expect(try ledger.strings(sql: "PRAGMA foreign_key_check") == [])
        #expect(try ledger.strings(sql: "PRAGMA integrity_check") == ["ok"])
        // The defects index made again (the date index, made again too, goes with v5).
        #expect(
            try ledger.strings(sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'message'")
                .sorted() == ["message_defects", "sqlite_autoindex_message_1"])
        // Row 1's hash is the real one: ingesting that message again finds it.
        let again = try ledger.ingest(IngestBatch(
            account: "helpdesk", folder: "INBOX", role: .incoming, uidValidity: 1,
            messages: [IngestMessage(uid: 1, facts: MessageFacts(messageID: "m1@x.test"))], checkpointUID: 1))
        #expect(again == IngestResult(newMessages: 0, duplicates: 1, newLocations: 0))
    }

    @Test func aRowWhoseTwoKeysAreEarlierRowsStopsTheMigrationAndKeepsTheLedger() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        let a: [UInt8] = Array(repeating: 1, count: 8)
        let y: [UInt8] = Array(repeating: 2, count: 8)
        // Row 3's first half is row 1's first, its second half row 2's first.
        try Self.v3Ledger(
            hashes: [a + Array(repeating: 3, count: 8), y + Array(repeating: 4, count: 8), a + y], at: path)
        #expect(throws: (any Error).self) { try Ledger(path: path) }
        let fromV4 = Array(LedgerSchema.identifiers.drop { $0 != "v4-integer-dedup-key" })
        #expect(fromV4.first == "v4-integer-dedup-key")
        #expect(throws: LedgerError.olderSchema(path: path, missingMigrations: fromV4)) {
            try Ledger(readOnlyPath: path)
        }
    }
}
