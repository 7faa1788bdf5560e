import Foundation
import SeatMeterCore
import Testing

@Suite("Message-ID")
struct MessageIDParserTests {
    @Test("angle brackets stripped, comments and folding tolerated, case kept", arguments: [
        ("<1234@local.machine.example>", "1234@local.machine.example"),
        ("  <Abc.DEF@Example.com> (added by postmaster)", "Abc.DEF@Example.com"),
        ("(c) <a@b>", "a@b"),
        ("<1234   @   local .machine .example>", "1234@local.machine.example"),
        ("<a@b> <c@d>", "a@b"),
        ("\r\n <folded@example.com>", "folded@example.com"),
    ])
    func valid(_ input: String, _ expected: String) {
        let (id, defects) = MessageIDParser.parse(Array(input.utf8))
        #expect(id == expected)
        #expect(defects.isEmpty)
    }

    @Test("missing brackets are tolerated with a defect")
    func missingBrackets() {
        #expect(MessageIDParser.parse(Array("bare-id@example.com".utf8)).id == "bare-id@example.com")
        #expect(MessageIDParser.parse(Array("bare-id@example.com".utf8)).defects == ["message-id: missing angle brackets"])
        #expect(MessageIDParser.parse(Array("<open@example.com".utf8)).id == "open@example.com")
        #expect(MessageIDParser.parse(Array("<open@example.com".utf8)).defects == ["message-id: missing '>'"])
    }

    @Test("empty values give nil and a defect")
    func empty() {
        for input in ["", "   ", "<>", "(only a comment)"] {
            let (id, defects) = MessageIDParser.parse(Array(input.utf8))
            #expect(id == nil)
            #expect(defects.contains("message-id: empty"))
        }
    }

    @Test("field names match case-insensitively: Message-Id, MESSAGE-ID")
    func fieldNameCase() {
        #expect(TestParse.header("Message-Id: <x@y>\n").messageID == "x@y")
        #expect(TestParse.header("MESSAGE-ID: <x@y>\n").messageID == "x@y")
        #expect(TestParse.header("message-id:<x@y>\n").messageID == "x@y")
    }
}
