/// Text decoded from header bytes, with what went wrong on the way.
package struct DecodedText: Sendable, Hashable {
    package var text: String
    package var defects: [String]

    package init(text: String, defects: [String] = []) {
        self.text = text
        self.defects = defects
    }
}

/// RFC 2047 encoded words and raw 8-bit header text.
///
/// What it does, and where it is more lenient than RFC 2047 (always as Python's `email` package and Go's `mime`
/// both are, so a name decodes the way the major mail stacks show it):
/// - `=?charset?B|Q?text?=` with B or Q in either case; `charset*language` (RFC 2231 §5) drops the language; any
///   charset ``Charset`` knows (fast paths for UTF-8, US-ASCII, ISO-8859-1, windows-1252; iconv for the rest).
/// - Encoded words are recognised wherever they occur, also without white space before or after them
///   (`Sm=?ISO-8859-1?B?9g==?=rg`), and their text may contain spaces (both stacks accept that).
/// - Linear white space between two encoded words is dropped (RFC 2047 §6.2); white space between an encoded
///   word and other text is kept.
/// - Adjacent encoded words in the same charset are joined as bytes before the charset is decoded, so a
///   multibyte character split across two words (which senders do, though §5 forbids it) decodes whole.
/// - Folded input is unfolded first (a line end before white space is removed; any other line end becomes a
///   space; a trailing one is dropped).
/// - An encoded word that cannot be decoded (unknown charset, undecodable B or Q text) stays as it was written,
///   with a defect (RFC 2047 §6.2 (a)); so does `=?…?X?…?=` with an encoding other than B or Q.
/// - Bytes outside encoded words are UTF-8 (RFC 6532); bytes that are not well-formed UTF-8 are read as
///   windows-1252, with a defect.
///
/// Encoded words are never decoded inside quoted strings (RFC 2047 §5 (3)): the address parser passes the
/// content of a quoted string to ``decode(raw:)``.
///
/// - SeeAlso: [RFC 2047](https://www.rfc-editor.org/rfc/rfc2047), [RFC 2231 §5](https://www.rfc-editor.org/rfc/rfc2231#section-5)
package enum EncodedWordDecoder {
    /// Decodes unstructured text (a `Subject`, or a run of unquoted words of a display name):
    /// encoded words (B and Q, any charset iconv knows), adjacent encoded words joined without the white space
    /// between them, other bytes as UTF-8 (or a legacy 8-bit fallback, with a defect).
    package static func decode(unstructured bytes: some Collection<UInt8>) -> DecodedText {
        if let decoded = bytes.withContiguousStorageIfAvailable({ decodeUnstructured($0) }) {
            return decoded
        }
        return Array(bytes).withUnsafeBufferPointer { decodeUnstructured($0) }
    }

    /// Decodes bytes that must not contain encoded words (the inside of a quoted string, RFC 2047 §5):
    /// UTF-8, or a legacy 8-bit fallback with a defect.
    package static func decode(raw bytes: some Collection<UInt8>) -> DecodedText {
        if let decoded = bytes.withContiguousStorageIfAvailable({ decodePlain($0) }) {
            return decoded
        }
        return Array(bytes).withUnsafeBufferPointer { decodePlain($0) }
    }

    // MARK: - Defects

    static let plainFallbackDefect = "8-bit header text is not UTF-8; read as windows-1252"

    // MARK: - Implementation

    private static let equals = UInt8(ascii: "=")
    private static let question = UInt8(ascii: "?")
    private static let carriageReturn: UInt8 = 0x0D
    private static let lineFeed: UInt8 = 0x0A
    private static let space: UInt8 = 0x20
    private static let tab: UInt8 = 0x09
    /// RFC 2047 §2 limits a whole encoded word to 75 characters; charset names are far shorter. Longer runs are
    /// not taken as a charset (and this bounds the work per `=?`).
    private static let maximumCharsetLength = 75

    private static func decodePlain(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodedText {
        let (text, fellBack) = LegacyText.decodeUTF8(bytes)
        return DecodedText(text: text, defects: fellBack ? [plainFallbackDefect] : [])
    }

    private static func decodeUnstructured(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodedText {
        var hasLineEnd = false
        var hasWordStart = false
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == carriageReturn || byte == lineFeed {
                hasLineEnd = true
            } else if byte == question, previous == equals {
                hasWordStart = true
            }
            previous = byte
        }
        if hasLineEnd {
            let unfolded = unfold(bytes)
            return unfolded.withUnsafeBufferPointer { unfolded in
                hasWordStart ? decodeWords(unfolded) : decodePlain(unfolded)
            }
        }
        return hasWordStart ? decodeWords(bytes) : decodePlain(bytes)
    }

    /// Removes line ends before white space (RFC 5322 §2.2.3), drops trailing ones and turns any other into a space.
    private static func unfold(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == carriageReturn || byte == lineFeed else {
                output.append(byte)
                index &+= 1
                continue
            }
            var next = index &+ 1
            while next < bytes.count, bytes[next] == carriageReturn || bytes[next] == lineFeed {
                next &+= 1
            }
            if next < bytes.count, bytes[next] != space, bytes[next] != tab {
                output.append(space)
            }
            index = next
        }
        return output
    }

    private enum WordScan {
        /// Not an encoded word: continue after the `=`.
        case notAWord
        /// `=?charset?X?text?=` with an encoding other than B/Q: kept as text, continue after the `=?`.
        case unknownEncoding(String)
        /// An encoded word that cannot be decoded, ending before `end`: kept as text.
        case undecodable(end: Int, defect: String)
        /// A decoded word: its bytes were written to the scratch buffer up to `written`.
        case decoded(end: Int, charset: Charset, written: Int, defects: [String])
    }

    /// Finds `?=` at or after an offset, remembering the last answer so a header full of `=?` that never
    /// terminate is still scanned in linear time.
    private struct TerminatorFinder {
        private var searchedFrom = Int.max
        private var found: Int?

        mutating func find(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
            if start >= searchedFrom, found.map({ $0 >= start }) ?? true {
                return found
            }
            searchedFrom = start
            found = nil
            var index = start
            while index &+ 1 < bytes.count {
                if bytes[index] == question, bytes[index &+ 1] == equals {
                    found = index
                    break
                }
                index &+= 1
            }
            return found
        }
    }

    /// Decodes text that holds `=?`, in one pass: the payload of every encoded word is decoded into one scratch
    /// buffer (never longer than the input: B and Q text never decodes to more bytes than it has), where adjacent
    /// words of one charset lie next to each other and are decoded together.
    private static func decodeWords(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodedText {
        // The buffer lives only for this call; nothing keeps a pointer into it.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(bytes.count, 1)) { scratch in
            decodeWords(bytes, scratch: scratch)
        }
    }

    private static func decodeWords(
        _ bytes: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>
    ) -> DecodedText {
        // Defects of reading the words come first, then those of decoding the text, as each kind is found.
        var wordDefects: [String] = []
        var textDefects: [String] = []
        var text = ""
        var terminators = TerminatorFinder()
        var written = 0
        // The decoded word(s) not yet turned into text: scratch[pending.start..<written] in one charset.
        var pending: (charset: Charset, start: Int)?
        var plainStart = 0
        var index = 0
        let count = bytes.count

        // The first piece becomes the text as it is (appending to an empty string would copy it).
        func appendPending(upTo end: Int) {
            guard let (charset, start) = pending else { return }
            let decoded = charset.decode(UnsafeBufferPointer(rebasing: scratch[start..<end]))
            if text.isEmpty { text = decoded.text } else { text += decoded.text }
            textDefects.append(contentsOf: decoded.defects)
        }
        func appendPlain(_ range: Range<Int>) {
            let plain = decodePlain(UnsafeBufferPointer(rebasing: bytes[range]))
            if text.isEmpty { text = plain.text } else { text += plain.text }
            textDefects.append(contentsOf: plain.defects)
        }

        while index &+ 1 < count {
            guard bytes[index] == equals, bytes[index &+ 1] == question else {
                index &+= 1
                continue
            }
            let mark = written
            switch scanWord(bytes, at: index, terminators: &terminators, into: scratch, at: mark) {
            case .notAWord:
                index &+= 1
            case .unknownEncoding(let defect):
                wordDefects.append(defect)
                index &+= 2
            case .undecodable(let end, let defect):
                wordDefects.append(defect)
                index = end
            case .decoded(let end, let charset, let wordEnd, let defects):
                wordDefects.append(contentsOf: defects)
                let gap = plainStart..<index
                if let current = pending, gap.isEmpty || isLinearWhiteSpace(bytes, gap) {
                    // RFC 2047 §6.2: white space between adjacent encoded words is not displayed; words of one
                    // charset are joined as bytes (their bytes already follow each other in the scratch buffer).
                    if current.charset != charset {
                        appendPending(upTo: mark)
                        pending = (charset, mark)
                    }
                } else {
                    appendPending(upTo: mark)
                    if !gap.isEmpty { appendPlain(gap) }
                    pending = (charset, mark)
                }
                written = wordEnd
                index = end
                plainStart = end
            }
        }
        appendPending(upTo: written)
        if plainStart < count { appendPlain(plainStart..<count) }
        return DecodedText(text: text, defects: unique(wordDefects + textDefects))
    }

    /// Reads the encoded word starting with the `=?` at `start`.
    private static func scanWord(
        _ bytes: UnsafeBufferPointer<UInt8>,
        at start: Int,
        terminators: inout TerminatorFinder,
        into scratch: UnsafeMutableBufferPointer<UInt8>,
        at written: Int
    ) -> WordScan {
        let count = bytes.count
        let charsetStart = start &+ 2
        var cursor = charsetStart
        while cursor < count, bytes[cursor] != question {
            guard bytes[cursor] > space, bytes[cursor] < 0x7F, cursor &- charsetStart < maximumCharsetLength else {
                return .notAWord
            }
            cursor &+= 1
        }
        let charsetEnd = cursor
        // `?`, the encoding, `?`.
        guard charsetEnd &+ 2 < count, bytes[charsetEnd &+ 2] == question else {
            return .notAWord
        }
        let encoding = bytes[charsetEnd &+ 1]
        let textStart = charsetEnd &+ 3
        guard let textEnd = terminators.find(in: bytes, from: textStart) else {
            return .notAWord
        }
        let end = textEnd &+ 2
        let label = UnsafeBufferPointer(rebasing: bytes[charsetStart..<charsetEnd])
        let text = UnsafeBufferPointer(rebasing: bytes[textStart..<textEnd])
        let payload: (end: Int, defects: [String])?
        switch encoding {
        case UInt8(ascii: "B"), UInt8(ascii: "b"):
            payload = EncodedWordPayload.decodeBase64(text, into: scratch, at: written)
            guard payload != nil else {
                return .undecodable(end: end, defect: "encoded word with undecodable base64 text kept as is")
            }
        case UInt8(ascii: "Q"), UInt8(ascii: "q"):
            payload = EncodedWordPayload.decodeQ(text, into: scratch, at: written)
            guard payload != nil else {
                return .undecodable(end: end, defect: "encoded word with a truncated Q escape kept as is")
            }
        default:
            let name = printable(encoding)
            return .unknownEncoding("encoded word with unknown encoding \"\(name)\" kept as is")
        }
        guard let payload else { return .notAWord }
        guard let charset = Charset(label: label) else {
            let name = String(decoding: label, as: UTF8.self)
            return .undecodable(end: end, defect: "encoded word with unknown charset \"\(name)\" kept as is")
        }
        return .decoded(end: end, charset: charset, written: payload.end, defects: payload.defects)
    }

    private static func isLinearWhiteSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        bytes[range].allSatisfy { $0 == space || $0 == tab }
    }

    private static func printable(_ byte: UInt8) -> String {
        byte > space && byte < 0x7F ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }

    private static func unique(_ defects: [String]) -> [String] {
        guard defects.count > 1 else { return defects }
        var seen: Set<String> = []
        return defects.filter { seen.insert($0).inserted }
    }
}
