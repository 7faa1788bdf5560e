import Foundation
import GRDB
import SeatMeterCore

extension Ledger {
    /// One ordered scan of the message table: each row carries its appearances and folders (packed), so no
    /// join and no per-message query; addresses, names and folders are loaded once and shared.
    static func observations(from: Date?, to: Date?, in db: Database) throws -> [MessageObservation] {
        // Stored dates are whole seconds d: from <= d ⟺ ceil(from) <= d, and d < to ⟺ d < ceil(to).
        var conditions: [String] = []
        var bounds: [Int64] = []
        if from != nil || to != nil { conditions.append("date IS NOT NULL") }
        if let from {
            conditions.append("date >= ?")
            bounds.append(ceilSeconds(from))
        }
        if let to {
            conditions.append("date < ?")
            bounds.append(ceilSeconds(to))
        }
        let rows = try RawStatement(db, sql: observationsQuery(conditions: conditions))
        for (offset, bound) in bounds.enumerated() { try rows.bind(bound, at: Int32(offset + 1)) }
        defer { rows.reset() }

        var decoder = ObservationDecoder(
            addresses: try internedTable(sql: "SELECT id, address FROM address ORDER BY id", in: db),
            names: try internedTable(sql: "SELECT id, name FROM name ORDER BY id", in: db),
            folders: try folderTable(in: db)
        )
        var observations: [MessageObservation] = []
        while try rows.step() {
            observations.append(try decoder.observation(rows))
        }
        return observations
    }

    /// The observations query: `conditions` (on `date`, joined with AND) select a range. With a range it walks
    /// the date index (date, id); without, the message table (id). No sort either way.
    static func observationsQuery(conditions: [String]) -> String {
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return """
            SELECT id, messageID, digest, date, subject, automationReasons, appearances, folders
            FROM message \(filter) ORDER BY \(conditions.isEmpty ? "id" : "date, id")
            """
    }

    private static func ceilSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.up)
        if let exact = Int64(exactly: seconds) { return exact }
        return seconds < 0 ? Int64.min : Int64.max
    }

    /// Every row of an interned table (`address`, `name`) by id.
    private static func internedTable(sql: String, in db: Database) throws -> InternedTable {
        var table = InternedTable()
        let rows = try RawStatement(db, sql: sql)
        defer { rows.reset() }
        while try rows.step() {
            table.insert(id: rows.int64(0), value: rows.string(1))
        }
        return table
    }

    private static func folderTable(in db: Database) throws -> [Int64: FolderLocation] {
        var folders: [Int64: FolderLocation] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, account, name, role FROM folder") {
            let role: String = row[3]
            guard let folderRole = FolderRole(rawValue: role) else {
                throw DatabaseError(message: "unknown folder role \(role)")
            }
            folders[row[0]] = FolderLocation(account: row[1], folder: row[2], role: folderRole)
        }
        return folders
    }
}

/// Interned ids to strings: an array for the dense ids, a dictionary for any others.
private struct InternedTable {
    private var dense: [String?] = [nil]
    private var sparse: [Int64: String] = [:]

    mutating func insert(id: Int64, value: String) {
        if id == Int64(dense.count) {
            dense.append(value)
        } else if id >= 0, id < Int64(dense.count) {
            dense[Int(id)] = value
        } else {
            sparse[id] = value
        }
    }

    subscript(_ id: UInt64) -> String? {
        if id < UInt64(dense.count) { return dense[Int(id)] }
        return Int64(exactly: id).flatMap { sparse[$0] }
    }
}

/// Turns rows of `SELECT id, messageID, digest, date, subject, automationReasons, appearances, folders` into
/// observations. Strings that repeat (addresses, names, folder lists, automation reasons) are shared, not copied.
private struct ObservationDecoder {
    let addresses: InternedTable
    let names: InternedTable
    let folders: [Int64: FolderLocation]
    /// Folder lists by their packed bytes (up to 7), as a number: the few combinations repeat on every row.
    private var folderLists: [UInt64: [FolderLocation]] = [:]
    /// The automation reason lists met so far, by stored text (few distinct ones).
    private var reasonLists: [[UInt8]: [String]] = [:]
    private let fields = LedgerPacking.fields

    init(addresses: InternedTable, names: InternedTable, folders: [Int64: FolderLocation]) {
        self.addresses = addresses
        self.names = names
        self.folders = folders
    }

    mutating func observation(_ row: RawStatement) throws -> MessageObservation {
        let id = row.int64(0)
        let messageID = row.optionalString(1)
        let key: String
        if let messageID, !messageID.isEmpty {
            key = "mid:" + messageID
        } else {
            key = "sha256:" + row.string(2)
        }
        let date = row.optionalInt64(3).map { Date(timeIntervalSince1970: Double($0)) }
        let subject = row.optionalString(4)
        let reasons = self.reasons(row.bytes(5))
        let appearances = try self.appearances(row.bytes(6), message: id)
        let locations = try self.locations(row.bytes(7), message: id)
        return MessageObservation(
            key: key, messageID: messageID, date: date, subject: subject, locations: locations,
            appearances: appearances, automation: AutomationFacts(reasons: reasons))
    }

    private mutating func reasons(_ bytes: UnsafeRawBufferPointer) -> [String] {
        if bytes.isEmpty { return [] }
        let stored = [UInt8](bytes)
        if let known = reasonLists[stored] { return known }
        let reasons = splitLines(String(decoding: bytes, as: UTF8.self))
        if reasonLists.count < 1_024 { reasonLists[stored] = reasons }
        return reasons
    }

    private func appearances(_ bytes: UnsafeRawBufferPointer, message id: Int64) throws -> [AddressAppearance] {
        var reader = PackedReader(bytes)
        // Each appearance takes at least two bytes: a larger count is damage, not a reason to allocate.
        guard let count = reader.varint(), count <= UInt64(bytes.count / 2) else {
            throw DatabaseError(message: "malformed appearances in message \(id)")
        }
        return try [AddressAppearance](unsafeUninitializedCapacity: Int(count)) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            while initialized < Int(count) {
                guard let packed = reader.varint(), let nameID = reader.varint() else {
                    throw DatabaseError(message: "malformed appearances in message \(id)")
                }
                guard let field = fields[Int(packed & 0xF)] else {
                    throw DatabaseError(message: "unknown address field code \(packed & 0xF) in message \(id)")
                }
                guard let address = addresses[packed >> 4] else {
                    throw DatabaseError(message: "unknown address id \(packed >> 4) in message \(id)")
                }
                let name: String
                if nameID == 0 {
                    name = ""
                } else if let interned = names[nameID] {
                    name = interned
                } else {
                    throw DatabaseError(message: "unknown name id \(nameID) in message \(id)")
                }
                (base + initialized).initialize(
                    to: AddressAppearance(field: field, mailbox: Mailbox(name: name, address: address)))
                initialized += 1
            }
            guard reader.isAtEnd else { throw DatabaseError(message: "malformed appearances in message \(id)") }
        }
    }

    private mutating func locations(_ bytes: UnsafeRawBufferPointer, message id: Int64) throws -> [FolderLocation] {
        var number: UInt64?
        if bytes.count < 8 {
            var value = UInt64(bytes.count)
            for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index + 1)) }
            if let known = folderLists[value] { return known }
            number = value
        }
        guard let ids = LedgerPacking.folderIDs(bytes) else {
            throw DatabaseError(message: "malformed folders in message \(id)")
        }
        let list = try ids.map { folderID in
            guard let location = folders[folderID] else {
                throw DatabaseError(message: "unknown folder id \(folderID) in message \(id)")
            }
            return location
        }
        if let number { folderLists[number] = list }
        return list
    }
}
