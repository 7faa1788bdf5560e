import Foundation
import SeatMeterCore
import Testing

@testable import SeatMeterStore

@Suite("Ledger folder status, sync runs and delivery log")
struct LedgerStatusTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func folderStatusesCombineCheckpointsFoldersAndRuns() throws {
        let ledger = try Ledger.inMemory()
        try ledger.ingest(Fixtures.batch(0..<10), at: t0)
        try ledger.ingest(Fixtures.batch(0..<4, folder: "Sent", role: .outgoing, uidValidity: 5), at: t0)
        try ledger.recordSyncRun(
            account: "helpdesk",
            folder: "INBOX",
            startedAt: t0,
            finishedAt: t0 + 1,
            newMessages: 10,
            error: nil
        )
        try ledger.recordSyncRun(
            account: "helpdesk",
            folder: "Sent",
            startedAt: t0,
            finishedAt: t0 + 2,
            newMessages: 4,
            error: nil
        )
        // Later: Sent fails, the whole second account fails to log in, a missing folder fails.
        try ledger.recordSyncRun(
            account: "helpdesk",
            folder: "Sent",
            startedAt: t0 + 300,
            finishedAt: t0 + 301,
            newMessages: 0,
            error: "connection dropped"
        )
        try ledger.recordSyncRun(
            account: "helpdesk",
            folder: "Archive",
            startedAt: t0 + 300,
            finishedAt: t0 + 302,
            newMessages: 0,
            error: "folder does not exist"
        )
        try ledger.recordSyncRun(
            account: "second",
            folder: "INBOX",
            startedAt: t0,
            finishedAt: t0 + 3,
            newMessages: 0,
            error: nil
        )
        try ledger.recordSyncRun(
            account: "second",
            folder: nil,
            startedAt: t0 + 600,
            finishedAt: t0 + 601,
            newMessages: 0,
            error: "authentication failed"
        )
        // INBOX succeeds again later.
        try ledger.recordSyncRun(
            account: "helpdesk",
            folder: "INBOX",
            startedAt: t0 + 300,
            finishedAt: t0 + 303,
            newMessages: 0,
            error: nil
        )

        let statuses = try ledger.folderStatuses()
        #expect(
            statuses == [
                FolderStatusRow(
                    account: "helpdesk",
                    folder: "Archive",
                    role: nil,
                    uidValidity: nil,
                    lastUID: nil,
                    lastSyncAt: nil,
                    messageCount: 0,
                    lastSuccessAt: nil,
                    lastRunAt: t0 + 302,
                    lastError: "folder does not exist"
                ),
                FolderStatusRow(
                    account: "helpdesk",
                    folder: "INBOX",
                    role: .incoming,
                    uidValidity: 1,
                    lastUID: 10,
                    lastSyncAt: t0,
                    messageCount: 10,
                    lastSuccessAt: t0 + 303,
                    lastRunAt: t0 + 303,
                    lastError: nil
                ),
                FolderStatusRow(
                    account: "helpdesk",
                    folder: "Sent",
                    role: .outgoing,
                    uidValidity: 5,
                    lastUID: 4,
                    lastSyncAt: t0,
                    messageCount: 4,
                    lastSuccessAt: t0 + 2,
                    lastRunAt: t0 + 301,
                    lastError: "connection dropped"
                ),
                FolderStatusRow(
                    account: "second",
                    folder: "INBOX",
                    role: nil,
                    uidValidity: nil,
                    lastUID: nil,
                    lastSyncAt: nil,
                    messageCount: 0,
                    lastSuccessAt: t0 + 3,
                    lastRunAt: t0 + 601,
                    lastError: "authentication failed"
                ),
            ]
        )
    }

    @Test func importedFoldersWithoutCheckpointAreListed() throws {
        let ledger = try Ledger.inMemory()
        try ledger.ingest(Fixtures.batch(0..<3, account: "import", folder: "mbox", uidValidity: nil, checkpoint: false))
        #expect(
            try ledger.folderStatuses() == [
                FolderStatusRow(
                    account: "import",
                    folder: "mbox",
                    role: .incoming,
                    uidValidity: nil,
                    lastUID: nil,
                    lastSyncAt: nil,
                    messageCount: 0,
                    lastSuccessAt: nil,
                    lastRunAt: nil,
                    lastError: nil
                )
            ]
        )
    }

    @Test func deliveryLogRecordsAttemptsAndOutcomes() throws {
        let ledger = try Ledger.inMemory()
        let start = Date(timeIntervalSince1970: 1_799_971_200)
        let end = start + 7 * 86_400
        #expect(try ledger.deliveryRecord(periodStart: start) == nil)
        #expect(throws: (any Error).self) { try ledger.markDelivered(periodStart: start) }

        let first = try ledger.recordDeliveryAttempt(
            periodStart: start,
            periodEnd: end,
            formats: ["html", "csv"],
            recipients: ["a@example.com"],
            messageIDHeader: "<report-1@seatmeter>",
            at: t0
        )
        #expect(
            first
                == DeliveryRecord(
                    periodStart: start,
                    periodEnd: end,
                    formats: ["html", "csv"],
                    recipients: ["a@example.com"],
                    status: .sending,
                    attempts: 1,
                    firstAttemptAt: t0,
                    lastAttemptAt: t0,
                    messageIDHeader: "<report-1@seatmeter>",
                    sentAt: nil,
                    rejectedRecipients: [],
                    error: nil
                )
        )
        try ledger.markDeliveryFailed(periodStart: start, error: "SMTP server unreachable")
        #expect(try ledger.deliveryRecord(periodStart: start)?.status == .failed)
        #expect(try ledger.deliveryRecord(periodStart: start)?.error == "SMTP server unreachable")

        // The retry keeps the first Message-ID, so a resend after a crash is the same message.
        let retry = try ledger.recordDeliveryAttempt(
            periodStart: start,
            periodEnd: end,
            formats: ["html", "csv"],
            recipients: ["a@example.com", "b@example.com"],
            messageIDHeader: "<report-2@seatmeter>",
            at: t0 + 3600
        )
        #expect(retry.attempts == 2)
        #expect(retry.status == .sending)
        #expect(retry.error == nil)
        #expect(retry.messageIDHeader == "<report-1@seatmeter>")
        #expect(retry.firstAttemptAt == t0)
        #expect(retry.lastAttemptAt == t0 + 3600)

        try ledger.markDelivered(periodStart: start, sentAt: t0 + 3601, rejectedRecipients: ["b@example.com"])
        let delivered = try #require(try ledger.deliveryRecord(periodStart: start))
        #expect(delivered.status == .delivered)
        #expect(delivered.sentAt == t0 + 3601)
        #expect(delivered.rejectedRecipients == ["b@example.com"])
        #expect(delivered.recipients == ["a@example.com", "b@example.com"])
        #expect(try ledger.deliveryRecord(periodStart: end) == nil)
    }
}
