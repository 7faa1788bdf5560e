/// An open-addressing hash table from an address *as written* (its UTF-8 bytes) to a small integer, for the
/// classifier's hot loop: a million messages carry several million address appearances, and hashing them with
/// `Dictionary<String, _>` (SipHash, retain/release of each string) dominated the run. A sync's ingest encoder uses
/// it too, for its dictionary of addresses and display names.
///
/// Keys are compared byte for byte. Two canonically equivalent but differently encoded spellings get two entries;
/// that is harmless here because every entry is resolved to an identity, and identities are merged by `String`
/// equality afterwards (and it is how SQLite's `UNIQUE` columns compare text).
package struct AddressTable: Sendable {
    /// One slot of the open-addressing table: what a lookup needs, so that it reads the slot and then the key's
    /// bytes, two places in memory (a sync's encoder mostly misses the cache on both: the table is rarely hot
    /// between two messages).
    private struct Slot {
        /// The entry's index + 1; 0 for an empty slot.
        var entry: UInt32 = 0
        /// The hash's high 32 bits: rejects almost every mismatch without touching the bytes.
        var tag: UInt32 = 0
        /// Where the entry's bytes are in ``arena``.
        var start: UInt32 = 0
        var count: UInt32 = 0
    }

    /// The capacity is a power of two, at most half full.
    private var slots: [Slot]
    /// Per entry, its hash (to place it again when the table grows).
    private var hashes: [UInt64] = []
    private var arena: [UInt8] = []
    private var mask: Int

    package init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
    }

    package var count: Int { hashes.count }

    /// The index of `bytes` (inserting it when new; `inserted` tells which).
    package mutating func index(of bytes: UnsafeBufferPointer<UInt8>) -> (index: Int32, inserted: Bool) {
        let hash = Self.hash(bytes)
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        var slot = Int(truncatingIfNeeded: hash) & mask
        let found: Int32? = slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBytes { arena in
                while true {
                    let stored = slots[slot]
                    if stored.entry == 0 { return nil }
                    if stored.tag == tag, Int(stored.count) == bytes.count,
                        Self.equal(arena, Int(stored.start), bytes)
                    {
                        return Int32(stored.entry - 1)
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        if let found { return (found, false) }
        let entry = hashes.count
        hashes.append(hash)
        slots[slot] = Slot(
            entry: UInt32(entry + 1), tag: tag, start: UInt32(arena.count), count: UInt32(bytes.count))
        arena.append(contentsOf: bytes)
        if hashes.count * 2 > slots.count { grow() }
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

    /// Whether the `bytes.count` bytes of `arena` at `start` are `bytes`.
    static func equal(_ arena: UnsafeRawBufferPointer, _ start: Int, _ bytes: UnsafeBufferPointer<UInt8>)
        -> Bool
    {
        guard let given = bytes.baseAddress else { return true }
        guard let base = arena.baseAddress else { return false }
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

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
        for stored in old where stored.entry != 0 {
            var slot = Int(truncatingIfNeeded: hashes[Int(stored.entry - 1)]) & mask
            while slots[slot].entry != 0 { slot = (slot + 1) & mask }
            slots[slot] = stored
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
