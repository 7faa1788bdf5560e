/// Bounds on a header block: mail headers are hostile input. Each violation becomes a defect, never a crash.
///
/// The defaults are far above real mail (a 300 KB block with thousands of recipients parses in full) and keep the
/// work bounded for anything larger.
package struct HeaderLimits: Sendable, Hashable {
    /// Fields after this many are ignored.
    package var maxFieldCount: Int
    /// A field with a physical line longer than this is dropped.
    package var maxLineLength: Int
    /// Bytes of the header block after this many are ignored.
    package var maxBlockSize: Int

    package init(maxFieldCount: Int = 1_000, maxLineLength: Int = 1 << 20, maxBlockSize: Int = 4 << 20) {
        self.maxFieldCount = maxFieldCount
        self.maxLineLength = maxLineLength
        self.maxBlockSize = maxBlockSize
    }

    package static let `default` = HeaderLimits()
}
