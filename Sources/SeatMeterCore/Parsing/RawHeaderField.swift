/// One header field of a block, as byte ranges into the block: the name, and the raw value after the colon
/// (folded, without the final line end). Values stay bytes until a decoding step.
struct RawHeaderField {
    var nameStart: Int
    var nameEnd: Int
    var valueStart: Int
    var valueEnd: Int

    /// Splits a header block (or the header block at the start of a whole message) into fields, with
    /// ``Scanner``'s defects.
    static func scan(
        _ block: UnsafeBufferPointer<UInt8>, limits: HeaderLimits, defects: inout [String]
    ) -> [RawHeaderField] {
        var fields: [RawHeaderField] = []
        var scanner = Scanner(block, limits: limits)
        while let field = scanner.next() { fields.append(field) }
        defects.append(contentsOf: scanner.defects)
        return fields
    }

    /// Reads the fields of a header block one at a time (so the parser needs no list of them).
    ///
    /// Lines end with CRLF or a bare LF; a line starting with white space continues the previous field; the first
    /// empty line ends the block (see ``headerBlockLength(_:)``), so the block need not be cut out first. An mbox
    /// `From ` line at the very start is skipped. Tolerated: 8-bit bytes in values, white space before the colon
    /// (`obs-optional`, RFC 5322 §4.5). Lines that are neither a field nor a continuation are skipped with a
    /// defect; limits cut the block, a field or the field list with a defect (``defects``, once ``next()`` has
    /// returned nil).
    struct Scanner {
        private let block: UnsafeBufferPointer<UInt8>
        private let limits: HeaderLimits
        /// The end of what is read: the block size limit, or the end of `block`.
        private let count: Int
        private let limited: Bool
        private var lineStart = 0
        private var current: RawHeaderField?
        private var currentDropped = false
        private var emitted = 0
        private var stopped = false
        private var reachedEnd = false
        private var malformed = false
        private var orphan = false
        private var tooMany = false
        private var tooLong = false

        init(_ block: UnsafeBufferPointer<UInt8>, limits: HeaderLimits) {
            self.block = block
            self.limits = limits
            limited = block.count > limits.maxBlockSize
            count = limited ? max(limits.maxBlockSize, 0) : block.count
        }

        /// The empty line that ends the block (as ``headerBlockLength(_:)`` finds it) starts at `index`.
        @inline(__always)
        private func isEmptyLine(at index: Int) -> Bool {
            guard index < block.count else { return false }
            return block[index] == 0x0A
                || (block[index] == 0x0D && index + 1 < block.count && block[index + 1] == 0x0A)
        }

        /// The field read so far, if it is to be returned (not dropped, within the field count limit).
        private mutating func takeCurrent() -> RawHeaderField? {
            guard let field = current else { return nil }
            current = nil
            if currentDropped { return nil }
            if emitted >= limits.maxFieldCount {
                tooMany = true
                return nil
            }
            emitted += 1
            return field
        }

        /// The next field, or nil at the end of the block.
        mutating func next() -> RawHeaderField? {
            while !stopped, lineStart < count {
                if isEmptyLine(at: lineStart) {
                    reachedEnd = true
                    stopped = true
                    break
                }
                let lineEnd = ByteSearch.firstIndex(of: 0x0A, in: block, from: lineStart, to: count)
                var contentEnd = lineEnd
                if contentEnd > lineStart, block[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                let next = lineEnd + 1
                if contentEnd == lineStart {
                    stopped = true
                    break
                }
                let first = block[lineStart]
                if first == 0x20 || first == 0x09 {
                    if current != nil {
                        current?.valueEnd = contentEnd
                        if contentEnd - lineStart > limits.maxLineLength {
                            currentDropped = true
                            tooLong = true
                        }
                    } else {
                        orphan = true
                    }
                    lineStart = next
                    continue
                }
                let completed = takeCurrent()
                if lineStart == 0, contentEnd >= 5, block[0] == UInt8(ascii: "F"), block[1] == UInt8(ascii: "r"),
                    block[2] == UInt8(ascii: "o"), block[3] == UInt8(ascii: "m"), block[4] == 0x20
                {
                    // An mbox "From " separator line before the first field (RFC 4155): not a field, not a defect.
                    lineStart = next
                    continue
                }
                var cursor = lineStart
                while cursor < contentEnd {
                    let byte = block[cursor]
                    if byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: ":") { break }
                    cursor += 1
                }
                let nameEnd = cursor
                while cursor < contentEnd, block[cursor] == 0x20 || block[cursor] == 0x09 { cursor += 1 }
                if nameEnd > lineStart, cursor < contentEnd, block[cursor] == UInt8(ascii: ":") {
                    current = RawHeaderField(
                        nameStart: lineStart, nameEnd: nameEnd, valueStart: cursor + 1, valueEnd: contentEnd)
                    currentDropped = contentEnd - lineStart > limits.maxLineLength
                    if currentDropped { tooLong = true }
                } else {
                    malformed = true
                    current = nil
                }
                lineStart = next
                if let completed { return completed }
            }
            stopped = true
            return takeCurrent()
        }

        /// What the scan found wrong, in a fixed order; complete once ``next()`` has returned nil.
        var defects: [String] {
            var defects: [String] = []
            if limited, !reachedEnd, !(lineStart == count && isEmptyLine(at: count)) {
                defects.append("header block larger than \(limits.maxBlockSize) bytes; the rest was ignored")
            }
            if malformed { defects.append("malformed header lines ignored") }
            if orphan { defects.append("continuation lines without a field ignored") }
            if tooLong { defects.append("header line longer than \(limits.maxLineLength) bytes; field dropped") }
            if tooMany { defects.append("more than \(limits.maxFieldCount) header fields; the rest was ignored") }
            return defects
        }
    }

    /// The length of the header block at the start of `message`: up to and including the line end before the
    /// first empty line (CRLF or LF), or all of it when there is none.
    static func headerBlockLength(_ message: UnsafeBufferPointer<UInt8>) -> Int {
        let count = message.count
        if count > 0, message[0] == 0x0A { return 0 }
        if count > 1, message[0] == 0x0D, message[1] == 0x0A { return 0 }
        var index = ByteSearch.firstIndex(of: 0x0A, in: message, from: 0, to: count)
        while index < count {
            let next = index + 1
            if next < count {
                if message[next] == 0x0A { return next }
                if message[next] == 0x0D, next + 1 < count, message[next + 1] == 0x0A { return next }
            }
            index = ByteSearch.firstIndex(of: 0x0A, in: message, from: next, to: count)
        }
        return count
    }
}
