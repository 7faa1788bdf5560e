import Testing

@testable import SeatMeterCore

@Suite("Address table")
struct AddressTableTests {
    /// `Dictionary` is the reference: the table must number keys exactly as it does, whatever their length (the
    /// comparison reads 8 bytes at a time, then the tail) and however often the table grows.
    @Test(arguments: [1, 1024])
    func numbersEveryKeyAsADictionaryWould(capacity: Int) {
        var generator = SeededGenerator(seed: 7)
        var table = AddressTable(capacity: capacity)
        var reference: [[UInt8]: Int32] = [:]
        // Keys of 0-40 bytes over a 3-letter alphabet: many share lengths, prefixes and all but their last byte.
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 41)
            let key = (0..<length).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 3) }
            let expected = reference[key]
            let (index, inserted) = key.withUnsafeBufferPointer { table.index(of: $0) }
            if let expected {
                #expect(index == expected && !inserted, "\(key)")
            } else {
                #expect(index == Int32(reference.count) && inserted, "\(key)")
                reference[key] = index
            }
        }
        #expect(table.count == reference.count)
        #expect(reference.count > 5_000)
        // After all the growing, every key still finds its first index.
        for (key, index) in reference {
            #expect(key.withUnsafeBufferPointer { table.index(of: $0) } == (index, false))
        }
        #expect(table.count == reference.count)
    }

    @Test func stringsAndBytesAreTheSameKeys() {
        var table = AddressTable()
        #expect(table.index(of: "alice@example.com") == (0, true))
        #expect(table.index(of: "") == (1, true))
        #expect(Array("alice@example.com".utf8).withUnsafeBufferPointer { table.index(of: $0) } == (0, false))
        #expect(table.index(of: "alice@example.co") == (2, true))
        #expect(table.index(of: "Alice@example.com") == (3, true))
        // Byte for byte: the composed and the decomposed é are two keys.
        #expect(table.index(of: "jos\u{E9}@example.com") == (4, true))
        #expect(table.index(of: "jose\u{301}@example.com") == (5, true))
        #expect(table.index(of: "") == (1, false))
        #expect(table.count == 6)
    }

    /// Keys whose hashes collide are told apart by their bytes: every length, every position of a difference, keys
    /// at any offset of the arena.
    @Test func bytesAreComparedWhole() {
        let arena = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        arena.withUnsafeBytes { stored in
            for start in 0..<10 {
                for length in 0...40 {
                    let key = Array(arena[start..<start + length])
                    #expect(key.withUnsafeBufferPointer { AddressTable.equal(stored, start, $0) })
                    for position in 0..<length {
                        var other = key
                        other[position] &+= 1
                        #expect(
                            !other.withUnsafeBufferPointer { AddressTable.equal(stored, start, $0) },
                            "start \(start), length \(length), difference at \(position)")
                    }
                }
            }
        }
    }
}
