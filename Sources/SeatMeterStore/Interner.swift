import GRDB
import SeatMeterCore

/// Resolves an ``IngestEncoder``'s dictionary indices to `address.id` and `name.id` inside one ingest transaction,
/// inserting the rows the ledger does not hold yet.
struct Interner {
    enum Table: Int { case address, name }

    private let selectAddress: RawStatement
    private let insertAddress: RawStatement
    private let deleteAddress: RawStatement
    private let selectName: RawStatement
    private let insertName: RawStatement
    private let deleteName: RawStatement
    /// Rows this transaction inserted, in order.
    private(set) var inserted: [(table: Table, index: Int32, id: Int64)] = []

    init(db: Database) throws {
        selectAddress = try RawStatement(cached: db, sql: "SELECT id FROM address WHERE address = ?")
        insertAddress = try RawStatement(cached: db, sql: "INSERT INTO address (address) VALUES (?)")
        deleteAddress = try RawStatement(cached: db, sql: "DELETE FROM address WHERE id = ?")
        selectName = try RawStatement(cached: db, sql: "SELECT id FROM name WHERE name = ?")
        insertName = try RawStatement(cached: db, sql: "INSERT INTO name (name) VALUES (?)")
        deleteName = try RawStatement(cached: db, sql: "DELETE FROM name WHERE id = ?")
    }

    /// The row id of dictionary entry `index` of `table`, inserted when new. `resolved` collects the entries this
    /// transaction resolved, to be forgotten again if it fails.
    @inline(__always)
    mutating func id(
        _ index: Int32, in table: Table, ids: inout IngestIDs, resolved: inout [(table: Table, index: Int32)]
    ) throws -> Int64 {
        let known = ids.ids[table.rawValue][Int(index)]
        if known != 0 { return known }
        return try resolve(index, in: table, ids: &ids, resolved: &resolved)
    }

    /// Deletes the rows inserted after the first `count` (interned for a message that turned out to be known,
    /// so nothing refers to them) and forgets their ids.
    mutating func removeInserted(since count: Int, ids: inout IngestIDs) throws {
        guard inserted.count > count else { return }
        for row in inserted[count...] {
            let delete = row.table == .address ? deleteAddress : deleteName
            try delete.bind(row.id, at: 1)
            try delete.execute()
            ids.ids[row.table.rawValue][Int(row.index)] = 0
        }
        inserted.removeSubrange(count...)
    }

    private mutating func resolve(
        _ index: Int32, in table: Table, ids: inout IngestIDs, resolved: inout [(table: Table, index: Int32)]
    ) throws -> Int64 {
        let value = ids.values[table.rawValue][Int(index)]
        let (select, insert) = table == .address ? (selectAddress, insertAddress) : (selectName, insertName)
        try select.bind(value, at: 1)
        let id: Int64
        if let stored = try select.int64Value() {
            id = stored
        } else {
            try insert.bind(value, at: 1)
            try insert.execute()
            id = insert.lastInsertedRowID
            inserted.append((table, index, id))
        }
        ids.ids[table.rawValue][Int(index)] = id
        resolved.append((table, index))
        return id
    }
}
