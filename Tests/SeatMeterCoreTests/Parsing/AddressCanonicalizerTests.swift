import Foundation
import SeatMeterCore
import Testing

@Suite("AddressCanonicalizer and the canonical address form")
struct AddressCanonicalizerTests {
    @Test("default identity folds local-part case, keeps plus tags")
    func defaults() {
        let canonicalizer = AddressCanonicalizer()
        #expect(canonicalizer.foldLocalPartCase && !canonicalizer.foldPlusTags)
        #expect(canonicalizer.identity("John.Doe@Example.com") == "john.doe@example.com")
        #expect(canonicalizer.identity("john+billing@example.com") == "john+billing@example.com")
        #expect(canonicalizer.identity("\"John Doe\"@example.com") == "\"john doe\"@example.com")
        #expect(canonicalizer.identity("ÉRIC@example.com") == "éric@example.com")
    }

    @Test("options: no case folding, plus-tag folding")
    func options() {
        let keepCase = AddressCanonicalizer(foldLocalPartCase: false)
        #expect(keepCase.identity("John.Doe@EXAMPLE.com") == "John.Doe@example.com")
        let plus = AddressCanonicalizer(foldPlusTags: true)
        #expect(plus.identity("John+Billing@example.com") == "john@example.com")
        #expect(plus.identity("+only@example.com") == "+only@example.com")
        #expect(plus.identity("\"a b+c\"@example.com") == "\"a b+c\"@example.com")
    }

    @Test("near-canonical spellings give the same identity as parsed addresses")
    func nearCanonical() {
        let canonicalizer = AddressCanonicalizer()
        let parsed = HeaderParser.parseAddressList(Array("Bob <\"Bob\"@XN--MNCHEN-3YA.DE.>".utf8)).mailboxes
        #expect(parsed.map(\.address) == ["Bob@münchen.de"])
        for spelling in ["bob@münchen.de", "\"bob\"@MÜNCHEN.de", "BOB@xn--mnchen-3ya.de", "Bob@münchen.de."] {
            #expect(canonicalizer.identity(spelling) == canonicalizer.identity(parsed[0].address), "\(spelling)")
        }
    }

    @Test("identity is idempotent and normalize is a fixed point of parsed addresses", arguments: [
        "a@b.c", "\"a b\"@c.d", #""a\"b"@c.d"#, "µ@example.com", "x@[ipv6:fd42::1]", "A+B@C.D", "\"\"@x",
    ])
    func idempotent(_ address: String) {
        for canonicalizer in [AddressCanonicalizer(), AddressCanonicalizer(foldLocalPartCase: false, foldPlusTags: true)] {
            let identity = canonicalizer.identity(address)
            #expect(canonicalizer.identity(identity) == identity)
        }
        let normalized = CanonicalAddress.normalize(address)
        #expect(CanonicalAddress.normalize(normalized) == normalized)
    }

    @Test("strings without '@' are only case-folded")
    func withoutAt() {
        #expect(AddressCanonicalizer().identity("Postmaster") == "postmaster")
        #expect(AddressCanonicalizer(foldLocalPartCase: false).identity("Postmaster") == "Postmaster")
    }
}
