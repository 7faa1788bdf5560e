import GRDB
import SeatMeterCore

extension LedgerSchema {
    /// Schema v2 ("v2-packed-appearances"): a message's appearances and folders become packed BLOB columns of its
    /// row (see ``LedgerPacking``), display names are interned in `name`, and the de-duplication key is stored
    /// as the first 16 bytes of its SHA-256 (`dedupHash`) instead of text: the key itself is
    /// ``MessageFacts/deduplicationKey``, derived again from `messageID` and `digest` when read.
    ///
    /// Ingest then writes one message row (plus its location) instead of one row per appearance, and a report
    /// reads one row per message. `location` stays the record of every (folder, UIDVALIDITY, UID).
    static let v2 = """
        -- Interned display names (id 0, never stored, is "no display name").
        CREATE TABLE name (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );

        -- One row per de-duplicated message. dedupHash: the first 16 bytes of the SHA-256 of the key
        -- ('mid:' || messageID when there is a non-empty Message-ID, else 'sha256:' || digest).
        -- appearances, folders: packed, see LedgerPacking.swift.
        CREATE TABLE message2 (
            id INTEGER PRIMARY KEY,
            dedupHash BLOB NOT NULL UNIQUE,
            messageID TEXT,
            date INTEGER,
            subject TEXT,
            automationReasons TEXT NOT NULL DEFAULT '',
            defects TEXT NOT NULL DEFAULT '',
            digest TEXT NOT NULL,
            firstIngestedAt REAL NOT NULL,
            appearances BLOB NOT NULL,
            folders BLOB NOT NULL
        );
        """

    /// Moves a v1 ledger's facts into the v2 tables, message by message (ids kept, so `location` rows stay
    /// valid), then drops `appearance` and the old `message` table.
    ///
    /// - Throws: `DatabaseError` for a v1 row v2 cannot represent exactly (a stored key that is not the one
    ///   derived from the row's Message-ID and digest, an unknown field): the migration then changes nothing.
    static func migrateToPackedAppearances(_ db: Database) throws {
        try db.execute(sql: v2)
        try db.execute(sql: "INSERT INTO name (name) SELECT DISTINCT name FROM appearance WHERE name <> ''")

        var fieldCodes: [String: AddressField] = [:]
        for field in AddressField.allCases { fieldCodes[field.rawValue] = field }

        let messages = try RawStatement(
            db,
            sql: """
                SELECT id, dedupKey, messageID, date, subject, automationReasons, defects, digest, firstIngestedAt
                FROM message ORDER BY id
                """
        )
        let appearances = try RawStatement(
            db,
            sql: """
                SELECT a.messageId, a.field, a.addressId, COALESCE(n.id, 0)
                FROM appearance a LEFT JOIN name n ON n.name = a.name AND a.name <> ''
                ORDER BY a.messageId, a.position
                """
        )
        let locations = try RawStatement(
            db,
            sql: "SELECT DISTINCT messageId, folderId FROM location ORDER BY messageId, folderId"
        )
        let insert = try RawStatement(
            db,
            sql: """
                INSERT INTO message2 (id, dedupHash, messageID, date, subject, automationReasons, defects, digest,
                    firstIngestedAt, appearances, folders)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        defer {
            messages.reset()
            appearances.reset()
            locations.reset()
        }

        var moreAppearances = try appearances.step()
        var moreLocations = try locations.step()
        var packed: [UInt8] = []
        var entries: [UInt8] = []
        while try messages.step() {
            let id = messages.int64(0)
            let storedKey = messages.string(1)
            let messageID = messages.optionalString(2)
            let digest = messages.string(7)
            let key = MessageFacts(messageID: messageID, digest: digest).deduplicationKey
            guard key == storedKey else {
                throw DatabaseError(message: "message \(id): stored key \(storedKey) is not the derived key \(key)")
            }
            entries.removeAll(keepingCapacity: true)
            var count: UInt64 = 0
            while moreAppearances, appearances.int64(0) == id {
                let fieldName = appearances.string(1)
                guard let field = fieldCodes[fieldName] else {
                    throw DatabaseError(message: "unknown address field \(fieldName) in message \(id)")
                }
                LedgerPacking.appendAppearance(
                    addressID: appearances.int64(2), field: field, nameID: appearances.int64(3), to: &entries)
                count += 1
                moreAppearances = try appearances.step()
            }
            packed.removeAll(keepingCapacity: true)
            LedgerPacking.appendVarint(count, to: &packed)
            packed.append(contentsOf: entries)
            var folderIDs: [Int64] = []
            while moreLocations, locations.int64(0) == id {
                folderIDs.append(locations.int64(1))
                moreLocations = try locations.step()
            }
            try insert.bind(id, at: 1)
            try insert.bind(blob: dedupHash(key), at: 2)
            try insert.bind(messageID, at: 3)
            try insert.bind(messages.optionalInt64(3), at: 4)
            try insert.bind(messages.optionalString(4), at: 5)
            try insert.bind(messages.string(5), at: 6)
            try insert.bind(messages.string(6), at: 7)
            try insert.bind(digest, at: 8)
            try insert.bind(messages.double(8), at: 9)
            try insert.bind(blob: packed, at: 10)
            try insert.bind(blob: LedgerPacking.folders(folderIDs), at: 11)
            try insert.execute()
        }
        if moreAppearances || moreLocations {
            throw DatabaseError(message: "ledger inconsistency: appearances or locations without their message")
        }
        try db.execute(
            sql: """
                DROP TABLE appearance;
                DROP TABLE message;
                ALTER TABLE message2 RENAME TO message;
                \(messageIndexes)
                """
        )
    }

    /// The indexes of the `message` table (made by v2, made again by v4 over its new table).
    static let messageIndexes = """
        CREATE INDEX message_date ON message(date);
        -- The few messages with parse defects, so that the report counts them without a table scan.
        CREATE INDEX message_defects ON message(id) WHERE defects <> '';
        """

    /// The stored form of a de-duplication key: the first 16 bytes of its SHA-256.
    static func dedupHash(_ key: String) -> [UInt8] {
        var hash: [UInt8] = []
        Array(key.utf8).withUnsafeBytes { appendDedupHash(ofKey: $0, to: &hash) }
        return hash
    }

    /// Appends the stored form of the key whose UTF-8 is `key` (``dedupHash(_:)``) to `output`.
    static func appendDedupHash(ofKey key: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        SHA256.appendDigest(of: key, prefix: 16, to: &output)
    }
}
