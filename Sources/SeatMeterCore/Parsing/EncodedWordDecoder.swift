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
/// - SeeAlso: [RFC 2047](https://www.rfc-editor.org/rfc/rfc2047)
package enum EncodedWordDecoder {
    /// Decodes unstructured text (a `Subject`, or a run of unquoted words of a display name):
    /// encoded words (B and Q, any charset iconv knows), adjacent encoded words joined without the white space
    /// between them, other bytes as UTF-8 (or a legacy 8-bit fallback, with a defect).
    package static func decode(unstructured bytes: some Collection<UInt8>) -> DecodedText {
        // TODO(encoded words): replaced by the real decoder.
        decode(raw: bytes)
    }

    /// Decodes bytes that must not contain encoded words (the inside of a quoted string, RFC 2047 §5):
    /// UTF-8, or a legacy 8-bit fallback with a defect.
    package static func decode(raw bytes: some Collection<UInt8>) -> DecodedText {
        DecodedText(text: String(decoding: Array(bytes), as: UTF8.self))
    }
}
