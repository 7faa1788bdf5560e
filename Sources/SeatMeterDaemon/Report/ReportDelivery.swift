package import Foundation
package import Logging

/// What happened when a period's report was due.
package enum ReportDeliveryOutcome: Sendable, Equatable {
    /// Sent now; some recipients may have been rejected.
    case delivered(periodStart: Date, rejectedRecipients: [String])
    /// The delivery log says this period was delivered already (not sent again unless forced).
    case alreadyDelivered(periodStart: Date)
    /// Nothing to send (no recipients or no SMTP configured).
    case notConfigured(reason: String)
}

/// Sends the weekly report for a period exactly once (the delivery log in the ledger).
package struct ReportDelivery: Sendable {
    package var configuration: SeatMeterConfiguration
    package var logger: Logger

    package init(configuration: SeatMeterConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Builds and mails the report for the last full week before `asOf`, unless the delivery log says it was
    /// delivered already (`force` sends it again). Blocking (libcurl, SQLite): call it off the cooperative pool.
    /// - Throws: when SMTP or the ledger fails; the period then stays undelivered and is retried on the next run.
    package func deliverIfDue(asOf: Date, force: Bool = false) throws -> ReportDeliveryOutcome {
        // Implemented with the report model (issue 5).
        .notConfigured(reason: "report delivery is not implemented yet")
    }
}
