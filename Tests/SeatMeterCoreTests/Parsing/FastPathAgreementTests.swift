import Foundation
import Testing

@testable import SeatMeterCore

/// Every fast path of the header parser must give exactly what its general path gives: these tests feed both the
/// same inputs (the corpus, hand-written edge cases, and many deterministic pseudo-random inputs built from the
/// fragments that decide between the paths) and compare the whole result, defects included.
@Suite("Fast paths agree with the general paths")
struct FastPathAgreementTests {
    /// A seeded generator (SplitMix64, from MailTestSupport), so a failure reproduces.
    struct Generator {
        var base: SeededGenerator

        init(state: UInt64) { base = SeededGenerator(seed: state) }

        mutating func below(_ bound: Int) -> Int { Int(base.next() % UInt64(bound)) }
    }

    static let addressFragments: [String] = [
        "John", "Doe", "jo", "A", "Z", " ", " ", "  ", "\t", "\r\n ", "\n ", "\r", ",", ", ", ",", "<", ">", "@", "@",
        ".", "..", "\"", "\"Doe, John\"", "\"\"", "\"a\\\"b\"", "(c)", "(a (b) c)", "(", ")", "\\", "a", "b.c", "x@y.z",
        "John.Doe@Example.COM", "<john.doe@example.com>", "xn--mnchen-3ya", "XN--", "xn-", "=?utf-8?q?J=C3=B6rg?=",
        "=?iso-8859-1?Q?Andr=E9?=", "=?utf-8?b?w4VzYQ==?=", "=?", "?=", "=?x?q?a,b?=", "=?utf-8?q?a<b>?=", ":", ";",
        "[1.2.3.4]", "[", "]", "é", "Jörg", "\u{1}", "\u{7F}", "+", "-", "'", "undisclosed-recipients:;", "<a@b.c>",
        "a@b.c.", "@a,@b:", "<>", "=", "?", "O'Neil", "\"Jones, Elizabeth\" <elizabeth.jones@example.com>",
        "Robert Walker <robert.walker@EXAMPLE.com>", "emily.carter@example.com (Emily Carter)", "\u{FF}",
    ]

    static func randomInputs(count: Int, seed: UInt64, fragments: [String], maxParts: Int) -> [[UInt8]] {
        var generator = Generator(state: seed)
        var inputs: [[UInt8]] = []
        for _ in 0..<count {
            var text: [UInt8] = []
            for _ in 0..<(1 + generator.below(maxParts)) {
                text += Array(fragments[generator.below(fragments.count)].utf8)
            }
            inputs.append(text)
        }
        return inputs
    }

    static let handWritten: [String] = [
        "john@example.com", "<john@example.com>", "John Doe <john@example.com>", "a@x.test, b@x.test,c@x.test",
        "John Q. Public <jqp@example.com>", "Roy.A.Bear <r@example.com>", "\"Doe, John\" <j@EXAMPLE.com>",
        "\"\" <e@example.com>", "\"foo \" <f@example.org>", "Mary   Smith\r\n   <mary@example.net>",
        "=?utf-8?q?J=C3=B6rg?= Doe <j@example.com>", "=?utf-8?q?a?= =?utf-8?q?b?= <a@b.example>",
        "=?utf-8?q?Doe,_John?= <j@example.com>", "john@example.com (John Doe)", "john@example.com (John Doe",
        "x@example.com (a (nested) b), y@example.com", "John <j@xn--mnchen-3ya.de>", "John <j@XN--MNCHEN-3YA.DE>",
        "j@a..b", "j@a.b.", ".j@a.b", "j..k@a.b", "j.@a.b", "j@", "@a.b", "a@b.c d@e.f", "a@b.c <d@e.f>",
        "Name a@b.c <d@e.f>", "John <j@b.c> x", "John <j@b.c>,", "John <j@b.c>, ,", ", John <j@b.c>",
        "g: a@b.c, John <d@e.f>;", "g: a@b.c, John <d@e.f>", "undisclosed-recipients:;", "Jörg <j@b.c>",
        "\"Jörg\" <j@b.c>", "J\u{FF}rg <j@b.c>", "\"J\u{FF}rg\" <j@b.c>", "=?x?q?a@b?= <c@d.e>", "=?x?q?a@b?=@d.e",
        "a=?b@c.d", "=?utf-8?q?a?=b.c@d.e", "John\t<j@b.c>", "John  Doe <j@b.c>", "John .Doe <j@b.c>", "<j@b.c>>",
        "<j@b.c", "John <j@b.c> (IT)", "John <j@b.c> (IT", "\"John\"Doe <j@b.c>", "\"a\\\"b\" <j@b.c>",
        "\"a\tb\" <j@b.c>", "=?utf-8?q?=FF?= <j@b.c>", "=?unknown?q?x?= <j@b.c>", "a@B.C, \"x\" <Y@Z.COM> (c)",
    ]

    static var addressInputs: [[UInt8]] {
        var inputs = handWritten.map { Array($0.utf8) }
        let corpus = (try? AddressCorpusCase.load(kinds: [.addressList, .mustFail])) ?? []
        inputs += corpus.map(\.input)
        // Every prefix of the hand-written inputs: the cut points are where fast paths tend to go wrong.
        for text in handWritten {
            let bytes = Array(text.utf8)
            for end in 0..<bytes.count { inputs.append(Array(bytes[..<end])) }
        }
        inputs += randomInputs(count: 20_000, seed: 0x5EA7_3E7E, fragments: addressFragments, maxParts: 10)
        return inputs
    }

    static func parseBoth(_ input: [UInt8]) -> (fast: AddressList, general: AddressList) {
        func run(_ fast: Bool) -> AddressList {
            var parser = AddressListParser(usesFastPath: fast)
            var appearances: [AddressAppearance] = []
            var defects: [String] = []
            let group = input.withUnsafeBufferPointer {
                parser.parse(unfoldingIfNeeded: $0, label: "to", field: .cc, into: &appearances, defects: &defects)
            }
            return AddressList(mailboxes: appearances.map(\.mailbox), defects: defects, containsGroup: group)
        }
        return (run(true), run(false))
    }

    @Test("address lists: the one-pass element reader and the tokenizing parser give the same mailboxes and defects")
    func addressLists() throws {
        let inputs = Self.addressInputs
        #expect(inputs.count > 20_000)
        var failures = 0
        var fastTaken = 0
        for input in inputs {
            let (fast, general) = Self.parseBoth(input)
            if fast != general {
                failures += 1
                if failures <= 20 {
                    Issue.record(
                        "\(String(decoding: input, as: UTF8.self).debugDescription): fast \(fast) general \(general)")
                }
            }
            if !fast.mailboxes.isEmpty { fastTaken += 1 }
        }
        #expect(failures == 0)
        #expect(fastTaken > 1_000)
    }

    @Test(
        "the fast path is taken for the plain shapes",
        arguments: [
            "john@example.com", "John Doe <john@Example.com>", "\"Doe, John\" <j@b.c> (IT)",
            "=?utf-8?q?J=C3=B6rg?= <j@b.c>",
            "a@b.c (x), d@e.f",
        ])
    func plainShapesAreFast(_ text: String) {
        // With the general path unusable (no token buffer is needed), the result must still be right: compare
        // against the general path and check that the fast reader accepted every element.
        var parser = AddressListParser(usesFastPath: true)
        var appearances: [AddressAppearance] = []
        var defects: [String] = []
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer {
            parser.parse($0, label: "to", field: .cc, into: &appearances, defects: &defects)
        }
        #expect(parser.generalElements == 0, "\(text)")
        #expect(appearances.allSatisfy { $0.field == .cc })
        #expect(AddressList(mailboxes: appearances.map(\.mailbox), defects: defects) == Self.parseBoth(bytes).general)
    }

    @Test("folded plain values are read without unfolding; the rest is unfolded at the first element that is not")
    func foldedValues() {
        for (text, general) in [
            ("a@b.c,\r\n John Doe <j@b.c>,\r\n\t\"Doe, J\" <d@b.c> (x)", 0), ("a@b.c,\r\n John\r\n Doe <j@b.c>", 0),
            ("a@b.c,\n g: x@y.z;", 3),
        ] {
            var parser = AddressListParser(usesFastPath: true)
            var appearances: [AddressAppearance] = []
            var defects: [String] = []
            let bytes = Array(text.utf8)
            let group = bytes.withUnsafeBufferPointer {
                parser.parse(unfoldingIfNeeded: $0, label: "to", field: .cc, into: &appearances, defects: &defects)
            }
            #expect(parser.generalElements == general, "\(text.debugDescription)")
            let list = AddressList(mailboxes: appearances.map(\.mailbox), defects: defects, containsGroup: group)
            #expect(list == Self.parseBoth(bytes).general)
        }
    }

    static let identityFragments: [String] = [
        "john", "JOHN", "Doe", ".", "..", "+", "+tag", "@", "@", "example", "EXAMPLE", ".com", ".", "xn--mnchen-3ya",
        "XN--", "xn-", "\"", "\"a b\"", "\\", " ", "é", "É", "[1.2.3.4]", "[IPv6:FD42::1]", "-", "_", "=?", "!",
    ]

    @Test("identities: the ASCII fast path and the general path agree for every option")
    func identities() throws {
        var addresses = Self.randomInputs(count: 20_000, seed: 0x1D, fragments: Self.identityFragments, maxParts: 7)
            .map { String(decoding: $0, as: UTF8.self) }
        addresses += [
            "a@b.c", "A@B.C", "a+b@c.d", "+a@b.c", "+a+b@c.d", "a.+b@c.d", "a+@b.c", "a@b.c.", "a@xn--mnchen-3ya.de",
            "a@XN--MNCHEN-3YA.DE", "a@b.xn--", "a@xn-.de", "\"a\"@b.c", "a@[1.2.3.4]", "a@", "@b", "a", "a@b@c.d",
            ".a@b.c", "a.@b.c", "a..b@c.d", "é@b.c", "a@é.c", "John.Doe@Example.COM",
        ]
        for input in Self.addressInputs.prefix(3_000) {
            let (_, general) = Self.parseBoth(input)
            addresses += general.mailboxes.map(\.address)
        }
        var failures = 0
        var fastTaken = 0
        for fold in [true, false] {
            for plus in [false, true] {
                let canonicalizer = AddressCanonicalizer(foldLocalPartCase: fold, foldPlusTags: plus)
                for address in addresses {
                    let general = canonicalizer.generalIdentity(address)
                    var fast: String?
                    _ = address.utf8.withContiguousStorageIfAvailable {
                        fast = canonicalizer.asciiIdentity($0, of: address)
                    }
                    if let fast {
                        fastTaken += 1
                        if fast != general {
                            failures += 1
                            if failures <= 20 {
                                Issue.record(
                                    "\(address.debugDescription) fold \(fold) plus \(plus): \(fast) vs \(general)")
                            }
                        }
                    }
                    #expect(canonicalizer.identity(address) == general)
                }
            }
        }
        #expect(failures == 0)
        #expect(fastTaken > 3_000)
    }

    static var dateInputs: [String] {
        var generator = Generator(state: 0xDA7E)
        let dayNames = ["", "", "Mon, ", "Sun, ", "mon, ", "MON, ", "Mon ", "Monday, ", "Mun, ", "Mon,", "Xyz, "]
        let monthNames = ["Jan", "Feb", "jun", "DEC", "Sep", "Oct", "Nov", "June", "Jux", "Ju"]
        let zones = [
            "+0000", "-0430", "+2359", "+0100", "-0700", "+2400", "-0060", "+100", "+01000", "GMT", "UT", "EST", "z",
            "", "+01",
        ]
        let tails = ["", "", " (UTC)", " GMT", "\r\n", "  ", "(x", " 12"]
        let separators = [" ", " ", " ", " ", " ", " ", " ", " ", " ", " ", "  ", "\t", "-", ""]
        var inputs: [String] = [
            "Mon, 01 Jun 2026 03:06:32 +0100", " Tue, 2 Jun 2026 11:51:19 -0400", "1 Jan 1900 00:00:00 +0000",
            "31 Jun 2026 00:00:00 +0000", "29 Feb 2024 23:59:60 -2359", "29 Feb 2023 12:00:00 +0000",
            "01 Jun 2026 03:06 +0100", "01 Jun 26 03:06:32 +0100", "2026-06-01T03:06:32Z", "Mon Jun  1 03:06:32 2026",
            "\r\n Mon, 01 Jun 2026 03:06:32 +0100", "Mon, 01 Jun 2026 03:06:32 +0100 (CET)", "",
        ]
        func pick(_ list: [String]) -> String {
            // Half of the inputs keep to the first entries (nearly valid), the others use every variant.
            clean ? list[generator.below(min(list.count, 2))] : list[generator.below(list.count)]
        }
        var clean = false
        for iteration in 0..<20_000 {
            clean = iteration % 2 == 0
            let day = String(generator.below(8) == 0 ? generator.below(40) : 1 + generator.below(28))
            let year = [String(1850 + generator.below(250)), String(generator.below(100)), "02026"][
                generator.below(6) / 4 * (1 + generator.below(2))]
            let hour = String(format: "%02d", generator.below(26))
            let minute = String(format: "%02d", generator.below(62))
            let second = String(format: "%02d", generator.below(62))
            var text = pick(dayNames) + (generator.below(5) == 0 ? "0" : "") + day + pick(separators) + pick(monthNames)
            text += pick(separators) + year + pick(separators) + hour + ":" + minute
            if generator.below(8) != 0 { text += ":" + second }
            text += pick(separators) + pick(zones) + pick(tails)
            inputs.append(text)
        }
        return inputs
    }

    @Test("dates: the one-pass reader of the common form and the tokenizing parser agree")
    func dates() {
        var failures = 0
        var fastTaken = 0
        for text in Self.dateInputs {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { buffer in
                if MailDateParser.commonForm(buffer) != nil { fastTaken += 1 }
                let fast = MailDateParser.parse(buffer: buffer)
                let general = MailDateParser.generalParse(buffer: buffer)
                if fast.date != general.date || fast.defects != general.defects {
                    failures += 1
                    if failures <= 20 { Issue.record("\(text.debugDescription): \(fast) vs \(general)") }
                }
            }
        }
        #expect(failures == 0)
        #expect(fastTaken > 1_000)
    }

    static let messageFragments: [String] = [
        "From: John <j@b.c>", "To: a@b.c,\r\n b@c.d", "Subject: x", "Date: Mon, 01 Jun 2026 03:06:32 +0100",
        "Message-ID: <m@x>", "X-Other: y", "\r\n", "\r\n", "\r\n", "\n", "\r", " folded", "\t", "",
        "From x@y Mon Jun  1 00:00:00 2026", "bad line", ":", "body text", "Cc: =?utf-8?q?J=C3=B6rg?= <j@b.c>",
    ]

    @Test("a whole message parses like its header block cut out first, under any block limit")
    func wholeMessageAndBlock() {
        var generator = Generator(state: 0xB10C)
        let messages = Self.randomInputs(count: 4_000, seed: 0xB10C, fragments: Self.messageFragments, maxParts: 14)
        var failures = 0
        for message in messages {
            let limits = HeaderLimits(
                maxFieldCount: 1 + generator.below(6), maxLineLength: 4 + generator.below(80),
                maxBlockSize: generator.below(3) == 0 ? 1 << 20 : generator.below(message.count + 4))
            let whole = HeaderParser.parse(message, limits: limits)
            let cut = HeaderParser.parse(Array(HeaderParser.headerBlock(of: message)), limits: limits)
            // The scanner's defects lead the list, then "no header fields" when there are none.
            var scanDefects: [String] = []
            let fields = message.withUnsafeBufferPointer {
                RawHeaderField.scan($0, limits: limits, defects: &scanDefects)
            }
            #expect(Array(whole.defects.prefix(scanDefects.count)) == scanDefects)
            if fields.isEmpty { #expect(whole.defects.dropFirst(scanDefects.count).first == "no header fields") }
            if whole != cut {
                failures += 1
                if failures <= 10 {
                    Issue.record(
                        "\(String(decoding: message, as: UTF8.self).debugDescription) \(limits): \(whole) vs \(cut)")
                }
            }
        }
        #expect(failures == 0)
    }

}
