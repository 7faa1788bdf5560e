/// How a body part's bytes travel: as they are, quoted-printable, or base64.
///
/// - SeeAlso: [RFC 2045 §6](https://www.rfc-editor.org/rfc/rfc2045#section-6)
enum TransferEncoding: String, Sendable, Hashable {
    case sevenBit = "7bit"
    case quotedPrintable = "quoted-printable"
    case base64

    /// The encoding for text whose line ends are already CRLF: `7bit` when it is ASCII without control characters
    /// and no line exceeds 998 octets; otherwise quoted-printable, unless more than a third of the bytes would need
    /// escaping (mostly non-Latin text), where base64 is smaller.
    static func forText(_ crlfText: [UInt8]) -> TransferEncoding {
        var escaped = 0
        var lineLength = 0
        var longest = 0
        var index = 0
        while index < crlfText.count {
            let byte = crlfText[index]
            if byte == 0x0D && index + 1 < crlfText.count && crlfText[index + 1] == 0x0A {
                longest = max(longest, lineLength)
                lineLength = 0
                index += 2
                continue
            }
            if byte >= 0x80 || (byte < 0x20 && byte != 0x09) || byte == 0x7F { escaped += 1 }
            lineLength += 1
            index += 1
        }
        longest = max(longest, lineLength)
        if escaped == 0 && longest <= 998 { return .sevenBit }
        return escaped * 3 > crlfText.count ? .base64 : .quotedPrintable
    }

    func encode(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .sevenBit: bytes
        case .quotedPrintable: QuotedPrintable.encode(crlfText: bytes)
        case .base64: Base64.encode(bytes, lineLength: 76)
        }
    }
}

/// Line ends of text as CRLF, whatever they were (LF, CRLF or a lone CR).
enum LineEnds {
    static func crlf(_ text: String) -> [UInt8] {
        let input = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 32)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == 0x0D {
                output += [0x0D, 0x0A]
                index += index + 1 < input.count && input[index + 1] == 0x0A ? 2 : 1
            } else if byte == 0x0A {
                output += [0x0D, 0x0A]
                index += 1
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }
}

/// Quoted-printable (RFC 2045 §6.7) for text: CRLF stays a hard line break, every output line is at most 76
/// characters (soft breaks `=` CRLF), `=` and non-printable bytes become `=XX`, and white space at the end of a
/// line is encoded so that transports stripping it change nothing.
enum QuotedPrintable {
    static let lineLimit = 76

    static func encode(crlfText input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 8)
        var lineStart = 0
        while lineStart <= input.count {
            var lineEnd = lineStart
            while lineEnd < input.count
                && !(input[lineEnd] == 0x0D && lineEnd + 1 < input.count && input[lineEnd + 1] == 0x0A)
            {
                lineEnd += 1
            }
            encodeLine(input[lineStart..<lineEnd], into: &output)
            guard lineEnd < input.count else { break }
            output += [0x0D, 0x0A]
            lineStart = lineEnd + 2
        }
        return output
    }

    private static func encodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var length = 0
        for index in line.indices {
            let byte = line[index]
            let isLast = index == line.index(before: line.endIndex)
            let literal =
                (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "="))
                || ((byte == 0x20 || byte == 0x09) && !isLast)
            let width = literal ? 1 : 3
            // The last unit may use the 76th column; any other must leave room for the soft break's "=".
            if length + width > (isLast ? lineLimit : lineLimit - 1) {
                output += [UInt8(ascii: "="), 0x0D, 0x0A]
                length = 0
            }
            if literal {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
            length += width
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}

/// Base64 (RFC 4648 §4) with padding, optionally in CRLF-separated lines.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// - Parameter lineLength: characters per line (a multiple of 4), or nil for one line without a line end.
    static func encode(_ input: [UInt8], lineLength: Int? = nil) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4 + (input.count / 57 + 1) * 2)
        var lineUsed = 0
        var index = 0
        while index < input.count {
            let b0 = input[index]
            let b1 = index + 1 < input.count ? input[index + 1] : 0
            let b2 = index + 2 < input.count ? input[index + 2] : 0
            let count = min(3, input.count - index)
            if let lineLength, lineUsed == lineLength {
                output += [0x0D, 0x0A]
                lineUsed = 0
            }
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(count > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(count > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            lineUsed += 4
            index += 3
        }
        if lineLength != nil && !output.isEmpty { output += [0x0D, 0x0A] }
        return output
    }
}
