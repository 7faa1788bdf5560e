import Foundation
import SeatMeterCore
import Testing

@Suite("Date field (RFC 5322 §3.3 and §4.3)")
struct MailDateParserTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var input: String
        /// Seconds since 1970, or nil when the date is unusable.
        var expected: Int?
        var defect: String?
        var testDescription: String { input }
    }

    // 2003-06-02 17:00:00 UTC = 1054573200
    static let examples: [Example] = [
        Example(input: "Mon, 2 Jun 2003 10:00:00 -0700", expected: 1_054_573_200),
        Example(input: "2 Jun 2003 10:00:00 -0700", expected: 1_054_573_200),
        Example(input: "Mon, 02 Jun 2003 17:00:00 +0000", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 17:00 +0000", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 03 10:00:00 PDT", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 103 10:00:00 -0700", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 12:00:00 EST", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 13:00:00 EDT", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 11:00:00 CST", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 12:00:00 CDT", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 10:00:00 MST", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 11:00:00 MDT", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 09:00:00 PST", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 17:00:00 GMT", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 17:00:00 UT", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 17:00:00 Z", expected: 1_054_573_200),
        // Military zones other than Z are read as -0000 (RFC 5322 §4.3).
        Example(input: "Mon, 2 Jun 2003 17:00:00 A", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 17:00:00 +0000 (UTC)", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 17:00:00 +0000 GMT junk", expected: 1_054_573_200),
        Example(input: "Monday, 2-Jun-2003 17:00:00 +0000", expected: 1_054_573_200),
        Example(input: "(comment) Mon , 2 June 2003 17 : 00 : 00 +0000", expected: 1_054_573_200),
        Example(input: "Mon Jun  2 17:00:00 2003", expected: 1_054_573_200, defect: "date: no time zone; read as UTC"),
        Example(input: "Mon Jun  2 10:00:00 PDT 2003", expected: 1_054_573_200),
        Example(input: "2003-06-02T17:00:00Z", expected: 1_054_573_200),
        Example(input: "Mon, 2 Jun 2003 17:00:00", expected: 1_054_573_200, defect: "date: no time zone; read as UTC"),
        Example(input: "Mon, 2 Jun 2003 17:00:00 XYZ", expected: 1_054_573_200, defect: "date: unknown time zone; read as UTC"),
        Example(input: "Fri, 21 Nov 1997 09(comment):   55  :  06 -0600", expected: 880_127_706),
        Example(input: "Thu, 1 Jan 1970 00:00:00 +0000", expected: 0),
        Example(input: "Tue, 29 Feb 2000 12:00:00 +0000", expected: 951_825_600),
        Example(input: "Sat, 31 Dec 2016 23:59:60 +0000", expected: 1_483_228_799),
        Example(input: "Tue, 31 Jun 2003 10:00:00 +0000", expected: nil, defect: "date: invalid day, month or year"),
        Example(input: "Mon, 29 Feb 2001 10:00:00 +0000", expected: nil, defect: "date: invalid day, month or year"),
        Example(input: "Mon, 2 Foo 2003 10:00:00 +0000", expected: nil, defect: "date: no month"),
        Example(input: "Mon, 2 Jun 2003 25:00:00 +0000", expected: nil, defect: "date: invalid time of day"),
        Example(input: "", expected: nil, defect: "date: unparseable"),
        Example(input: "yesterday", expected: nil, defect: "date: no month"),
        Example(input: "99999999999999999999 Jun 2003", expected: nil),
    ]

    @Test("dates parse to the right instant, or nil with a defect", arguments: examples)
    func parse(_ example: Example) {
        let (date, defects) = MailDateParser.parse(Array(example.input.utf8))
        #expect(date.map { Int($0.timeIntervalSince1970) } == example.expected, "defects: \(defects)")
        if let defect = example.defect {
            #expect(defects.contains(defect), "defects: \(defects)")
        } else if example.expected != nil {
            #expect(defects.isEmpty, "defects: \(defects)")
        }
        if example.expected == nil { #expect(!defects.isEmpty) }
    }

    @Test("two-digit years: 00-49 are 20xx, 50-99 are 19xx")
    func twoDigitYears() throws {
        let early = try #require(MailDateParser.parse(Array("1 Jan 49 00:00 +0000".utf8)).date)
        let late = try #require(MailDateParser.parse(Array("1 Jan 50 00:00 +0000".utf8)).date)
        #expect(Int(early.timeIntervalSince1970) == 2_493_072_000)
        #expect(Int(late.timeIntervalSince1970) == -631_152_000)
    }

    @Test("the header parser records a bad date as a defect and nil")
    func inHeader() {
        let facts = TestParse.header("From: a@x.test\nDate: not a date\n")
        #expect(facts.date == nil)
        #expect(facts.defects.contains("date: no month"))
    }
}
