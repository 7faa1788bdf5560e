package import Foundation
import GRDB
import SeatMeterCore
import Synchronization

extension Ledger {
    // MARK: - Writes

    /// Stores a batch in one transaction: new messages with their appearances, every location not yet
    /// known, and — when ``IngestBatch/checkpointUID`` is set — the folder's checkpoint.
    ///
    /// De-duplication is by ``MessageFacts/deduplicationKey``: a known message gains at most a location
    /// (the same message in INBOX and Sent is one message seen in two folders); its stored facts are never
    /// rewritten. Re-ingesting a batch stores nothing new (with the same `now`, it changes nothing at all).
    ///
    /// Checkpoint: under the same UIDVALIDITY, `lastUID` becomes `max(stored, checkpointUID)` and
    /// `messageCount` grows by the batch's new locations; under a different UIDVALIDITY (a reset the caller
    /// did not record with ``resetCheckpoint(account:folder:uidValidity:)``) the folder restarts from
    /// `checkpointUID`. `lastSyncAt` becomes `now`.
    ///
    /// Dates are stored to the whole second (rounded down); header dates have no finer resolution.
    /// Automation reasons and defects are stored one per line: CR and LF inside one become spaces and
    /// empty ones are dropped.
    ///
    /// - Throws: ``LedgerError/invalidBatch(account:folder:reason:)`` for a UID without UIDVALIDITY;
    ///   GRDB's `DatabaseError`. Nothing is stored when it throws.
    @discardableResult
    package func ingest(_ batch: IngestBatch, at now: Date = Date()) throws -> IngestResult {
        if batch.uidValidity == nil, batch.messages.contains(where: { $0.uid != nil }) {
            throw LedgerError.invalidBatch(
                account: batch.account,
                folder: batch.folder,
                reason: "messages have UIDs but the batch has no UIDVALIDITY"
            )
        }
        return try addressIDs.withLock { (cache: inout [String: Int64]) throws -> IngestResult in
            if cache.count > Self.addressCacheLimit { cache.removeAll(keepingCapacity: true) }
            var added: [String] = []
            do {
                return try dbWriter.write { db in
                    try Self.ingest(batch, at: now, in: db, addressIDs: &cache, added: &added)
                }
            } catch {
                // Ids handed out by the rolled-back transaction may be reused for other addresses.
                for address in added { cache[address] = nil }
                throw error
            }
        }
    }

    /// Records that the folder's UIDVALIDITY changed: its checkpoint restarts from UID 0 under
    /// `uidValidity`. Known messages stay; re-fetched ones are de-duplicated by key and only gain new
    /// locations, so nothing counts twice. `lastSyncAt` is kept (the reset is not a completed sync).
    package func resetCheckpoint(account: String, folder: String, uidValidity: UInt32, at now: Date = Date()) throws {
        try dbWriter.write { db in
            let count = try Self.locationCount(account: account, folder: folder, uidValidity: uidValidity, in: db)
            try db.execute(
                sql: """
                    INSERT INTO checkpoint (account, folder, uidValidity, lastUID, lastSyncAt, messageCount)
                    VALUES (?, ?, ?, 0, ?, ?)
                    ON CONFLICT (account, folder) DO UPDATE SET
                        uidValidity = excluded.uidValidity, lastUID = 0, messageCount = excluded.messageCount
                    """,
                arguments: [account, folder, Int64(uidValidity), now.timeIntervalSince1970, count]
            )
        }
    }

    /// Records one sync attempt of a folder (or of a whole account with `folder: nil`, e.g. a login
    /// failure) for the report's data-quality section. `error == nil` records a success.
    package func recordSyncRun(
        account: String,
        folder: String?,
        startedAt: Date,
        finishedAt: Date,
        newMessages: Int,
        error: String?
    ) throws {
        try dbWriter.write { db in
            try db.execute(
                sql: """
                    INSERT INTO syncRun (account, folder, startedAt, finishedAt, newMessages, status, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    account, folder, startedAt.timeIntervalSince1970, finishedAt.timeIntervalSince1970,
                    newMessages, error == nil ? "ok" : "failed", error,
                ]
            )
        }
    }

    // MARK: - Ingest internals

    /// Above this many cached addresses the cache starts over (memory stays flat on huge ledgers).
    static let addressCacheLimit = 200_000

    /// Appearance rows per INSERT statement (5 parameters each; SQLite allows 32,766 since 3.32).
    static let appearancesPerInsert = 16

    private static func ingest(
        _ batch: IngestBatch,
        at now: Date,
        in db: Database,
        addressIDs: inout [String: Int64],
        added: inout [String]
    ) throws -> IngestResult {
        let folderID = try folderID(account: batch.account, folder: batch.folder, role: batch.role, in: db)
        let uidValidity = Int64(batch.uidValidity ?? 0)
        let ingestedAt = now.timeIntervalSince1970

        // Prepared once per batch and driven through the C API: this loop is the sync's hot path.
        let insertMessage = try RawStatement(
            db,
            sql: """
                INSERT INTO message
                    (dedupKey, messageID, date, subject, automationReasons, defects, digest, firstIngestedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dedupKey) DO NOTHING
                """
        )
        let selectMessage = try RawStatement(db, sql: "SELECT id FROM message WHERE dedupKey = ?")
        let selectAddress = try RawStatement(db, sql: "SELECT id FROM address WHERE address = ?")
        let insertAddress = try RawStatement(db, sql: "INSERT INTO address (address) VALUES (?)")
        // Multi-row inserts: one statement per message (per 16 appearances) instead of one per appearance.
        var insertAppearances: [RawStatement?] = Array(repeating: nil, count: Self.appearancesPerInsert + 1)
        func insertAppearance(rows: Int) throws -> RawStatement {
            if let statement = insertAppearances[rows] { return statement }
            let values = Array(repeating: "(?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
            let statement = try RawStatement(
                db,
                sql: "INSERT INTO appearance (messageId, position, field, addressId, name) VALUES \(values)"
            )
            insertAppearances[rows] = statement
            return statement
        }
        let insertLocation = try RawStatement(
            db,
            sql: """
                INSERT INTO location (messageId, folderId, uidValidity, uid) VALUES (?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """
        )
        try insertMessage.bind(ingestedAt, at: 8)
        try insertLocation.bind(folderID, at: 2)
        try insertLocation.bind(uidValidity, at: 3)

        var result = IngestResult()
        for message in batch.messages {
            let key = message.facts.deduplicationKey
            try insertMessage.bind(key, at: 1)
            try insertMessage.bind(message.facts.messageID, at: 2)
            try insertMessage.bind(message.facts.date.flatMap(unixSeconds), at: 3)
            try insertMessage.bind(message.facts.subject, at: 4)
            try insertMessage.bind(joinLines(message.facts.automation.reasons), at: 5)
            try insertMessage.bind(joinLines(message.facts.defects), at: 6)
            try insertMessage.bind(message.facts.digest, at: 7)
            try insertMessage.execute()
            let messageID: Int64
            if insertMessage.changes > 0 {
                messageID = insertMessage.lastInsertedRowID
                result.newMessages += 1
                let appearances = message.facts.appearances
                var chunkStart = 0
                while chunkStart < appearances.count {
                    let chunkEnd = min(chunkStart + Self.appearancesPerInsert, appearances.count)
                    let insert = try insertAppearance(rows: chunkEnd - chunkStart)
                    var parameter: Int32 = 1
                    for position in chunkStart..<chunkEnd {
                        let appearance = appearances[position]
                        let address = appearance.mailbox.address
                        let addressID: Int64
                        if let cached = addressIDs[address] {
                            addressID = cached
                        } else {
                            try selectAddress.bind(address, at: 1)
                            if let stored = try selectAddress.int64Value() {
                                addressID = stored
                            } else {
                                try insertAddress.bind(address, at: 1)
                                try insertAddress.execute()
                                addressID = insertAddress.lastInsertedRowID
                            }
                            addressIDs[address] = addressID
                            added.append(address)
                        }
                        try insert.bind(messageID, at: parameter)
                        try insert.bind(Int64(position), at: parameter + 1)
                        try insert.bind(appearance.field.rawValue, at: parameter + 2)
                        try insert.bind(addressID, at: parameter + 3)
                        try insert.bind(appearance.mailbox.name, at: parameter + 4)
                        parameter += 5
                    }
                    try insert.execute()
                    chunkStart = chunkEnd
                }
            } else {
                try selectMessage.bind(key, at: 1)
                guard let stored = try selectMessage.int64Value() else {
                    throw DatabaseError(message: "message \(key) neither inserted nor found")
                }
                messageID = stored
                result.duplicates += 1
            }
            try insertLocation.bind(messageID, at: 1)
            try insertLocation.bind(Int64(message.uid ?? 0), at: 4)
            try insertLocation.execute()
            if insertLocation.changes > 0 { result.newLocations += 1 }
        }

        if let checkpointUID = batch.checkpointUID {
            try advanceCheckpoint(
                batch: batch,
                to: checkpointUID,
                newLocations: result.newLocations,
                at: ingestedAt,
                in: db
            )
        }
        return result
    }

    private static func advanceCheckpoint(
        batch: IngestBatch,
        to checkpointUID: UInt32,
        newLocations: Int,
        at now: Double,
        in db: Database
    ) throws {
        let stored = try Row.fetchOne(
            db,
            sql: "SELECT uidValidity, lastUID, messageCount FROM checkpoint WHERE account = ? AND folder = ?",
            arguments: [batch.account, batch.folder]
        )
        let storedValidity: Int64? = stored?[0]
        let lastUID: Int64
        let messageCount: Int
        if let stored, storedValidity == batch.uidValidity.map({ Int64($0) }) {
            lastUID = max(stored[1] as Int64, Int64(checkpointUID))
            messageCount = (stored[2] as Int) + newLocations
        } else {
            lastUID = Int64(checkpointUID)
            messageCount = try locationCount(
                account: batch.account,
                folder: batch.folder,
                uidValidity: batch.uidValidity,
                in: db
            )
        }
        try db.execute(
            sql: """
                INSERT INTO checkpoint (account, folder, uidValidity, lastUID, lastSyncAt, messageCount)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (account, folder) DO UPDATE SET
                    uidValidity = excluded.uidValidity, lastUID = excluded.lastUID,
                    lastSyncAt = excluded.lastSyncAt, messageCount = excluded.messageCount
                """,
            arguments: [
                batch.account, batch.folder, batch.uidValidity.map { Int64($0) }, lastUID, now, messageCount,
            ]
        )
    }

    /// The id of the folder row, created on first use; its role follows the latest ingest.
    private static func folderID(account: String, folder: String, role: FolderRole, in db: Database) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO folder (account, name, role) VALUES (?, ?, ?)
                ON CONFLICT (account, name) DO UPDATE SET role = excluded.role WHERE role <> excluded.role
                """,
            arguments: [account, folder, role.rawValue]
        )
        guard
            let id = try Int64.fetchOne(
                db,
                sql: "SELECT id FROM folder WHERE account = ? AND name = ?",
                arguments: [account, folder]
            )
        else {
            throw DatabaseError(message: "folder \(account)/\(folder) neither inserted nor found")
        }
        return id
    }

    /// Locations of the folder under `uidValidity` (nil: import locations).
    static func locationCount(account: String, folder: String, uidValidity: UInt32?, in db: Database) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM location JOIN folder ON folder.id = location.folderId
                WHERE folder.account = ? AND folder.name = ? AND location.uidValidity = ?
                """,
            arguments: [account, folder, Int64(uidValidity ?? 0)]
        ) ?? 0
    }
}

/// Whole unix seconds, or nil for a date that does not fit (never traps on hostile input).
func unixSeconds(_ date: Date) -> Int64? {
    Int64(exactly: date.timeIntervalSince1970.rounded(.down))
}

/// One line per item: CR and LF inside an item become spaces, empty items are dropped. Works on UTF-8
/// bytes, so an item that starts with a combining mark cannot merge with the separator.
func joinLines(_ items: [String]) -> String {
    if items.isEmpty { return "" }
    return items.lazy
        .filter { !$0.isEmpty }
        .map { item in
            item.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D })
                ? String(decoding: item.utf8.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }, as: UTF8.self)
                : item
        }
        .joined(separator: "\n")
}

/// The inverse of ``joinLines(_:)``.
func splitLines(_ text: String) -> [String] {
    if text.isEmpty { return [] }
    return text.utf8.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
}
