import Foundation
import Testing
import TestSupport

@testable import SeatMeterCore

@Suite("MIME builder: structure and content")
struct MIMEBuilderStructureTests {
    @Test func reportIsMixedWithAlternativeAndCSV() throws {
        let csv = "address,role\r\na@example.com,agent\r\nb@example.com,user\r\n"
        let message = MailFixtures.report(
            text: "Seats: 12\nAgents: 3\n",
            attachments: [.csv(filename: "people.csv", text: csv)]
        )
        let root = try MIMEEntity.parse(try MailFixtures.build(message))
        #expect(root.mediaType == "multipart/mixed")
        try #require(root.parts.count == 2)
        let alternative = root.parts[0]
        #expect(alternative.mediaType == "multipart/alternative")
        try #require(alternative.parts.count == 2)
        #expect(alternative.parts.map(\.mediaType) == ["text/plain", "text/html"])
        for part in alternative.parts { #expect(part.parameter("charset", of: "Content-Type") == "utf-8") }
        #expect(try alternative.parts[0].text() == "Seats: 12\r\nAgents: 3\r\n")
        #expect(try alternative.parts[1].text() == "<p>Seats: <b>12</b></p>")
        let attachment = root.parts[1]
        #expect(attachment.mediaType == "text/csv")
        #expect(attachment.parameter("charset") == "utf-8")
        #expect(attachment.field("Content-Transfer-Encoding") == "base64")
        #expect(attachment.field("Content-Disposition")?.hasPrefix("attachment;") == true)
        #expect(attachment.parameter("filename", of: "Content-Disposition") == "people.csv")
        #expect(try attachment.decodedBody() == Array(csv.utf8))
    }

    @Test func headersInOrderWithRequiredFields() throws {
        let root = try MIMEEntity.parse(try MailFixtures.build(MailFixtures.report()))
        #expect(
            root.fields.map(\.name) == [
                "Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Auto-Submitted", "Content-Type",
            ]
        )
        #expect(root.field("Date") == "Mon, 06 Jan 2025 10:00:00 +0000")
        #expect(root.field("Message-ID") == "<report-2025-w02@example.com>")
        #expect(root.field("MIME-Version") == "1.0")
        #expect(root.field("Auto-Submitted") == "auto-generated")
        #expect(root.field("From") == "\"SeatMeter\" <seatmeter@example.com>")
        #expect(root.field("Subject") == "SeatMeter weekly report")
        let to = try #require(root.field("To"))
        #expect(to.hasPrefix("<it-admins@example.com>, =?UTF-8?B?"))
        #expect(to.hasSuffix(" <jm@example.com>"))
    }

    @Test("the smallest structure that holds the inputs")
    func minimalStructures() throws {
        let plain = try MIMEEntity.parse(try MailFixtures.build(MailFixtures.report(html: nil, attachments: [])))
        #expect(plain.mediaType == "text/plain")
        #expect(plain.parts.isEmpty)
        #expect(try plain.text() == "Seats: 12\r\n")

        let alternative = try MIMEEntity.parse(try MailFixtures.build(MailFixtures.report(attachments: [])))
        #expect(alternative.mediaType == "multipart/alternative")
        #expect(alternative.parts.map(\.mediaType) == ["text/plain", "text/html"])

        let mixed = try MIMEEntity.parse(try MailFixtures.build(MailFixtures.report(html: nil)))
        #expect(mixed.mediaType == "multipart/mixed")
        #expect(mixed.parts.map(\.mediaType) == ["text/plain", "text/csv"])
    }

    @Test func severalAttachmentsKeepOrderAndBytes() throws {
        var random = SeededGenerator(seed: 7)
        let binary = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let message = MailFixtures.report(attachments: [
            .csv(filename: "people.csv", text: "a,b\r\n"),
            MailAttachment(filename: "blob.bin", mediaType: "application/octet-stream", content: binary),
            MailAttachment(filename: "empty.txt", mediaType: "text/plain", charset: "us-ascii", content: []),
        ])
        let root = try MIMEEntity.parse(try MailFixtures.build(message))
        #expect(
            root.parts.map(\.mediaType) == [
                "multipart/alternative", "text/csv", "application/octet-stream", "text/plain",
            ]
        )
        #expect(try root.parts[2].decodedBody() == binary)
        #expect(try root.parts[3].decodedBody() == [])
        #expect(root.parts[3].parameter("charset") == "us-ascii")
    }

    @Test func nonASCIIAttachmentNameUsesRFC2231() throws {
        let message = MailFixtures.report(attachments: [.csv(filename: "Sitzplätze März.csv", text: "x\r\n")])
        let part = try MIMEEntity.parse(try MailFixtures.build(message)).parts[1]
        #expect(part.parameter("filename*", of: "Content-Disposition") == "utf-8''Sitzpl%C3%A4tze%20M%C3%A4rz.csv")
        #expect(part.parameter("filename", of: "Content-Disposition") == nil)
    }

    @Test func sameSeedSameBytesOtherSeedOtherBoundaries() throws {
        let message = MailFixtures.report()
        #expect(try MailFixtures.build(message, seed: 3) == MailFixtures.build(message, seed: 3))
        let first = try MIMEEntity.parse(try MailFixtures.build(message, seed: 3))
        let second = try MIMEEntity.parse(try MailFixtures.build(message, seed: 4))
        #expect(first.parameter("boundary") != second.parameter("boundary"))
        #expect(first.parameter("boundary") != first.parts[0].parameter("boundary"))
        #expect(try #require(first.parameter("boundary")).hasPrefix("=_SeatMeter_"))
    }

    @Test func systemRandomBuildsDiffer() throws {
        var message = MailFixtures.report()
        message.messageID = nil
        let one = try MIMEEntity.parse(try MIMEBuilder.build(message))
        let two = try MIMEEntity.parse(try MIMEBuilder.build(message))
        #expect(one.parameter("boundary") != two.parameter("boundary"))
        #expect(one.field("Message-ID") != two.field("Message-ID"))
    }
}

@Suite("MIME builder: wire format")
struct MIMEBuilderWireFormatTests {
    static let texts: [String] = [
        "plain ASCII\nsecond line\n",
        "mixed\r\nline\rends\n\nand a lone CR\r",
        "Umlaute: Jörg Müller, Straße\n",
        "日本語のテキスト、とても長い行です。" + String(repeating: "漢字", count: 600),
        String(repeating: "x", count: 5000),
        "trailing spaces   \nand tabs\t\t\n=equals= at 76 " + String(repeating: "=", count: 200),
        ". a line with a leading dot\n.\n..\nFrom the start\n",
        "\u{0}\u{1}control bytes\u{7F}\n",
        "",
    ]

    @Test(arguments: texts)
    func crlfOnlyAndShortLines(text: String) throws {
        let html = "<table>" + String(repeating: "<tr><td>cell</td><td>Zelle ä</td></tr>", count: 300) + "</table>"
        let message = MailFixtures.report(
            subject: "Wöchentlicher Bericht über Lizenzplätze " + text.prefix(40),
            text: text,
            html: html,
            attachments: [.csv(filename: "people.csv", text: text)]
        )
        let bytes = try MailFixtures.build(message)
        #expect(MailFixtures.bareLineBreaks(bytes).isEmpty)
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
        let lines = MailFixtures.lines(bytes)
        #expect(lines.allSatisfy { $0.count <= 998 })
        let root = try MIMEEntity.parse(bytes)
        // Headers fold at 76; encoded bodies keep to 76 too.
        #expect(MailFixtures.lines(root.rawHeader).allSatisfy { $0.count <= 76 })
        let leaves = [root.parts[0].parts[0], root.parts[0].parts[1], root.parts[1]]
        for leaf in leaves {
            #expect(MailFixtures.lines(leaf.rawHeader).allSatisfy { $0.count <= 76 })
            let encoding = leaf.field("Content-Transfer-Encoding") ?? "7bit"
            if encoding != "7bit" {
                let long = MailFixtures.lines(leaf.body).filter { $0.count > 76 }
                #expect(long.isEmpty, "\(encoding) line of \(long.first?.count ?? 0) octets")
            } else {
                #expect(leaf.body.allSatisfy { $0 < 0x80 && $0 != 0 })
            }
        }
        let crlfText = String(decoding: LineEnds.crlf(text), as: UTF8.self)
        #expect(try leaves[0].text() == crlfText)
        #expect(try leaves[1].text() == html)
        #expect(try leaves[2].decodedBody() == Array(text.utf8))
    }

    @Test(arguments: [
        ("plain ASCII\r\n", TransferEncoding.sevenBit),
        (String(repeating: "a", count: 998), .sevenBit),
        (String(repeating: "a", count: 999), .quotedPrintable),
        ("Jörg Müller\r\n", .quotedPrintable),
        ("tab\tis fine\r\n", .sevenBit),
        ("bell \u{7}\r\n", .quotedPrintable),
        ("日本語のテキスト", .base64),
    ])
    func transferEncodingChoice(text: String, expected: TransferEncoding) {
        #expect(TransferEncoding.forText(Array(text.utf8)) == expected)
    }

    @Test func quotedPrintableRules() {
        func qp(_ text: String) -> String {
            String(decoding: QuotedPrintable.encode(crlfText: Array(text.utf8)), as: UTF8.self)
        }
        #expect(qp("a=b") == "a=3Db")
        #expect(qp("end space \r\nend tab\t") == "end space=20\r\nend tab=09")
        #expect(qp("ä") == "=C3=A4")
        #expect(qp(String(repeating: "a", count: 76)) == String(repeating: "a", count: 76))
        #expect(qp(String(repeating: "a", count: 77)) == String(repeating: "a", count: 75) + "=\r\naa")
        // An escape is never split by a soft break.
        let escaped = qp(String(repeating: "a", count: 74) + "ä")
        #expect(escaped == String(repeating: "a", count: 74) + "=\r\n=C3=A4")
    }

    @Test func quotedPrintableRoundTripsRandomText() throws {
        var random = SeededGenerator(seed: 42)
        let alphabet = Array(" \t=.aZ09äö€\u{1}".utf8)
        for _ in 0..<200 {
            let length = Int.random(in: 0..<400, using: &random)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                if Int.random(in: 0..<30, using: &random) == 0 {
                    bytes += [0x0D, 0x0A]
                } else {
                    bytes.append(alphabet[Int.random(in: 0..<alphabet.count, using: &random)])
                }
            }
            let encoded = QuotedPrintable.encode(crlfText: bytes)
            #expect(MailFixtures.lines(encoded).allSatisfy { $0.count <= 76 })
            #expect(MailFixtures.lines(encoded).allSatisfy { $0.last != 0x20 && $0.last != 0x09 })
            #expect(try MIMEEntity.decodeQuotedPrintable(encoded) == bytes)
        }
    }

    @Test func base64MatchesFoundation() {
        var random = SeededGenerator(seed: 9)
        for length in [0, 1, 2, 3, 56, 57, 58, 1000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let ours = String(decoding: Base64.encode(bytes), as: UTF8.self)
            #expect(ours == Data(bytes).base64EncodedString())
            let wrapped = Base64.encode(bytes, lineLength: 76)
            #expect(MailFixtures.lines(wrapped).allSatisfy { $0.count <= 76 })
            #expect(
                Data(base64Encoded: String(decoding: wrapped.filter { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self))
                    == Data(bytes)
            )
        }
    }

    @Test("a boundary that occurs in 7bit content is replaced by a fresh one")
    func boundaryCollisionIsAvoided() throws {
        var probe = SeededGenerator(seed: 11)
        let firstCandidate = "=_SeatMeter_" + MIMEBuilder.randomToken(length: 28, using: &probe)
        let text = "before\r\n--\(firstCandidate)\r\nafter\r\n"
        let message = MailFixtures.report(text: text, html: nil)
        let bytes = try MailFixtures.build(message, seed: 11)
        let root = try MIMEEntity.parse(bytes)
        let boundary = try #require(root.parameter("boundary"))
        #expect(boundary != firstCandidate)
        #expect(root.parts[0].field("Content-Transfer-Encoding") == "7bit")
        #expect(try root.parts[0].text() == text)
    }
}

@Suite("MIME builder: header encoding")
struct MIMEBuilderHeaderTests {
    static let subjects: [String] = [
        "Plain ASCII subject",
        "Wöchentlicher Bericht: 12 Plätze",
        "Rapport hebdomadaire — sièges et coûts (€ 1 234,00)",
        "週報：ライセンス席数と費用の推移、過去十二週間のトレンドと推奨事項について",
        "Emoji 📈📉 trend 👩🏽‍💻 agents",
        "  leading and trailing  ",
        "double  space and\ttab",
        "looks =?UTF-8?B?ZW5jb2RlZA==?= but is literal",
        "a",
        String(repeating: "x", count: 300),
        String(repeating: "Lizenzplätze ", count: 40),
        "line\r\nbreaks\nbecome spaces",
        "ascii words " + String(repeating: "ü", count: 100) + " more ascii",
        "é",
        " ",
        "ü ",
        "a  b ü",
    ]

    @Test(arguments: subjects)
    func subjectRoundTrips(subject: String) throws {
        let root = try MIMEEntity.parse(try MailFixtures.build(MailFixtures.report(subject: subject)))
        let raw = try subjectFieldLines(root.rawHeader)
        #expect(raw.allSatisfy { $0.count <= 76 }, "\(raw.map(\.count))")
        #expect(raw.allSatisfy { $0.contains { $0 != 0x20 && $0 != 0x09 } }, "a whitespace-only line")
        #expect(raw.joined().allSatisfy { $0 < 0x80 })
        let value = try #require(root.field("Subject"))
        // MIMEEntity trims the value's ends; decode the untrimmed unfolded value for the leading/trailing cases.
        let unfolded = Array(raw.joined()).dropFirst("Subject:".count)
        let decoded = EncodedWordDecoder.decode(
            unstructured: unfolded.drop { $0 == 0x20 }.count < unfolded.count
                ? Array(unfolded.dropFirst()) : Array(unfolded)
        )
        let expected = subject.replacingOccurrences(of: "\r\n", with: "  ").replacingOccurrences(of: "\n", with: " ")
        #expect(decoded.text == expected)
        #expect(decoded.defects.isEmpty)
        if subject == "Plain ASCII subject" { #expect(value == subject) }
        if subject.hasPrefix("ascii words") { #expect(value.hasPrefix("ascii words =?UTF-8?B?")) }
    }

    @Test("words of every length up to 120 keep each line within 76 and decode back", arguments: 1...120)
    func wordLengths(length: Int) throws {
        for subject in [
            String(repeating: "w", count: length), "Report " + String(repeating: "w", count: length),
            String(repeating: "ä", count: length),
        ] {
            let root = try MIMEEntity.parse(try MailFixtures.build(MailFixtures.report(subject: subject)))
            let raw = try subjectFieldLines(root.rawHeader)
            #expect(raw.allSatisfy { $0.count <= 76 }, "\(raw.map(\.count))")
            let value = try #require(root.field("Subject"))
            #expect(EncodedWordDecoder.decode(unstructured: Array(value.utf8)).text == subject)
        }
    }

    @Test(arguments: [
        ("SeatMeter", "\"SeatMeter\" <seatmeter@example.com>"),
        ("Seat \"Meter\" \\ Bot", "\"Seat \\\"Meter\\\" \\\\ Bot\" <seatmeter@example.com>"),
        ("", "<seatmeter@example.com>"),
        ("  ", "<seatmeter@example.com>"),
    ])
    func asciiNames(name: String, expected: String) throws {
        var message = MailFixtures.report()
        message.from.name = name
        let root = try MIMEEntity.parse(try MailFixtures.build(message))
        #expect(root.field("From") == expected)
    }

    @Test(arguments: ["Jörg Müller", "山田太郎", "Zoë =?not?= encoded", "Bot 🤖", String(repeating: "Ärger ", count: 20)])
    func nonASCIINamesAreEncodedWords(name: String) throws {
        var message = MailFixtures.report()
        message.from.name = name
        message.to = [Mailbox(name: name, address: "a@example.com"), Mailbox(name: name, address: "b@example.com")]
        let root = try MIMEEntity.parse(try MailFixtures.build(message))
        #expect(MailFixtures.lines(root.rawHeader).allSatisfy { $0.count <= 76 && $0.allSatisfy { $0 < 0x80 } })
        let from = try #require(root.field("From"))
        #expect(from.hasPrefix("=?UTF-8?B?"))
        let phrase = try #require(from.split(separator: "<").first)
        #expect(
            EncodedWordDecoder.decode(unstructured: Array(phrase.utf8)).text.trimmingCharacters(in: .whitespaces)
                == name.trimmingCharacters(in: .whitespaces)
        )
        let to = try #require(root.field("To"))
        let mailboxes = to.components(separatedBy: ">,")
        #expect(mailboxes.count == 2)
        for (mailbox, address) in zip(mailboxes, ["a@example.com", "b@example.com"]) {
            let parts = mailbox.components(separatedBy: "<")
            #expect(parts.count == 2)
            #expect(parts[1].hasPrefix(address))
            #expect(
                EncodedWordDecoder.decode(unstructured: Array(parts[0].utf8)).text
                    .trimmingCharacters(in: .whitespaces) == name.trimmingCharacters(in: .whitespaces)
            )
        }
    }

    @Test func manyRecipientsFoldBetweenMailboxes() throws {
        var message = MailFixtures.report()
        message.to = (1...40).map { Mailbox(name: $0 % 3 == 0 ? "Admin \($0)" : "", address: "admin\($0)@example.com") }
        let root = try MIMEEntity.parse(try MailFixtures.build(message))
        #expect(MailFixtures.lines(root.rawHeader).allSatisfy { $0.count <= 76 })
        let to = try #require(root.field("To"))
        let addresses = to.components(separatedBy: "<").dropFirst().map { $0.prefix { $0 != ">" } }
        #expect(addresses.map(String.init) == (1...40).map { "admin\($0)@example.com" })
    }

    /// The raw lines of the Subject field (first line and fold lines).
    private func subjectFieldLines(_ header: [UInt8]) throws -> [ArraySlice<UInt8>] {
        let lines = MailFixtures.lines(header)
        let start = try #require(lines.firstIndex { $0.starts(with: Array("Subject:".utf8)) })
        var end = start + 1
        while end < lines.count, let first = lines[end].first, first == 0x20 || first == 0x09 { end += 1 }
        return Array(lines[start..<end])
    }
}

@Suite("MIME builder: Date, Message-ID and invalid input")
struct MIMEBuilderFieldTests {
    @Test(arguments: [
        (1_736_157_600.0, "UTC", "Mon, 06 Jan 2025 10:00:00 +0000"),
        (1_736_157_600.0, "Europe/Berlin", "Mon, 06 Jan 2025 11:00:00 +0100"),
        (1_751_796_000.0, "Europe/Berlin", "Sun, 06 Jul 2025 12:00:00 +0200"),
        (1_736_157_600.0, "America/St_Johns", "Mon, 06 Jan 2025 06:30:00 -0330"),
        (1_736_157_600.0, "Asia/Kolkata", "Mon, 06 Jan 2025 15:30:00 +0530"),
        (1_736_157_599.999, "UTC", "Mon, 06 Jan 2025 09:59:59 +0000"),
        (951_782_400.0, "UTC", "Tue, 29 Feb 2000 00:00:00 +0000"),
        (-1.0, "UTC", "Wed, 31 Dec 1969 23:59:59 +0000"),
        (0.0, "America/New_York", "Wed, 31 Dec 1969 19:00:00 -0500"),
        (4_102_444_800.0, "UTC", "Fri, 01 Jan 2100 00:00:00 +0000"),
    ])
    func dates(seconds: Double, zone: String, expected: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        #expect(RFC5322Date.string(Date(timeIntervalSince1970: seconds), timeZone: timeZone) == expected)
    }

    @Test func dateFieldUsesTheMessageTimeZone() throws {
        var message = MailFixtures.report()
        message.timeZone = try #require(TimeZone(identifier: "Europe/Berlin"))
        let root = try MIMEEntity.parse(try MailFixtures.build(message))
        #expect(root.field("Date") == "Mon, 06 Jan 2025 11:00:00 +0100")
    }

    @Test(arguments: [("abc@example.com", "<abc@example.com>"), ("<a.b-c@x.example>", "<a.b-c@x.example>")])
    func givenMessageIDs(given: String, expected: String) throws {
        var message = MailFixtures.report()
        message.messageID = given
        #expect(try MIMEEntity.parse(try MailFixtures.build(message)).field("Message-ID") == expected)
    }

    @Test(arguments: ["", "<>", "no-at-sign", "a@b@c", "<a b@c>", "a@b\r\nBcc: x@y", "ä@example.com", "<a@b"])
    func invalidMessageIDsAreRejected(given: String) {
        var message = MailFixtures.report()
        message.messageID = given
        #expect(throws: MIMEBuildError.self) { try MailFixtures.build(message) }
    }

    @Test func generatedMessageIDUsesTheFromDomain() throws {
        var message = MailFixtures.report()
        message.messageID = nil
        message.from.address = "seatmeter@Reports.Example.COM"
        let id = try #require(try MIMEEntity.parse(try MailFixtures.build(message)).field("Message-ID"))
        #expect(id.hasPrefix("<") && id.hasSuffix("@reports.example.com>"))
        let local = id.dropFirst().prefix { $0 != "@" }
        #expect(local.count == 32 && local.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        var generator = SeededGenerator(seed: 1)
        #expect(MIMEBuilder.makeMessageID(domain: "", using: &generator).hasSuffix("@seatmeter.localdomain>"))
    }

    @Test(arguments: [
        "", "no-at", "a@", "@b", "a b@example.com", "a@example.com\r\nBcc: victim@example.org", "a@exam ple.com",
        "<a@example.com>", "a,b@example.com", "jörg@example.com", "a@bücher.example", "a..b@example.com",
        ".a@example.com", "a@example..com",
    ])
    func invalidAddressesAreRejected(address: String) {
        var message = MailFixtures.report()
        message.to.append(Mailbox(name: "x", address: address))
        #expect(throws: MIMEBuildError.self) { try MailFixtures.build(message) }
        message = MailFixtures.report()
        message.from.address = address
        #expect(throws: MIMEBuildError.self) { try MailFixtures.build(message) }
        #expect(MailAddressSyntax.problem(in: address) != nil)
    }

    @Test(arguments: ["a@example.com", "first.last+tag@sub.example.co.uk", "o'brien@example.ie", "x_y=z@a-b.example"])
    func validAddressesAreAccepted(address: String) {
        #expect(MailAddressSyntax.problem(in: address) == nil)
    }

    @Test func noRecipientsIsAnError() {
        var message = MailFixtures.report()
        message.to = []
        #expect(throws: MIMEBuildError(.noRecipients, "the message has no recipients")) {
            try MailFixtures.build(message)
        }
    }

    @Test(arguments: [
        MailAttachment(filename: "a/b.csv", mediaType: "text/csv", content: []),
        MailAttachment(filename: "", mediaType: "text/csv", content: []),
        MailAttachment(filename: "x\r\nContent-Type: text/html", mediaType: "text/csv", content: []),
        MailAttachment(filename: "x.csv", mediaType: "text", content: []),
        MailAttachment(filename: "x.csv", mediaType: "text/csv; boundary=x", content: []),
        MailAttachment(filename: "x.csv", mediaType: "text/csv", charset: "utf 8", content: []),
        MailAttachment(filename: String(repeating: "x", count: 201), mediaType: "text/csv", content: []),
    ])
    func invalidAttachmentsAreRejected(attachment: MailAttachment) {
        let message = MailFixtures.report(attachments: [attachment])
        #expect(throws: MIMEBuildError.self) { try MailFixtures.build(message) }
    }
}
