/// The addresses SeatMeter is willing to put into a header or an SMTP envelope: a plain ASCII `local@domain`.
///
/// Deliberately narrower than RFC 5321/5322 (no quoted local parts, no address literals, no SMTPUTF8): these
/// addresses come from the configuration, and anything outside this set is far more likely a typo or an injection
/// attempt (a line break, a `>`, a second address) than a real mailbox.
///
/// - SeeAlso: [RFC 5322 §3.4.1](https://www.rfc-editor.org/rfc/rfc5322#section-3.4.1),
///   [RFC 5321 §4.5.3.1](https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3.1)
package enum MailAddressSyntax {
    /// Why `address` is not usable, or nil when it is.
    package static func problem(in address: String) -> String? {
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty else { return "the address is empty" }
        guard bytes.count <= 254 else { return "the address \"\(address)\" is longer than 254 characters" }
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else {
            return "the address \"\(printable(address))\" has no @"
        }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64 else {
            return "the address \"\(printable(address))\" has an empty or over-long local part"
        }
        guard local.allSatisfy(isAtomText(_:)), local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
            !containsDoubleDot(local)
        else {
            return "the local part of \"\(printable(address))\" is not a plain dot-atom (ASCII letters, digits and"
                + " !#$%&'*+-/=?^_`{|}~ separated by dots)"
        }
        guard !domain.isEmpty, domain.allSatisfy(isDomainByte(_:)), domain.first != UInt8(ascii: "."),
            domain.last != UInt8(ascii: "."), !containsDoubleDot(domain)
        else {
            return "the domain of \"\(printable(address))\" is not an ASCII host name"
        }
        return nil
    }

    /// The domain part (after the last `@`), or nil.
    static func domain(of address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }

    /// RFC 5322 `atext`.
    static func isAtomText(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-/=?^_`{|}~.".utf8).contains(byte)
        }
    }

    private static func isDomainByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default: false
        }
    }

    private static func containsDoubleDot(_ bytes: ArraySlice<UInt8>) -> Bool {
        zip(bytes, bytes.dropFirst()).contains { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }
    }

    /// The address with control characters shown as `?`, for messages.
    private static func printable(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    }
}
