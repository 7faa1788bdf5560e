package import Foundation
package import Logging
import SeatMeterCore
import SeatMeterCurl
package import SeatMeterStore

/// OAuth2 incidents: a token refused for a non-transient reason (`invalid_grant`, `invalid_client`, revoked
/// consent, an unwritable refresh_token_file) is an alarm. It is logged at error level, listed at the top of the
/// next report (``ReportQuery`` reads the open incidents) and mailed to `report.recipients` once per incident; a
/// token obtained again closes the incident and sends one recovery mail. The incident state is in the ledger, so
/// "once" holds across restarts; a mail that cannot be sent stays pending and is tried again at the next outcome.
package struct AuthAlarms: Sendable {
    package var configuration: SeatMeterConfiguration
    package var ledger: Ledger
    package var logger: Logger

    package init(configuration: SeatMeterConfiguration, ledger: Ledger, logger: Logger) {
        self.configuration = configuration
        self.ledger = ledger
        self.logger = logger
    }

    /// A token was refused for good: opens (or keeps open) the incident and mails the alert if not done yet.
    func tokenRefused(subject: String, label: String, error: OAuthError) {
        logger.error(
            "OAuth2 token refused: authentication alarm",
            metadata: ["auth.subject": "\(subject)", "error": "\(error)", "oauth.error": "\(error.code ?? "")"])
        do {
            try ledger.openAuthAlarm(subject: subject, message: "\(label): \(error)")
        } catch {
            logger.error("cannot record the authentication alarm", metadata: ["error": "\(error)"])
        }
        sendPending()
    }

    /// A token was obtained: closes an open incident and mails the recovery once (and any mail still pending).
    func tokenObtained(subject: String, label: String) {
        do {
            if try ledger.closeAuthAlarm(subject: subject) != nil {
                logger.notice(
                    "OAuth2 token obtained again: authentication alarm cleared", metadata: ["auth.subject": "\(subject)"])
            }
        } catch {
            logger.error("cannot record the end of the authentication alarm", metadata: ["error": "\(error)"])
        }
        sendPending()
    }

    /// Sends every alert and recovery mail not sent yet.
    package func sendPending() {
        let records: [AuthAlarmRecord]
        do {
            records = try ledger.authAlarms().filter { $0.needsAlert || $0.needsRecovery }
        } catch {
            logger.error("cannot read the authentication alarms", metadata: ["error": "\(error)"])
            return
        }
        for record in records {
            do {
                guard try send(record) else { return }
                if record.needsAlert {
                    try ledger.markAuthAlertSent(subject: record.subject)
                } else {
                    try ledger.markAuthRecoverySent(subject: record.subject)
                }
            } catch {
                logger.error(
                    "cannot mail the authentication alarm; will retry", metadata: ["auth.subject": "\(record.subject)", "error": "\(error)"])
            }
        }
    }

    /// Mails the alert or recovery for `record`; false when mail is not configured.
    private func send(_ record: AuthAlarmRecord) throws -> Bool {
        guard let smtp = configuration.smtp, let from = configuration.report.from,
            !configuration.report.recipients.isEmpty
        else {
            logger.notice("no smtp:, report.from or report.recipients: the authentication alarm is not mailed")
            return false
        }
        let recipients = configuration.report.recipients
        let message = try Self.message(record, from: from, recipients: recipients)
        // The alarm mail itself never raises alarms (no recursion when the SMTP token is the one refused).
        _ = try smtp.withEndpoint(alarms: nil, logger: logger) { endpoint in
            try SMTPSender(endpoint: endpoint).send(from: from, recipients: recipients, message: message)
        }
        logger.notice(
            record.needsAlert ? "authentication alarm mailed" : "authentication recovery mailed",
            metadata: ["auth.subject": "\(record.subject)"])
        return true
    }

    static func message(_ record: AuthAlarmRecord, from: String, recipients: [String]) throws -> [UInt8] {
        let name = record.subject.hasPrefix("account:") ? "account " + record.subject.dropFirst("account:".count)
            : "the SMTP server"
        let since = record.openedAt.formatted(.iso8601)
        let subject: String
        let text: String
        if record.needsAlert {
            subject = "SeatMeter alarm: \(name) cannot get an OAuth2 token"
            text = """
                SeatMeter cannot get an OAuth2 access token for \(name) since \(since):

                  \(record.message)

                Until this is fixed, \(record.subject.hasPrefix("account:") ? "no mail of this account is read and seat counts go stale" : "reports cannot be mailed").
                The token endpoint refused for a reason that retrying will not fix: usually a revoked or expired
                refresh token, a changed client secret, or withdrawn admin consent. Renew the credential (see the
                README, "OAuth2 mailboxes"); SeatMeter picks it up at the next attempt and mails once when it works.
                """
        } else {
            subject = "SeatMeter recovered: \(name) gets OAuth2 tokens again"
            text = "The OAuth2 alarm for \(name) (since \(since)) is over: a token was obtained again.\n"
        }
        let domain = from.split(separator: "@").last.map(String.init) ?? "seatmeter.localdomain"
        var generator = SystemRandomNumberGenerator()
        let outgoing = OutgoingMessage(
            from: Mailbox(name: "SeatMeter", address: from), to: recipients.map { Mailbox(name: "", address: $0) },
            subject: subject, date: Date(), timeZone: .current,
            messageID: MIMEBuilder.makeMessageID(domain: domain, using: &generator), text: text, html: nil,
            attachments: [])
        return try MIMEBuilder.build(outgoing)
    }
}
