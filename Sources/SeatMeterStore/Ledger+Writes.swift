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
        try ingest([batch], at: now)[0]
    }

    /// Stores several batches, in order, in one transaction (each as ``ingest(_:at:)`` would, checkpoints
    /// included). Nothing is stored when it throws.
    ///
    /// - Returns: one result per batch.
    @discardableResult
    package func ingest(_ batches: [IngestBatch], at now: Date = Date()) throws -> [IngestResult] {
        var encoder = IngestEncoder()
        var ids = IngestIDs()
        return try ingest(batches.map { encoder.encode($0) }, ids: &ids, at: now)
    }

    /// Stores batches an ``IngestEncoder`` encoded, in order, in one transaction (each as ``ingest(_:at:)`` would).
    /// `ids` is the ledger's side of the encoder's dictionary: pass the same value for all the batches of one encoder,
    /// in the order they were encoded. Nothing is stored when it throws.
    ///
    /// - Returns: one result per batch.
    @discardableResult
    package func ingest(
        _ batches: [EncodedBatch], ids: inout IngestIDs, at now: Date = Date()
    ) throws -> [IngestResult] {
        var remaining = batches.makeIterator()
        return try ingest(ids: &ids, at: now) { remaining.next() }
    }

    /// Stores the batches `next` hands over, in order, in one transaction, until it returns nil; each as
    /// ``ingest(_:at:)`` would. `next` may wait for its next batch: a sync's writer stores a UID range's messages
    /// while the rest of the range is still being fetched, and commits once, with the checkpoint. Nothing is stored
    /// when it throws, or when `next` throws.
    ///
    /// The ledger's writer is held until `next` returns nil or throws: `next` must not wait for anything that writes
    /// to this ledger.
    ///
    /// - Returns: one result per batch.
    @discardableResult
    package func ingest(
        ids: inout IngestIDs, at now: Date = Date(), next: () throws -> EncodedBatch?
    ) throws -> [IngestResult] {
        var resolved: [(table: Interner.Table, index: Int32)] = []
        do {
            return try dbWriter.write { db in
                var results: [IngestResult] = []
                while let batch = try next() {
                    if batch.uidValidity == nil, batch.messages.contains(where: { $0.uid != 0 }) {
                        throw LedgerError.invalidBatch(
                            account: batch.account,
                            folder: batch.folder,
                            reason: "messages have UIDs but the batch has no UIDVALIDITY"
                        )
                    }
                    try ids.append([batch])
                    results.append(try Self.ingest(batch, at: now, in: db, ids: &ids, resolved: &resolved))
                }
                return results
            }
        } catch {
            // Ids found or handed out by the rolled-back transaction may be reused for other values.
            for (table, index) in resolved { ids.ids[table.rawValue][Int(index)] = 0 }
            throw error
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

    static let insertMessageSQL = """
        INSERT INTO message (dedupKey, messageID, date, subject, automationReasons, defects, digest,
            firstIngestedAt, appearances, folders, folderId, uidValidity, uid)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (dedupKey) DO NOTHING
        """

    private static func ingest(
        _ batch: EncodedBatch,
        at now: Date,
        in db: Database,
        ids: inout IngestIDs,
        resolved: inout [(table: Interner.Table, index: Int32)]
    ) throws -> IngestResult {
        let (folderID, folderIsNew) = try folder(account: batch.account, folder: batch.folder, role: batch.role, in: db)
        let uidValidity = Int64(batch.uidValidity ?? 0)
        let ingestedAt = now.timeIntervalSince1970

        // Prepared once per connection (cached) and driven through the C API: this loop is the sync's hot path.
        let insertMessage = try RawStatement(cached: db, sql: insertMessageSQL)
        let selectMessage = try RawStatement(
            cached: db,
            sql: "SELECT id, folders, folderId, uidValidity, uid, messageID, digest FROM message WHERE dedupKey = ?"
        )
        let updateFolders = try RawStatement(cached: db, sql: "UPDATE message SET folders = ? WHERE id = ?")
        var interner = try Interner(db: db)
        let insertLocation = try RawStatement(
            cached: db,
            sql: """
                INSERT INTO location (messageId, folderId, uidValidity, uid) VALUES (?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """
        )
        // The message's texts are bound in place (below): no pointer into this batch outlives it in the cache.
        defer { insertMessage.clearBindings() }
        try insertMessage.bind(ingestedAt, at: 8)
        try insertMessage.bind(blob: LedgerPacking.folders([folderID]), at: 10)
        try insertMessage.bind(folderID, at: 11)
        try insertMessage.bind(uidValidity, at: 12)
        try insertLocation.bind(folderID, at: 2)
        try insertLocation.bind(uidValidity, at: 3)

        var result = IngestResult()
        var packed: [UInt8] = []
        packed.reserveCapacity(256)
        /// The current message's de-duplication key, made when a stored message holds one of its keys.
        var identity: [UInt8] = []
        var appearanceStart = 0
        try batch.text.withUnsafeBytes { text in
            func bytes(_ span: TextSpan) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: text[span.start..<span.start + max(span.count, 0)])
            }
            // The message's texts are bound in place: `text` outlives every step of the loop, and each of them
            // is bound again before the next step.
            func bind(_ statement: RawStatement, _ span: TextSpan, at index: Int32) throws {
                try statement.bind(borrowedText: span.count < 0 ? nil : bytes(span), at: index)
            }
            func describe(_ message: EncodedMessage) -> String {
                let key = message.messageID.count > 0 ? message.messageID : message.digest
                return String(decoding: bytes(key), as: UTF8.self)
            }
            for message in batch.messages {
                // Addresses and names are interned before the insert knows whether the message is new; those a
                // duplicate alone brought are removed again below.
                let insertedBefore = interner.inserted.count
                let appearances = batch.appearances[appearanceStart..<message.appearanceEnd]
                appearanceStart = message.appearanceEnd
                packed.removeAll(keepingCapacity: true)
                LedgerPacking.appendVarint(UInt64(appearances.count), to: &packed)
                for appearance in appearances {
                    let addressID = try interner.id(appearance.address, in: .address, ids: &ids, resolved: &resolved)
                    let nameID =
                        appearance.name < 0
                        ? 0 : try interner.id(appearance.name, in: .name, ids: &ids, resolved: &resolved)
                    LedgerPacking.appendAppearance(
                        addressID: addressID, field: appearance.field, nameID: nameID, to: &packed)
                }
                guard let keys = LedgerSchema.dedupKeys(bytes(message.dedupHash)) else {
                    throw LedgerError.invalidBatch(
                        account: batch.account, folder: batch.folder, reason: "a de-duplication hash is not 16 bytes")
                }
                try bind(insertMessage, message.messageID, at: 2)
                try insertMessage.bind(message.date, at: 3)
                try bind(insertMessage, message.subject, at: 4)
                try bind(insertMessage, message.automationReasons, at: 5)
                try bind(insertMessage, message.defects, at: 6)
                try bind(insertMessage, message.digest, at: 7)
                try insertMessage.bind(Int64(message.uid), at: 13)
                // The message's first key, else (a different message holds it: a 64-bit collision) its second.
                // `known`: nil when the row was inserted, else the stored message this one is (a duplicate).
                identity.removeAll(keepingCapacity: true)
                let known = try packed.withUnsafeBytes { packed -> StoredMessage? in
                    try insertMessage.bind(borrowedBlob: packed, at: 9)
                    for attempt in 0..<2 {
                        let key = attempt == 0 ? keys.first : keys.second
                        try insertMessage.bind(key, at: 1)
                        try insertMessage.execute()
                        if insertMessage.changes > 0 { return nil }
                        guard let holder = try StoredMessage(select: selectMessage, key: key) else {
                            throw DatabaseError(message: "message \(describe(message)) neither inserted nor found")
                        }
                        if identity.isEmpty {
                            MessageFacts.appendDeduplicationKey(
                                messageID: bytes(message.messageID), digest: bytes(message.digest), to: &identity)
                        }
                        if holder.identity == identity { return holder }
                    }
                    throw DatabaseError(
                        message: "message \(describe(message)): both of its de-duplication keys are other messages'")
                }
                guard var stored = known else {
                    // The row holds the message's first location.
                    result.newMessages += 1
                    result.newLocations += 1
                    continue
                }
                try interner.removeInserted(since: insertedBefore, ids: &ids)
                result.duplicates += 1
                if let first = stored.firstLocation, first == (folderID, uidValidity, Int64(message.uid)) {
                    continue
                }
                try insertLocation.bind(stored.id, at: 1)
                try insertLocation.bind(Int64(message.uid), at: 4)
                try insertLocation.execute()
                guard insertLocation.changes > 0 else { continue }
                result.newLocations += 1
                if !stored.folders.contains(folderID) {
                    stored.folders.append(folderID)
                    stored.folders.sort()
                    try updateFolders.bind(blob: LedgerPacking.folders(stored.folders), at: 1)
                    try updateFolders.bind(stored.id, at: 2)
                    try updateFolders.execute()
                }
            }
        }

        if let checkpointUID = batch.checkpointUID {
            try advanceCheckpoint(
                batch: batch,
                to: checkpointUID,
                newLocations: result.newLocations,
                folderIsNew: folderIsNew,
                at: ingestedAt,
                in: db
            )
        }
        return result
    }

    /// What a duplicate's ingest needs of the stored message.
    private struct StoredMessage {
        var id: Int64
        var folders: [Int64]
        /// The first location, in the row: nil for a row stored before rows held it (all its locations are in
        /// `location`).
        var firstLocation: (folder: Int64, uidValidity: Int64, uid: Int64)?

        /// Its ``MessageFacts/deduplicationKey`` (UTF-8), to tell it from another message with the same 64-bit key.
        var identity: [UInt8] = []

        /// Reads the message with this de-duplication key
        /// (`SELECT id, folders, folderId, uidValidity, uid, messageID, digest`), then resets the statement; nil when
        /// there is none.
        init?(select: RawStatement, key: Int64) throws {
            try select.bind(key, at: 1)
            defer { select.reset() }
            guard try select.step() else { return nil }
            id = select.int64(0)
            guard let folders = LedgerPacking.folderIDs(select.bytes(1)) else {
                throw DatabaseError(message: "malformed folders of message \(id)")
            }
            self.folders = folders
            firstLocation = select.isNull(2) ? nil : (select.int64(2), select.int64(3), select.int64(4))
            MessageFacts.appendDeduplicationKey(messageID: select.bytes(5), digest: select.bytes(6), to: &identity)
        }
    }

    private static func advanceCheckpoint(
        batch: EncodedBatch,
        to checkpointUID: UInt32,
        newLocations: Int,
        folderIsNew: Bool,
        at now: Double,
        in db: Database
    ) throws {
        let stored = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT uidValidity, lastUID, messageCount FROM checkpoint WHERE account = ? AND folder = ?"),
            arguments: [batch.account, batch.folder]
        )
        let storedValidity: Int64? = stored?[0]
        let lastUID: Int64
        let messageCount: Int
        if let stored, storedValidity == batch.uidValidity.map({ Int64($0) }) {
            lastUID = max(stored[1] as Int64, Int64(checkpointUID))
            messageCount = (stored[2] as Int) + newLocations
        } else if folderIsNew {
            // Every location of a folder created by this batch is one of the batch's: no need to count them.
            lastUID = Int64(checkpointUID)
            messageCount = newLocations
        } else {
            lastUID = Int64(checkpointUID)
            messageCount = try locationCount(
                account: batch.account,
                folder: batch.folder,
                uidValidity: batch.uidValidity,
                in: db
            )
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO checkpoint (account, folder, uidValidity, lastUID, lastSyncAt, messageCount)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (account, folder) DO UPDATE SET
                    uidValidity = excluded.uidValidity, lastUID = excluded.lastUID,
                    lastSyncAt = excluded.lastSyncAt, messageCount = excluded.messageCount
                """
        ).execute(
            arguments: [
                batch.account, batch.folder, batch.uidValidity.map { Int64($0) }, lastUID, now, messageCount,
            ]
        )
    }

    /// The id of the folder row, created on first use (`isNew`); its role follows the latest ingest.
    private static func folder(
        account: String, folder: String, role: FolderRole, in db: Database
    ) throws -> (id: Int64, isNew: Bool) {
        let known = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, role FROM folder WHERE account = ? AND name = ?"),
            arguments: [account, folder]
        )
        if let known {
            let id: Int64 = known[0]
            if known[1] != role.rawValue {
                try db.execute(sql: "UPDATE folder SET role = ? WHERE id = ?", arguments: [role.rawValue, id])
            }
            return (id, false)
        }
        try db.execute(
            sql: "INSERT INTO folder (account, name, role) VALUES (?, ?, ?)",
            arguments: [account, folder, role.rawValue]
        )
        return (db.lastInsertedRowID, true)
    }

    /// Locations of the folder under `uidValidity` (nil: import locations). It scans the messages stored since rows
    /// hold their first location (that column has no index, which would cost every insert): it runs when a folder's
    /// UIDVALIDITY changes, not on every sync.
    static func locationCount(account: String, folder: String, uidValidity: UInt32?, in db: Database) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM messageLocation
                WHERE folderId = (SELECT id FROM folder WHERE account = ? AND name = ?) AND uidValidity = ?
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
    var bytes: [UInt8] = []
    appendLines(items, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

/// Appends the UTF-8 of ``joinLines(_:)`` to `bytes`, with no string in between (a sync's encoder, per message).
func appendLines(_ items: [String], to bytes: inout [UInt8]) {
    var first = true
    for var item in items where !item.isEmpty {
        if !first { bytes.append(0x0A) }
        first = false
        let start = bytes.count
        item.withUTF8 { bytes.append(contentsOf: $0) }
        for index in start..<bytes.count where bytes[index] == 0x0A || bytes[index] == 0x0D { bytes[index] = 0x20 }
    }
}

/// The inverse of ``joinLines(_:)``.
func splitLines(_ text: String) -> [String] {
    if text.isEmpty { return [] }
    return text.utf8.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
}
