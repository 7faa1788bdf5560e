/// RFC 5322 §2.2.3 unfolding.
enum HeaderUnfolding {
    /// Removes the line ends of a field value. Inside a field every line end is followed by white space (a line
    /// that is not starts a new field), so removing CR and LF bytes is exactly unfolding, for CRLF and bare LF.
    static func unfold(_ value: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        output.removeAll(keepingCapacity: true)
        output.reserveCapacity(value.count)
        for byte in value where byte != 0x0D && byte != 0x0A {
            output.append(byte)
        }
    }

    /// Whether `value` holds only white space and line ends.
    static func isBlank(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        value.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
    }

    /// `value` without leading and trailing white space (SP, HTAB).
    static func trimmed(_ value: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = value.count
        while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: value[start..<end])
    }

    /// `value` without leading and trailing white space (after unfolding).
    static func trimmed(_ value: [UInt8]) -> ArraySlice<UInt8> {
        var start = value.startIndex
        var end = value.endIndex
        while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
        return value[start..<end]
    }
}
