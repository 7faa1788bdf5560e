import GRDB
import SeatMeterCore

/// Address and display-name ids known to be committed: a cache in front of the `address` and `name` tables.
///
/// Keyed by the values' UTF-8 bytes, as the tables' `UNIQUE` columns compare them (a `Dictionary<String, _>` would
/// take two canonically equivalent spellings for one, and its hashing cost a tenth of the sync writer's time).
struct InternedIDs: Sendable {
    private var tables = [AddressTable(), AddressTable()]
    /// Per table, entry → id; 0 for a value forgotten again (ids are rowids, never 0).
    private var ids: [[Int64]] = [[], []]

    /// Starts a table over when it holds more than `limit` entries (memory stays flat on huge ledgers).
    mutating func trim(limit: Int) {
        for table in tables.indices where tables[table].count > limit {
            tables[table] = AddressTable()
            ids[table] = []
        }
    }

    func id(of value: String, in table: Interner.Table) -> Int64? {
        guard let entry = tables[table.rawValue].find(value) else { return nil }
        let id = ids[table.rawValue][Int(entry)]
        return id == 0 ? nil : id
    }

    mutating func set(_ id: Int64?, for value: String, in table: Interner.Table) {
        if id == nil, tables[table.rawValue].find(value) == nil { return }
        let entry = Int(tables[table.rawValue].index(of: value).index)
        if entry == ids[table.rawValue].count { ids[table.rawValue].append(0) }
        ids[table.rawValue][entry] = id ?? 0
    }

    /// Forgets `values` (ids a rolled-back transaction handed out).
    mutating func forget(_ values: [(table: Interner.Table, value: String)]) {
        for (table, value) in values { set(nil, for: value, in: table) }
    }
}

/// Looks up, and inserts when new, the ids of addresses and display names inside one ingest transaction.
struct Interner {
    enum Table: Int { case address, name }

    private let selectAddress: RawStatement
    private let insertAddress: RawStatement
    private let deleteAddress: RawStatement
    private let selectName: RawStatement
    private let insertName: RawStatement
    private let deleteName: RawStatement
    /// Rows this transaction inserted, in order.
    private(set) var inserted: [(table: Table, value: String, id: Int64)] = []

    init(db: Database) throws {
        selectAddress = try RawStatement(db, sql: "SELECT id FROM address WHERE address = ?")
        insertAddress = try RawStatement(db, sql: "INSERT INTO address (address) VALUES (?)")
        deleteAddress = try RawStatement(db, sql: "DELETE FROM address WHERE id = ?")
        selectName = try RawStatement(db, sql: "SELECT id FROM name WHERE name = ?")
        insertName = try RawStatement(db, sql: "INSERT INTO name (name) VALUES (?)")
        deleteName = try RawStatement(db, sql: "DELETE FROM name WHERE id = ?")
    }

    /// The `address.id` of `address`, inserted when new. `added` collects what this transaction put in `cache`.
    mutating func id(address: String, cache: inout InternedIDs, added: inout [(table: Table, value: String)]) throws
        -> Int64
    {
        try id(address, in: .address, cache: &cache, added: &added)
    }

    /// The `name.id` of a non-empty display name, inserted when new.
    mutating func id(name: String, cache: inout InternedIDs, added: inout [(table: Table, value: String)]) throws
        -> Int64
    {
        try id(name, in: .name, cache: &cache, added: &added)
    }

    /// Deletes the rows inserted after the first `count` (interned for a message that turned out to be known,
    /// so nothing refers to them) and forgets their ids.
    mutating func removeInserted(since count: Int, cache: inout InternedIDs) throws {
        guard inserted.count > count else { return }
        for row in inserted[count...] {
            let delete = row.table == .address ? deleteAddress : deleteName
            try delete.bind(row.id, at: 1)
            try delete.execute()
            cache.set(nil, for: row.value, in: row.table)
        }
        inserted.removeSubrange(count...)
    }

    private mutating func id(
        _ value: String, in table: Table, cache: inout InternedIDs, added: inout [(table: Table, value: String)]
    ) throws -> Int64 {
        if let cached = cache.id(of: value, in: table) { return cached }
        let (select, insert) = table == .address ? (selectAddress, insertAddress) : (selectName, insertName)
        try select.bind(value, at: 1)
        let id: Int64
        if let stored = try select.int64Value() {
            id = stored
        } else {
            try insert.bind(value, at: 1)
            try insert.execute()
            id = insert.lastInsertedRowID
            inserted.append((table, value, id))
        }
        cache.set(id, for: value, in: table)
        added.append((table, value))
        return id
    }
}
