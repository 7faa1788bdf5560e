package import Foundation
import GRDB
package import SeatMeterCore

extension Ledger {
    // MARK: - Reads

    /// The folder's checkpoint, or nil when the folder was never synced (or only imported without one).
    package func checkpoint(account: String, folder: String) throws -> FolderCheckpoint? {
        try dbWriter.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT uidValidity, lastUID, lastSyncAt, messageCount FROM checkpoint
                        WHERE account = ? AND folder = ?
                        """,
                    arguments: [account, folder]
                )
            else { return nil }
            return FolderCheckpoint(
                uidValidity: uint32(row[0]),
                lastUID: uint32(row[1]) ?? 0,
                lastSyncAt: Date(timeIntervalSince1970: row[2]),
                messageCount: row[3]
            )
        }
    }

    /// Every de-duplicated message dated in `from ..< to`, with all its locations and appearances.
    ///
    /// Bounds are inclusive below and exclusive above, compared with the stored date (whole seconds). A nil
    /// bound is open. Messages without a usable `Date` header are returned only when both bounds are nil:
    /// they cannot be placed in a window (``LedgerStats/messagesWithoutDate`` counts them for the report).
    ///
    /// Order: by date then storage order for a range; storage (first-ingest) order without one. Locations are
    /// distinct folders (a message seen twice in a folder, e.g. before and after a UIDVALIDITY change, lists
    /// it once), in the order the ledger first met each folder; appearances are in header order.
    package func observations(from: Date? = nil, to: Date? = nil) throws -> [MessageObservation] {
        try observations(from: from, to: to, parallelMinimum: Self.parallelReadMinimum)
    }

    /// One row per folder that has a checkpoint, stored messages or a recorded sync run; sorted by account
    /// then folder.
    package func folderStatuses() throws -> [FolderStatusRow] {
        try dbWriter.read { db in
            struct Key: Hashable, Comparable {
                var account: String
                var folder: String
                static func < (lhs: Key, rhs: Key) -> Bool {
                    (lhs.account, lhs.folder) < (rhs.account, rhs.folder)
                }
            }
            var rows: [Key: FolderStatusRow] = [:]
            func row(_ key: Key) -> FolderStatusRow {
                rows[key]
                    ?? FolderStatusRow(
                        account: key.account,
                        folder: key.folder,
                        role: nil,
                        uidValidity: nil,
                        lastUID: nil,
                        lastSyncAt: nil,
                        messageCount: 0,
                        lastSuccessAt: nil,
                        lastRunAt: nil,
                        lastError: nil
                    )
            }
            for folder in try Row.fetchAll(db, sql: "SELECT account, name, role FROM folder") {
                let key = Key(account: folder[0], folder: folder[1])
                var status = row(key)
                status.role = FolderRole(rawValue: folder[2])
                rows[key] = status
            }
            let checkpoints = try Row.fetchAll(
                db,
                sql: "SELECT account, folder, uidValidity, lastUID, lastSyncAt, messageCount FROM checkpoint"
            )
            for checkpoint in checkpoints {
                let key = Key(account: checkpoint[0], folder: checkpoint[1])
                var status = row(key)
                status.uidValidity = uint32(checkpoint[2])
                status.lastUID = uint32(checkpoint[3])
                status.lastSyncAt = Date(timeIntervalSince1970: checkpoint[4])
                status.messageCount = checkpoint[5]
                rows[key] = status
            }
            let runFolders = try Row.fetchAll(
                db,
                sql: "SELECT DISTINCT account, folder FROM syncRun WHERE folder IS NOT NULL"
            )
            for runFolder in runFolders {
                let key = Key(account: runFolder[0], folder: runFolder[1])
                rows[key] = row(key)
            }

            let lastRun = try db.cachedStatement(
                sql: """
                    SELECT finishedAt, status, error FROM syncRun WHERE account = ? AND folder IS ?
                    ORDER BY finishedAt DESC, id DESC LIMIT 1
                    """
            )
            let lastSuccess = try db.cachedStatement(
                sql: """
                    SELECT finishedAt FROM syncRun WHERE account = ? AND folder IS ? AND status = 'ok'
                    ORDER BY finishedAt DESC LIMIT 1
                    """
            )
            for (key, var status) in rows {
                // Runs of the folder itself and of its whole account.
                let runs = try [key.folder, nil].compactMap { (folder: String?) in
                    try Row.fetchOne(lastRun, arguments: [key.account, folder])
                }
                if let latest = runs.max(by: { ($0[0] as Double) < ($1[0] as Double) }) {
                    status.lastRunAt = Date(timeIntervalSince1970: latest[0])
                    status.lastError = (latest[1] as String) == "ok" ? nil : (latest[2] as String?) ?? "failed"
                }
                let successes = try [key.folder, nil].compactMap { (folder: String?) in
                    try Double.fetchOne(lastSuccess, arguments: [key.account, folder])
                }
                status.lastSuccessAt = successes.max().map(Date.init(timeIntervalSince1970:))
                rows[key] = status
            }
            return rows.sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// Counts over the whole ledger: one scan of the message table (appearances are packed per message; their
    /// count is each BLOB's leading varint) and two counts.
    package func stats() throws -> LedgerStats {
        try dbWriter.read { db in
            var messages = 0
            var withDefects = 0
            var automated = 0
            var withoutDate = 0
            var appearances = 0
            var locations = 0
            let rows = try RawStatement(
                db,
                sql: "SELECT defects, automationReasons, date, appearances, folderId IS NOT NULL FROM message"
            )
            defer { rows.reset() }
            while try rows.step() {
                messages += 1
                if !rows.bytes(0).isEmpty { withDefects += 1 }
                if !rows.bytes(1).isEmpty { automated += 1 }
                if rows.isNull(2) { withoutDate += 1 }
                var reader = PackedReader(rows.bytes(3))
                appearances += reader.varint().map { Int(clamping: $0) } ?? 0
                // The first location, in the row (see LedgerSchema.messageLocation).
                locations += Int(rows.int64(4))
            }
            func count(_ table: String) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
            return LedgerStats(
                messages: messages,
                messagesWithDefects: withDefects,
                automatedMessages: automated,
                messagesWithoutDate: withoutDate,
                addresses: try count("address"),
                appearances: appearances,
                locations: locations + (try count("location"))
            )
        }
    }

    /// De-duplicated messages, and those with at least one parse defect: what a report's data-quality section
    /// needs, from two indexes (no table scan: SQLite counts rows in the smallest index, the de-duplication key's).
    package func messageCounts() throws -> (messages: Int, withDefects: Int) {
        try dbWriter.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COUNT(*) FROM message),
                        (SELECT COUNT(*) FROM message INDEXED BY message_defects WHERE defects <> '')
                    """
            )
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    /// De-duplicated messages in the ledger.
    package func messageCount() throws -> Int {
        try dbWriter.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message") ?? 0 }
    }
}

/// A stored UID or UIDVALIDITY (SQLite INTEGER) back as `UInt32`; nil for NULL or an out-of-range value.
func uint32(_ value: Int64?) -> UInt32? {
    value.flatMap { UInt32(exactly: $0) }
}
