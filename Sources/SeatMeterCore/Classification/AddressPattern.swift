/// A case-insensitive glob over an address or a local part: `*` matches any run of characters (also none),
/// `?` exactly one; everything else matches itself. A pattern without wildcards is an exact comparison.
package struct AddressPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as configured.
    package let pattern: String
    private let bytes: [UInt8]
    private let isLiteral: Bool

    package init(_ pattern: String) {
        self.pattern = pattern
        self.bytes = Array(pattern.lowercased().utf8)
        self.isLiteral = !bytes.contains(UInt8(ascii: "*")) && !bytes.contains(UInt8(ascii: "?"))
    }

    package var description: String { pattern }

    /// Whether `text` matches. `text` must already be lowercase (identities and system local parts are).
    package func matches(lowercased text: some StringProtocol) -> Bool {
        if isLiteral { return text.utf8.elementsEqual(bytes) }
        return Self.glob(bytes, Array(text.utf8))
    }

    /// Iterative glob with single-star backtracking: O(pattern × text), no recursion. `?` matches one UTF-8 unit
    /// of a non-ASCII character, so a `?` against a multi-byte character needs as many `?`s as bytes (addresses
    /// are nearly always ASCII).
    private static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// A configured domain: matches itself and every subdomain (`example.com` matches `example.com` and
/// `eu.mail.example.com`, never `badexample.com`). A leading `@` or `*.` in the configuration is accepted and dropped.
package struct DomainPattern: Sendable, Hashable {
    package let domain: String

    package init(_ configured: String) {
        var value = Substring(configured.lowercased())
        while let first = value.first, first == " " { value = value.dropFirst() }
        while let last = value.last, last == " " || last == "." { value = value.dropLast() }
        if value.hasPrefix("@") { value = value.dropFirst() }
        if value.hasPrefix("*.") { value = value.dropFirst(2) }
        self.domain = String(value)
    }

    /// `domain` is a lowercase domain.
    package func matches(_ candidate: Substring) -> Bool {
        guard candidate.utf8.count >= domain.utf8.count, !domain.isEmpty else { return false }
        guard candidate.utf8.suffix(domain.utf8.count).elementsEqual(domain.utf8) else { return false }
        if candidate.utf8.count == domain.utf8.count { return true }
        let dot = candidate.utf8.index(candidate.utf8.endIndex, offsetBy: -domain.utf8.count - 1)
        return candidate.utf8[dot] == UInt8(ascii: ".")
    }
}
