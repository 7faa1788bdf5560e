/// Reads the `Message-ID` field: the first `msg-id`, without its angle brackets.
///
/// Tolerates comments, a missing `<` or `>`, and folding white space inside the brackets (removed). Case is kept:
/// the id is a de-duplication key.
///
/// - SeeAlso: [RFC 5322 §3.6.4](https://www.rfc-editor.org/rfc/rfc5322#section-3.6.4)
package enum MessageIDParser {
    /// The id, or nil when the value holds none; defects are prefixed with `message-id: `.
    package static func parse(_ value: some Collection<UInt8>) -> (id: String?, defects: [String]) {
        if let result = value.withContiguousStorageIfAvailable({ parse(buffer: $0) }) { return result }
        return Array(value).withUnsafeBufferPointer { parse(buffer: $0) }
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>) -> (id: String?, defects: [String]) {
        var defects: [String] = []
        var index = 0
        let count = buffer.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        // Skip white space and comments before the id.
        index = ByteSearch.skipCFWS(buffer, from: index)
        var idStart = index
        var idEnd = index
        var needsFilter = false
        // Printable ASCII only (checked on the way, so the common id is read once).
        var printable = true
        if index < count, buffer[index] == UInt8(ascii: "<") {
            index += 1
            idStart = index
            var closed = false
            while index < count {
                let byte = buffer[index]
                if byte == UInt8(ascii: ">") {
                    closed = true
                    break
                }
                if byte == UInt8(ascii: "<") { break }
                if byte <= 0x20 || byte >= 0x7F {
                    printable = false
                    if isSpace(byte) { needsFilter = true }
                }
                index += 1
            }
            idEnd = index
            if !closed { defects.append("message-id: missing '>'") }
        } else {
            printable = false
            while index < count, !isSpace(buffer[index]), buffer[index] != UInt8(ascii: "(") {
                if buffer[index] == UInt8(ascii: ">") { needsFilter = true }
                index += 1
            }
            idEnd = index
            if idEnd > idStart { defects.append("message-id: missing angle brackets") }
        }
        let raw = UnsafeBufferPointer(rebasing: buffer[idStart..<idEnd])
        if needsFilter {
            return finish(raw.filter { !isSpace($0) && $0 != UInt8(ascii: ">") }, defects: defects)
        }
        if printable, !raw.isEmpty, defects.isEmpty { return (String(decoding: raw, as: UTF8.self), []) }
        return finish(raw, defects: defects)
    }

    private static func finish(_ id: some Collection<UInt8>, defects: [String]) -> (id: String?, defects: [String]) {
        var defects = defects
        guard !id.isEmpty else {
            defects.append("message-id: empty")
            return (nil, defects)
        }
        if id.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return (String(decoding: id, as: UTF8.self), defects)
        }
        defects.append("message-id: non-ASCII or control characters")
        return (EncodedWordDecoder.decode(raw: id).text, defects)
    }
}
