import CSQLiteSetup
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Checkpoints a file ledger's WAL on its own thread and its own SQLite connection while a series of commits goes on
/// (a sync or an import), so that the writer never waits for a checkpoint.
///
/// A checkpoint syncs the WAL, copies its committed pages into the database file and syncs that file. Left to the
/// writer connection (`wal_autocheckpoint`), it ran inside the commit that crossed the threshold: during a cold sync
/// of 100,000 messages one commit near the end took 40 ms longer (21 ms of it waiting for the disk) while the fetched
/// messages piled up behind it. A `PASSIVE` checkpoint from another connection runs beside the writer's
/// transactions (SQLite's WAL design: it copies only committed frames and waits for no one).
///
/// ``request()`` is made when a sync's or an import's second and later batches start (`BatchWriter`): the batches
/// committed before it are checkpointed while it is stored. The last batch's pages stay in the WAL for a later
/// checkpoint, as the writer connection does not checkpoint when it closes either (`Ledger.makeConfiguration`).
///
/// Measured on the 100,000-message bench against the writer's own checkpoint every 16 MB: cold sync -0.011 s
/// (median of 40 paired differences, 23 faster; a prototype that waited for a running checkpoint at the end: -0.007
/// to -0.051 s in four sets of 13 to 30 pairs, 53 of 83 faster). An earlier session measured a second connection
/// checkpointing after every commit as slower (1.19 -> 1.31 s, when a cold sync took that long); that one also
/// copied each sync's last range, which this one leaves to a later one.
package final class WALCheckpointer: Sendable {
    /// The checkpointing connection, opened on first use; what the queue's blocks touch (never `self`: a checkpoint
    /// may go on after the checkpointer is gone).
    private final class Connection: @unchecked Sendable {
        // @unchecked: `handle` is only touched on the checkpointer's serial queue.
        let path: String
        var handle: OpaquePointer?
        /// `pending`: a request not yet begun; `running`: the queue is working through the requests; `closed`:
        /// later requests do nothing.
        let state = Mutex<(pending: Bool, running: Bool, closed: Bool)>((false, false, false))
        /// Checkpoints run so far (tests).
        let completed = Atomic<Int>(0)

        init(path: String) { self.path = path }

        /// Opens the connection if needed; nil when it cannot be opened (the writer's backstop checkpoint then
        /// does the work, see `Ledger.makeConfiguration`).
        func open() -> OpaquePointer? {
            if let handle { return handle }
            var db: OpaquePointer?
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
                let db
            else {
                sqlite3_close(db)
                return nil
            }
            // As the writer: checkpoints sync the WAL and the database file (NORMAL), closing leaves the WAL alone.
            var persist: CInt = 1
            guard sqlite3_exec(db, "PRAGMA synchronous = NORMAL", nil, nil, nil) == SQLITE_OK,
                seatmeter_sqlite_skip_checkpoint_on_close(UnsafeMutableRawPointer(db)) == SQLITE_OK,
                sqlite3_file_control(db, nil, SQLITE_FCNTL_PERSIST_WAL, &persist) == SQLITE_OK
            else {
                sqlite3_close(db)
                return nil
            }
            handle = db
            return db
        }

        func close() {
            if let handle { sqlite3_close(handle) }
            handle = nil
        }
    }

    private let connection: Connection
    private let queue = DispatchQueue(label: "seatmeter.wal-checkpoint")

    /// Nil for an in-memory or read-only ledger.
    package init?(ledger: Ledger) {
        guard ledger.path != ":memory:", !ledger.isReadOnly, let path = ledger.databasePath() else { return nil }
        connection = Connection(path: path)
    }

    deinit {
        close()
    }

    /// Asks for a `PASSIVE` checkpoint that begins after this call. Requests made while one is waiting to begin are
    /// that one. Never waits.
    package func request() {
        let connection = connection
        let start = connection.state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pending = true
            guard !state.running else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        queue.async {
            while connection.state.withLock({ state -> Bool in
                guard state.pending else {
                    state.running = false
                    return false
                }
                state.pending = false
                return true
            }) {
                guard let db = connection.open() else { continue }
                // Errors do not matter here: what is not copied now is copied by a later checkpoint (at the latest
                // the writer's own, see `Ledger.makeConfiguration`).
                _ = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                connection.completed.add(1, ordering: .relaxed)
            }
        }
    }

    /// Later requests do nothing; the connection closes once the checkpoints requested so far are done. Never waits:
    /// a sync ends when its last commit does, not when the copy of the ranges before it does. A process that exits
    /// meanwhile stops a checkpoint half-way, which SQLite's WAL is made for (the database file's pages are only read
    /// once a checkpoint is complete); the next one copies those pages again.
    package func close() {
        let connection = connection
        connection.state.withLock { $0.closed = true }
        queue.async { connection.close() }
    }

    /// True while the checkpointing connection is open (tests).
    var isOpen: Bool { queue.sync { connection.handle != nil } }

    /// Checkpoints run so far (tests).
    var checkpointsRun: Int { connection.completed.load(ordering: .relaxed) }

    /// Waits for a queued or running checkpoint (tests).
    package func waitForCheckpoint() { queue.sync {} }
}
