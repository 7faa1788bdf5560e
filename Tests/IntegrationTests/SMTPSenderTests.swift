import Foundation
import SeatMeterCore
@testable import SeatMeterCurl
import Testing
import TestSupport

/// The sender against the real aiosmtpd sink (see TEST-SERVERS.md), one sink per test.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SMTPSenderTests {
    static let user = "reporter"
    static let password = "s3cret-Pässword"

    // MARK: - Delivery

    @Test("plain SMTP to a loopback sink with allow_insecure delivers the exact bytes")
    func plainLoopback() throws {
        let sink = try SMTPSink()
        let message = try SMTPTestMail.report(to: ["admin@example.com", "second@example.com"])
        let result = try SMTPSender(endpoint: sink.endpoint()).send(
            from: SMTPTestMail.from,
            recipients: ["admin@example.com", "second@example.com"],
            message: message
        )
        #expect(result.accepted == ["admin@example.com", "second@example.com"])
        #expect(result.rejected.isEmpty)
        #expect(result.finalReply?.code == 250)
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].eml == message)
        #expect(
            received[0].envelope
                == SMTPSink.Envelope(
                    mailFrom: SMTPTestMail.from,
                    rcptTos: ["admin@example.com", "second@example.com"],
                    ehlo: "client.seatmeter.test",
                    authLogin: nil,
                    tls: false
                )
        )
        try checkReport(received[0].eml)
    }

    @Test("STARTTLS with AUTH, trusting the sink's certificate through ca_file")
    func startTLSWithAuth() throws {
        let sink = try SMTPSink(options: .init(tls: true, user: Self.user, password: Self.password))
        let message = try SMTPTestMail.report(to: ["admin@example.com"])
        let result = try SMTPSender(endpoint: sink.endpoint(username: Self.user, password: Self.password)).send(
            from: SMTPTestMail.from,
            recipients: ["admin@example.com"],
            message: message
        )
        #expect(result.accepted == ["admin@example.com"])
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].envelope.tls)
        #expect(received[0].envelope.authLogin == Self.user)
        #expect(received[0].eml == message)
        try checkReport(received[0].eml)
    }

    @Test("the certificate is checked by name too: localhost matches, and a second send works on a new connection")
    func startTLSByHostName() throws {
        let sink = try SMTPSink(options: .init(tls: true))
        var endpoint = sink.endpoint()
        endpoint.url = sink.localhostURL
        let sender = try SMTPSender(endpoint: endpoint)
        for number in 1...2 {
            _ = try sender.send(
                from: SMTPTestMail.from,
                recipients: ["admin@example.com"],
                message: try SMTPTestMail.report(
                    to: ["admin@example.com"],
                    messageID: "<n\(number)@reports.example.com>"
                )
            )
        }
        let received = try sink.messages()
        #expect(received.count == 2)
        #expect(received.allSatisfy { $0.envelope.tls })
        #expect(
            try received.map { try MIMEEntity.parse($0.eml).field("Message-ID") }
                == ["<n1@reports.example.com>", "<n2@reports.example.com>"]
        )
    }

    @Test("a 3 MB attachment and lines starting with dots arrive unchanged")
    func largeMessage() throws {
        let sink = try SMTPSink()
        var random = SystemRandomNumberGenerator()
        let blob = (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let text = (0..<2000).map { $0 % 3 == 0 ? ".\($0)" : ($0 % 3 == 1 ? "." : "line \($0)") }
            .joined(separator: "\n")
        let message = try MIMEBuilder.build(
            OutgoingMessage(
                from: Mailbox(name: "", address: SMTPTestMail.from),
                to: [Mailbox(name: "", address: "a@example.com")],
                subject: "big",
                date: SMTPTestMail.date,
                text: text,
                attachments: [
                    MailAttachment(filename: "blob.bin", mediaType: "application/octet-stream", content: blob)
                ]
            )
        )
        _ = try SMTPSender(endpoint: sink.endpoint()).send(
            from: SMTPTestMail.from,
            recipients: ["a@example.com"],
            message: message
        )
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].eml == message)
        let root = try MIMEEntity.parse(received[0].eml)
        #expect(try root.parts[1].decodedBody() == blob)
        #expect(try root.parts[0].text() == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    // MARK: - Recipients

    @Test("one refused recipient among good ones: the others get the message, the refusal is reported")
    func oneRecipientRejected() throws {
        let sink = try SMTPSink()
        let recipients = ["first@example.com", "reject-me@example.com", "third@example.com"]
        let result = try SMTPSender(endpoint: sink.endpoint()).send(
            from: SMTPTestMail.from,
            recipients: recipients,
            message: try SMTPTestMail.report(to: recipients)
        )
        #expect(result.accepted == ["first@example.com", "third@example.com"])
        try #require(result.rejected.count == 1)
        #expect(result.rejected[0].address == "reject-me@example.com")
        #expect(result.rejected[0].reply == SMTPReply(code: 550, text: "5.1.1 mailbox unavailable"))
        #expect(!result.rejected[0].isTransient)
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].envelope.rcptTos == ["first@example.com", "third@example.com"])
    }

    @Test("refusals are matched by position, also first, last and repeated")
    func rejectionsByPosition() throws {
        let sink = try SMTPSink()
        let recipients = [
            "reject-a@example.com", "ok@example.com", "reject-b@example.com", "ok@example.com",
            "reject-a@example.com",
        ]
        let result = try SMTPSender(endpoint: sink.endpoint()).send(
            from: SMTPTestMail.from,
            recipients: recipients,
            message: try SMTPTestMail.report(to: ["ok@example.com"])
        )
        #expect(result.accepted == ["ok@example.com", "ok@example.com"])
        #expect(
            result.rejected.map(\.address) == [
                "reject-a@example.com", "reject-b@example.com",
                "reject-a@example.com",
            ]
        )
        #expect(result.rejected.allSatisfy { $0.reply.code == 550 })
    }

    @Test("every recipient refused: allRecipientsRejected, permanent, nothing delivered")
    func allRecipientsRejected() throws {
        let sink = try SMTPSink()
        let recipients = ["reject-1@example.com", "reject-2@example.com"]
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: sink.endpoint()).send(
                from: SMTPTestMail.from,
                recipients: recipients,
                message: try SMTPTestMail.report(to: recipients)
            )
        }
        #expect(error.kind == .allRecipientsRejected)
        #expect(error.rejected.map(\.address) == recipients)
        #expect(error.rejected.allSatisfy { $0.reply.code == 550 })
        #expect(!error.isTransient)
        #expect(!error.possiblyDelivered)
        #expect(error.message.contains("reject-2@example.com (550 5.1.1 mailbox unavailable)"))
        #expect(try sink.messages().isEmpty)
    }

    // MARK: - Failures

    @Test("a wrong password: authenticationFailed, not transient, and the password appears nowhere")
    func wrongPassword() throws {
        let sink = try SMTPSink(options: .init(tls: true, user: Self.user, password: Self.password))
        let wrong = "wrong-Pässword-42"
        let endpoint = sink.endpoint(username: Self.user, password: wrong)
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: endpoint).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: try SMTPTestMail.report(to: ["a@example.com"])
            )
        }
        #expect(error.kind == .authenticationFailed)
        #expect(!error.isTransient)
        #expect(error.reply?.code == 535)
        let texts = [
            error.description, String(describing: error), String(reflecting: error),
            endpoint.description, String(reflecting: endpoint), String(describing: endpoint),
        ]
        for text in texts {
            #expect(!text.contains(wrong))
            #expect(!text.contains(Self.password))
        }
        #expect(try sink.messages().isEmpty)
    }

    @Test("AUTH demanded by the server but not configured: authenticationFailed")
    func authRequiredButNotConfigured() throws {
        let sink = try SMTPSink(options: .init(tls: true, user: Self.user, password: Self.password))
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: sink.endpoint()).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: try SMTPTestMail.report(to: ["a@example.com"])
            )
        }
        #expect(error.kind == .authenticationFailed)
        #expect(error.reply?.code == 530)
        #expect(try sink.messages().isEmpty)
    }

    @Test("nothing listening: connectionFailed, transient")
    func nothingListening() throws {
        let port = try TestPorts.pickFree()
        let sender = try SMTPSender(
            endpoint: SMTPEndpoint(
                url: "smtp://127.0.0.1:\(port)",
                allowInsecure: true,
                timeout: .seconds(5)
            )
        )
        let error = try #require(throws: SMTPError.self) {
            try sender.send(from: SMTPTestMail.from, recipients: ["a@example.com"], message: Array("x\r\n".utf8))
        }
        #expect(error.kind == .connectionFailed)
        #expect(error.isTransient)
        #expect(!error.possiblyDelivered)
        #expect(error.curlError?.code == .couldntConnect)
    }

    @Test("a stopped sink: connectionFailed, transient; after a restart on another port, delivery works")
    func sinkDownThenUp() throws {
        let first = try SMTPSink()
        let endpoint = first.endpoint()
        first.stop()
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: endpoint).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: try SMTPTestMail.report(to: ["a@example.com"])
            )
        }
        #expect(error.isTransient)
        let second = try SMTPSink()
        _ = try SMTPSender(endpoint: second.endpoint()).send(
            from: SMTPTestMail.from,
            recipients: ["a@example.com"],
            message: try SMTPTestMail.report(to: ["a@example.com"])
        )
        #expect(try second.messages().count == 1)
    }

    @Test("STARTTLS required but the server offers none: tlsFailed, nothing sent in clear text")
    func startTLSNotOffered() throws {
        let sink = try SMTPSink()
        let endpoint = SMTPEndpoint(url: sink.url, username: Self.user, password: Self.password, timeout: .seconds(10))
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: endpoint).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: try SMTPTestMail.report(to: ["a@example.com"])
            )
        }
        #expect(error.kind == .tlsFailed)
        #expect(error.curlError?.code == .useSSLFailed)
        #expect(!error.isTransient)
        #expect(try sink.messages().isEmpty)
    }

    @Test("a certificate nobody vouches for: tlsFailed")
    func untrustedCertificate() throws {
        let sink = try SMTPSink(options: .init(tls: true))
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: sink.endpoint(useCA: false)).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: try SMTPTestMail.report(to: ["a@example.com"])
            )
        }
        #expect(error.kind == .tlsFailed)
        #expect(error.curlError?.code == .peerFailedVerification)
        #expect(try sink.messages().isEmpty)
    }

    @Test("plain loopback SMTP to a server that insists on STARTTLS: tlsFailed from its 530")
    func serverRequiresStartTLS() throws {
        let sink = try SMTPSink(options: .init(tls: true))
        let endpoint = SMTPEndpoint(url: sink.url, allowInsecure: true, timeout: .seconds(10))
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: endpoint).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: try SMTPTestMail.report(to: ["a@example.com"])
            )
        }
        #expect(error.kind == .tlsFailed)
        #expect(error.reply?.code == 530)
        #expect(try sink.messages().isEmpty)
    }

    @Test("smtps:// to a plain SMTP port: tlsFailed")
    func implicitTLSToPlainPort() throws {
        let sink = try SMTPSink()
        let endpoint = SMTPEndpoint(url: "smtps://127.0.0.1:\(sink.port)", timeout: .seconds(5))
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: endpoint).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: Array("x\r\n".utf8)
            )
        }
        #expect(error.kind == .tlsFailed)
        #expect(error.curlError?.code == .sslConnectError)
        #expect(try sink.messages().isEmpty)
    }

    @Test("a server that accepts but never greets: timeout, transient")
    func silentServer() throws {
        let server = try SilentServer()
        let endpoint = SMTPEndpoint(url: "smtp://127.0.0.1:\(server.port)", allowInsecure: true, timeout: .seconds(2))
        let clock = ContinuousClock()
        let started = clock.now
        let error = try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: endpoint).send(
                from: SMTPTestMail.from,
                recipients: ["a@example.com"],
                message: Array("x\r\n".utf8)
            )
        }
        #expect(error.kind == .timeout)
        #expect(error.isTransient)
        #expect(clock.now - started < .seconds(10))
    }

    @Test("an unsafe endpoint or envelope fails before any connection")
    func rejectedBeforeNetwork() throws {
        #expect(throws: SMTPError.self) {
            try SMTPSender(endpoint: SMTPEndpoint(url: "smtp://mail.example.com:587", allowInsecure: true))
        }
        let sink = try SMTPSink()
        let sender = try SMTPSender(endpoint: sink.endpoint())
        for (from, recipients) in [
            ("bad from@example.com", ["a@example.com"]), (SMTPTestMail.from, []),
            (SMTPTestMail.from, ["a@example.com>\r\nRCPT TO:<b@example.com"]), (SMTPTestMail.from, ["<a@example.com>"]),
        ] {
            let error = try #require(throws: SMTPError.self) {
                try sender.send(from: from, recipients: recipients, message: Array("x\r\n".utf8))
            }
            #expect(error.kind == .insecureConfiguration)
        }
        #expect(try sink.messages().isEmpty)
    }

    // MARK: - What the sink received

    /// The report's MIME structure, headers and CSV rows, read back from the received bytes.
    private func checkReport(_ eml: [UInt8]) throws {
        let root = try MIMEEntity.parse(eml)
        #expect(root.field("Date") == "Mon, 06 Jan 2025 11:00:00 +0100")
        #expect(root.field("Message-ID") == "<week-02-2025@reports.example.com>")
        #expect(root.field("MIME-Version") == "1.0")
        #expect(root.field("Auto-Submitted") == "auto-generated")
        let subject = try #require(root.field("Subject"))
        #expect(
            EncodedWordDecoder.decode(unstructured: Array(subject.utf8)).text
                == "Lizenzplätze: Wochenbericht KW 2 — 12 Agents"
        )
        let to = try #require(root.field("To"))
        let firstName = try #require(to.components(separatedBy: "<").first)
        #expect(
            EncodedWordDecoder.decode(unstructured: Array(firstName.utf8)).text
                .trimmingCharacters(in: .whitespaces) == "Jörg Müller"
        )

        #expect(root.mediaType == "multipart/mixed")
        try #require(root.parts.count == 2)
        let alternative = root.parts[0]
        #expect(alternative.mediaType == "multipart/alternative")
        #expect(alternative.parts.map(\.mediaType) == ["text/plain", "text/html"])
        #expect(try alternative.parts[0].text() == "Seats this week: 12 agents.\r\n.\r\n..leading dots survive\r\n")
        #expect(try alternative.parts[1].text().contains("Müller included"))
        let csv = root.parts[1]
        #expect(csv.mediaType == "text/csv")
        #expect(csv.parameter("filename", of: "Content-Disposition") == "people.csv")
        let rows = try csv.text().components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows == ["address,name,role", "anna@example.com,Anna Åström,agent", "bo@example.com,\"Bo, Jr.\",user"])
    }
}
