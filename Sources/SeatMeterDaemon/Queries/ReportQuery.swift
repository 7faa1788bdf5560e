package import Foundation
package import SeatMeterCore
import SeatMeterStore

/// Builds the report model for a period from the ledger and the configuration.
package struct ReportQuery: Sendable {
    package var configuration: SeatMeterConfiguration

    package init(configuration: SeatMeterConfiguration) {
        self.configuration = configuration
    }

    package var timeZone: TimeZone {
        configuration.report.timezone.flatMap(TimeZone.init(identifier:)) ?? .current
    }

    /// The report for the last full week before `asOf`.
    ///
    /// - Throws: `LedgerError.missingFile` (naming the path, suggesting `seatmeter sync`) when there is no ledger
    ///   yet; ``ConfigurationError`` for unusable classification settings.
    package func build(asOf: Date) throws -> SeatReport {
        let rules = try configuration.organization.classificationRules()
        let licensingConfiguration = configuration.licensing
        let windowDays = max(1, Int(licensingConfiguration.window.components.seconds / 86_400))
        let licensing = Licensing(
            windowDays: windowDays, currency: licensingConfiguration.currency,
            teamPricePerUser: licensingConfiguration.teamPricePerUser,
            supportPricePerAgent: licensingConfiguration.supportPricePerAgent,
            billing: licensingConfiguration.billing == .annual ? .annual : .monthly)
        let range = ReportInput.requiredRange(asOf: asOf, timeZone: timeZone, licenceWindowDays: windowDays)
        // Read-only: a sync may be writing, and a mistyped ledger path must not become a new, empty ledger.
        let ledger = try Ledger(readOnlyPath: configuration.ledgerPath)
        let batch = try ledger.observationBatch(from: range.start, to: range.end)
        let counts = try ledger.messageCounts()
        let folders = try ledger.folderStatuses().map { row in
            FolderFreshness(
                account: row.account, folder: row.folder, role: row.role ?? .incoming,
                lastSuccessfulSync: row.lastSuccessAt, messages: row.messageCount, lastError: row.lastError)
        }
        let alarms = try ledger.authAlarms().filter(\.isOpen).map {
            AuthAlarm(subject: $0.subject, since: $0.openedAt, message: $0.message)
        }
        let deliveryFailures = try ledger.failedDeliveriesSinceLastSuccess().map {
            DeliveryFailure(
                periodStart: $0.periodStart, periodEnd: $0.periodEnd, lastAttempt: $0.lastAttemptAt,
                attempts: $0.attempts, error: $0.error ?? "unknown error")
        }
        let rejected = try ledger.lastDelivery().flatMap { last in
            last.rejectedRecipients.isEmpty
                ? nil
                : RejectedRecipients(
                    periodStart: last.periodStart, sentAt: last.sentAt ?? last.lastAttemptAt,
                    addresses: last.rejectedRecipients)
        }
        let poll = configuration.accounts.map { Double($0.pollInterval.components.seconds) }.min() ?? 300
        let input = ReportInput(
            asOf: asOf, timeZone: timeZone, observations: [], rules: rules, licensing: licensing,
            onBehalfThreshold: configuration.organization.onBehalfThreshold,
            dataQuality: DataQualityInput(
                folders: folders, pollInterval: poll, messagesIngested: counts.messages,
                messagesWithDefects: counts.withDefects, authAlarms: alarms,
                deliveryFailures: deliveryFailures, rejectedRecipients: rejected),
            batch: batch)
        return try SeatReport(input)
    }
}
