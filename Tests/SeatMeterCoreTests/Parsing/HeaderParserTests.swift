import Foundation
import SeatMeterCore
import Testing

@Suite("Header block: splitting, unfolding, limits, assembly")
struct HeaderParserTests {
    @Test("headerBlock(of:) stops before the first empty line, CRLF or LF")
    func headerBlock() {
        let crlf = Array("From: a@x.test\r\nTo: b@x.test\r\n\r\nBody\r\n\r\nMore".utf8)
        #expect(Array(HeaderParser.headerBlock(of: crlf)) == Array("From: a@x.test\r\nTo: b@x.test\r\n".utf8))
        let lf = Array("From: a@x.test\nTo: b@x.test\n\nBody".utf8)
        #expect(Array(HeaderParser.headerBlock(of: lf)) == Array("From: a@x.test\nTo: b@x.test\n".utf8))
        #expect(HeaderParser.headerBlock(of: Array("\r\nBody".utf8)).isEmpty)
        #expect(HeaderParser.headerBlock(of: Array("\nBody".utf8)).isEmpty)
        let noBody = Array("From: a@x.test".utf8)
        #expect(Array(HeaderParser.headerBlock(of: noBody)) == noBody)
        let whitespaceLine = Array("From: a@x.test\n \nTo: b@x.test\n\nBody".utf8)
        #expect(Array(HeaderParser.headerBlock(of: whitespaceLine)) == Array("From: a@x.test\n \nTo: b@x.test\n".utf8))
    }

    @Test("a whole message parses like its header block; the digest covers its fetched fields")
    func wholeMessage() {
        let header = "From: a@x.test\r\nSubject: Hi\r\n"
        let message = HeaderParser.parse(Array((header + "\r\nTo: body@x.test\r\n").utf8))
        let block = HeaderParser.parse(Array(header.utf8))
        #expect(message == block)
        #expect(message.appearances.map(\.mailbox.address) == ["a@x.test"])
        #expect(message.digest == SHA256.hexDigest(of: Array("from:a@x.test\nsubject:Hi\n".utf8)))
        #expect(HeaderParser.parse(Array((header + "\r\n").utf8)).digest == message.digest)
    }

    @Test("the digest is the same for the IMAP, Maildir and mbox copies of a message")
    func digestIgnoresTransportDifferences() {
        let maildir = "Received: from mx\r\nFrom: a@x.test\r\nX-Spam: yes\r\nSubject: a\r\n  long one\r\nTo: b@x.test\r\n"
        let imap = "From: a@x.test\r\nSubject: a\r\n  long one\r\nTo: b@x.test\r\n"
        let mbox = "Received: from mx\nFrom: a@x.test\nSubject: a long\n one\nTo:  b@x.test\n"
        let digests = Set([maildir, imap, mbox].map { HeaderParser.parse(Array($0.utf8)).digest })
        #expect(digests.count == 1)
        let other = HeaderParser.parse(Array("From: a@x.test\r\nSubject: another\r\nTo: b@x.test\r\n".utf8))
        #expect(!digests.contains(other.digest))
        // With a Message-ID that is the key: no digest is computed.
        let withID = HeaderParser.parse(Array("Message-ID: <k@x.test>\r\nFrom: a@x.test\r\n".utf8))
        #expect(withID.digest.isEmpty)
        #expect(withID.deduplicationKey == "mid:k@x.test")
        // Without one (absent or empty), the digest is.
        #expect(MessageFacts(messageID: nil, digest: "ab").deduplicationKey == "sha256:ab")
        #expect(MessageFacts(messageID: "", digest: "ab").deduplicationKey == "sha256:ab")
    }

    @Test("unfolding with CRLF and with bare LF gives the same facts")
    func unfolding() {
        let text = "From: John\n Doe\n\t<john@example.com>\nSubject: a long\n  subject\nTo: x@y.test,\n z@y.test\n"
        let crlf = TestParse.header(text)
        let lf = TestParse.header(text, lf: true)
        #expect(crlf.appearances == lf.appearances)
        #expect(crlf.subject == "a long  subject")
        #expect(crlf.appearances.map(\.mailbox.name) == ["John Doe", "", ""])
        #expect(crlf.appearances.map(\.mailbox.address) == ["john@example.com", "x@y.test", "z@y.test"])
        #expect(crlf.subject == lf.subject)
    }

    @Test("field names are case-insensitive; white space before the colon is obsolete but read")
    func fieldNames() {
        let facts = TestParse.header("FROM: a@x.test\ncc : b@x.test\nReply-to:c@x.test\nRESENT-cc: d@x.test\nSUBJECT: s\n")
        #expect(facts.appearances.map(\.field) == [.from, .cc, .replyTo, .resentCc])
        #expect(facts.subject == "s")
        #expect(facts.defects.isEmpty)
    }

    @Test("every address field in header order")
    func allFields() {
        let facts = TestParse.header(
            """
            Resent-From: rf@x.test
            Resent-Sender: rs@x.test
            Resent-To: rt@x.test
            Resent-Cc: rc@x.test
            From: f@x.test
            Sender: s@x.test
            Reply-To: r@x.test
            To: t@x.test
            Cc: c@x.test
            Bcc: b@x.test

            """)
        #expect(facts.appearances.map(\.field) == [
            .resentFrom, .resentSender, .resentTo, .resentCc, .from, .sender, .replyTo, .to, .cc, .bcc,
        ])
        #expect(facts.appearances.map(\.mailbox.address).allSatisfy { $0.hasSuffix("@x.test") })
        #expect(facts.defects.isEmpty)
    }

    @Test("a repeated field keeps both and adds a defect; Resent-* may repeat")
    func duplicates() {
        let facts = TestParse.header(
            "From: a@x.test\nFrom: b@x.test\nResent-From: c@x.test\nResent-From: d@x.test\nSubject: one\nSubject: two\n")
        #expect(facts.appearances.map(\.mailbox.address) == ["a@x.test", "b@x.test", "c@x.test", "d@x.test"])
        #expect(facts.defects.contains("from: field appears more than once"))
        #expect(!facts.defects.contains("resent-from: field appears more than once"))
        #expect(facts.subject == "one")
        #expect(facts.defects.contains("subject: field appears more than once"))
    }

    @Test("8-bit bytes in values are kept until decoding")
    func eightBit() {
        let bytes: [UInt8] = Array("From: J".utf8) + [0xC3, 0xBC] + Array("rgen <j@x.test>\r\nSubject: Gr".utf8)
            + [0xC3, 0xBC] + Array("\u{DF}e\r\n".utf8)
        let facts = HeaderParser.parse(bytes)
        #expect(facts.appearances.map(\.mailbox.name) == ["Jürgen"])
        #expect(facts.subject == "Grüße")
    }

    @Test("malformed lines and orphan continuation lines are skipped with a defect")
    func malformedLines() {
        let facts = TestParse.header(" orphan\nnot a header line\nFrom: a@x.test\n>From junk\nTo: b@x.test\n")
        #expect(facts.appearances.map(\.mailbox.address) == ["a@x.test", "b@x.test"])
        #expect(facts.defects.contains("malformed header lines ignored"))
        #expect(facts.defects.contains("continuation lines without a field ignored"))
    }

    @Test("an mbox 'From ' line before the first field is skipped without a defect")
    func mboxFromLine() {
        let facts = TestParse.header("From jane@example.com Mon Jun  2 10:00:00 2003\nFrom: Jane <jane@example.com>\n")
        #expect(facts.appearances.map(\.mailbox.address) == ["jane@example.com"])
        #expect(facts.defects.isEmpty)
        let later = TestParse.header("Subject: x\nFrom jane@example.com Mon Jun  2 10:00:00 2003\n")
        #expect(later.defects == ["malformed header lines ignored"])
    }

    @Test("input that is not mail gets defects, never a crash")
    func notMail() {
        let binary: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        let facts = HeaderParser.parse(binary)
        #expect(!facts.defects.isEmpty)
        #expect(HeaderParser.parse([UInt8]()).defects == ["no header fields"])
    }

    @Test("empty and mailbox-less address fields")
    func emptyFields() {
        let facts = TestParse.header("From: Mary Smith\nTo:\nBcc:\nCc: undisclosed-recipients:;\n")
        #expect(facts.appearances.isEmpty)
        #expect(facts.defects.contains("from: dropped an element without '@'"))
        #expect(facts.defects.contains("from: no mailbox"))
        #expect(facts.defects.contains("to: empty field"))
        #expect(!facts.defects.contains { $0.hasPrefix("bcc:") || $0.hasPrefix("cc:") })
    }

    @Test("limit: field count")
    func fieldCountLimit() {
        let text = (0..<20).map { "X-Field-\($0): v\r\n" }.joined() + "From: late@x.test\r\n"
        let facts = HeaderParser.parse(Array(text.utf8), limits: HeaderLimits(maxFieldCount: 10))
        #expect(facts.appearances.isEmpty)
        #expect(facts.defects.contains("more than 10 header fields; the rest was ignored"))
    }

    @Test("limit: line length drops the field")
    func lineLengthLimit() {
        let long = "To: " + String(repeating: "a", count: 200) + "@x.test\r\nFrom: ok@x.test\r\n"
        let facts = HeaderParser.parse(Array(long.utf8), limits: HeaderLimits(maxLineLength: 100))
        #expect(facts.appearances.map(\.mailbox.address) == ["ok@x.test"])
        #expect(facts.defects.contains("header line longer than 100 bytes; field dropped"))
        let folded = "To: a@x.test,\r\n " + String(repeating: "b", count: 200) + "@x.test\r\n"
        let foldedFacts = HeaderParser.parse(Array(folded.utf8), limits: HeaderLimits(maxLineLength: 100))
        #expect(foldedFacts.appearances.isEmpty)
    }

    @Test("limit: block size")
    func blockSizeLimit() {
        let text = "From: a@x.test\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 100) + "To: b@x.test\r\n"
        let facts = HeaderParser.parse(Array(text.utf8), limits: HeaderLimits(maxBlockSize: 200))
        #expect(facts.appearances.map(\.mailbox.address) == ["a@x.test"])
        #expect(facts.defects.contains("header block larger than 200 bytes; the rest was ignored"))
        #expect(facts.digest == SHA256.hexDigest(of: Array("from:a@x.test\n".utf8)))
    }

    @Test("a 300 KB header block parses in full with the default limits")
    func largeBlock() {
        let recipients = (0..<8_000).map { "Person \($0) <person\($0)@example.com>" }
        let text = "From: a@x.test\r\nTo: " + recipients.joined(separator: ",\r\n ") + "\r\nSubject: big\r\n"
        #expect(text.utf8.count > 300_000)
        let facts = HeaderParser.parse(Array(text.utf8))
        #expect(facts.appearances.count == 8_001)
        #expect(facts.subject == "big")
        #expect(facts.defects.isEmpty)
        let oneLine = "To: " + recipients.joined(separator: ", ") + "\r\n"
        #expect(HeaderParser.parse(Array(oneLine.utf8)).appearances.count == 8_000)
    }

    @Test("a typical help-desk message")
    func typical() throws {
        let facts = TestParse.header(
            """
            Return-Path: <jane.doe@example.com>
            Received: from mail.example.com by mx.example.org; Mon, 2 Jun 2003 10:00:01 -0700
            From: "Doe, Jane" <Jane.Doe@Example.COM>
            Sender: Assistant <assistant@example.com>
            To: Help Desk <helpdesk@example.org>
            Cc: =?utf-8?q?J=C3=B6rg?= Schmidt <joerg@example.com>, bob@example.com (Bob)
            Subject: =?utf-8?q?Drucker_kaputt?= again
            Date: Mon, 2 Jun 2003 10:00:00 -0700
            Message-ID: <CAF1234@mail.example.com>
            X-Auto-Response-Suppress: All

            """)
        #expect(facts.appearances.map(\.field) == [.from, .sender, .to, .cc, .cc])
        #expect(facts.appearances.map(\.mailbox.address) == [
            "Jane.Doe@example.com", "assistant@example.com", "helpdesk@example.org", "joerg@example.com",
            "bob@example.com",
        ])
        #expect(facts.appearances.map(\.mailbox.name) == ["Doe, Jane", "Assistant", "Help Desk", "Jörg Schmidt", ""])
        #expect(facts.subject == "Drucker kaputt again")
        #expect(facts.messageID == "CAF1234@mail.example.com")
        #expect(try #require(facts.date).timeIntervalSince1970 == 1_054_573_200)
        #expect(!facts.automation.isAutomated)
        #expect(facts.defects.isEmpty)
    }
}
