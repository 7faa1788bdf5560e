import Foundation
import Logging
import SeatMeterCore
import SeatMeterDaemon
import SeatMeterStore
import TestSupport
import Testing

/// The weekly report mailed through a real SMTP sink: MIME structure, exactly once per period, SMTP down.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ReportDeliveryTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    /// A Wednesday: the report covers the Monday-to-Sunday week before.
    static let asOf = ISO8601DateFormatter().date(from: "2026-11-04T12:00:00Z") ?? Date()

    struct Setup {
        let directory: TemporaryDirectory
        let mailbox: GeneratedMailbox
        let ledger: Ledger

        init() throws {
            directory = try TemporaryDirectory(prefix: "seatmeter-report")
            mailbox = try GeneratedMailbox(messages: 800, seed: 11, weeks: 20, start: "2026-06-15")
            ledger = try Ledger(path: directory.path + "/seatmeter.sqlite")
            _ = try ImportEngine(ledger: ledger, outgoingFolders: ["Sent"]).importMessages(at: mailbox.maildir)
        }

        func configuration(smtpURL: String, recipients: [String] = ["admins@example.com", "boss@example.com"])
            throws -> SeatMeterConfiguration
        {
            let yaml = """
                ledger: seatmeter.sqlite
                \(mailbox.organizationYAML)
                licensing: { team_price_per_user: 10, support_price_per_agent: 40, currency: EUR }
                report:
                  timezone: Europe/Berlin
                  from: seatmeter@example.com
                  recipients: [\(recipients.joined(separator: ", "))]
                  formats: [html, csv, json]
                smtp: { url: "\(smtpURL)", allow_insecure: true }
                """
            return try SeatMeterConfiguration.parse(yaml: yaml, file: directory.path + "/seatmeter.yaml")
        }
    }

    @Test func reportIsMailedOncePerPeriodWithItsAttachments() throws {
        let setup = try Setup()
        let sink = try SMTPSink()
        let configuration = try setup.configuration(smtpURL: sink.url)
        let delivery = ReportDelivery(configuration: configuration, logger: Self.quiet)

        let first = try delivery.deliverIfDue(asOf: Self.asOf)
        guard case .delivered(let periodStart, let rejected) = first else {
            Issue.record("expected a delivery, got \(first)")
            return
        }
        #expect(rejected.isEmpty)
        #expect(try delivery.deliverIfDue(asOf: Self.asOf) == .alreadyDelivered(periodStart: periodStart))
        // Later the same week: still the same period, still not sent again.
        #expect(try delivery.deliverIfDue(asOf: Self.asOf.addingTimeInterval(3 * 86_400))
            == .alreadyDelivered(periodStart: periodStart))
        let messages = try sink.messages()
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(Set(message.envelope.rcptTos) == ["admins@example.com", "boss@example.com"])

        let report = try ReportQuery(configuration: configuration).build(asOf: Self.asOf)
        let mail = try MIMEEntity.parse(message.eml)
        #expect(mail.mediaType == "multipart/mixed")
        #expect(mail.field("MIME-Version") == "1.0")
        #expect(mail.field("Message-ID")?.hasPrefix("<") == true)
        #expect(mail.field("Date") != nil)
        let subject = EncodedWordDecoder.decode(unstructured: Array((mail.field("Subject") ?? "").utf8)).text
        #expect(subject == ReportRendering.subject(report))
        #expect(mail.parts.first?.mediaType == "multipart/alternative")
        #expect(mail.parts.first?.parts.map(\.mediaType) == ["text/plain", "text/html"])
        let html = try #require(try mail.parts.first?.parts.last?.text())
        #expect(!html.contains("<script"))
        let csvPart = try #require(mail.parts.first { $0.mediaType == "text/csv" })
        let rows = try csvPart.text().split(separator: "\r\n")
        #expect(rows.first?.hasPrefix("address,name,role") == true)
        #expect(rows.count - 1 == report.people.count)
        let jsonPart = try #require(mail.parts.first { $0.mediaType == "application/json" })
        let json = try JSONSerialization.jsonObject(with: Data(try jsonPart.decodedBody())) as? [String: Any]
        #expect((json?["team"] as? [String: Any])?["users"] as? Int == report.licenceWindow.seats.teamUsers)

        // --force sends again, with a new Message-ID.
        #expect(try delivery.deliverIfDue(asOf: Self.asOf, force: true) == first)
        let again = try sink.messages()
        #expect(again.count == 2)
        let ids = try again.map { try MIMEEntity.parse($0.eml).field("Message-ID") }
        #expect(ids[0] != ids[1])
    }

    @Test func smtpDownLeavesThePeriodUndeliveredUntilItWorks() throws {
        let setup = try Setup()
        let closedPort = try TestPorts.pickFree()
        let down = ReportDelivery(
            configuration: try setup.configuration(smtpURL: "smtp://127.0.0.1:\(closedPort)"), logger: Self.quiet)
        #expect(throws: ReportDeliveryError.self) { try down.deliverIfDue(asOf: Self.asOf) }
        let record = try #require(try setup.ledger.deliveryRecord(
            periodStart: try ReportQuery(configuration: down.configuration).build(asOf: Self.asOf).period.start))
        #expect(record.status == .failed)
        let firstID = record.messageIDHeader

        let sink = try SMTPSink()
        let up = ReportDelivery(configuration: try setup.configuration(smtpURL: sink.url), logger: Self.quiet)
        guard case .delivered = try up.deliverIfDue(asOf: Self.asOf) else {
            Issue.record("expected a delivery once SMTP is back")
            return
        }
        let messages = try sink.messages()
        #expect(messages.count == 1)
        // The retry carries the Message-ID recorded before the first attempt.
        #expect(try MIMEEntity.parse(messages[0].eml).field("Message-ID") == firstID)
    }

    @Test func rejectedRecipientsAreReported() throws {
        let setup = try Setup()
        let sink = try SMTPSink()
        let delivery = ReportDelivery(
            configuration: try setup.configuration(
                smtpURL: sink.url, recipients: ["admins@example.com", "rejected-admin@example.com"]),
            logger: Self.quiet)
        guard case .delivered(_, let rejected) = try delivery.deliverIfDue(asOf: Self.asOf) else {
            Issue.record("expected a delivery")
            return
        }
        #expect(rejected == ["rejected-admin@example.com"])
        #expect(try sink.messages().first?.envelope.rcptTos == ["admins@example.com"])

        // The next report says who did not get the last one.
        let next = try ReportQuery(configuration: delivery.configuration).build(asOf: Self.asOf)
        #expect(next.dataQuality.rejectedRecipients?.addresses == ["rejected-admin@example.com"])
        #expect(next.warnings.contains { $0.hasPrefix("Report recipients rejected") && $0.contains("rejected-admin@") })
    }

    /// A failed delivery is a warning in the data quality of every report built until a delivery succeeds.
    @Test func aFailedDeliveryIsInTheNextReportUntilOneSucceeds() throws {
        let setup = try Setup()
        let closedPort = try TestPorts.pickFree()
        let down = ReportDelivery(
            configuration: try setup.configuration(smtpURL: "smtp://127.0.0.1:\(closedPort)"), logger: Self.quiet)
        let before = try ReportQuery(configuration: down.configuration).build(asOf: Self.asOf)
        #expect(before.dataQuality.deliveryFailures.isEmpty)
        #expect(throws: ReportDeliveryError.self) { try down.deliverIfDue(asOf: Self.asOf) }

        let next = try ReportQuery(configuration: down.configuration).build(asOf: Self.asOf)
        let failure = try #require(next.dataQuality.deliveryFailures.first)
        #expect(next.dataQuality.deliveryFailures.count == 1)
        #expect(failure.periodStart == next.period.start)
        #expect(failure.attempts == 1)
        #expect(!failure.error.isEmpty)
        let warning = try #require(next.warnings.first { $0.hasPrefix("Report delivery failed") })
        #expect(warning.contains(next.period.label) && warning.contains(failure.error), "\(warning)")
        let json = ReportRendering.render(next, as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let quality = try #require(object["data_quality"] as? [String: Any])
        #expect((quality["delivery_failures"] as? [[String: Any]])?.count == 1)

        let sink = try SMTPSink()
        let up = ReportDelivery(configuration: try setup.configuration(smtpURL: sink.url), logger: Self.quiet)
        guard case .delivered = try up.deliverIfDue(asOf: Self.asOf) else {
            Issue.record("expected a delivery once SMTP is back")
            return
        }
        let after = try ReportQuery(configuration: up.configuration).build(asOf: Self.asOf)
        #expect(after.dataQuality.deliveryFailures.isEmpty)
        #expect(after.dataQuality.rejectedRecipients == nil)
        #expect(!after.warnings.contains { $0.hasPrefix("Report delivery failed") })
    }

    /// A failure is dropped once any later report is delivered, even another period's; later failures count again.
    @Test func onlyFailuresAfterTheLastSuccessAreReported() throws {
        let ledger = try Ledger(path: try TemporaryDirectory(prefix: "seatmeter-ledger").path + "/l.sqlite")
        let week: TimeInterval = 7 * 86_400
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        func attempt(_ index: Int, at hours: Double) throws -> Date {
            let periodStart = start.addingTimeInterval(Double(index) * week)
            try ledger.recordDeliveryAttempt(
                periodStart: periodStart, periodEnd: periodStart.addingTimeInterval(week), formats: ["text"],
                recipients: ["a@example.com"], messageIDHeader: "<\(index)@example.com>",
                at: start.addingTimeInterval(hours * 3600))
            return periodStart
        }
        try ledger.markDeliveryFailed(periodStart: try attempt(0, at: 1), error: "down")
        #expect(try ledger.failedDeliveriesSinceLastSuccess().map(\.error) == ["down"])
        try ledger.markDelivered(
            periodStart: try attempt(1, at: 2), sentAt: start.addingTimeInterval(2 * 3600),
            rejectedRecipients: ["x@example.com"])
        #expect(try ledger.failedDeliveriesSinceLastSuccess().isEmpty)
        #expect(try ledger.lastDelivery()?.rejectedRecipients == ["x@example.com"])
        try ledger.markDeliveryFailed(periodStart: try attempt(2, at: 3), error: "refused")
        #expect(try ledger.failedDeliveriesSinceLastSuccess().map(\.error) == ["refused"])
    }
}
