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
        if let cached = cache.addresses[address] { return cached }
        let id = try lookUp(address, table: .address, select: selectAddress, insert: insertAddress)
        cache.addresses[address] = id
        added.addresses[address] = id
        return id
    }

    /// The `name.id` of a non-empty display name, inserted when new.
    mutating func id(name: String, cache: inout InternedIDs, added: inout InternedIDs) throws -> Int64 {
        if let cached = cache.names[name] { return cached }
        let id = try lookUp(name, table: .name, select: selectName, insert: insertName)
        cache.names[name] = id
        added.names[name] = id
        return id
    }

    /// Deletes the rows inserted after the first `count` (interned for a message that turned out to be known,
    /// so nothing refers to them) and forgets their ids.
    mutating func removeInserted(since count: Int, cache: inout InternedIDs, added: inout InternedIDs) throws {
        guard inserted.count > count else { return }
        for row in inserted[count...] {
            switch row.table {
            case .address:
                try deleteAddress.bind(row.id, at: 1)
                try deleteAddress.execute()
                cache.addresses[row.value] = nil
                added.addresses[row.value] = nil
            case .name:
                try deleteName.bind(row.id, at: 1)
                try deleteName.execute()
                cache.names[row.value] = nil
                added.names[row.value] = nil
            }
        }
        inserted.removeSubrange(count...)
    }

    private mutating func lookUp(
        _ value: String, table: Table, select: RawStatement, insert: RawStatement
    ) throws -> Int64 {
        try select.bind(value, at: 1)
        if let stored = try select.int64Value() { return stored }
        try insert.bind(value, at: 1)
        try insert.execute()
        let id = insert.lastInsertedRowID
        inserted.append((table, value, id))
        return id
    }
}
