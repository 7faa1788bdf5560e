/// What parsing many header blocks in a row can reuse: display names decoded from RFC 2047 encoded words (or from
/// quoted strings with 8-bit text), by their bytes as written. A mailbox's people recur from message to message, and
/// decoding a name (base64 or Q, then its charset) costs far more than finding it again: without this, a sync of
/// 100,000 messages spent about 25 ms (4.5% of its CPU samples) decoding the same few thousand names again and again;
/// with it, 2.3% went to the names, lookups included.
///
/// Decoding is a function of the bytes alone, so a cached name is the name decoding would give, defects included.
/// The cache holds at most `limit` names per kind and starts over when full. One cache per parsing thread: it is a
/// class for sharing between calls, not between threads.
package final class HeaderParseCache {
    /// Per kind (0: an unquoted phrase, 1: a quoted string): the bytes, and what they decoded to.
    private var keys = [AddressTable(), AddressTable()]
    private var names: [[DecodedText]] = [[], []]
    private let limit: Int

    package init(limit: Int = 8_192) {
        self.limit = max(limit, 1)
    }

    /// The decoded name for `bytes`: the cached one, else `decode()`'s, then cached.
    func name(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, decode: () -> DecodedText) -> DecodedText {
        let kind = quoted ? 1 : 0
        let (index, inserted) = keys[kind].index(of: bytes)
        if !inserted { return names[kind][Int(index)] }
        let decoded = decode()
        names[kind].append(decoded)
        if names[kind].count >= limit {
            keys[kind] = AddressTable()
            names[kind] = []
        }
        return decoded
    }

    /// The names cached, of both kinds (tests).
    var count: Int { names[0].count + names[1].count }
}
