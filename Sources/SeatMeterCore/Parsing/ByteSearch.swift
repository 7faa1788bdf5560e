#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fast byte search (libc `memchr`, vectorised) for the hot loops of the header scanner and the IMAP reader.
package enum ByteSearch {
    /// The index of the first `byte` in `buffer[start..<end]`, or `end` when there is none.
    @inline(__always)
    package static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        guard start < end, let base = buffer.baseAddress else { return end }
        guard let found = memchr(base + start, Int32(byte), end - start) else { return end }
        return UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
    }

    /// Index of the first byte at or after `index` that is neither white space (SP, HTAB, CR, LF) nor inside a
    /// comment (`(...)`, nested, `\` escapes): RFC 5322 CFWS, read leniently.
    static func skipCFWS(_ value: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        while index < value.count {
            let byte = value[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                index += 1
            } else if byte == UInt8(ascii: "(") {
                var depth = 0
                while index < value.count {
                    let byte = value[index]
                    if byte == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if byte == UInt8(ascii: "(") { depth += 1 }
                    if byte == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    index += 1
                }
                index += 1
            } else {
                break
            }
        }
        return min(index, value.count)
    }
}
