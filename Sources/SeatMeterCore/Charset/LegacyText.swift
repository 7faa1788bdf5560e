/// The pure-Swift decoders: UTF-8 with a windows-1252 fallback for 8-bit header bytes, ISO-8859-1 and
/// windows-1252.
///
/// Raw 8-bit bytes in headers (RFC 6532 allows UTF-8; older mailers send Latin-1 or windows-1252 unlabelled) are
/// read as UTF-8 wherever they form well-formed UTF-8 sequences, and every other byte as its windows-1252
/// character (the superset of ISO-8859-1 that browsers and mail readers use for unlabelled Latin text; the five
/// bytes windows-1252 leaves undefined map to the C1 controls, as in ISO-8859-1).
package enum LegacyText {
    /// `bytes` as UTF-8, with bytes outside well-formed UTF-8 sequences read as windows-1252. `fellBack` tells
    /// whether any byte needed the fallback.
    package static func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: String, fellBack: Bool) {
        guard let firstInvalid = firstInvalidUTF8Index(bytes) else {
            return (String(decoding: bytes, as: UTF8.self), false)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count &+ bytes.count / 2)
        output.append(contentsOf: bytes[0..<firstInvalid])
        var index = firstInvalid
        while index < bytes.count {
            let length = wellFormedSequenceLength(bytes, at: index)
            if length > 0 {
                output.append(contentsOf: bytes[index..<(index &+ length)])
                index &+= length
            } else {
                appendUTF8(of: windows1252Scalar(bytes[index]), to: &output)
                index &+= 1
            }
        }
        return (String(decoding: output, as: UTF8.self), true)
    }

    /// `bytes` as ISO-8859-1: each byte is the code point of the same value.
    package static func decodeLatin1(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count &* 2)
        for byte in bytes {
            appendUTF8(of: UInt32(byte), to: &output)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `bytes` as windows-1252.
    package static func decodeWindows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count &* 2)
        for byte in bytes {
            appendUTF8(of: windows1252Scalar(byte), to: &output)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The index of the first byte that does not start a well-formed UTF-8 sequence, or `nil` when all are
    /// well formed.
    package static func firstInvalidUTF8Index(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            if bytes[index] < 0x80 {
                index &+= 1
                continue
            }
            let length = wellFormedSequenceLength(bytes, at: index)
            if length == 0 {
                return index
            }
            index &+= length
        }
        return nil
    }

    /// Length of the well-formed UTF-8 sequence starting at `index` (Unicode Table 3-7), or 0 when the bytes
    /// there do not form one.
    @inline(__always)
    private static func wellFormedSequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let lead = bytes[index]
        let available = bytes.count &- index
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            offset < available && range.contains(bytes[index &+ offset])
        }
        switch lead {
        case 0x00...0x7F:
            return 1
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// The windows-1252 character of `byte` (WHATWG index; undefined 0x81, 0x8D, 0x8F, 0x90, 0x9D stay C1).
    package static func windows1252Scalar(_ byte: UInt8) -> UInt32 {
        guard byte >= 0x80, byte < 0xA0 else { return UInt32(byte) }
        return windows1252C1[Int(byte &- 0x80)]
    }

    private static let windows1252C1: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    @inline(__always)
    private static func appendUTF8(of scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            output.append(0xC0 | UInt8(truncatingIfNeeded: scalar &>> 6))
            output.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        default:
            output.append(0xE0 | UInt8(truncatingIfNeeded: scalar &>> 12))
            output.append(0x80 | UInt8(truncatingIfNeeded: (scalar &>> 6) & 0x3F))
            output.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        }
    }
}
