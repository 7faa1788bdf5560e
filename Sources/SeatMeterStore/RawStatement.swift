import GRDB
import GRDBSQLite

/// A prepared statement driven through the SQLite C API, for the ledger's hot paths (ingest, observations):
/// it binds, steps and reads columns without GRDB's per-call argument boxing and row decoding.
///
/// GRDB prepares and owns the statement (`Database.makeStatement`, finalized when this value goes away, or the
/// connection's statement cache) and owns the connection; use it only inside the GRDB `read`/`write` closure that made
/// it. Text is bound and read with its exact UTF-8 length, so a string with a NUL byte round-trips.
struct RawStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private let connection: OpaquePointer?

    init(_ db: Database, sql: String) throws {
        try self.init(db, statement: db.makeStatement(sql: sql))
    }

    /// The connection's cached statement for `sql` (GRDB's statement cache): prepared once per connection instead of
    /// at every use. For statements run again and again, like the ingest's, which runs once per chunk of 1,000
    /// messages: preparing its dozen statements each time (SQLite compiling them; GRDB's authorizer watching alone was
    /// 2.7% of the writer's samples) cost a cold sync of 100,000 messages 40 ms of CPU (686 -> 646 ms, medians of
    /// 15). Bindings stay from one use to the next: bind every parameter before stepping.
    init(cached db: Database, sql: String) throws {
        try self.init(db, statement: db.cachedStatement(sql: sql))
    }

    private init(_ db: Database, statement: Statement) {
        self.statement = statement
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
    }

    // MARK: Binding (1-based indexes)

    func bind(_ value: Int64?, at index: Int32) throws {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    func bind(_ value: String?, at index: Int32) throws {
        guard var value else { return try check(sqlite3_bind_null(handle, index)) }
        try value.withUTF8 { try bind(text: UnsafeRawBufferPointer($0), at: index) }
    }

    /// Binds UTF-8 text (copied by SQLite); nil binds NULL, an empty buffer the empty string.
    func bind(text bytes: UnsafeRawBufferPointer?, at index: Int32) throws {
        try bind(text: bytes, at: index, destructor: Self.transient)
    }

    /// Binds a BLOB (copied by SQLite). An empty buffer binds an empty BLOB, never NULL.
    func bind(blob bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        try bind(blob: bytes, at: index, destructor: Self.transient)
    }

    /// Binds UTF-8 text that SQLite reads in place (`SQLITE_STATIC`) instead of copying it: the bytes must stay
    /// valid and unchanged until the statement has been stepped and reset, and the parameter must be bound again
    /// before any later step. For the ingest loop, where SQLite's copy was a `malloc`, a copy and a `free` per
    /// value (each bind releases the previous value's buffer).
    func bind(borrowedText bytes: UnsafeRawBufferPointer?, at index: Int32) throws {
        try bind(text: bytes, at: index, destructor: nil)
    }

    /// Binds a BLOB that SQLite reads in place, with the contract of ``bind(borrowedText:at:)``.
    func bind(borrowedBlob bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        try bind(blob: bytes, at: index, destructor: nil)
    }

    /// `destructor`: ``transient`` (SQLite copies) or nil (`SQLITE_STATIC`: SQLite reads the caller's bytes).
    private func bind(text bytes: UnsafeRawBufferPointer?, at index: Int32, destructor: sqlite3_destructor_type?)
        throws
    {
        guard let bytes else { return try check(sqlite3_bind_null(handle, index)) }
        guard let count = Int32(exactly: bytes.count) else { return try check(SQLITE_TOOBIG) }
        // A nil base address (empty text) would bind NULL: point at a static empty C string instead.
        let text = bytes.baseAddress.flatMap { count > 0 ? $0 : nil } ?? UnsafeRawPointer(Self.empty.utf8Start)
        try check(sqlite3_bind_text(handle, index, text.assumingMemoryBound(to: CChar.self), count, destructor))
    }

    private func bind(blob bytes: UnsafeRawBufferPointer, at index: Int32, destructor: sqlite3_destructor_type?)
        throws
    {
        guard let count = Int32(exactly: bytes.count) else { return try check(SQLITE_TOOBIG) }
        guard let base = bytes.baseAddress, count > 0 else { return try check(sqlite3_bind_zeroblob(handle, index, 0)) }
        try check(sqlite3_bind_blob(handle, index, base, count, destructor))
    }

    func bind(blob bytes: [UInt8], at index: Int32) throws {
        try bytes.withUnsafeBytes { try bind(blob: $0, at: index) }
    }

    /// Binds column `column` of `source`'s current row as it is (its type and bytes, copied by SQLite).
    func bind(columnOf source: RawStatement, _ column: Int32, at index: Int32) throws {
        try check(sqlite3_bind_value(handle, index, sqlite3_column_value(source.handle, column)))
    }

    // MARK: Running

    /// Steps once: true when a row is available.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw error(code)
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func execute() throws {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Runs a query and returns its first row's first column, then resets it.
    func int64Value() throws -> Int64? {
        defer { sqlite3_reset(handle) }
        return try step() ? optionalInt64(0) : nil
    }

    func reset() {
        sqlite3_reset(handle)
    }

    /// Binds NULL to every parameter: a cached statement then keeps no pointer to borrowed bytes between two uses.
    func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    /// Rows changed by the connection's last INSERT, UPDATE or DELETE.
    var changes: Int32 { sqlite3_changes(connection) }

    /// The rowid of the connection's last successful INSERT.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(connection) }

    // MARK: Reading the current row (0-based columns)

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    func string(_ column: Int32) -> String {
        // sqlite3_column_text before sqlite3_column_bytes, as SQLite asks.
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's bytes (BLOB or TEXT), valid until the next step, reset or column read of this statement;
    /// empty for NULL.
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        // sqlite3_column_blob before sqlite3_column_bytes, as SQLite asks.
        guard let blob = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: blob, count: Int(sqlite3_column_bytes(handle, column)))
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func optionalString(_ column: Int32) -> String? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : string(column)
    }

    // MARK: Errors

    private func check(_ code: Int32) throws {
        if code != SQLITE_OK { throw error(code) }
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) },
            sql: statement.sql
        )
    }

    private static let empty: StaticString = ""
    /// `SQLITE_TRANSIENT`: SQLite copies the bound bytes (a C macro Swift cannot import).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
