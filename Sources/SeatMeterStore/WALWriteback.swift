import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Writes a file ledger's WAL back to disk on its own thread while a long series of commits goes on.
///
/// With `synchronous = NORMAL` a commit only puts its pages into the WAL in the OS page cache; the first checkpoint
/// (at the latest the one when the ledger closes) then waits until the whole WAL is on disk. After a cold sync of
/// 100,000 messages that was 85 MB and a 50–85 ms `fdatasync` at the very end, with nothing left to overlap it.
/// Asking for a writeback after each commit spreads those writes over the sync, and the final one finds little left
/// (1–6 ms). It changes nothing SQLite relies on: the WAL is only flushed earlier than SQLite would flush it.
package final class WALWriteback: Sendable {
    /// The `-wal` file, opened on first use; what the queue's blocks touch (never `self`, so that the last
    /// reference to `self` is never dropped on the queue, where `deinit` would wait for itself).
    private final class File: Sendable {
        let path: String
        /// `descriptor`: -1 until opened; `flushing`: a writeback is queued or running.
        let state = Mutex<(descriptor: Int32, flushing: Bool, closed: Bool)>((-1, false, false))

        init(path: String) { self.path = path }
    }

    private let file: File
    private let queue = DispatchQueue(label: "seatmeter.wal-writeback")

    /// Nil for an in-memory or read-only ledger.
    package init?(ledger: Ledger) {
        guard ledger.path != ":memory:", !ledger.isReadOnly, let path = ledger.walPath() else { return nil }
        file = File(path: path)
    }

    deinit {
        close()
    }

    /// Starts writing the WAL back unless a writeback is already queued or running (it then covers this request's
    /// pages too, or the next request will). Never waits.
    package func request() {
        let file = file
        let start = file.state.withLock { state -> Bool in
            guard !state.flushing, !state.closed else { return false }
            state.flushing = true
            return true
        }
        guard start else { return }
        queue.async {
            var descriptor = file.state.withLock { $0.descriptor }
            if descriptor < 0 {
                descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
            }
            if descriptor >= 0 {
                // Errors do not matter here: SQLite syncs the WAL itself at the checkpoint.
                _ = fdatasync(descriptor)
            }
            file.state.withLock {
                if $0.descriptor < 0 { $0.descriptor = descriptor }
                $0.flushing = false
            }
        }
    }

    /// Waits for a running writeback and closes the file; later requests do nothing.
    package func close() {
        let file = file
        queue.sync {
            let descriptor = file.state.withLock { state -> Int32 in
                defer {
                    state.descriptor = -1
                    state.closed = true
                }
                return state.descriptor
            }
            if descriptor >= 0 { _ = Glibc.close(descriptor) }
        }
    }

    /// True while the `-wal` file is open (tests).
    var isOpen: Bool { file.state.withLock { $0.descriptor >= 0 } }

    /// Waits for a queued or running writeback (tests).
    func waitForWriteback() { queue.sync {} }
}
