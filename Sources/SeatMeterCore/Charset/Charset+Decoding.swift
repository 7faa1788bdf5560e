extension Charset {
    /// A name for the charset in defects.
    package var name: String {
        switch self {
        case .utf8: "utf-8"
        case .ascii: "us-ascii"
        case .latin1: "iso-8859-1"
        case .windows1252: "windows-1252"
        case .unknown8Bit: "unknown-8bit"
        case .iso2022JP: "iso-2022-jp"
        case .iconv(let name): name.lowercased()
        }
    }

    /// Decodes `bytes` written in this charset.
    ///
    /// - UTF-8, US-ASCII and `unknown-8bit`: bytes outside well-formed UTF-8 are read as windows-1252 (a mislabel
    ///   of Latin text is far more likely than binary junk), with a defect.
    /// - ISO-8859-1 and windows-1252: every byte decodes.
    /// - iconv charsets: invalid or truncated sequences become U+FFFD, with a defect.
    package func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodedText {
        switch self {
        case .utf8:
            let (text, fellBack) = LegacyText.decodeUTF8(bytes)
            return DecodedText(
                text: text, defects: fellBack ? ["utf-8 text is not valid UTF-8; read as windows-1252"] : [])
        case .ascii:
            let (text, fellBack) = LegacyText.decodeUTF8(bytes)
            var defects: [String] = []
            if fellBack {
                defects.append("us-ascii text contains 8-bit bytes that are not UTF-8; read as windows-1252")
            } else if bytes.contains(where: { $0 >= 0x80 }) {
                defects.append("us-ascii text contains 8-bit bytes; read as UTF-8")
            }
            return DecodedText(text: text, defects: defects)
        case .unknown8Bit:
            let (text, fellBack) = LegacyText.decodeUTF8(bytes)
            return DecodedText(
                text: text,
                defects: fellBack ? ["unknown-8bit text is not UTF-8; read as windows-1252"] : []
            )
        case .latin1:
            return DecodedText(text: LegacyText.decodeLatin1(bytes))
        case .windows1252:
            return DecodedText(text: LegacyText.decodeWindows1252(bytes))
        case .iso2022JP:
            if let euc = ISO2022JPTranscoder.eucJP(from: bytes) {
                return euc.withUnsafeBufferPointer { Self.decodeWithIconv($0, iconvName: "EUC-JP-MS", label: name) }
            }
            return Self.decodeWithIconv(bytes, iconvName: "ISO-2022-JP-2", label: name)
        case .iconv(let iconvName):
            return Self.decodeWithIconv(bytes, iconvName: iconvName, label: name)
        }
    }

    private static func decodeWithIconv(
        _ bytes: UnsafeBufferPointer<UInt8>,
        iconvName: String,
        label: String
    ) -> DecodedText {
        guard let conversion = IconvConverter.shared.convert(bytes, from: iconvName) else {
            // iconv knew the charset when it was resolved; it cannot open it now (out of descriptors/memory).
            let (text, _) = LegacyText.decodeUTF8(bytes)
            return DecodedText(text: text, defects: ["iconv cannot open charset \(label); bytes read as UTF-8"])
        }
        var defects: [String] = []
        if conversion.invalidSequences > 0 {
            defects.append("\(conversion.invalidSequences) invalid \(label) sequence(s) replaced by U+FFFD")
        }
        return DecodedText(text: conversion.text, defects: defects)
    }
}
