package import Foundation
package import Logging
import SeatMeterCore
import SeatMeterCurl
import SeatMeterStore

/// What happened when a period's report was due.
package enum ReportDeliveryOutcome: Sendable, Equatable {
    /// Sent now; some recipients may have been rejected.
    case delivered(periodStart: Date, rejectedRecipients: [String])
    /// The delivery log says this period was delivered already (not sent again unless forced).
    case alreadyDelivered(periodStart: Date)
    /// Nothing to send (no recipients or no SMTP configured).
    case notConfigured(reason: String)
}

/// A report that could not be mailed; the period stays undelivered and is retried on the next run.
package struct ReportDeliveryError: Error, Sendable, CustomStringConvertible {
    package var description: String
    package var isTransient: Bool
}

/// Sends the weekly report for a period **exactly once**, through the delivery log in the ledger.
///
/// The log row is written (`sending`, with the Message-ID the mail will carry) before the SMTP transaction and
/// marked `delivered` right after the server accepted the message. So:
/// - a period marked `delivered` is never sent again (unless `force`);
/// - SMTP down or refusing: the row is marked `failed`, nothing is lost, the next run (or schedule) retries;
/// - a crash between the server's acceptance and the log update leaves the row in `sending`: the next run sends
///   again **with the same Message-ID**, so mail systems and clients that de-duplicate by Message-ID show it
///   once. That window is a few milliseconds wide; closing it completely is impossible with SMTP (the server
///   may accept and the client die before it learns so), and a duplicate beats a lost report;
/// - when the whole message went out but the server's final reply never came (`possiblyDelivered`), the period
///   counts as delivered: the server most likely accepted it, and a duplicate is likelier than a loss.
package struct ReportDelivery: Sendable {
    package var configuration: SeatMeterConfiguration
    package var logger: Logger

    package init(configuration: SeatMeterConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Builds and mails the report for the last full week before `asOf`, unless the delivery log says it was
    /// delivered already (`force` sends it again). Blocking (libcurl, SQLite): call it off the cooperative pool.
    /// - Throws: ``ReportDeliveryError`` when SMTP fails; the period then stays undelivered.
    package func deliverIfDue(asOf: Date, force: Bool = false) throws -> ReportDeliveryOutcome {
        guard let smtp = configuration.smtp else { return .notConfigured(reason: "no smtp: section") }
        let recipients = configuration.report.recipients
        guard !recipients.isEmpty else { return .notConfigured(reason: "report.recipients is empty") }
        guard let from = configuration.report.from else { return .notConfigured(reason: "report.from is not set") }

        let query = ReportQuery(configuration: configuration)
        let report = try query.build(asOf: asOf)
        let ledger = try Ledger(path: configuration.ledgerPath)
        let periodStart = report.period.start
        let previous = try ledger.deliveryRecord(periodStart: periodStart)
        if previous?.status == .delivered && !force {
            return .alreadyDelivered(periodStart: periodStart)
        }
        let domain = from.split(separator: "@").last.map(String.init) ?? "seatmeter.localdomain"
        var generator = SystemRandomNumberGenerator()
        let freshID = MIMEBuilder.makeMessageID(domain: domain, using: &generator)
        let record = try ledger.recordDeliveryAttempt(
            periodStart: periodStart, periodEnd: report.period.end, formats: configuration.report.formats,
            recipients: recipients, messageIDHeader: freshID)
        // A retry after a crash or a failure keeps the first attempt's Message-ID; a forced resend is a new mail.
        let messageID = previous?.status == .delivered ? freshID : record.messageIDHeader

        let bytes = try Self.message(
            report: report, from: from, recipients: recipients, formats: configuration.report.formats,
            messageID: messageID, timeZone: query.timeZone)
        let alarms = AuthAlarms(configuration: configuration, ledger: ledger, logger: logger)
        do {
            let result = try smtp.withEndpoint(alarms: alarms, logger: logger) { endpoint in
                try SMTPSender(endpoint: endpoint).send(from: from, recipients: recipients, message: bytes)
            }
            let rejected = result.rejected.map(\.address)
            try ledger.markDelivered(periodStart: periodStart, rejectedRecipients: rejected)
            logger.notice(
                "report delivered",
                metadata: [
                    "report.period": "\(report.period.label)", "report.recipients": "\(result.accepted.count)",
                    "report.rejected": "\(rejected.joined(separator: ","))",
                ])
            for rejection in result.rejected {
                logger.warning("report recipient rejected", metadata: ["recipient": "\(rejection)"])
            }
            return .delivered(periodStart: periodStart, rejectedRecipients: rejected)
        } catch let error as SMTPError where error.possiblyDelivered {
            try ledger.markDelivered(periodStart: periodStart)
            logger.warning(
                "report probably delivered: the server did not confirm", metadata: ["error": "\(error)"])
            return .delivered(periodStart: periodStart, rejectedRecipients: [])
        } catch let error as SMTPError {
            try ledger.markDeliveryFailed(periodStart: periodStart, error: error.description)
            throw ReportDeliveryError(
                description: "the report for \(report.period.label) was not sent: \(error)", isTransient: error.isTransient)
        } catch let error as MailLoginError {  // no SMTP credential (secret unreadable, OAuth2 token refused)
            try ledger.markDeliveryFailed(periodStart: periodStart, error: error.description)
            throw ReportDeliveryError(
                description: "the report for \(report.period.label) was not sent: \(error)", isTransient: error.isTransient)
        }
    }

    /// The report mail: text (and HTML when configured) with the configured files attached.
    static func message(
        report: SeatReport, from: String, recipients: [String], formats: [String], messageID: String,
        timeZone: TimeZone
    ) throws -> [UInt8] {
        var attachments: [MailAttachment] = []
        let stem = "seatmeter-\(report.period.label)"
        for name in formats {
            guard let format = ReportFormat(rawValue: name), format != .text, format != .html else { continue }
            let body = ReportRendering.render(report, as: format)
            attachments.append(MailAttachment(
                filename: "\(stem).\(format.fileExtension)",
                mediaType: format.mediaType.components(separatedBy: ";")[0],
                charset: format == .json ? nil : "utf-8", content: Array(body.utf8)))
        }
        let message = OutgoingMessage(
            from: Mailbox(name: "SeatMeter", address: from), to: recipients.map { Mailbox(name: "", address: $0) },
            subject: ReportRendering.subject(report), date: Date(), timeZone: timeZone, messageID: messageID,
            text: ReportRendering.text(report),
            html: formats.contains("html") ? ReportRendering.html(report) : nil, attachments: attachments)
        return try MIMEBuilder.build(message)
    }
}
