/// Rewrites ISO-2022-JP (RFC 1468) and its Microsoft extensions (CP50220/50221/50222) as EUC-JP, byte for byte,
/// so iconv's EUC-JP-MS can decode it including the NEC and IBM extension rows that glibc's ISO-2022-JP rejects
/// (①, Ⅰ, ㈱ are common in Japanese mail).
///
/// The mapping is mechanical: JIS X 0208 pairs get the high bit set, JIS X 0201 katakana get the SS2 prefix and
/// JIS X 0212 pairs the SS3 prefix. Designations outside that set (ISO-2022-JP-2's Chinese, Korean and Latin sets,
/// JIS X 0213) make the transcoder give up, and the caller falls back to iconv's ISO-2022-JP-2.
enum ISO2022JPTranscoder {
    private enum Mode {
        case ascii
        case jisX0208
        case jisX0212
        case katakana
    }

    private static let escape: UInt8 = 0x1B
    private static let shiftOut: UInt8 = 0x0E
    private static let shiftIn: UInt8 = 0x0F
    /// A byte EUC-JP never contains, placed where a sequence is truncated so the decoder reports it.
    private static let invalid: UInt8 = 0xFF

    /// The EUC-JP form of `bytes`, or `nil` when they use a designation this transcoder does not map.
    static func eucJP(from bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var mode = Mode.ascii
        var modeBeforeShiftOut = Mode.ascii
        var index = 0
        let count = bytes.count
        func byte(_ offset: Int) -> UInt8? {
            index &+ offset < count ? bytes[index &+ offset] : nil
        }
        while index < count {
            let current = bytes[index]
            if current == escape {
                switch (byte(1), byte(2), byte(3)) {
                case (UInt8(ascii: "("), UInt8(ascii: "B")?, _), (UInt8(ascii: "("), UInt8(ascii: "J")?, _),
                    (UInt8(ascii: "("), UInt8(ascii: "H")?, _):
                    mode = .ascii
                    index &+= 3
                case (UInt8(ascii: "$"), UInt8(ascii: "B")?, _), (UInt8(ascii: "$"), UInt8(ascii: "@")?, _):
                    mode = .jisX0208
                    index &+= 3
                case (UInt8(ascii: "&"), UInt8(ascii: "@")?, _):
                    // JIS X 0208-1990 announcer; the designation follows.
                    index &+= 3
                case (UInt8(ascii: "("), UInt8(ascii: "I")?, _):
                    mode = .katakana
                    index &+= 3
                case (UInt8(ascii: "$"), UInt8(ascii: "(")?, UInt8(ascii: "D")?):
                    mode = .jisX0212
                    index &+= 4
                case (UInt8(ascii: "$"), UInt8(ascii: "(")?, UInt8(ascii: "B")?),
                    (UInt8(ascii: "$"), UInt8(ascii: "(")?, UInt8(ascii: "@")?):
                    mode = .jisX0208
                    index &+= 4
                default:
                    return nil
                }
                continue
            }
            if current == shiftOut {
                if mode != .katakana {
                    modeBeforeShiftOut = mode
                }
                mode = .katakana
                index &+= 1
                continue
            }
            if current == shiftIn {
                mode = modeBeforeShiftOut
                index &+= 1
                continue
            }
            switch mode {
            case .ascii:
                if (0xA1...0xDF).contains(current) {
                    // 8-bit JIS X 0201 katakana (CP50222 senders).
                    output.append(0x8E)
                }
                output.append(current)
                index &+= 1
            case .katakana:
                if (0x21...0x5F).contains(current) {
                    output.append(0x8E)
                    output.append(current | 0x80)
                } else {
                    output.append(current)
                }
                index &+= 1
            case .jisX0208, .jisX0212:
                guard (0x21...0x7E).contains(current) else {
                    // Line ends and spaces pass through in a two-byte mode in sloppy senders.
                    output.append(current)
                    index &+= 1
                    continue
                }
                guard let second = byte(1), (0x21...0x7E).contains(second) else {
                    output.append(invalid)
                    index &+= 1
                    continue
                }
                if mode == .jisX0212 {
                    output.append(0x8F)
                }
                output.append(current | 0x80)
                output.append(second | 0x80)
                index &+= 2
            }
        }
        return output
    }
}
