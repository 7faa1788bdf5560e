package import Foundation
import GRDB

extension Ledger {
    // MARK: - Delivery log

    /// The delivery log row of the period starting at `periodStart` (whole seconds), or nil if none.
    package func deliveryRecord(periodStart: Date) throws -> DeliveryRecord? {
        try dbWriter.read { db in try Self.deliveryRecord(periodStart: periodStart, in: db) }
    }

    /// Records an attempt to deliver a period's report, before handing it to SMTP: status becomes
    /// ``DeliveryStatus/sending`` and `attempts` grows by one. The first attempt's `messageIDHeader` is
    /// kept for the period; the returned record carries the one to send.
    @discardableResult
    package func recordDeliveryAttempt(
        periodStart: Date,
        periodEnd: Date,
        formats: [String],
        recipients: [String],
        messageIDHeader: String,
        at now: Date = Date()
    ) throws -> DeliveryRecord {
        try dbWriter.write { db in
            try db.execute(
                sql: """
                    INSERT INTO delivery
                        (periodStart, periodEnd, formats, recipients, status, attempts,
                         firstAttemptAt, lastAttemptAt, messageIDHeader)
                    VALUES (?, ?, ?, ?, 'sending', 1, ?, ?, ?)
                    ON CONFLICT (periodStart) DO UPDATE SET
                        periodEnd = excluded.periodEnd, formats = excluded.formats,
                        recipients = excluded.recipients, status = 'sending', attempts = attempts + 1,
                        lastAttemptAt = excluded.lastAttemptAt, error = NULL
                    """,
                arguments: [
                    try Self.periodKey(periodStart), try Self.periodKey(periodEnd), joinLines(formats),
                    joinLines(recipients), now.timeIntervalSince1970, now.timeIntervalSince1970, messageIDHeader,
                ]
            )
            guard let record = try Self.deliveryRecord(periodStart: periodStart, in: db) else {
                throw DatabaseError(message: "delivery record vanished")
            }
            return record
        }
    }

    /// Records that the period's report was accepted by the SMTP server.
    package func markDelivered(periodStart: Date, sentAt: Date = Date(), rejectedRecipients: [String] = []) throws {
        try dbWriter.write { db in
            try db.execute(
                sql: """
                    UPDATE delivery SET status = 'delivered', sentAt = ?, rejectedRecipients = ?, error = NULL
                    WHERE periodStart = ?
                    """,
                arguments: [
                    sentAt.timeIntervalSince1970, joinLines(rejectedRecipients), try Self.periodKey(periodStart),
                ]
            )
            guard db.changesCount == 1 else {
                throw DatabaseError(message: "no delivery attempt recorded for period \(periodStart)")
            }
        }
    }

    /// Records that the attempt failed (SMTP down, every recipient rejected...): retried on the next run.
    package func markDeliveryFailed(periodStart: Date, error: String) throws {
        try dbWriter.write { db in
            try db.execute(
                sql: "UPDATE delivery SET status = 'failed', error = ? WHERE periodStart = ?",
                arguments: [error, try Self.periodKey(periodStart)]
            )
            guard db.changesCount == 1 else {
                throw DatabaseError(message: "no delivery attempt recorded for period \(periodStart)")
            }
        }
    }

    /// Failed deliveries whose last attempt came after the last successful delivery, oldest first: the reports
    /// that did not reach their readers, which the next report warns about.
    package func failedDeliveriesSinceLastSuccess() throws -> [DeliveryRecord] {
        try dbWriter.read { db in
            try Self.deliveryRecords(
                where: """
                    status = 'failed' AND lastAttemptAt >
                        COALESCE((SELECT MAX(sentAt) FROM delivery WHERE status = 'delivered'), -1e300)
                    ORDER BY lastAttemptAt, periodStart
                    """,
                in: db)
        }
    }

    /// The record of the most recent successful delivery, or nil when no report was delivered yet.
    package func lastDelivery() throws -> DeliveryRecord? {
        try dbWriter.read { db in
            try Self.deliveryRecords(where: "status = 'delivered' ORDER BY sentAt DESC, periodStart DESC LIMIT 1", in: db)
                .first
        }
    }

    private static func deliveryRecord(periodStart: Date, in db: Database) throws -> DeliveryRecord? {
        try deliveryRecords(where: "periodStart = ?", arguments: [try periodKey(periodStart)], in: db).first
    }

    private static func deliveryRecords(
        where condition: String, arguments: StatementArguments = [], in db: Database
    ) throws -> [DeliveryRecord] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT periodStart, periodEnd, formats, recipients, status, attempts, firstAttemptAt,
                    lastAttemptAt, messageIDHeader, sentAt, rejectedRecipients, error
                FROM delivery WHERE \(condition)
                """,
            arguments: arguments
        )
        return try rows.map(deliveryRecord(row:))
    }

    private static func deliveryRecord(row: Row) throws -> DeliveryRecord {
        let status: String = row[4]
        guard let deliveryStatus = DeliveryStatus(rawValue: status) else {
            throw DatabaseError(message: "unknown delivery status \(status)")
        }
        let sentAt: Double? = row[9]
        return DeliveryRecord(
            periodStart: Date(timeIntervalSince1970: Double(row[0] as Int64)),
            periodEnd: Date(timeIntervalSince1970: Double(row[1] as Int64)),
            formats: splitLines(row[2]),
            recipients: splitLines(row[3]),
            status: deliveryStatus,
            attempts: row[5],
            firstAttemptAt: Date(timeIntervalSince1970: row[6]),
            lastAttemptAt: Date(timeIntervalSince1970: row[7]),
            messageIDHeader: row[8],
            sentAt: sentAt.map(Date.init(timeIntervalSince1970:)),
            rejectedRecipients: splitLines(row[10]),
            error: row[11]
        )
    }

    /// Report periods are keyed by their start in whole unix seconds.
    private static func periodKey(_ date: Date) throws -> Int64 {
        guard let seconds = unixSeconds(date) else {
            throw DatabaseError(message: "report period \(date) is out of range")
        }
        return seconds
    }
}
