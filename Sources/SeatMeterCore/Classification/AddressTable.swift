/// An open-addressing hash table from an address *as written* (its UTF-8 bytes) to a small integer, for the
/// classifier's hot loop: a million messages carry several million address appearances, and hashing them with
/// `Dictionary<String, _>` (SipHash, retain/release of each string) dominated the run. A sync's ingest encoder uses
/// it too, for its dictionary of addresses and display names.
///
/// Keys are compared byte for byte. Two canonically equivalent but differently encoded spellings get two entries;
/// that is harmless here because every entry is resolved to an identity, and identities are merged by `String`
/// equality afterwards (and it is how SQLite's `UNIQUE` columns compare text).
package struct AddressTable: Sendable {
    /// Per slot: 0 when empty, else `(entry + 1) << 32 | the hash's high 32 bits`; the capacity is a power of
    /// two, at most half full. The tag rejects almost every mismatch without touching the entries.
    private var slots: [UInt64]
    /// Per entry: where its bytes start in ``arena`` and how many there are.
    private var spans: [(start: Int32, count: Int32)] = []
    private var hashes: [UInt64] = []
    private var arena: [UInt8] = []
    private var mask: Int

    package init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    package var count: Int { spans.count }

    /// The index of `bytes` (inserting it when new; `inserted` tells which).
    package mutating func index(of bytes: UnsafeBufferPointer<UInt8>) -> (index: Int32, inserted: Bool) {
        let hash = Self.hash(bytes)
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = slots[slot]
            if stored == 0 { break }
            if stored & 0xFFFF_FFFF == tag {
                let entry = Int(stored >> 32) - 1
                if equal(entry, bytes) { return (Int32(entry), false) }
            }
            slot = (slot + 1) & mask
        }
        let entry = spans.count
        hashes.append(hash)
        spans.append((Int32(arena.count), Int32(bytes.count)))
        arena.append(contentsOf: bytes)
        slots[slot] = UInt64(entry + 1) << 32 | tag
        if spans.count * 2 > slots.count { grow() }
        return (Int32(entry), true)
    }

    /// The index of `string`'s UTF-8 bytes.
    package mutating func index(of string: String) -> (index: Int32, inserted: Bool) {
        Self.withUTF8(string) { index(of: $0) }
    }

    /// Calls `body` with `string`'s UTF-8 bytes (in place for a native string).
    private static func withUTF8<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = string
        return copy.withUTF8(body)
    }

    private func equal(_ entry: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let span = spans[entry]
        guard Int(span.count) == bytes.count else { return false }
        guard let given = bytes.baseAddress else { return true }
        return arena.withUnsafeBytes { stored in
            guard let base = stored.baseAddress else { return false }
            let start = Int(span.start)
            let other = UnsafeRawPointer(given)
            var offset = 0
            while offset + 8 <= bytes.count {
                if base.loadUnaligned(fromByteOffset: start + offset, as: UInt64.self)
                    != other.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                {
                    return false
                }
                offset += 8
            }
            while offset < bytes.count {
                if base.load(fromByteOffset: start + offset, as: UInt8.self) != given[offset] { return false }
                offset += 1
            }
            return true
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        for entry in hashes.indices {
            var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt64(entry + 1) << 32 | hashes[entry] >> 32
        }
    }

    /// A fast 64-bit hash over 8-byte words with a murmur finalizer (not cryptographic: the table only caches
    /// lookups, and a collision costs a byte comparison).
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
                h = (h << 31) | (h >> 33)
                index += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count {
                tail |= UInt64(base[index]) << shift
                shift += 8
                index += 1
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
