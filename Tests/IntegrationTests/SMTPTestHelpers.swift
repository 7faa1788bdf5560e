import Foundation
import SeatMeterCore
@testable import SeatMeterCurl
import TestSupport

/// Messages and endpoints shared by the SMTP integration tests.
enum SMTPTestMail {
    static let from = "seatmeter@reports.example.com"
    /// 2025-01-06 10:00:00 UTC.
    static let date = Date(timeIntervalSince1970: 1_736_157_600)
    static let csv = "address,name,role\r\nanna@example.com,Anna Åström,agent\r\nbo@example.com,\"Bo, Jr.\",user\r\n"

    /// The weekly report: text, HTML and a CSV attachment, a non-ASCII subject and recipient name.
    static func report(to recipients: [String], messageID: String = "<week-02-2025@reports.example.com>") throws
        -> [UInt8]
    {
        let message = OutgoingMessage(
            from: Mailbox(name: "SeatMeter", address: from),
            to: recipients.enumerated().map { Mailbox(name: $0 == 0 ? "Jörg Müller" : "", address: $1) },
            subject: "Lizenzplätze: Wochenbericht KW 2 — 12 Agents", date: date,
            timeZone: TimeZone(identifier: "Europe/Berlin") ?? .gmt, messageID: messageID,
            text: "Seats this week: 12 agents.\n.\n..leading dots survive\n",
            html: "<html><body><h1>Seats</h1><p>12 agents, Müller included.</p></body></html>",
            attachments: [.csv(filename: "people.csv", text: csv)])
        return try MIMEBuilder.build(message)
    }
}

extension SMTPSink {
    /// An endpoint for this sink: STARTTLS with its CA when it has TLS, plain loopback otherwise.
    func endpoint(
        username: String? = nil, password: String? = nil, timeout: Duration = .seconds(10), useCA: Bool = true
    ) -> SMTPEndpoint {
        SMTPEndpoint(
            url: url, username: username, password: password, caFile: useCA ? caFile : nil,
            allowInsecure: caFile == nil, timeout: timeout, ehloName: "client.seatmeter.test")
    }
}
