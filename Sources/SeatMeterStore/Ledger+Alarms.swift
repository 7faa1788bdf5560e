package import Foundation
import GRDB

/// One authentication incident: a token that cannot be obtained for a non-transient reason (`invalid_grant`,
/// `invalid_client`, revoked consent). Its message never contains a token or secret (the caller's duty).
package struct AuthAlarmRecord: Sendable, Hashable {
    /// `account:NAME` or `smtp`.
    package var subject: String
    package var openedAt: Date
    package var message: String
    /// When the alert mail went out; nil: not yet.
    package var alertSentAt: Date?
    /// When a token was obtained again; nil: still failing.
    package var closedAt: Date?
    package var recoverySentAt: Date?

    package var isOpen: Bool { closedAt == nil }
    /// Open and no alert mail sent yet.
    package var needsAlert: Bool { closedAt == nil && alertSentAt == nil }
    /// Closed after an alert went out, and no recovery mail sent yet.
    package var needsRecovery: Bool { closedAt != nil && alertSentAt != nil && recoverySentAt == nil }
}

extension Ledger {
    // MARK: - Authentication alarms

    /// Opens an incident for `subject`, or updates the message of the one already open (so one incident sends one
    /// alert however often the failure repeats, across restarts).
    @discardableResult
    package func openAuthAlarm(subject: String, message: String, at now: Date = Date()) throws -> AuthAlarmRecord {
        try dbWriter.write { db in
            try db.execute(
                sql: """
                    INSERT INTO authAlarm (subject, openedAt, message) VALUES (?, ?, ?)
                    ON CONFLICT (subject) DO UPDATE SET
                        message = excluded.message,
                        openedAt = CASE WHEN closedAt IS NULL THEN openedAt ELSE excluded.openedAt END,
                        alertSentAt = CASE WHEN closedAt IS NULL THEN alertSentAt ELSE NULL END,
                        recoverySentAt = CASE WHEN closedAt IS NULL THEN recoverySentAt ELSE NULL END,
                        closedAt = NULL
                    """,
                arguments: [subject, now.timeIntervalSince1970, message])
            guard let record = try Self.authAlarm(subject: subject, in: db) else {
                throw DatabaseError(message: "auth alarm vanished")
            }
            return record
        }
    }

    /// Closes the open incident of `subject`, if any; returns it (closed), or nil when none was open.
    @discardableResult
    package func closeAuthAlarm(subject: String, at now: Date = Date()) throws -> AuthAlarmRecord? {
        try dbWriter.write { db in
            try db.execute(
                sql: "UPDATE authAlarm SET closedAt = ? WHERE subject = ? AND closedAt IS NULL",
                arguments: [now.timeIntervalSince1970, subject])
            guard db.changesCount == 1 else { return nil }
            return try Self.authAlarm(subject: subject, in: db)
        }
    }

    package func markAuthAlertSent(subject: String, at now: Date = Date()) throws {
        try dbWriter.write { db in
            try db.execute(
                sql: "UPDATE authAlarm SET alertSentAt = ? WHERE subject = ? AND alertSentAt IS NULL",
                arguments: [now.timeIntervalSince1970, subject])
        }
    }

    package func markAuthRecoverySent(subject: String, at now: Date = Date()) throws {
        try dbWriter.write { db in
            try db.execute(
                sql: "UPDATE authAlarm SET recoverySentAt = ? WHERE subject = ? AND recoverySentAt IS NULL",
                arguments: [now.timeIntervalSince1970, subject])
        }
    }

    /// Every incident row (open and closed), by subject.
    package func authAlarms() throws -> [AuthAlarmRecord] {
        try dbWriter.read { db in
            try Row.fetchAll(db, sql: "\(Self.authAlarmColumns) ORDER BY subject").map(Self.authAlarm(row:))
        }
    }

    private static let authAlarmColumns =
        "SELECT subject, openedAt, message, alertSentAt, closedAt, recoverySentAt FROM authAlarm"

    private static func authAlarm(subject: String, in db: Database) throws -> AuthAlarmRecord? {
        try Row.fetchOne(db, sql: "\(authAlarmColumns) WHERE subject = ?", arguments: [subject]).map(authAlarm(row:))
    }

    private static func authAlarm(row: Row) -> AuthAlarmRecord {
        let alert: Double? = row[3]
        let closed: Double? = row[4]
        let recovery: Double? = row[5]
        return AuthAlarmRecord(
            subject: row[0], openedAt: Date(timeIntervalSince1970: row[1]), message: row[2],
            alertSentAt: alert.map(Date.init(timeIntervalSince1970:)),
            closedAt: closed.map(Date.init(timeIntervalSince1970:)),
            recoverySentAt: recovery.map(Date.init(timeIntervalSince1970:)))
    }
}
