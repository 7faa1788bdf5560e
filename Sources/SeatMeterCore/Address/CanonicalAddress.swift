/// The stored (canonical) form of an address: the form ``Mailbox/address`` holds.
///
/// - The local part is unquoted when its content is a valid dot-atom (`"john.doe"@x` → `john.doe@x`), else it is
///   quoted with minimal escaping (only `"` and `\` get a backslash): `"john doe"@x`, `"a\"b"@x`. Its case is kept.
/// - Comments, folding white space and obsolete routes are gone (the parser drops them).
/// - The domain is lowercased and written without a trailing root dot. Internationalized domains have one form,
///   **Unicode**: `xn--` labels are decoded (RFC 3492) and every label is lowercased with Unicode case mapping, so
///   `Bob@XN--MNCHEN-3YA.de` and `bob@MÜNCHEN.de` give the same `bob@münchen.de` and the person counts once. A label
///   that is not valid Punycode (or decodes to plain ASCII) stays as written (lowercased). No further UTS #46 mapping is applied.
/// - Domain literals (`[192.0.2.1]`, `[IPv6:...]`) are kept, lowercased.
///
/// - SeeAlso: [RFC 5322 §3.4.1](https://www.rfc-editor.org/rfc/rfc5322#section-3.4.1),
///   [RFC 6532 §3.2](https://www.rfc-editor.org/rfc/rfc6532#section-3.2)
package enum CanonicalAddress {
    /// `atext` of RFC 5322 §3.2.3 as bit sets for bytes 0-63 and 64-127: letters, digits and
    /// ``!#$%&'*+-/=?^_`{|}~``.
    private static let atextLow: UInt64 = 0xA3FF_ACFA_0000_0000
    private static let atextHigh: UInt64 = 0x7FFF_FFFF_C7FF_FFFE

    /// `atext` of RFC 5322 §3.2.3, extended with every non-ASCII byte (UTF-8, RFC 6532).
    @inline(__always)
    static func isAtext(_ byte: UInt8) -> Bool {
        if byte < 64 { return (atextLow >> UInt64(byte)) & 1 != 0 }
        if byte < 128 { return (atextHigh >> UInt64(byte &- 64)) & 1 != 0 }
        return true
    }

    /// Whether `bytes` is a `dot-atom-text`: atext runs separated by single dots, no dot at either end.
    static func isDotAtom(_ bytes: some Collection<UInt8>) -> Bool {
        var previousWasDot = true
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if previousWasDot { return false }
                previousWasDot = true
            } else if isAtext(byte) {
                previousWasDot = false
            } else {
                return false
            }
        }
        return !previousWasDot
    }

    /// Appends the canonical local part for unquoted `content` (quoting it when it is not a dot-atom).
    static func appendLocalPart(content: some Collection<UInt8>, to output: inout [UInt8]) {
        if isDotAtom(content) {
            output.append(contentsOf: content)
            return
        }
        output.append(UInt8(ascii: "\""))
        for byte in content {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { output.append(UInt8(ascii: "\\")) }
            output.append(byte)
        }
        output.append(UInt8(ascii: "\""))
    }

    /// The canonical domain for dot-atom or domain-literal text: lowercased, IDNA labels as Unicode,
    /// no trailing root dot. `bytes` must be valid UTF-8.
    static func domain(_ bytes: some Collection<UInt8>) -> String {
        var lowered: [UInt8] = []
        lowered.reserveCapacity(bytes.count)
        var ascii = true
        for byte in bytes {
            if byte >= 0x80 { ascii = false }
            lowered.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        }
        if lowered.count > 1, lowered.last == UInt8(ascii: "."), lowered.first != UInt8(ascii: "[") {
            lowered.removeLast()
        }
        if lowered.first == UInt8(ascii: "[") {
            return String(decoding: lowered, as: UTF8.self)
        }
        if ascii && !containsACELabel(lowered) {
            return String(decoding: lowered, as: UTF8.self)
        }
        var labels: [String] = []
        for label in lowered.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if label.count > 4, label.starts(with: aceMarker), let decoded = Punycode.decode(label.dropFirst(4)),
                decoded.utf8.contains(where: { $0 >= 0x80 })
            {
                labels.append(decoded.lowercased())
            } else if label.contains(where: { $0 >= 0x80 }) {
                labels.append(String(decoding: label, as: UTF8.self).lowercased())
            } else {
                labels.append(String(decoding: label, as: UTF8.self))
            }
        }
        return labels.joined(separator: ".")
    }

    private static let aceMarker: [UInt8] = Array("xn--".utf8)

    private static func containsACELabel(_ lowered: [UInt8]) -> Bool {
        var atLabelStart = true
        var index = 0
        while index < lowered.count {
            if atLabelStart, index + 4 <= lowered.count, lowered[index] == UInt8(ascii: "x"),
                lowered[index + 1] == UInt8(ascii: "n"), lowered[index + 2] == UInt8(ascii: "-"),
                lowered[index + 3] == UInt8(ascii: "-")
            {
                return true
            }
            atLabelStart = lowered[index] == UInt8(ascii: ".")
            index += 1
        }
        return false
    }

    /// Splits an address string at its last `@` and returns the unquoted local-part content, whether it was quoted,
    /// and the canonical domain. Accepts canonical and near-canonical spellings (`"john"@Example.COM`).
    static func components(of address: String) -> (local: [UInt8], wasQuoted: Bool, domain: String?) {
        let bytes = Array(address.utf8)
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return (bytes, false, nil) }
        var local = Array(bytes[..<at])
        var wasQuoted = false
        if local.count >= 2, local.first == UInt8(ascii: "\""), local.last == UInt8(ascii: "\"") {
            var content: [UInt8] = []
            content.reserveCapacity(local.count)
            var index = 1
            while index < local.count - 1 {
                if local[index] == UInt8(ascii: "\\"), index + 1 < local.count - 1 { index += 1 }
                content.append(local[index])
                index += 1
            }
            local = content
            wasQuoted = true
        }
        return (local, wasQuoted, domain(bytes[(at + 1)...]))
    }

    /// The canonical form of an address written as `local@domain` (quoted or not): the same form the parser
    /// stores. Local-part case is kept.
    package static func normalize(_ address: String) -> String {
        let (local, _, domain) = components(of: address)
        guard let domain else { return address }
        var output: [UInt8] = []
        output.reserveCapacity(local.count + domain.utf8.count + 3)
        appendLocalPart(content: local, to: &output)
        output.append(UInt8(ascii: "@"))
        output.append(contentsOf: domain.utf8)
        return String(decoding: output, as: UTF8.self)
    }
}
