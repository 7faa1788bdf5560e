import SeatMeterCore

/// Where the response reader gets its bytes: the libcurl connection in production, a scripted source in tests.
protocol IMAPByteSource: AnyObject {
    /// Reads at least one byte into `buffer` (at most `capacity`), waiting as long as the source's idle timeout.
    ///
    /// - Returns: the number of bytes read, always > 0.
    /// - Throws: ``IMAPError`` (`.timeout`, `.connectionLost`) when no byte can be read.
    func receive(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(IMAPError) -> Int
}

/// One IMAP server response, as far as this client cares.
enum IMAPResponse: Equatable {
    /// The completion of the command in flight (`tag OK/NO/BAD ...`).
    case tagged(IMAPStatus, IMAPResponseCode?, text: String)
    /// `* OK/NO/BAD/BYE/PREAUTH [code] text`.
    case status(IMAPStatus, IMAPResponseCode?, text: String)
    /// `* n EXISTS`.
    case exists(UInt32)
    /// `* n FETCH (...)`: the UID if present, and whether it carried a `BODY[section]` item, whose bytes are then in
    /// ``IMAPResponseReader/body`` until the next call to ``IMAPResponseReader/next(tag:)``.
    case fetch(sequence: UInt32, uid: UInt32?, hasBody: Bool)
    /// `+ ...`: a command continuation request.
    case continuation
    /// Any other untagged response (CAPABILITY, FLAGS, RECENT, EXPUNGE, LIST, ...), read and discarded.
    case other
}

enum IMAPStatus: Equatable { case ok, no, bad, bye, preauth }

enum IMAPResponseCode: Equatable {
    case uidValidity(UInt32)
    case uidNext(UInt32)
    case nonexistent
    case readOnly
    case expungeIssued
    case other(String)
}

/// A streaming IMAP response parser: reads one response at a time from a 64 KiB receive buffer, with literals
/// (`{n}`, `{n+}`, `~{n}`) at any position, so memory stays flat whatever the size of the whole server reply.
///
/// Only the `BODY[section]` value of a FETCH response is kept (in ``body``, a buffer reused from message to
/// message); everything else is parsed as it streams past and dropped. Hostile input gets `.protocolError`, never a
/// crash: numbers are range-checked and a kept literal is capped at ``maximumBodySize``.
///
/// - SeeAlso: [RFC 3501 §9 (formal syntax)](https://www.rfc-editor.org/rfc/rfc3501#section-9)
final class IMAPResponseReader<Source: IMAPByteSource> {
    static var bufferSize: Int { 64 * 1024 }
    /// Largest `BODY[...]` value kept (a header block); larger ones are a protocol error.
    let maximumBodySize: Int
    /// Longest response text (after `OK`/`NO`/...) kept for messages; the rest is skipped.
    private static var maximumTextSize: Int { 1024 }

    private let source: Source
    /// Receive buffer, owned by this reader: allocated in `init`, freed in `deinit`, never handed out.
    private let storage: UnsafeMutablePointer<UInt8>
    private var start = 0
    private var end = 0
    private var scratch: [UInt8] = []

    /// The `BODY[section]` bytes of the last `.fetch` response with `hasBody`.
    private(set) var body: [UInt8] = []

    init(source: Source, maximumBodySize: Int = 64 * 1024 * 1024) {
        self.source = source
        self.maximumBodySize = maximumBodySize
        self.storage = .allocate(capacity: Self.bufferSize)
        scratch.reserveCapacity(64)
    }

    deinit { storage.deallocate() }

    // MARK: - Responses

    // response = *(continue-req / response-data) response-done
    /// Reads the next complete response.
    ///
    /// - Parameter tag: the tag of the command in flight; a tagged response with another tag is a protocol error.
    func next(tag: [UInt8]) throws(IMAPError) -> IMAPResponse {
        let first = try peek()
        if first == UInt8(ascii: "*") {
            advance()
            try expect(UInt8(ascii: " "))
            return try untagged()
        }
        if first == UInt8(ascii: "+") {
            try skipResponse()
            return .continuation
        }
        // response-tagged = tag SP resp-cond-state CRLF
        try readAtom(into: &scratch)
        guard scratch == tag else {
            throw protocolError("a response tagged \"\(String(decoding: scratch, as: UTF8.self))\" "
                + "while waiting for \"\(String(decoding: tag, as: UTF8.self))\"")
        }
        try expect(UInt8(ascii: " "))
        try readAtom(into: &scratch)
        guard let status = Self.status(scratch), status == .ok || status == .no || status == .bad else {
            throw protocolError("a tagged response that is not OK, NO or BAD")
        }
        let (code, text) = try responseText()
        return .tagged(status, code, text: text)
    }

    // response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data / capability-data) CRLF
    private func untagged() throws(IMAPError) -> IMAPResponse {
        if Self.isDigit(try peek()) {
            let number = try readNumber()
            try expect(UInt8(ascii: " "))
            try readAtom(into: &scratch)
            if Self.equalsUppercased(scratch, "EXISTS") {
                try expectEndOfLine()
                return .exists(number)
            }
            if Self.equalsUppercased(scratch, "FETCH") {
                try expect(UInt8(ascii: " "))
                return try fetchAttributes(sequence: number)
            }
            try skipResponse()
            return .other
        }
        try readAtom(into: &scratch)
        if let status = Self.status(scratch) {
            let (code, text) = try responseText()
            return .status(status, code, text: text)
        }
        try skipResponse()
        return .other
    }

    // msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) ")"
    private func fetchAttributes(sequence: UInt32) throws(IMAPError) -> IMAPResponse {
        try expect(UInt8(ascii: "("))
        var uid: UInt32?
        var hasBody = false
        if try peek() == UInt8(ascii: ")") {
            advance()
            try expectEndOfLine()
            return .fetch(sequence: sequence, uid: nil, hasBody: false)
        }
        while true {
            // The item name, e.g. UID, FLAGS, BODY[HEADER.FIELDS (FROM TO)]<0>.
            try readAtom(into: &scratch)
            var hasSection = false
            if try peek() == UInt8(ascii: "[") {
                hasSection = true
                try skipDelimited(close: UInt8(ascii: "]"))
            }
            if try peek() == UInt8(ascii: "<") {
                try skipDelimited(close: UInt8(ascii: ">"))
            }
            try expect(UInt8(ascii: " "))
            if !hasSection && Self.equalsUppercased(scratch, "UID") {
                uid = try readNumber()
            } else if hasSection && Self.equalsUppercased(scratch, "BODY") {
                try readNString(into: &body)
                hasBody = true
            } else {
                try skipValue()
            }
            let separator = try peek()
            advance()
            if separator == UInt8(ascii: ")") { break }
            guard separator == UInt8(ascii: " ") else { throw unexpected(separator, "in a FETCH response") }
        }
        try expectEndOfLine()
        return .fetch(sequence: sequence, uid: uid, hasBody: hasBody)
    }

    // resp-text = ["[" resp-text-code "]" SP] text
    private func responseText() throws(IMAPError) -> (IMAPResponseCode?, String) {
        var code: IMAPResponseCode?
        if try peek() == UInt8(ascii: " ") {
            advance()
        } else {
            try expectEndOfLine()
            return (nil, "")
        }
        if try peek() == UInt8(ascii: "[") {
            advance()
            try readAtom(into: &scratch, stopAt: UInt8(ascii: "]"))
            if Self.equalsUppercased(scratch, "UIDVALIDITY") || Self.equalsUppercased(scratch, "UIDNEXT") {
                let isValidity = Self.equalsUppercased(scratch, "UIDVALIDITY")
                try expect(UInt8(ascii: " "))
                let value = try readNumber()
                code = isValidity ? .uidValidity(value) : .uidNext(value)
            } else if Self.equalsUppercased(scratch, "NONEXISTENT") {
                code = .nonexistent
            } else if Self.equalsUppercased(scratch, "READ-ONLY") {
                code = .readOnly
            } else if Self.equalsUppercased(scratch, "EXPUNGEISSUED") {
                code = .expungeIssued
            } else {
                code = .other(String(decoding: scratch, as: UTF8.self))
            }
            try skipDelimited(close: UInt8(ascii: "]"), opened: true)
            if try peek() == UInt8(ascii: " ") { advance() }
        }
        scratch.removeAll(keepingCapacity: true)
        while true {
            let byte = try peek()
            advance()
            if byte == UInt8(ascii: "\n") { break }
            if byte != UInt8(ascii: "\r") && scratch.count < Self.maximumTextSize { scratch.append(byte) }
        }
        return (code, String(decoding: scratch, as: UTF8.self))
    }

    // MARK: - Values

    // nstring = string / nil ; string = quoted / literal
    private func readNString(into output: inout [UInt8]) throws(IMAPError) {
        output.removeAll(keepingCapacity: true)
        let first = try peek()
        switch first {
        case UInt8(ascii: "\""):
            advance()
            while true {
                var byte = try peek()
                advance()
                if byte == UInt8(ascii: "\"") { return }
                if byte == UInt8(ascii: "\\") {
                    byte = try peek()
                    advance()
                }
                if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                    throw protocolError("a line break inside a quoted string")
                }
                guard output.count < maximumBodySize else { throw protocolError("a quoted string is too long") }
                output.append(byte)
            }
        case UInt8(ascii: "{"), UInt8(ascii: "~"):
            let count = try literalPrefix()
            guard count <= maximumBodySize else {
                throw protocolError("a \(count)-byte header block is over the \(maximumBodySize)-byte limit")
            }
            output.reserveCapacity(count)
            var remaining = count
            while remaining > 0 {
                if start == end { try fill() }
                let chunk = min(remaining, end - start)
                output.append(contentsOf: UnsafeBufferPointer(start: storage + start, count: chunk))
                start += chunk
                remaining -= chunk
            }
        case UInt8(ascii: "N"), UInt8(ascii: "n"):
            try readAtom(into: &scratch)
            guard Self.equalsUppercased(scratch, "NIL") else { throw protocolError("expected NIL") }
        default:
            throw unexpected(first, "where a string was expected")
        }
    }

    // literal = "{" number ["+"] "}" CRLF *CHAR8 ; literal8 = "~{" number "}" CRLF *OCTET
    /// Reads `{n}` / `{n+}` / `~{n}` and the line break after it; returns `n`.
    private func literalPrefix() throws(IMAPError) -> Int {
        if try peek() == UInt8(ascii: "~") { advance() }
        try expect(UInt8(ascii: "{"))
        let count = try readNumber(limit: UInt64(Int32.max))
        if try peek() == UInt8(ascii: "+") { advance() }
        try expect(UInt8(ascii: "}"))
        try expectEndOfLine()
        return Int(count)
    }

    private func skipLiteralBytes(_ count: Int) throws(IMAPError) {
        var remaining = count
        while remaining > 0 {
            if start == end { try fill() }
            let chunk = min(remaining, end - start)
            start += chunk
            remaining -= chunk
        }
    }

    /// Skips one value: a parenthesized list (nested, with strings and literals inside), a string, or an atom.
    private func skipValue() throws(IMAPError) {
        let first = try peek()
        if first != UInt8(ascii: "(") && first != UInt8(ascii: "\"") && first != UInt8(ascii: "{")
            && first != UInt8(ascii: "~")
        {
            // An atom or number: up to SP, ")" or the end of the line.
            while true {
                let byte = try peek()
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: "\r")
                    || byte == UInt8(ascii: "\n")
                {
                    return
                }
                advance()
            }
        }
        var depth = 0
        repeat {
            let byte = try peek()
            switch byte {
            case UInt8(ascii: "("):
                depth += 1
                advance()
            case UInt8(ascii: ")"):
                guard depth > 0 else { return }
                depth -= 1
                advance()
            case UInt8(ascii: "\""):
                try readNString(into: &scratch)
            case UInt8(ascii: "{"), UInt8(ascii: "~"):
                try skipLiteralBytes(try literalPrefix())
            case UInt8(ascii: " "):
                guard depth > 0 else { return }
                advance()
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                guard depth == 0 else { throw protocolError("a line break inside a parenthesized list") }
                return
            default:
                advance()
            }
        } while depth > 0
    }

    /// Skips through the matching `close` byte (the opening byte is next unless `opened`), minding quoted strings.
    ///
    /// Every FETCH response echoes its `BODY[HEADER.FIELDS (...)]` section, a few hundred bytes per message: when
    /// the buffer holds the closing byte with no quote or line break before it, it is found with `memchr` (a byte
    /// at a time was 4% of a sync's CPU); otherwise the bytes are read one by one.
    private func skipDelimited(close: UInt8, opened: Bool = false) throws(IMAPError) {
        if !opened { advance() }
        var quoted = false
        var escaped = false
        while true {
            if start == end { try fill() }
            var index = start
            let limit = end
            defer { start = index }
            if !quoted, !escaped {
                let buffer = UnsafeBufferPointer(start: UnsafePointer(storage), count: limit)
                let closing = ByteSearch.firstIndex(of: close, in: buffer, from: index, to: limit)
                if closing < limit,
                    ByteSearch.firstIndex(of: UInt8(ascii: "\""), in: buffer, from: index, to: closing) == closing,
                    ByteSearch.firstIndex(of: UInt8(ascii: "\r"), in: buffer, from: index, to: closing) == closing,
                    ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: buffer, from: index, to: closing) == closing
                {
                    index = closing + 1
                    return
                }
            }
            while index < limit {
                let byte = storage[index]
                index += 1
                if escaped {
                    escaped = false
                    continue
                }
                if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                    throw protocolError("a line break before \"\(Character(Unicode.Scalar(close)))\"")
                }
                if quoted {
                    if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        quoted = false
                    }
                } else if byte == UInt8(ascii: "\"") {
                    quoted = true
                } else if byte == close {
                    return
                }
            }
        }
    }

    /// Skips the rest of a response, including any literals that end its lines.
    func skipResponse() throws(IMAPError) {
        // Tracks whether the bytes just before a line break were "{digits}" or "{digits+}".
        var literalCount: UInt64?
        var inBraces = false
        var braceValue: UInt64 = 0
        var braceDigits = 0
        while true {
            let byte = try peek()
            advance()
            switch byte {
            case UInt8(ascii: "\n"):
                guard let count = literalCount else { return }
                try skipLiteralBytes(Int(count))
                literalCount = nil
            case UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "{"):
                inBraces = true
                braceValue = 0
                braceDigits = 0
                literalCount = nil
            case UInt8(ascii: "0")...UInt8(ascii: "9") where inBraces:
                braceValue = braceValue &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
                braceDigits += 1
                guard braceDigits <= 10, braceValue <= UInt64(Int32.max) else {
                    throw protocolError("a literal size that is too large")
                }
            case UInt8(ascii: "+") where inBraces && braceDigits > 0:
                continue
            case UInt8(ascii: "}") where inBraces && braceDigits > 0:
                inBraces = false
                literalCount = braceValue
            default:
                inBraces = false
                literalCount = nil
            }
        }
    }

    // MARK: - Tokens

    /// Reads atom characters (anything but SP, CTL, `(`, `)`, `{`, `"`, `[` and `]`/`stopAt`) into `output`.
    private func readAtom(into output: inout [UInt8], stopAt: UInt8 = UInt8(ascii: "[")) throws(IMAPError) {
        output.removeAll(keepingCapacity: true)
        while true {
            let byte = try peek()
            if byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
                || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "[")
                || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "<") || byte == stopAt
            {
                break
            }
            guard output.count < 256 else { throw protocolError("an atom longer than 256 bytes") }
            output.append(byte)
            advance()
        }
        guard !output.isEmpty else { throw unexpected(try peek(), "where an atom was expected") }
    }

    // number = 1*DIGIT ; nz-number / uniqueid / 32-bit
    private func readNumber() throws(IMAPError) -> UInt32 {
        UInt32(try readNumber(limit: UInt64(UInt32.max)))
    }

    private func readNumber(limit: UInt64) throws(IMAPError) -> UInt64 {
        var value: UInt64 = 0
        var digits = 0
        while true {
            let byte = try peek()
            guard Self.isDigit(byte) else { break }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            digits += 1
            guard value <= limit, digits <= 20 else { throw protocolError("a number over \(limit)") }
            advance()
        }
        guard digits > 0 else { throw unexpected(try peek(), "where a number was expected") }
        return value
    }

    private func expect(_ expected: UInt8) throws(IMAPError) {
        let byte = try peek()
        guard byte == expected else {
            throw unexpected(byte, "where \"\(Character(Unicode.Scalar(expected)))\" was expected")
        }
        advance()
    }

    /// CRLF (a bare LF is tolerated).
    private func expectEndOfLine() throws(IMAPError) {
        if try peek() == UInt8(ascii: "\r") { advance() }
        try expect(UInt8(ascii: "\n"))
    }

    // MARK: - Buffer

    @inline(__always)
    private func peek() throws(IMAPError) -> UInt8 {
        if start == end { try fill() }
        return storage[start]
    }

    /// Consumes the byte last returned by ``peek()``.
    @inline(__always)
    private func advance() { start += 1 }

    private func fill() throws(IMAPError) {
        start = 0
        end = 0
        end = try source.receive(into: storage, capacity: Self.bufferSize)
    }

    // MARK: - Helpers

    private static func status(_ atom: [UInt8]) -> IMAPStatus? {
        if equalsUppercased(atom, "OK") { return .ok }
        if equalsUppercased(atom, "NO") { return .no }
        if equalsUppercased(atom, "BAD") { return .bad }
        if equalsUppercased(atom, "BYE") { return .bye }
        if equalsUppercased(atom, "PREAUTH") { return .preauth }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// ASCII case-insensitive comparison with an upper-case literal.
    private static func equalsUppercased(_ bytes: [UInt8], _ upper: StaticString) -> Bool {
        guard bytes.count == upper.utf8CodeUnitCount else { return false }
        let pointer = upper.utf8Start
        for index in 0..<bytes.count {
            var byte = bytes[index]
            if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { byte -= 0x20 }
            if byte != pointer[index] { return false }
        }
        return true
    }

    private func protocolError(_ what: String) -> IMAPError {
        IMAPError(.protocolError, "the IMAP server sent \(what)")
    }

    private func unexpected(_ byte: UInt8, _ context: String) -> IMAPError {
        let shown =
            byte >= 0x21 && byte < 0x7F
            ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x\(String(byte, radix: 16))"
        return protocolError("\(shown) \(context)")
    }
}
