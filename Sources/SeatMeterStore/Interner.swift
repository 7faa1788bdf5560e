import GRDB

/// Address and display-name ids known to be committed: a cache in front of the `address` and `name` tables.
struct InternedIDs: Sendable {
    var addresses: [String: Int64] = [:]
    var names: [String: Int64] = [:]

    /// Starts a map over when it holds more than `limit` entries (memory stays flat on huge ledgers).
    mutating func trim(limit: Int) {
        if addresses.count > limit { addresses.removeAll(keepingCapacity: true) }
        if names.count > limit { names.removeAll(keepingCapacity: true) }
    }

    func id(of value: String, in table: Interner.Table) -> Int64? {
        switch table {
        case .address: addresses[value]
        case .name: names[value]
        }
    }

    mutating func set(_ id: Int64?, for value: String, in table: Interner.Table) {
        switch table {
        case .address: addresses[value] = id
        case .name: names[value] = id
        }
    }

    /// Removes every entry of `other` (ids a rolled-back transaction handed out).
    mutating func forget(_ other: InternedIDs) {
        for address in other.addresses.keys { addresses[address] = nil }
        for name in other.names.keys { names[name] = nil }
    }
}

/// Looks up, and inserts when new, the ids of addresses and display names inside one ingest transaction.
struct Interner {
    enum Table { case address, name }

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
    mutating func id(address: String, cache: inout InternedIDs, added: inout InternedIDs) throws -> Int64 {
        try id(address, in: .address, cache: &cache, added: &added)
    }

    /// The `name.id` of a non-empty display name, inserted when new.
    mutating func id(name: String, cache: inout InternedIDs, added: inout InternedIDs) throws -> Int64 {
        try id(name, in: .name, cache: &cache, added: &added)
    }

    /// Deletes the rows inserted after the first `count` (interned for a message that turned out to be known,
    /// so nothing refers to them) and forgets their ids.
    mutating func removeInserted(since count: Int, cache: inout InternedIDs, added: inout InternedIDs) throws {
        guard inserted.count > count else { return }
        for row in inserted[count...] {
            let delete = row.table == .address ? deleteAddress : deleteName
            try delete.bind(row.id, at: 1)
            try delete.execute()
            cache.set(nil, for: row.value, in: row.table)
            added.set(nil, for: row.value, in: row.table)
        }
        inserted.removeSubrange(count...)
    }

    private mutating func id(
        _ value: String, in table: Table, cache: inout InternedIDs, added: inout InternedIDs
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
        added.set(id, for: value, in: table)
        return id
    }
}
