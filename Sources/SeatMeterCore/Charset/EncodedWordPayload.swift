/// The encoded text of an RFC 2047 encoded word, decoded to bytes of its charset.
///
/// Both decoders are lenient where the intent is unambiguous and the major implementations agree (Python's
/// `email` package), and report what they repaired as defects:
/// - "B" (base64): characters outside the base64 alphabet are skipped, missing or excess padding is repaired,
///   data after the padding is ignored. Undecodable only when one base64 character is left over (no byte can be
///   formed from 6 bits), as in Python.
/// - "Q": `_` is a space, `=XX` a hex-encoded byte (either case). An `=` followed by two characters that are not
///   both hex digits is kept as a literal `=` (Python); an `=` with fewer than two characters after it is a
///   truncated word and undecodable (Go).
///
/// - SeeAlso: [RFC 2047 §4](https://www.rfc-editor.org/rfc/rfc2047#section-4)
enum EncodedWordPayload {
    /// Decodes base64 `text` into `output` from index `start` (the caller provides at least `text.count` bytes
    /// there); returns the index after the last byte written and the defects, or nil when undecodable.
    static func decodeBase64(
        _ text: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> (end: Int, defects: [String])? {
        var written = start
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
                output[written] = UInt8(truncatingIfNeeded: pending &>> 4)
                written &+= 1
                pending &= 0x0F
            case 3:
                output[written] = UInt8(truncatingIfNeeded: pending &>> 2)
                written &+= 1
                pending &= 0x03
            case 4:
                output[written] = UInt8(truncatingIfNeeded: pending)
                written &+= 1
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
        return (written, defects)
    }

    /// Decodes Q `text` into `output` from index `start` (at least `text.count` bytes there); returns the index
    /// after the last byte written and the defects, or nil when undecodable.
    static func decodeQ(
        _ text: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> (end: Int, defects: [String])? {
        var written = start
        var literalEquals = false
        var index = 0
        let count = text.count
        while index < count {
            let character = text[index]
            switch character {
            case UInt8(ascii: "_"):
                output[written] = 0x20
                index &+= 1
            case UInt8(ascii: "="):
                guard count &- index >= 3 else {
                    return nil
                }
                let high = hexValue(text[index &+ 1])
                let low = hexValue(text[index &+ 2])
                if high < 16, low < 16 {
                    output[written] = high &<< 4 | low
                    index &+= 3
                } else {
                    literalEquals = true
                    output[written] = character
                    index &+= 1
                }
            default:
                output[written] = character
                index &+= 1
            }
            written &+= 1
        }
        return (written, literalEquals ? ["\"=\" without two hex digits in a Q encoded word kept as is"] : [])
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
