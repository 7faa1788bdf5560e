import Foundation
import SeatMeterCore
import Testing

@Suite("Address lists (RFC 5322 §3.4)")
struct AddressListParserTests {
    @Test("bare addresses, name-addr and angle-addr")
    func basicForms() {
        #expect(TestParse.addresses("john@example.com") == ["john@example.com"])
        #expect(TestParse.addresses("<john@example.com>") == ["john@example.com"])
        #expect(TestParse.list("John Doe <john@example.com>").mailboxes.map(\.0) == ["John Doe"])
        #expect(TestParse.addresses("a@x.test, b@x.test,c@x.test") == ["a@x.test", "b@x.test", "c@x.test"])
    }

    @Test("display names: atoms, obs-phrase dots, quoted strings with escapes, spacing")
    func displayNames() {
        #expect(TestParse.names("John Q. Public <jqp@example.com>") == ["John Q. Public"])
        #expect(TestParse.names("Roy.A.Bear <r@example.com>") == ["Roy.A.Bear"])
        #expect(TestParse.names(#""Giant; \"Big\" Box" <s@example.net>"#) == [#"Giant; "Big" Box"#])
        #expect(TestParse.names(#""A \(Special\) Person" <p@example.com>"#) == ["A (Special) Person"])
        #expect(TestParse.names(#""The Foo of Bar" Course Staff <f@example.org>"#) == ["The Foo of Bar Course Staff"])
        #expect(TestParse.names(#""foo " <f@example.org>"#) == ["foo "])
        #expect(TestParse.names("Mary   Smith\r\n   <mary@example.net>") == ["Mary Smith"])
        #expect(TestParse.names(#""" <e@example.com>"#) == [""])
    }

    @Test("encoded words are decoded in unquoted names, never inside quoted strings (RFC 2047 §5)")
    func encodedWords() {
        #expect(TestParse.names(#""=?utf-8?q?x?=" <a@example.com>"#) == ["=?utf-8?q?x?="])
        #expect(TestParse.names(#""foo =?utf-8?q?bar?=" <a@example.com>"#) == ["foo =?utf-8?q?bar?="])
        // Needs the real decoder (EncodedWordDecoder): unquoted runs decode, adjacent words join.
        #expect(TestParse.names("=?utf-8?q?J=C3=B6rg?= Doe <j@example.com>") == ["Jörg Doe"])
        #expect(TestParse.names("=?utf-8?q?a?= =?utf-8?q?b?= <a@b.example>") == ["ab"])
        // An encoded word whose text holds specials stays one word and does not split the list.
        #expect(TestParse.list("=?utf-8?q?Doe,_John?= <j@example.com>").mailboxes.count == 1)
    }

    @Test("comments are skipped, nested, and never names")
    func comments() {
        #expect(TestParse.list("john@example.com (John Doe)").mailboxes.map(\.0) == [""])
        #expect(TestParse.names("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>") == ["Pete"])
        #expect(TestParse.addresses("(a (nested (comment))) x@example.com (b)") == ["x@example.com"])
        #expect(TestParse.names("John (middle) Doe <j@example.com>") == ["John Doe"])
        #expect(TestParse.addresses("dinsdale(bar)@ (bird) example.com (bog)") == ["dinsdale@example.com"])
    }

    @Test("groups: flattened, names dropped, empty groups give nothing")
    func groups() {
        #expect(TestParse.addresses("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;")
            == ["c@a.test", "joe@where.test", "jdoe@one.test"])
        let undisclosed = HeaderParser.parseAddressList(Array("undisclosed-recipients:;".utf8))
        #expect(undisclosed.mailboxes.isEmpty && undisclosed.defects.isEmpty && undisclosed.containsGroup)
        #expect(TestParse.addresses("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;").isEmpty)
        #expect(TestParse.addresses("first:; a@x.test, g: b@x.test; c@x.test") == ["a@x.test", "b@x.test", "c@x.test"])
        let unterminated = TestParse.list("group: a@x.test, b@x.test")
        #expect(unterminated.mailboxes.map(\.1) == ["a@x.test", "b@x.test"])
        #expect(unterminated.defects.contains("to: group without closing ';'"))
        #expect(TestParse.list("a: b: c@x.test;;").defects.contains("to: nested group"))
    }

    @Test("obsolete routes are dropped")
    func routes() {
        #expect(TestParse.addresses("<@a.example,@b.example:x@y.example>") == ["x@y.example"])
        #expect(TestParse.addresses(#""Roy" <@two.example.com: dinsdale@example.com>"#) == ["dinsdale@example.com"])
        #expect(TestParse.addresses("Mary <@node.test:mary@example.net>, , jdoe@test  . example")
            == ["mary@example.net", "jdoe@test.example"])
    }

    @Test("domain literals: IPv4, IPv6, general; invalid ones dropped")
    func domainLiterals() {
        #expect(TestParse.addresses("jdoe@[192.168.0.1]") == ["jdoe@[192.168.0.1]"])
        #expect(TestParse.addresses("<bob@[IPv6:fd42::DEAD:beef:1234]>") == ["bob@[ipv6:fd42::dead:beef:1234]"])
        let bad = TestParse.list("<jdoe@[256.0.0.1]>, <a@[1.2.3.4>, <x@[[1.2.3.4]>, ok@x.test")
        #expect(bad.mailboxes.map(\.1) == ["ok@x.test"])
        #expect(bad.defects.filter { $0.contains("invalid domain literal") }.count == 3)
    }

    @Test("missing angle brackets, stray commas and a missing comma are recovered")
    func recovery() {
        let missingClose = TestParse.list("<dinsdale@example.com (foo)")
        #expect(missingClose.mailboxes.map(\.1) == ["dinsdale@example.com"])
        #expect(missingClose.defects.contains("to: missing '>'"))
        #expect(TestParse.addresses(" , joe@where.test,,John <jdoe@one.test>,") == ["joe@where.test", "jdoe@one.test"])
        let noComma = TestParse.list("a@gmail.com b@gmail.com")
        #expect(noComma.mailboxes.map(\.1) == ["a@gmail.com", "b@gmail.com"])
        #expect(noComma.defects.contains("to: missing ',' between addresses"))
        #expect(TestParse.addresses("\"Roy\" <d@example.com>@@, \"Fred\" <f@example.com>") == ["d@example.com", "f@example.com"])
    }

    @Test("one bad element never loses the others, and each dropped element is a defect")
    func perElementRecovery() {
        let list = TestParse.list("good@x.test, Mary Smith, <>, a@b@c, \"Bob\" <bob@x.test>, <@only.route>, x@")
        #expect(list.mailboxes.map(\.1) == ["good@x.test", "bob@x.test"])
        #expect(list.defects.contains("to: dropped an element without '@'"))
        #expect(list.defects.contains("to: dropped a null address <>"))
        #expect(list.defects.contains("to: dropped an element with more than one '@'"))
        #expect(list.defects.contains("to: dropped an element without a local part"))
        #expect(list.defects.contains("to: dropped an element with an empty domain"))
    }

    @Test("nothing is invented: no address without '@', no group name, no <>, no name-as-address")
    func nothingInvented() {
        #expect(TestParse.addresses("Undisclosed recipients").isEmpty)
        #expect(TestParse.addresses("foo: ;").isEmpty)
        #expect(TestParse.addresses("foo: <>;").isEmpty)
        // Text before '<' is a display name, even when it looks like an address (CVE-2023-27043).
        let spoof = TestParse.list("alice@example.org <bob@example.com>")
        #expect(spoof.mailboxes.map(\.1) == ["bob@example.com"])
        #expect(spoof.defects.contains("to: unexpected character in display name"))
        #expect(TestParse.addresses("\"alice@example.org\" <bob@example.com>") == ["bob@example.com"])
    }

    @Test("unterminated quoted strings and comments are defects, never crashes")
    func unterminated() {
        let quote = TestParse.list("\"Joe <joe@example.com>")
        #expect(quote.mailboxes.isEmpty)
        #expect(quote.defects.contains("to: unterminated quoted string"))
        let comment = TestParse.list("alice@example.org(<bob@example.com>")
        #expect(comment.mailboxes.map(\.1) == ["alice@example.org"])
        #expect(comment.defects.contains("to: unterminated comment"))
    }

    @Test("canonical form: one form for quoted local parts, lowercase domain, local-part case kept")
    func canonicalForm() {
        #expect(TestParse.addresses("\"john.doe\"@Example.COM") == ["john.doe@example.com"])
        #expect(TestParse.addresses("\"foo bar\"@example.com") == ["\"foo bar\"@example.com"])
        #expect(TestParse.addresses(#"<"Abc\\@def"@example.com>"#) == [#""Abc\\@def"@example.com"#])
        #expect(TestParse.addresses(#"<"a\"b"@example.com>"#) == [#""a\"b"@example.com"#])
        #expect(TestParse.addresses("John.Doe@Example.Org") == ["John.Doe@example.org"])
        #expect(TestParse.addresses("merwok. wok .  wok@example.com") == ["merwok.wok.wok@example.com"])
        #expect(TestParse.addresses("merwok  wok  @example.com") == ["\"merwok wok\"@example.com"])
        #expect(TestParse.addresses(#""\"example\" example"@example.com"#) == [#""\"example\" example"@example.com"#])
        #expect(TestParse.addresses("john@example.org.") == ["john@example.org"])
    }

    @Test("internationalized addresses: UTF-8 local parts, domains in one Unicode form")
    func internationalized() {
        #expect(TestParse.addresses("Micro <µ@example.com>") == ["µ@example.com"])
        #expect(TestParse.addresses("bob@XN--MNCHEN-3YA.de") == ["bob@münchen.de"])
        #expect(TestParse.addresses("bob@MÜNCHEN.de") == ["bob@münchen.de"])
        #expect(TestParse.addresses("bob@xn--invalid-.de") == ["bob@xn--invalid-.de"])
        let invalid = TestParse.list("<a\u{7F}b@example.com>")
        #expect(invalid.mailboxes.isEmpty)
    }

    @Test("invalid UTF-8 in an address drops it; in a name it is decoded with the legacy fallback")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("<jdoe@[".utf8) + [0xED, 0xA0, 0x80] + Array("1.2.3.4]>, x\u{FF}@example.com".utf8)
        let list = HeaderParser.parseAddressList(bytes, label: "to")
        #expect(list.mailboxes.map(\.address) == ["x\u{FF}@example.com"])
        #expect(list.defects == ["to: dropped an element with an invalid domain literal"])
        let local: [UInt8] = Array("<a".utf8) + [0xC3] + Array("b@example.com>".utf8)
        let dropped = HeaderParser.parseAddressList(local, label: "cc")
        #expect(dropped.mailboxes.isEmpty)
        #expect(dropped.defects.contains("cc: dropped an element with invalid UTF-8 in the address"))
    }

    @Test("a control character in a quoted name is removed with a defect")
    func controlCharacters() {
        let list = TestParse.list("\"a\u{0}b\" <null@example.net>")
        #expect(list.mailboxes.map(\.0) == ["ab"])
        #expect(list.defects.contains("to: control character removed from display name"))
    }

    @Test("many elements and hostile input stay linear")
    func hostile() {
        let many = (0..<5_000).map { "User \($0) <user\($0)@example.com>" }.joined(separator: ",\r\n ")
        #expect(TestParse.addresses(many).count == 5_000)
        let encodedWordStarts = String(repeating: "=?a?q?,", count: 20_000)
        #expect(TestParse.addresses(encodedWordStarts).isEmpty)
        let nested = String(repeating: "(", count: 50_000) + "a@b.test"
        #expect(TestParse.addresses(nested).isEmpty)
        #expect(TestParse.addresses(String(repeating: "<", count: 10_000) + "a@b.test>") == ["a@b.test"])
    }
}

@Suite("Address lists: hostile shapes stay fast")
struct AddressListHostileTests {
    @Test("a long obsolete route and many commas inside brackets")
    func longRoute() {
        let route = "<" + Array(repeating: "@a.example", count: 20_000).joined(separator: ",") + ":x@y.example>"
        #expect(TestParse.addresses(route) == ["x@y.example"])
        let unclosed = "<a@b.example" + String(repeating: ", c@d.example", count: 20_000)
        #expect(TestParse.addresses(unclosed).count == 20_001)
    }

    @Test("stray specials never make it into a bare local part")
    func straySpecials() {
        let list = TestParse.list(">alice@example.org, a)b@example.org, <mailto:list@example.org>")
        #expect(list.mailboxes.map(\.1) == ["\"mailto:list\"@example.org"])
        #expect(list.defects.filter { $0 == "to: dropped an element with an invalid local part" }.count == 2)
    }
}
