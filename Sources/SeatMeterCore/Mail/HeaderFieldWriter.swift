/// Writes one header field, folded so that no line is longer than 76 octets where that is possible, with RFC 2047
/// encoded words (UTF-8, B encoding) for whatever cannot be sent as plain ASCII.
///
/// Folding only ever happens at a space the writer itself put between two tokens, so unfolding (removing each CRLF)
/// gives back exactly one space there. A line never consists of white space alone.
///
/// - SeeAlso: [RFC 5322 §2.2.3](https://www.rfc-editor.org/rfc/rfc5322#section-2.2.3),
///   [RFC 2047 §2, §5](https://www.rfc-editor.org/rfc/rfc2047)
struct HeaderFieldWriter {
    /// RFC 2047 §2: a line holding an encoded word is at most 76 characters; everything here keeps to that.
    static let lineLimit = 76
    /// The longest plain token sent as is; longer runs without spaces are encoded (so they can be split). 66 keeps
    /// even the first line of a `Subject:` (9 characters before the token) within 76.
    static let longestPlainToken = 66

    private(set) var bytes: [UInt8]
    private var lineLength: Int
    /// Whether the current line holds anything after the field name (folding before that would leave the name alone).
    private var lineHasToken = false

    init(name: String) {
        bytes = Array(name.utf8) + [UInt8(ascii: ":")]
        lineLength = bytes.count
    }

    /// The finished field, ending in CRLF.
    var field: [UInt8] { bytes + [0x0D, 0x0A] }

    // MARK: - Tokens

    /// Appends `token` after one space, folding first when it would not fit on the current line. A token is never
    /// split; one longer than the limit gets a line of its own (always far below RFC 5322's 998).
    mutating func append(token: some Collection<UInt8>) {
        if lineHasToken && lineLength + 1 + token.count > Self.lineLimit { fold() }
        bytes.append(0x20)
        bytes.append(contentsOf: token)
        lineLength += 1 + token.count
        lineHasToken = true
    }

    mutating func append(token: String) { append(token: Array(token.utf8)) }

    /// Appends `text` as a run of encoded words, each after a space, each as long as the current line allows and
    /// each holding whole Unicode scalars (RFC 2047 §5). Decoders drop the white space between adjacent encoded
    /// words, so the run decodes to exactly `text`.
    mutating func append(encodedWords text: String) {
        var pending = Substring(text).unicodeScalars[...]
        while !pending.isEmpty {
            var capacity = Self.payloadCapacity(lineRoom: Self.lineLimit - lineLength - 1)
            let firstWidth = pending.first.map { UTF8.width($0) } ?? 1
            if capacity < firstWidth && lineHasToken {
                fold()
                capacity = Self.payloadCapacity(lineRoom: Self.lineLimit - 1)
            }
            capacity = max(capacity, firstWidth)  // only reachable with an absurdly long field name
            var chunk: [UInt8] = []
            var taken = pending.startIndex
            while taken < pending.endIndex {
                let width = UTF8.width(pending[taken])
                if chunk.count + width > capacity { break }
                chunk.append(contentsOf: String(pending[taken]).utf8)
                taken = pending.index(after: taken)
            }
            pending = pending[taken...]
            append(token: Self.encodedWord(chunk))
        }
    }

    /// How many UTF-8 bytes fit in one B-encoded word of at most `lineRoom` characters
    /// (`=?UTF-8?B?` + base64 + `?=`).
    private static func payloadCapacity(lineRoom: Int) -> Int {
        let base64Characters = lineRoom - 12
        return base64Characters < 4 ? 0 : base64Characters / 4 * 3
    }

    static func encodedWord(_ utf8: [UInt8]) -> [UInt8] {
        Array("=?UTF-8?B?".utf8) + Base64.encode(utf8) + Array("?=".utf8)
    }

    private mutating func fold() {
        bytes.append(contentsOf: [0x0D, 0x0A])
        lineLength = 0
        lineHasToken = false
    }

    // MARK: - Unstructured text (Subject)

    /// Appends unstructured text (RFC 5322 §3.2.5): words that are plain printable ASCII stay readable; every run of
    /// other words (non-ASCII, control characters, `=?`, very long words, irregular spacing) becomes encoded words.
    ///
    /// Line breaks in `text` become spaces: a subject is one line.
    mutating func append(unstructured text: String) {
        let flattened = String(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : Character($0) })
        let words = flattened.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words == [""] { return }
        var encode = words.map { Self.needsEncoding(plainWord: $0) }
        // A run of empty words alone (from doubled, leading or trailing spaces) would encode to nothing, and the
        // spaces around it would collapse into one: pull a neighbouring plain word into the run to carry them.
        var index = 0
        while index < words.count {
            guard encode[index] else {
                index += 1
                continue
            }
            var end = index
            while end < words.count && encode[end] { end += 1 }
            if words[index..<end].allSatisfy(\.isEmpty) {
                if end < words.count {
                    encode[end] = true
                } else if index > 0 {
                    encode[index - 1] = true
                    index -= 1
                    while index > 0 && encode[index - 1] { index -= 1 }
                    continue
                }
            }
            index = end
        }
        // Maximal runs: two encoded runs are always separated by a plain word, whose spaces decoders keep.
        index = 0
        while index < words.count {
            if encode[index] {
                var end = index
                while end < words.count && encode[end] { end += 1 }
                append(encodedWords: words[index..<end].joined(separator: " "))
                index = end
            } else {
                append(token: words[index])
                index += 1
            }
        }
    }

    private static func needsEncoding(plainWord word: String) -> Bool {
        let utf8 = word.utf8
        if utf8.isEmpty || utf8.count > longestPlainToken { return true }
        if utf8.contains(where: { $0 < 0x21 || $0 > 0x7E }) { return true }
        return word.contains("=?")
    }

    // MARK: - Mailboxes (From, To)

    /// Appends `Name <address>` (or the bare `<address>`), followed by a comma when `more` follows.
    ///
    /// A printable-ASCII name of modest length is written as a quoted string; any other name as encoded words
    /// (RFC 2047 §5 (3): allowed in a phrase, never inside quotes). The address must already be validated.
    mutating func append(mailbox: Mailbox, more: Bool) {
        let name = String(mailbox.name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
            .trimmingSpaces()
        if !name.isEmpty {
            let utf8 = Array(name.utf8)
            if utf8.count <= 60 && utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) && !name.contains("=?") {
                var quoted: [UInt8] = [UInt8(ascii: "\"")]
                for byte in utf8 {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
                    quoted.append(byte)
                }
                quoted.append(UInt8(ascii: "\""))
                append(token: quoted)
            } else {
                append(encodedWords: name)
            }
        }
        append(token: "<\(mailbox.address)>" + (more ? "," : ""))
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " }),
            let last = scalars.lastIndex(where: { $0 != " " })
        else { return "" }
        return String(scalars[first...last])
    }
}
