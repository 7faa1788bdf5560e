/// Validation of the content of an address domain literal (`[...]`).
///
/// - SeeAlso: [RFC 5321 §4.1.3](https://www.rfc-editor.org/rfc/rfc5321#section-4.1.3)
enum DomainLiteral {
    /// An IPv4 dotted quad, `IPv6:` and an IPv6 address, or a `tag:content` general address literal.
    ///
    /// Stricter than RFC 5321's `dcontent` on purpose: only letters, digits, `-`, `.` and `:` are accepted, so a
    /// literal never holds `@`, quotes or brackets (which no real address literal has) and the canonical address
    /// always splits at its last `@`.
    static func isValid(_ content: [UInt8]) -> Bool {
        guard !content.isEmpty,
            content.allSatisfy({ isLetterDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") })
        else { return false }
        if content.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) {
            return isIPv4(content[...])
        }
        guard let colon = content.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon + 1 < content.count else {
            return false
        }
        let tag = content[..<colon]
        guard tag.allSatisfy({ isLetterDigit($0) || $0 == UInt8(ascii: "-") }) else { return false }
        if tag.count == 4, tag.map({ $0 | 0x20 }) == Array("ipv6".utf8) {
            return isIPv6(content[(colon + 1)...])
        }
        return true
    }

    private static func isLetterDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z"))
    }

    private static func isIPv4(_ bytes: ArraySlice<UInt8>) -> Bool {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard (1...3).contains(part.count) else { return false }
            var value = 0
            for byte in part {
                guard byte >= 0x30, byte <= 0x39 else { return false }
                value = value * 10 + Int(byte - 0x30)
            }
            guard value <= 255 else { return false }
        }
        return true
    }

    private static func isIPv6(_ bytes: ArraySlice<UInt8>) -> Bool {
        var colons = 0
        for byte in bytes {
            if byte == UInt8(ascii: ":") {
                colons += 1
            } else if byte == UInt8(ascii: ".") || (byte >= 0x30 && byte <= 0x39) {
                continue
            } else if (byte | 0x20) >= UInt8(ascii: "a"), (byte | 0x20) <= UInt8(ascii: "f") {
                continue
            } else {
                return false
            }
        }
        return colons >= 2 && colons <= 7
    }
}
