import Dispatch
package import Foundation
import GRDB
package import SeatMeterCore
import Synchronization

extension Ledger {
    /// Below this many messages a read is one scan on one connection; above, two halves are decoded at once.
    static let parallelReadMinimum = 20_000

    /// The messages of an observations read: a date range (or everything), as SQL conditions on `message`.
    struct Selection {
        var ranged: Bool
        var conditions: [String] = []
        var bounds: [Int64] = []

        init(from: Date?, to: Date?) {
            ranged = from != nil || to != nil
            // Stored dates are whole seconds d: from <= d ⟺ ceil(from) <= d, and d < to ⟺ d < ceil(to).
            if ranged { conditions.append("date IS NOT NULL") }
            if let from { add("date >= ?", from.ceilSeconds) }
            if let to { add("date < ?", to.ceilSeconds) }
        }

        mutating func add(_ condition: String, _ bound: Int64) {
            conditions.append(condition)
            bounds.append(bound)
        }

        func adding(_ condition: String, _ bound: Int64) -> Selection {
            var copy = self
            copy.add(condition, bound)
            return copy
        }

        var filter: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

        /// `sql` prepared with the selection's bounds bound in order.
        func prepare(_ sql: String, in db: Database) throws -> RawStatement {
            let statement = try RawStatement(db, sql: sql)
            for (offset, bound) in bounds.enumerated() { try statement.bind(bound, at: Int32(offset + 1)) }
            return statement
        }

        /// The observations scan: the table itself in id order (`NOT INDEXED`: each row read where it lies; the
        /// ledger has no date index since v5). Ingest order is close to date order, so a range is a short run of ids;
        /// ``Ledger/observations(from:to:parallelMinimum:)`` bounds the ids and sorts by date.
        var query: String {
            """
            SELECT id, messageID, digest, date, subject, automationReasons, appearances, folders
            FROM message NOT INDEXED \(filter) ORDER BY id
            """
        }

        /// `COUNT(*), MIN(id), MAX(id)` of the selection (a pass over the table for a range).
        var countQuery: String {
            "SELECT COUNT(*), MIN(id), MAX(id) FROM message \(filter)"
        }
    }

    /// Reads the selected observations: by date then id for a range, by id without one.
    ///
    /// The rows are read in id order between the smallest and largest id in the selection, then sorted by date
    /// if they are not in date order already. Everything is read in one read transaction (one snapshot: a
    /// concurrent sync's batches are seen whole or not at all). A large selection is cut in two at its middle
    /// id and the halves are read by two threads at once: their SQLite calls take turns on the one connection
    /// (each copies a chunk of rows out), and the decoding, most of the work, runs in parallel, straight into the
    /// result's storage.
    /// One part of a read: its rows, and where they go in the result.
    struct Half {
        var selection: Selection
        var start: Int
        var count: Int
    }

    /// Cuts `selection` into one part, or two at its middle id when it has at least `parallelMinimum` rows
    /// (empty when it has no rows).
    static func halves(of selection: Selection, parallelMinimum: Int, in db: Database) throws -> [Half] {
        guard let maxID = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM message") else { return [] }
        let known = selection.adding("id <= ?", maxID)
        let counter = try known.prepare(known.countQuery, in: db)
        defer { counter.reset() }
        guard try counter.step(), counter.int64(0) > 0 else { return [] }
        let total = Int(counter.int64(0))
        let (first, last) = (counter.int64(1), counter.int64(2))
        guard total >= max(2, parallelMinimum), last > first else {
            return [Half(selection: known.adding("id >= ?", first), start: 0, count: total)]
        }
        // Ids are dense, so the middle id cuts the selection close to its middle row.
        let cut = first + (last - first) / 2 + 1
        let lower = known.adding("id < ?", cut)
        let lowerCounter = try lower.prepare(lower.countQuery, in: db)
        defer { lowerCounter.reset() }
        let lowerCount = try lowerCounter.step() ? Int(lowerCounter.int64(0)) : 0
        return [
            Half(selection: lower.adding("id >= ?", first), start: 0, count: lowerCount),
            Half(selection: known.adding("id >= ?", cut), start: lowerCount, count: total - lowerCount),
        ]
    }

    /// Cuts the whole id range in one part, or two at its middle id when it holds at least `parallelMinimum` ids;
    /// each part's `count` is its number of ids (an upper bound of its rows). Unlike ``halves(of:parallelMinimum:in:)``
    /// nothing is counted: each part's scan filters by date itself. Scanning rows outside the selection cost about
    /// what counting the selection in the date index the ledger had until v5 did (both a pass over a million rows in
    /// about 0.1 s), and a report's selection is most of a ledger.
    static func idHalves(of selection: Selection, parallelMinimum: Int, in db: Database) throws -> [Half] {
        let bounds = try RawStatement(db, sql: idBoundsQuery)
        defer { bounds.reset() }
        guard try bounds.step(), !bounds.isNull(0) else { return [] }
        let (first, last) = (bounds.int64(0), bounds.int64(1))
        let ids = Int(clamping: last - first + 1)
        guard ids >= max(2, parallelMinimum) else {
            return [Half(selection: selection.adding("id >= ?", first).adding("id <= ?", last), start: 0, count: ids)]
        }
        let cut = first + (last - first) / 2 + 1
        return [
            Half(
                selection: selection.adding("id >= ?", first).adding("id < ?", cut), start: 0,
                count: Int(cut - first)),
            Half(
                selection: selection.adding("id >= ?", cut).adding("id <= ?", last), start: Int(cut - first),
                count: Int(last - cut + 1)),
        ]
    }

    /// The smallest and largest message id: two subqueries, each one B-tree descent. `SELECT MIN(id), MAX(id)` would
    /// scan the whole table (SQLite's min/max optimization takes a lone aggregate only): 0.09 s on a million messages.
    static let idBoundsQuery = "SELECT (SELECT MIN(id) FROM message), (SELECT MAX(id) FROM message)"

    func observations(from: Date?, to: Date?, parallelMinimum: Int) throws -> [MessageObservation] {
        let selection = Selection(from: from, to: to)
        var observations = try dbWriter.read { db -> [MessageObservation] in
            let halves = try Self.halves(of: selection, parallelMinimum: parallelMinimum, in: db)
            guard let total = halves.last.map({ $0.start + $0.count }) else { return [] }
            // Each half has its own statement and its own strings: observations share them (retained, not
            // copied), and two threads retaining the same objects would contend for their reference counts.
            let statements = try halves.map { try SharedStatement($0.selection.prepare($0.selection.query, in: db)) }
            defer { for statement in statements { statement.rows.reset() } }
            let decoders = try halves.map { _ in
                ObservationDecoder(
                    addresses: try Self.internedTable(sql: "SELECT id, address FROM address ORDER BY id", in: db),
                    names: try Self.internedTable(sql: "SELECT id, name FROM name ORDER BY id", in: db),
                    folders: try Self.folderTable(in: db))
            }
            // The connection is in SQLite's multi-thread mode: one thread at a time may call it.
            let connection = Mutex(())
            return try [MessageObservation](unsafeUninitializedCapacity: total) { buffer, initialized in
                let storage = SharedStorage(buffer: buffer)
                let results = HalfResults()
                DispatchQueue.concurrentPerform(iterations: halves.count) { index in
                    let half = halves[index]
                    let rows = statements[index].rows
                    var decoder = decoders[index]
                    var copied = CopiedRows()
                    var written = 0
                    do {
                        while written < half.count {
                            let loaded = try connection.withLock { _ in
                                try copied.load(rows, limit: half.count - written)
                            }
                            guard loaded > 0 else { break }
                            for row in 0..<loaded {
                                let observation = try copied.withRow(row) { try decoder.observation($0) }
                                storage.initialize(half.start + written, to: observation)
                                written += 1
                            }
                        }
                        let missing = written == half.count ? nil : DatabaseError(message: "ledger changed during a read")
                        results.finish(index, written: written, error: missing)
                    } catch {
                        results.finish(index, written: written, error: error)
                    }
                }
                if let error = results.firstError {
                    for (index, half) in halves.enumerated() {
                        storage.deinitialize(half.start, count: results.written(index))
                    }
                    throw error
                }
                initialized = total
            }
        }
        if selection.ranged { Self.sortByDate(&observations) }
        return observations
    }

    /// Sorts observations read in id order by date, keeping id order among equal dates; nothing to do (one
    /// pass) when ingest order was date order. Dates are all present in a ranged read.
    private static func sortByDate(_ observations: inout [MessageObservation]) {
        let dates = observations.map { $0.date?.timeIntervalSince1970 ?? -Double.infinity }
        guard zip(dates, dates.dropFirst()).contains(where: { $0 > $1 }) else { return }
        let order = dates.indices.sorted { dates[$0] < dates[$1] || (dates[$0] == dates[$1] && $0 < $1) }
        // Permute by moving (no copies): the old storage ends up uninitialized and is dropped as such.
        observations.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let moved = UnsafeMutablePointer<MessageObservation>.allocate(capacity: buffer.count)
            defer { moved.deallocate() }
            moved.moveInitialize(from: base, count: buffer.count)
            for (position, index) in order.enumerated() {
                (base + position).moveInitialize(from: moved + index, count: 1)
            }
        }
    }

    /// ``observations(from:to:)`` in compact form, for classification: the same messages, in storage order (the
    /// classifier orders them by date), with addresses and names numbered by their ids in the ledger.
    package func observationBatch(from: Date? = nil, to: Date? = nil) throws -> ObservationBatch {
        try observationBatch(from: from, to: to, parallelMinimum: Self.parallelReadMinimum)
    }

    /// The selected messages in compact form, by id (classification orders them by date); addresses and names
    /// are numbered by their ledger ids. One snapshot: a concurrent sync's batches are seen whole or not at all.
    ///
    /// A large selection is cut in two at its middle id and the halves are read at once, on two connections of
    /// the pool in one snapshot (``alignedBatchRead(_:parallelMinimum:in:betweenSnapshots:)``); when the two
    /// snapshots cannot be aligned (a commit keeps landing between them, or the ledger is in memory) the halves
    /// share one connection and take turns on it.
    func observationBatch(from: Date?, to: Date?, parallelMinimum: Int) throws -> ObservationBatch {
        try observationBatchRead(from: from, to: to, parallelMinimum: parallelMinimum).batch
    }

    /// ``observationBatch(from:to:parallelMinimum:)``, and whether its halves had a connection each (tests).
    /// `betweenSnapshots` runs after the first connection opened its snapshot, before the second opens its own.
    func observationBatchRead(
        from: Date?, to: Date?, parallelMinimum: Int, betweenSnapshots: @Sendable () -> Void = {}
    ) throws -> (batch: ObservationBatch, connections: Int) {
        let selection = Selection(from: from, to: to)
        if let pool = dbWriter as? DatabasePool {
            for _ in 0..<Self.alignmentAttempts {
                if let batch = try Self.alignedBatchRead(
                    selection, parallelMinimum: parallelMinimum, in: pool, betweenSnapshots: betweenSnapshots)
                {
                    return (batch, 2)
                }
            }
        }
        return (try sharedConnectionBatchRead(selection, parallelMinimum: parallelMinimum), 1)
    }

    /// Tries to align two snapshots this many times before the halves share one connection.
    static let alignmentAttempts = 3

    /// What both halves of a batch read need: the interned tables and the id ranges, read in one snapshot.
    struct BatchReadPlan: Sendable {
        var addresses: (values: [String], known: [Bool])
        var names: (values: [String], known: [Bool])
        var folders: [Int64: FolderLocation]
        var halves: [Half]

        init(_ selection: Selection, parallelMinimum: Int, in db: Database) throws {
            addresses = try Ledger.denseTable(sql: "SELECT id, address FROM address ORDER BY id", in: db)
            names = try Ledger.denseTable(sql: "SELECT id, name FROM name ORDER BY id", in: db)
            folders = try Ledger.folderTable(in: db)
            halves = try Ledger.idHalves(of: selection, parallelMinimum: parallelMinimum, in: db)
        }

        var empty: ObservationBatch { ObservationBatch(addresses: addresses.values, names: names.values) }

        /// Decodes half `index` from `rows`. On a connection of its own, each row is decoded where SQLite holds
        /// it; when the halves share one, `locked` runs SQLite calls under its lock, and rows are copied out a chunk
        /// at a time. The first half's arrays get room for everything: they become the result's.
        func decode(
            half index: Int, rows: RawStatement, locked: ((() throws -> Int) throws -> Int)? = nil
        ) throws -> ObservationBatch {
            var decoder = BatchDecoder(addresses: addresses.known, names: names, folders: folders)
            let room = index == 0 ? halves.reduce(0) { $0 + $1.count } : halves[index].count
            // About 75 bytes of Message-ID and subject per message: room for 128 spares the copies of a growing
            // buffer (the pages never written are never touched).
            decoder.batch.reserveCapacity(messages: room, appearances: room * 4, textBytes: room * 128)
            guard let locked else {
                while try rows.step() { try decoder.append(StatementRow(rows: rows)) }
                return decoder.batch
            }
            var copied = CopiedRows()
            // A short chunk is the last: stepping a finished statement again would restart it.
            var loaded = CopiedRows.chunk
            while loaded == CopiedRows.chunk {
                loaded = try locked { try copied.load(rows, limit: CopiedRows.chunk) }
                for row in 0..<loaded { try copied.withRow(row) { try decoder.append($0) } }
            }
            return decoder.batch
        }

        /// The decoded halves as one batch: the first half's arrays (no copy) with the rest appended.
        func combine(_ parts: [ObservationBatch]) -> ObservationBatch {
            guard var batch = parts.first else { return empty }
            batch.addresses = addresses.values
            batch.names = names.values
            for part in parts.dropFirst() { batch.append(part) }
            return batch
        }
    }

    /// Reads the two halves of a large selection at once, each on its own pool connection, both in one snapshot;
    /// nil when a commit landed while the snapshots were being opened (try again).
    ///
    /// SQLite (without `SQLITE_ENABLE_SNAPSHOT`) cannot hand one snapshot to two connections, so the second
    /// proves it opened the same one: it notes its `PRAGMA data_version` before the first connection opens its
    /// snapshot, and again once its own is open. The value changes when a read finds commits of other connections
    /// since the connection's previous read; equal values mean no commit landed between the two snapshots.
    static func alignedBatchRead(
        _ selection: Selection, parallelMinimum: Int, in pool: DatabasePool, betweenSnapshots: () -> Void = {}
    ) throws -> ObservationBatch? {
        let handshake = SnapshotHandshake()
        let second = Thread {
            defer { handshake.secondFinished() }
            do {
                try pool.unsafeRead { db in
                    let before = try dataVersion(db)
                    handshake.secondNotedVersion()
                    guard let plan = handshake.waitForPlan() else { return }
                    try db.inTransaction(.deferred) {
                        let aligned = try dataVersion(db) == before
                        handshake.publish(aligned: aligned && plan.halves.count == 2)
                        guard aligned, plan.halves.count == 2 else { return .commit }
                        let rows = try plan.halves[1].selection.prepare(plan.halves[1].selection.query, in: db)
                        defer { rows.reset() }
                        handshake.finishSecond(try plan.decode(half: 1, rows: rows))
                        return .commit
                    }
                }
            } catch {
                handshake.failSecond(error)
            }
        }
        second.start()
        defer { handshake.waitForSecond() }
        // Runs before the wait above, also when no connection could be had: the second thread stops waiting.
        defer { handshake.publish(plan: nil) }
        return try pool.unsafeRead { db -> ObservationBatch? in
            guard handshake.waitForSecondVersion() else { return nil }
            var result: ObservationBatch?
            try db.inTransaction(.deferred) {
                let plan: BatchReadPlan
                do {
                    plan = try BatchReadPlan(selection, parallelMinimum: parallelMinimum, in: db)
                } catch {
                    handshake.publish(plan: nil)
                    throw error
                }
                betweenSnapshots()
                handshake.publish(plan: plan)
                // One half (a small selection) needs no second connection: this snapshot is the read.
                guard plan.halves.count == 2 else {
                    if let half = plan.halves.first {
                        let rows = try half.selection.prepare(half.selection.query, in: db)
                        defer { rows.reset() }
                        result = plan.combine([try plan.decode(half: 0, rows: rows)])
                    } else {
                        result = plan.empty
                    }
                    return .commit
                }
                guard handshake.waitForAlignment() else { return .commit }
                let rows = try plan.halves[0].selection.prepare(plan.halves[0].selection.query, in: db)
                defer { rows.reset() }
                let first = try plan.decode(half: 0, rows: rows)
                result = plan.combine([first, try handshake.secondResult()])
                return .commit
            }
            return result
        }
    }

    /// `PRAGMA data_version` of a connection (see ``alignedBatchRead(_:parallelMinimum:in:betweenSnapshots:)``).
    private static func dataVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
    }

    /// Both halves on one connection and in one read transaction: their SQLite calls take turns (each copies a
    /// chunk of rows out under a lock) and their decoding runs in parallel.
    private func sharedConnectionBatchRead(_ selection: Selection, parallelMinimum: Int) throws -> ObservationBatch {
        try dbWriter.read { db -> ObservationBatch in
            let plan = try BatchReadPlan(selection, parallelMinimum: parallelMinimum, in: db)
            guard !plan.halves.isEmpty else { return plan.empty }
            let statements = try plan.halves.map {
                try SharedStatement($0.selection.prepare($0.selection.query, in: db))
            }
            defer { for statement in statements { statement.rows.reset() } }
            let connection = Mutex(())
            let results = ChunkedBatches(count: plan.halves.count)
            DispatchQueue.concurrentPerform(iterations: plan.halves.count) { index in
                do {
                    let part = try plan.decode(half: index, rows: statements[index].rows) { load in
                        try connection.withLock { _ in try load() }
                    }
                    results.finish(index, batch: part, error: nil)
                } catch {
                    results.finish(index, batch: nil, error: error)
                }
            }
            return plan.combine(try results.all())
        }
    }

    /// Every row of an interned table (`address`, `name`) as an array by id (ids are dense from 1), with which
    /// ids exist.
    static func denseTable(sql: String, in db: Database) throws -> (values: [String], known: [Bool]) {
        var values: [String] = [""]
        var known: [Bool] = [false]
        let rows = try RawStatement(db, sql: sql)
        defer { rows.reset() }
        while try rows.step() {
            let id = rows.int64(0)
            // Interned ids are rowids: dense unless rows were deleted; a wild one is damage.
            guard id > 0, id < 1 << 31 else { throw DatabaseError(message: "interned id \(id) out of range") }
            if Int(id) >= values.count {
                values.append(contentsOf: repeatElement("", count: Int(id) + 1 - values.count))
                known.append(contentsOf: repeatElement(false, count: Int(id) + 1 - known.count))
            }
            values[Int(id)] = rows.string(1)
            known[Int(id)] = true
        }
        return (values, known)
    }

    /// Every row of an interned table (`address`, `name`) by id.
    static func internedTable(sql: String, in db: Database) throws -> InternedTable {
        var table = InternedTable()
        let rows = try RawStatement(db, sql: sql)
        defer { rows.reset() }
        while try rows.step() {
            table.insert(id: rows.int64(0), value: rows.string(1))
        }
        return table
    }

    static func folderTable(in db: Database) throws -> [Int64: FolderLocation] {
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

extension Date {
    /// Whole unix seconds, rounded up; clamped for dates beyond `Int64`.
    fileprivate var ceilSeconds: Int64 {
        let seconds = timeIntervalSince1970.rounded(.up)
        if let exact = Int64(exactly: seconds) { return exact }
        return seconds < 0 ? Int64.min : Int64.max
    }
}

/// A statement read by one worker thread of a parallel read.
///
/// `@unchecked Sendable`: only the thread of its half steps it and reads its columns, and only while holding the
/// read's connection lock (the connection is in multi-thread mode); the read transaction that prepared it waits
/// for both halves before it resets the statement.
private struct SharedStatement: @unchecked Sendable {
    let rows: RawStatement

    init(_ rows: RawStatement) {
        self.rows = rows
    }
}

/// Rows of the observations query, copied out of SQLite in chunks so that they can be decoded without the
/// connection (and its lock).
///
/// Owns one growing buffer, reused for every chunk of its thread: copying a row is six `memcpy`s. A
/// noncopyable struct rather than a class: its fields are touched for every column of every row, and a local
/// struct needs no dynamic exclusivity checks.
private struct CopiedRows: ~Copyable {
    /// The columns copied as bytes (text and blobs): messageID, digest, subject, automationReasons, appearances,
    /// folders; each row has `columns` span slots, indexed by column number.
    private static let byteColumns: [Bool] = [false, true, true, false, true, true, true, true]
    private static let columns = 8
    /// Rows per chunk: the connection lock is taken once per chunk.
    static let chunk = 64
    private(set) var count = 0
    private var ids: [Int64] = []
    private var dates: [Int64?] = []
    private var buffer: UnsafeMutableRawPointer
    private var capacity = 64 * 1_024
    /// Row × column → (offset in `buffer`, byte count), count -1 for NULL.
    private var spans: [(offset: Int, count: Int)] = []

    init() {
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        ids.reserveCapacity(Self.chunk)
        dates.reserveCapacity(Self.chunk)
        spans.reserveCapacity(Self.chunk * Self.columns)
    }

    deinit {
        buffer.deallocate()
    }

    /// Steps `rows` up to `limit` times (at most a chunk), copying each row; the number copied.
    mutating func load(_ rows: RawStatement, limit: Int) throws -> Int {
        ids.removeAll(keepingCapacity: true)
        dates.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        var used = 0
        count = 0
        while count < min(limit, Self.chunk), try rows.step() {
            ids.append(rows.int64(0))
            dates.append(rows.optionalInt64(3))
            for column in 0..<Int32(Self.columns) {
                guard Self.byteColumns[Int(column)], !rows.isNull(column) else {
                    spans.append((0, -1))
                    continue
                }
                let bytes = rows.bytes(column)
                if used + bytes.count > capacity { grow(to: max(capacity * 2, used + bytes.count), keeping: used) }
                if let source = bytes.baseAddress { (buffer + used).copyMemory(from: source, byteCount: bytes.count) }
                spans.append((used, bytes.count))
                used += bytes.count
            }
            count += 1
        }
        return count
    }

    private mutating func grow(to size: Int, keeping used: Int) {
        let grown = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        grown.copyMemory(from: buffer, byteCount: used)
        buffer.deallocate()
        buffer = grown
        capacity = size
    }

    /// Row `index` of the chunk, valid while `body` runs.
    func withRow<R>(_ index: Int, _ body: (RowView) throws -> R) rethrows -> R {
        try spans.withUnsafeBufferPointer { all in
            let row = UnsafeBufferPointer(rebasing: all[(index * Self.columns)..<((index + 1) * Self.columns)])
            return try body(RowView(id: ids[index], date: dates[index], base: UnsafeRawPointer(buffer), spans: row))
        }
    }
}

/// A row of the observations query as the decoders read it: `SELECT id, messageID, digest, date, subject,
/// automationReasons, appearances, folders`, by column number.
private protocol ObservationRow {
    var id: Int64 { get }
    var date: Int64? { get }
    func isNull(_ column: Int) -> Bool
    /// The column's bytes; empty for NULL.
    func bytes(_ column: Int) -> UnsafeRawBufferPointer
}

extension ObservationRow {
    func string(_ column: Int) -> String { String(decoding: bytes(column), as: UTF8.self) }

    func optionalString(_ column: Int) -> String? { isNull(column) ? nil : string(column) }
}

/// The statement's current row, read in place (valid until the next step).
private struct StatementRow: ObservationRow {
    let rows: RawStatement

    var id: Int64 { rows.int64(0) }
    var date: Int64? { rows.optionalInt64(3) }
    func isNull(_ column: Int) -> Bool { rows.isNull(Int32(column)) }
    func bytes(_ column: Int) -> UnsafeRawBufferPointer { rows.bytes(Int32(column)) }
}

/// A copied row's columns, valid while its ``CopiedRows/withRow(_:_:)`` call runs.
private struct RowView: ObservationRow {
    let id: Int64
    let date: Int64?
    let base: UnsafeRawPointer
    let spans: UnsafeBufferPointer<(offset: Int, count: Int)>

    func isNull(_ column: Int) -> Bool { spans[column].count < 0 }

    func bytes(_ column: Int) -> UnsafeRawBufferPointer {
        let span = spans[column]
        return UnsafeRawBufferPointer(start: base + span.offset, count: max(0, span.count))
    }
}

/// The result's storage, written by the two halves of a parallel read at disjoint indexes.
///
/// `@unchecked Sendable`: the buffer belongs to the `Array(unsafeUninitializedCapacity:)` closure that waits
/// for both halves (`concurrentPerform` returns after them); each half initializes only its own index range.
private struct SharedStorage: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<MessageObservation>

    func initialize(_ index: Int, to observation: MessageObservation) {
        guard let base = buffer.baseAddress else { return }
        (base + index).initialize(to: observation)
    }

    func deinitialize(_ start: Int, count: Int) {
        guard count > 0, let base = buffer.baseAddress else { return }
        (base + start).deinitialize(count: count)
    }
}

/// What each half of a parallel read did.
private final class HalfResults: Sendable {
    private let state = Mutex<(written: [Int: Int], errors: [Int: any Error])>(([:], [:]))

    func finish(_ index: Int, written: Int, error: (any Error)?) {
        state.withLock {
            $0.written[index] = written
            if let error { $0.errors[index] = error }
        }
    }

    func written(_ index: Int) -> Int { state.withLock { $0.written[index] ?? 0 } }

    var firstError: (any Error)? { state.withLock { $0.errors.sorted { $0.key < $1.key }.first?.value } }
}

/// Interned ids to strings: an array for the dense ids, a dictionary for any others.
struct InternedTable: Sendable {
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
    private var folderLists = FolderListCache<[FolderLocation]>()
    /// The automation reason lists met so far, by stored text (few distinct ones).
    private var reasonLists: [[UInt8]: [String]] = [:]
    private var lastReasons: (stored: [UInt8], reasons: [String]) = ([], [])
    private let fields = LedgerPacking.fields

    init(addresses: InternedTable, names: InternedTable, folders: [Int64: FolderLocation]) {
        self.addresses = addresses
        self.names = names
        self.folders = folders
    }

    mutating func observation(_ row: RowView) throws -> MessageObservation {
        let id = row.id
        // The key is derived as MessageFacts.deduplicationKey does, written in one piece from the stored bytes.
        let messageID: String?
        let key: String
        if row.isNull(1) {
            messageID = nil
            key = Self.prefixed(Self.digestPrefix, row.bytes(2))
        } else {
            let bytes = row.bytes(1)
            messageID = String(decoding: bytes, as: UTF8.self)
            key = bytes.isEmpty ? Self.prefixed(Self.digestPrefix, row.bytes(2)) : Self.prefixed(Self.idPrefix, bytes)
        }
        let date = row.date.map { Date(timeIntervalSince1970: Double($0)) }
        let subject = row.optionalString(4)
        let reasons = self.reasons(row.bytes(5))
        let appearances = try self.appearances(row.bytes(6), message: id)
        let locations = try self.locations(row.bytes(7), message: id)
        return MessageObservation(
            key: key, messageID: messageID, date: date, subject: subject, locations: locations,
            appearances: appearances, automation: AutomationFacts(reasons: reasons))
    }

    private static let idPrefix: StaticString = "mid:"
    private static let digestPrefix: StaticString = "sha256:"

    /// `prefix` followed by the UTF-8 `bytes`, as one string.
    private static func prefixed(_ prefix: StaticString, _ bytes: UnsafeRawBufferPointer) -> String {
        let head = UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        return String(unsafeUninitializedCapacity: head.count + bytes.count) { output in
            let raw = UnsafeMutableRawBufferPointer(output)
            raw.copyBytes(from: head)
            UnsafeMutableRawBufferPointer(rebasing: raw[head.count...]).copyBytes(from: bytes)
            return head.count + bytes.count
        }
    }

    private mutating func reasons(_ bytes: UnsafeRawBufferPointer) -> [String] {
        if bytes.isEmpty { return [] }
        // Consecutive messages mostly share their reasons: compare with the last list before hashing.
        if bytes.elementsEqual(lastReasons.stored) { return lastReasons.reasons }
        let stored = [UInt8](bytes)
        let reasons = reasonLists[stored] ?? splitLines(String(decoding: bytes, as: UTF8.self))
        if reasonLists.count < 1_024 { reasonLists[stored] = reasons }
        lastReasons = (stored, reasons)
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
        switch try folderLists.lookup(bytes, folders: folders, message: id) {
        case .cached(let list): return list
        case .decoded(let list, let key):
            folderLists.remember(list, key: key)
            return list
        }
    }
}

/// Decoded `folders` columns by their packed bytes (up to 7, as one number): the few combinations repeat on
/// every row.
private struct FolderListCache<Value: Sendable>: Sendable {
    enum Lookup {
        case cached(Value)
        /// Not cached: the folders, and the key to ``remember(_:key:)`` a value under (nil: too long to cache).
        case decoded([FolderLocation], key: UInt64?)
    }

    private var cached: [UInt64: Value] = [:]

    func lookup(_ bytes: UnsafeRawBufferPointer, folders: [Int64: FolderLocation], message id: Int64) throws -> Lookup {
        var key: UInt64?
        if bytes.count < 8 {
            var value = UInt64(bytes.count)
            for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index + 1)) }
            if let known = cached[value] { return .cached(known) }
            key = value
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
        return .decoded(list, key: key)
    }

    mutating func remember(_ value: Value, key: UInt64?) {
        if let key { cached[key] = value }
    }
}

/// The decoded parts of a parallel batch read, one per half.
private final class ChunkedBatches: Sendable {
    private let state: Mutex<(batches: [ObservationBatch?], errors: [Int: any Error])>

    init(count: Int) { state = Mutex((Array(repeating: nil, count: count), [:])) }

    func finish(_ index: Int, batch: ObservationBatch?, error: (any Error)?) {
        state.withLock {
            $0.batches[index] = batch
            if let error { $0.errors[index] = error }
        }
    }

    /// The parts in order, or the first half's error.
    func all() throws -> [ObservationBatch] {
        try state.withLock { state in
            if let error = state.errors.sorted(by: { $0.key < $1.key }).first?.value { throw error }
            // Moved out: the caller appends to the first part, which must not be shared.
            let batches = state.batches
            state.batches = []
            return batches.compactMap { $0 }
        }
    }
}

/// Appends rows of the observations query to an ``ObservationBatch`` numbering addresses and names by their
/// ledger ids: per row, a few numbers and the Message-ID and subject bytes; no string is made.
private struct BatchDecoder {
    /// Which address ids exist; names: which name ids exist and whether each is empty.
    let addresses: [Bool]
    let names: (values: [String], known: [Bool])
    let folders: [Int64: FolderLocation]
    var batch = ObservationBatch()
    /// ``ObservationBatch/folderLists`` numbers by packed folders.
    private var folderLists = FolderListCache<UInt32>()
    /// Automation reason lists by stored text → ``ObservationBatch/reasonLists`` number.
    private var reasonLists: [[UInt8]: UInt32] = [:]
    private var lastReasons: (stored: [UInt8], number: UInt32) = ([], 0)
    /// Name ids whose name is empty count as no name (id 0).
    private let emptyNames: [Bool]
    private let fields = LedgerPacking.fields

    init(addresses: [Bool], names: (values: [String], known: [Bool]), folders: [Int64: FolderLocation]) {
        self.addresses = addresses
        self.names = names
        self.folders = folders
        self.emptyNames = names.values.map(\.isEmpty)
    }

    mutating func append(_ row: some ObservationRow) throws {
        let id = row.id
        var reader = PackedReader(row.bytes(6))
        guard let count = reader.varint(), count <= UInt64(row.bytes(6).count / 2) else {
            throw DatabaseError(message: "malformed appearances in message \(id)")
        }
        for _ in 0..<Int(count) {
            guard let packed = reader.varint(), let nameID = reader.varint() else {
                throw DatabaseError(message: "malformed appearances in message \(id)")
            }
            guard let field = fields[Int(packed & 0xF)] else {
                throw DatabaseError(message: "unknown address field code \(packed & 0xF) in message \(id)")
            }
            let addressID = packed >> 4
            guard addressID < UInt64(addresses.count), addresses[Int(addressID)] else {
                throw DatabaseError(message: "unknown address id \(addressID) in message \(id)")
            }
            var name: UInt32 = 0
            if nameID != 0 {
                guard nameID < UInt64(names.known.count), names.known[Int(nameID)] else {
                    throw DatabaseError(message: "unknown name id \(nameID) in message \(id)")
                }
                name = emptyNames[Int(nameID)] ? 0 : UInt32(nameID)
            }
            batch.appendAppearance(address: UInt32(addressID), field: field, name: name)
        }
        guard reader.isAtEnd else { throw DatabaseError(message: "malformed appearances in message \(id)") }
        let date = row.date.map { Date(timeIntervalSince1970: Double($0)).timeIntervalSinceReferenceDate } ?? .nan
        let folderList = try self.folderList(row.bytes(7), message: id)
        let reasons = self.reasons(row.bytes(5))
        batch.appendMessage(
            date: date, folderList: folderList, reasonList: reasons,
            messageID: row.isNull(1) ? nil : row.bytes(1), subject: row.isNull(4) ? nil : row.bytes(4))
    }

    private mutating func reasons(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        if bytes.isEmpty { return 0 }
        if bytes.elementsEqual(lastReasons.stored) { return lastReasons.number }
        let stored = [UInt8](bytes)
        let number: UInt32
        if let known = reasonLists[stored] {
            number = known
        } else {
            number = batch.intern(reasons: splitLines(String(decoding: bytes, as: UTF8.self)))
            reasonLists[stored] = number
        }
        lastReasons = (stored, number)
        return number
    }

    private mutating func folderList(_ bytes: UnsafeRawBufferPointer, message id: Int64) throws -> UInt32 {
        switch try folderLists.lookup(bytes, folders: folders, message: id) {
        case .cached(let number): return number
        case .decoded(let list, let key):
            let number = batch.intern(folders: list)
            folderLists.remember(number, key: key)
            return number
        }
    }
}

/// The meeting points of ``Ledger/alignedBatchRead(_:parallelMinimum:in:betweenSnapshots:)``'s two threads:
/// the second connection notes its data version; the first opens its snapshot and publishes the read plan; the
/// second opens its own and says whether the two are the same; the second's half arrives.
///
/// `@unchecked Sendable`: every field is read and written under `condition`.
private final class SnapshotHandshake: @unchecked Sendable {
    private let condition = NSCondition()
    /// True once the second connection noted its version; false when it failed first.
    private var versionNoted: Bool?
    /// The first connection's plan; `.some(nil)` when it failed to make one.
    private var plan: Ledger.BatchReadPlan??
    private var aligned: Bool?
    private var second: Result<ObservationBatch, any Error>?
    private var secondDone = false

    private func update(_ change: () -> Void) {
        condition.lock()
        change()
        condition.broadcast()
        condition.unlock()
    }

    private func wait<T>(for value: () -> T?) -> T {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = value() { return value }
            condition.wait()
        }
    }

    // The second thread.
    func secondNotedVersion() { update { versionNoted = true } }
    func waitForPlan() -> Ledger.BatchReadPlan? { wait { plan } }
    func publish(aligned value: Bool) { update { aligned = value } }
    func finishSecond(_ batch: ObservationBatch) { update { second = .success(batch) } }

    /// Releases every wait of the first thread.
    func failSecond(_ error: any Error) {
        update {
            versionNoted = versionNoted ?? false
            aligned = aligned ?? false
            second = second ?? .failure(error)
        }
    }

    func secondFinished() { update { secondDone = true } }

    // The first thread.
    func waitForSecondVersion() -> Bool { wait { versionNoted } }
    /// The first plan published stands: a failing first thread publishes none on its way out.
    func publish(plan value: Ledger.BatchReadPlan?) { update { plan = plan ?? .some(value) } }
    func waitForAlignment() -> Bool { wait { aligned } }
    func secondResult() throws -> ObservationBatch { try wait { second }.get() }
    func waitForSecond() { _ = wait { secondDone ? true : nil } }
}
