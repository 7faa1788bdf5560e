import Testing

@testable import SeatMeterCore

/// The RFC 2047 decoder as it was before it decoded into one scratch buffer without intermediate pieces (copied
/// verbatim from commit bed6493), kept as the reference the current decoder must agree with.
enum ReferenceEncodedWordDecoder {
    static func decode(unstructured bytes: [UInt8]) -> DecodedText {
        bytes.withUnsafeBufferPointer { decodeUnstructured($0) }
    }

    static let plainFallbackDefect = "8-bit header text is not UTF-8; read as windows-1252"
    private static let equals = UInt8(ascii: "=")
    private static let question = UInt8(ascii: "?")
    private static let carriageReturn: UInt8 = 0x0D
    private static let lineFeed: UInt8 = 0x0A
    private static let space: UInt8 = 0x20
    private static let tab: UInt8 = 0x09
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

    private enum Piece {
        case plain(Range<Int>)
        case word(Charset, [UInt8])
    }

    private enum WordScan {
        /// Not an encoded word: continue after the `=`.
        case notAWord
        /// `=?charset?X?text?=` with an encoding other than B/Q: kept as text, continue after the `=?`.
        case unknownEncoding(String)
        /// An encoded word that cannot be decoded, ending before `end`: kept as text.
        case undecodable(end: Int, defect: String)
        case decoded(end: Int, charset: Charset, bytes: [UInt8], defects: [String])
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

    private static func decodeWords(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodedText {
        var pieces: [Piece] = []
        pieces.reserveCapacity(4)
        var defects: [String] = []
        var terminators = TerminatorFinder()
        var plainStart = 0
        var index = 0
        let count = bytes.count
        while index &+ 1 < count {
            guard bytes[index] == equals, bytes[index &+ 1] == question else {
                index &+= 1
                continue
            }
            switch scanWord(bytes, at: index, terminators: &terminators) {
            case .notAWord:
                index &+= 1
            case .unknownEncoding(let defect):
                defects.append(defect)
                index &+= 2
            case .undecodable(let end, let defect):
                defects.append(defect)
                index = end
            case .decoded(let end, let charset, let wordBytes, let wordDefects):
                if plainStart < index {
                    pieces.append(.plain(plainStart..<index))
                }
                pieces.append(.word(charset, wordBytes))
                defects.append(contentsOf: wordDefects)
                index = end
                plainStart = end
            }
        }
        if plainStart < count {
            pieces.append(.plain(plainStart..<count))
        }

        var text = ""
        text.reserveCapacity(count)
        var position = 0
        while position < pieces.count {
            switch pieces[position] {
            case .plain(let range):
                if position > 0, position &+ 1 < pieces.count, case .word = pieces[position &- 1],
                    case .word = pieces[position &+ 1], isLinearWhiteSpace(bytes, range)
                {
                    // RFC 2047 §6.2: white space between adjacent encoded words is not displayed.
                    position &+= 1
                    continue
                }
                let plain = decodePlain(UnsafeBufferPointer(rebasing: bytes[range]))
                text += plain.text
                defects.append(contentsOf: plain.defects)
                position &+= 1
            case .word(let charset, let wordBytes):
                // Join the following words of the same charset (with only white space between) as bytes.
                var joined = wordBytes
                var next = position &+ 1
                while next < pieces.count {
                    if case .word(let nextCharset, let nextBytes) = pieces[next], nextCharset == charset {
                        joined += nextBytes
                        next &+= 1
                    } else if case .plain(let range) = pieces[next], isLinearWhiteSpace(bytes, range),
                        next &+ 1 < pieces.count, case .word(let nextCharset, let nextBytes) = pieces[next &+ 1],
                        nextCharset == charset
                    {
                        joined += nextBytes
                        next &+= 2
                    } else {
                        break
                    }
                }
                let decoded = joined.withUnsafeBufferPointer { charset.decode($0) }
                text += decoded.text
                defects.append(contentsOf: decoded.defects)
                position = next
            }
        }
        return DecodedText(text: text, defects: unique(defects))
    }

    /// Reads the encoded word starting with the `=?` at `start`.
    private static func scanWord(
        _ bytes: UnsafeBufferPointer<UInt8>,
        at start: Int,
        terminators: inout TerminatorFinder
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
        let payload: ReferencePayload.Decoded?
        switch encoding {
        case UInt8(ascii: "B"), UInt8(ascii: "b"):
            payload = ReferencePayload.decodeBase64(text)
            guard payload != nil else {
                return .undecodable(end: end, defect: "encoded word with undecodable base64 text kept as is")
            }
        case UInt8(ascii: "Q"), UInt8(ascii: "q"):
            payload = ReferencePayload.decodeQ(text)
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
        return .decoded(end: end, charset: charset, bytes: payload.bytes, defects: payload.defects)
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

enum ReferencePayload {
    struct Decoded: Hashable, Sendable {
        var bytes: [UInt8]
        var defects: [String]
    }

    static func decodeBase64(_ text: UnsafeBufferPointer<UInt8>) -> Decoded? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 4 &* 3 &+ 3)
        var defects: [String] = []
        var pending: UInt32 = 0
        var position = 0
        var pads = 0
        var skippedInvalid = false
        var paddedProperly = false
        var index = 0
        while index < text.count {
            let character = text[index]
            index &+= 1
            if character == UInt8(ascii: "=") {
                pads &+= 1
                if position >= 2, position &+ pads >= 4 {
                    paddedProperly = true
                    break
                }
                continue
            }
            let value = base64Value(character)
            guard value < 64 else {
                skippedInvalid = true
                continue
            }
            pads = 0
            pending = (pending &<< 6) | UInt32(value)
            position &+= 1
            switch position {
            case 2:
                bytes.append(UInt8(truncatingIfNeeded: pending &>> 4))
                pending &= 0x0F
            case 3:
                bytes.append(UInt8(truncatingIfNeeded: pending &>> 2))
                pending &= 0x03
            case 4:
                bytes.append(UInt8(truncatingIfNeeded: pending))
                pending = 0
                position = 0
            default:
                break
            }
        }
        if position == 1 {
            return nil
        }
        if skippedInvalid {
            defects.append("invalid base64 characters in an encoded word ignored")
        }
        if position != 0, !paddedProperly {
            defects.append("missing base64 padding in an encoded word repaired")
        }
        if paddedProperly, text[index...].contains(where: { base64Value($0) < 64 }) {
            defects.append("data after base64 padding in an encoded word ignored")
        }
        return Decoded(bytes: bytes, defects: defects)
    }

    static func decodeQ(_ text: UnsafeBufferPointer<UInt8>) -> Decoded? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var literalEquals = false
        var index = 0
        let count = text.count
        while index < count {
            let character = text[index]
            switch character {
            case UInt8(ascii: "_"):
                bytes.append(0x20)
                index &+= 1
            case UInt8(ascii: "="):
                guard count &- index >= 3 else {
                    return nil
                }
                let high = hexValue(text[index &+ 1])
                let low = hexValue(text[index &+ 2])
                if high < 16, low < 16 {
                    bytes.append(high &<< 4 | low)
                    index &+= 3
                } else {
                    literalEquals = true
                    bytes.append(character)
                    index &+= 1
                }
            default:
                bytes.append(character)
                index &+= 1
            }
        }
        return Decoded(
            bytes: bytes,
            defects: literalEquals ? ["\"=\" without two hex digits in a Q encoded word kept as is"] : []
        )
    }

    /// The 6-bit value of a base64 character, or 64 and above for anything else.
    @inline(__always)
    private static func base64Value(_ character: UInt8) -> UInt8 {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character &- UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character &- UInt8(ascii: "a") &+ 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character &- UInt8(ascii: "0") &+ 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: 255
        }
    }

    /// The value of a hex digit (either case), or 16 and above for anything else.
    @inline(__always)
    private static func hexValue(_ character: UInt8) -> UInt8 {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character &- UInt8(ascii: "A") &+ 10
        default: 255
        }
    }
}
