/// A run of ASCII text that every match of a regular expression must contain, found by a conservative look at the
/// pattern, so most subjects can be rejected without running `NSRegularExpression` (about a microsecond per subject;
/// a million subjects per ownership rule is too slow for the report).
///
/// Only patterns that are easy to reason about get a literal; anything else (alternation `|`, `\Q`, flags other
/// than a leading `(?i)`, Unicode escapes, ...) gets none and is always run. A literal is taken from the top level
/// of the pattern only (characters inside groups may be optional), and a character followed by `?`, `*` or `{` is
/// dropped (it may be absent).
///
/// With `(?i)` the check is ASCII case-insensitive and applies only to pure-ASCII subjects: Unicode case folding lets
/// a few non-ASCII characters match ASCII letters (the Kelvin sign matches `k`, long s matches `s`).
struct RequiredLiteral: Sendable, Hashable {
    /// Lowercased when ``caseInsensitive``.
    let bytes: [UInt8]
    let caseInsensitive: Bool

    /// The longest required literal of `pattern`, or nil (then the regular expression must always run).
    init?(pattern: String) {
        var chars = Array(pattern.unicodeScalars)
        if chars.contains("|") { return nil }
        var caseInsensitive = false
        if chars.starts(with: ["(", "?"]), let close = chars.firstIndex(of: ")") {
            let flags = chars[2..<close]
            if !flags.isEmpty, flags.allSatisfy({ $0 == "i" }) {
                caseInsensitive = true
                chars.removeSubrange(0...close)
            }
        }
        var runs = Runs()
        var depth = 0
        var index = 0
        while index < chars.count {
            let c = chars[index]
            index += 1
            switch c {
            case "\\":
                guard index < chars.count else { return nil }
                let escaped = chars[index]
                index += 1
                if escaped.properties.isAlphabetic || ("0"..."9").contains(escaped) {
                    // Zero-width and class escapes end a run; anything that takes an argument is not analysed.
                    guard "sSdDwWbBAzZGhHvVRXntrfea".unicodeScalars.contains(escaped) else { return nil }
                    if depth == 0 { runs.end() }
                    if depth == 0, index < chars.count, Self.isQuantifier(chars[index]) {
                        index = Self.skipQuantifier(chars, index)
                    }
                } else if depth == 0 {
                    guard escaped.isASCII else { return nil }
                    index = runs.literal(UInt8(escaped.value), chars, index)
                }
            case "(":
                if index < chars.count, chars[index] == "?", index + 1 < chars.count,
                    !["<", ":", "=", "!", ">"].contains(chars[index + 1])
                {
                    return nil  // inline flags or other constructs in the middle
                }
                if depth == 0 { runs.end() }
                depth += 1
            case ")":
                guard depth > 0 else { return nil }
                depth -= 1
                if depth == 0, index < chars.count, Self.isQuantifier(chars[index]) {
                    index = Self.skipQuantifier(chars, index)
                }
            case "[":
                if depth == 0 { runs.end() }
                guard let end = Self.classEnd(chars, index) else { return nil }
                index = end
                if depth == 0, index < chars.count, Self.isQuantifier(chars[index]) {
                    index = Self.skipQuantifier(chars, index)
                }
            case ".", "^", "$":
                if depth == 0 {
                    runs.end()
                    if index < chars.count, Self.isQuantifier(chars[index]) {
                        index = Self.skipQuantifier(chars, index)
                    }
                }
            case "*", "+", "?", "{", "}", "]":
                // Inside a group quantifiers do not matter (the group is skipped); at the top level one here has
                // nothing to apply to: leave such a pattern to the engine.
                guard depth > 0, c != "]" else { return nil }
            default:
                guard depth == 0 else { continue }
                guard c.isASCII, c != "#" else {
                    runs.end()
                    continue
                }
                index = runs.literal(UInt8(c.value), chars, index)
            }
        }
        guard depth == 0 else { return nil }
        runs.end()
        let best = runs.best
        guard best.count >= 2 else { return nil }
        self.caseInsensitive = caseInsensitive
        self.bytes = caseInsensitive ? best.map(Self.lower) : best
    }

    /// The literal runs found so far: the current one and the longest.
    private struct Runs {
        var best: [UInt8] = []
        var current: [UInt8] = []

        mutating func end() {
            if current.count > best.count { best = current }
            current.removeAll()
        }

        /// Appends a literal character (just before `index`), honouring a following quantifier; returns the next
        /// index.
        mutating func literal(_ byte: UInt8, _ chars: [Unicode.Scalar], _ index: Int) -> Int {
            guard index < chars.count, RequiredLiteral.isQuantifier(chars[index]) else {
                current.append(byte)
                return index
            }
            if chars[index] == "+" { current.append(byte) }  // required at least once
            end()
            return RequiredLiteral.skipQuantifier(chars, index)
        }
    }

    fileprivate static func isQuantifier(_ c: Unicode.Scalar) -> Bool { c == "*" || c == "+" || c == "?" || c == "{" }

    /// Skips a quantifier (`*`, `+`, `?`, `{m,n}`) and its lazy/possessive suffix.
    fileprivate static func skipQuantifier(_ chars: [Unicode.Scalar], _ start: Int) -> Int {
        var index = start
        if chars[index] == "{" {
            while index < chars.count, chars[index] != "}" { index += 1 }
        }
        index += 1
        if index < chars.count, chars[index] == "?" || chars[index] == "+" { index += 1 }
        return index
    }

    /// The index after the `]` closing a class that starts after `[` at `start`; nil when unusual.
    private static func classEnd(_ chars: [Unicode.Scalar], _ start: Int) -> Int? {
        var index = start
        if index < chars.count, chars[index] == "^" { index += 1 }
        if index < chars.count, chars[index] == "]" { return nil }
        while index < chars.count {
            switch chars[index] {
            case "\\": index += 2
            case "[": return nil  // nested sets and set operations
            case "]": return index + 1
            default: index += 1
            }
        }
        return nil
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// False only when `subject` certainly cannot match the pattern.
    func mayMatch(_ subject: String) -> Bool {
        var copy = subject
        return copy.withUTF8 { mayMatch(utf8: $0) }
    }

    /// ``mayMatch(_:)`` for a subject's UTF-8 bytes.
    func mayMatch(utf8 text: UnsafeBufferPointer<UInt8>) -> Bool {
        if caseInsensitive, text.contains(where: { $0 >= 0x80 }) { return true }
        return contains(text)
    }

    private func contains(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let needle = bytes
        guard let first = needle.first else { return true }
        guard text.count >= needle.count else { return false }
        let last = text.count - needle.count
        var start = 0
        while start <= last {
            let byte = caseInsensitive ? Self.lower(text[start]) : text[start]
            if byte == first {
                var offset = 1
                while offset < needle.count {
                    let b = caseInsensitive ? Self.lower(text[start + offset]) : text[start + offset]
                    if b != needle[offset] { break }
                    offset += 1
                }
                if offset == needle.count { return true }
            }
            start += 1
        }
        return false
    }
}
