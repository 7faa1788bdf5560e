@testable import SeatMeterCurl
import Testing
import TestSupport

/// Command encoding: mailbox names (quoted, modified UTF-7) and the header FETCH.
@Suite
struct IMAPCommandTests {
    @Test("modified UTF-7", arguments: [
        ("INBOX", "INBOX"),
        ("Sent Items", "Sent Items"),
        ("R&D", "R&-D"),
        ("Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  // RFC 3501 §5.1.3
        ("📧 Mail", "&2D3c5w- Mail"),
        ("Gelöschte Elemente", "Gel&APY-schte Elemente"),
        ("tab\there", "tab&AAk-here"),
    ])
    func modifiedUTF7(name: String, expected: String) {
        #expect(String(decoding: IMAPCommand.modifiedUTF7(name), as: UTF8.self) == expected)
    }

    @Test("our modified UTF-7 matches Dovecot's (doveadm mailbox mutf7)")
    func modifiedUTF7MatchesDovecot() throws {
        let doveadm = try TestTools.locate("doveadm", package: "dovecot-imapd")
        let names = ["Éléments envoyés", "日本語 台北", "📧 Mail", "Gelöschte Elemente", "Ünïcödé & Co"]
        let output = try TestTools.run(doveadm, ["mailbox", "mutf7"] + names)
        let expected = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(names.map { String(decoding: IMAPCommand.modifiedUTF7($0), as: UTF8.self) } == expected)
    }

    @Test("EXAMINE quotes and escapes the name")
    func examine() {
        #expect(String(decoding: IMAPCommand.examine("Support & \"Ops\" \\ Ünï"), as: UTF8.self)
            == #"EXAMINE "Support &- \"Ops\" \\ &ANw-n&AO8-""#)
    }

    @Test("UID FETCH of header fields, with * for UInt32.max")
    func fetch() throws {
        #expect(String(decoding: try IMAPCommand.uidFetchHeaders(lower: 5, upper: 900, fields: ["From", "To"]),
                       as: UTF8.self)
            == "UID FETCH 5:900 (UID BODY.PEEK[HEADER.FIELDS (From To)])")
        #expect(String(decoding: try IMAPCommand.uidFetchHeaders(lower: 7, upper: .max, fields: ["X-Loop"]),
                       as: UTF8.self)
            == "UID FETCH 7:* (UID BODY.PEEK[HEADER.FIELDS (X-Loop)])")
    }

    @Test("field names that are not atoms are refused", arguments: ["", "Sub ject", "Subject:", "A)B", "Ü", "X\"Y"])
    func badFieldNames(name: String) {
        #expect(throws: IMAPError.self) { _ = try IMAPCommand.uidFetchHeaders(lower: 1, upper: 2, fields: [name]) }
    }

    @Test("an empty field list is refused")
    func emptyFieldList() {
        #expect(throws: IMAPError.self) { _ = try IMAPCommand.uidFetchHeaders(lower: 1, upper: 2, fields: []) }
    }
}
