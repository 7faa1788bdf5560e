@testable import SeatMeterCore
import Testing

@Suite("Byte classes")
struct ByteClassTests {
    @Test("atext bit sets match RFC 5322 §3.2.3 (plus UTF-8 bytes) for all 256 bytes")
    func atext() {
        let specials = Set("!#$%&'*+-/=?^_`{|}~".utf8)
        for value in 0...255 {
            let byte = UInt8(value)
            let expected =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || specials.contains(byte) || byte >= 0x80
            #expect(CanonicalAddress.isAtext(byte) == expected, "byte \(value)")
        }
    }

    @Test("dot-atoms")
    func dotAtom() {
        for good in ["a", "a.b", "john.q.public", "µ", "#!$%&'*+-/=?^_`{}|~"] {
            #expect(CanonicalAddress.isDotAtom(Array(good.utf8)), "\(good)")
        }
        for bad in ["", ".", "a.", ".a", "a..b", "a b", "a\"b", "a@b", "(a)"] {
            #expect(!CanonicalAddress.isDotAtom(Array(bad.utf8)), "\(bad)")
        }
    }

    @Test("atoms end at white space and every special")
    func atomEnds() {
        for special in " \t\r\n()<>[]:;@,\"" {  // "." too, but "ab.cd" is a dot-atom
            let list = HeaderParser.parseAddressList(Array("ab\(special)cd@x.test".utf8))
            #expect(list.mailboxes.first?.address != "ab\(special)cd@x.test", "\(special.unicodeScalars.first?.value ?? 0)")
        }
        #expect(HeaderParser.parseAddressList(Array("a!#$%&'*+-/=?^_`{|}~b@x.test".utf8)).mailboxes.map(\.address)
            == ["a!#$%&'*+-/=?^_`{|}~b@x.test"])
    }
}
