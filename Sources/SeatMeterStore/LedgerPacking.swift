import SeatMeterCore

/// The packed columns of a `message` row (schema "v2-packed-appearances"): its address appearances and the
/// folders it was seen in, each one BLOB instead of one row per item.
///
/// - `appearances`: varint count, then per appearance, in header order, `varint(addressId << 4 | fieldCode)`
///   and `varint(nameId)`, where `addressId` is an `address.id`, `fieldCode` is ``fieldCode(_:)`` and
///   `nameId` is a `name.id` (0: no display name).
/// - `folders`: the distinct `folder.id`s the message was seen in, ascending (the order the ledger first met
///   each folder), as varints.
///
/// Varints are unsigned LEB128: 7 bits per byte, least significant group first, high bit set on all but the
/// last byte.
enum LedgerPacking {
    // MARK: - Field codes (stored: never renumber, only add)

    static func fieldCode(_ field: AddressField) -> UInt64 {
        switch field {
        case .from: 0
        case .sender: 1
        case .replyTo: 2
        case .to: 3
        case .cc: 4
        case .bcc: 5
        case .resentFrom: 6
        case .resentSender: 7
        case .resentTo: 8
        case .resentCc: 9
        }
    }

    /// Field code → field; nil for a code no version of SeatMeter wrote.
    static let fields: [AddressField?] = {
        var table = [AddressField?](repeating: nil, count: 16)
        for field in AddressField.allCases { table[Int(fieldCode(field))] = field }
        return table
    }()

    // MARK: - Encoding

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Appends one appearance to an `appearances` BLOB (after its count).
    static func appendAppearance(addressID: Int64, field: AddressField, nameID: Int64, to bytes: inout [UInt8]) {
        appendVarint(UInt64(bitPattern: addressID) << 4 | fieldCode(field), to: &bytes)
        appendVarint(UInt64(bitPattern: nameID), to: &bytes)
    }

    /// The `folders` BLOB of a sorted, duplicate-free list of folder ids.
    static func folders(_ ids: [Int64]) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids { appendVarint(UInt64(bitPattern: id), to: &bytes) }
        return bytes
    }

    /// Decodes a `folders` BLOB; nil when it is malformed.
    static func folderIDs(_ bytes: UnsafeRawBufferPointer) -> [Int64]? {
        var reader = PackedReader(bytes)
        var ids: [Int64] = []
        while !reader.isAtEnd {
            guard let id = reader.varint() else { return nil }
            ids.append(Int64(bitPattern: id))
        }
        return ids
    }
}

/// Reads varints from a packed column in place.
struct PackedReader {
    private let base: UnsafePointer<UInt8>?
    private let count: Int
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        count = bytes.count
    }

    var isAtEnd: Bool { offset >= count }

    /// The next varint; nil when the bytes end inside one or it does not fit 64 bits.
    mutating func varint() -> UInt64? {
        guard let base else { return nil }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            let byte = base[offset]
            offset &+= 1
            if shift == 63, byte > 1 { return nil }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift &+= 7
            if shift > 63 { return nil }
        }
        return nil
    }
}
