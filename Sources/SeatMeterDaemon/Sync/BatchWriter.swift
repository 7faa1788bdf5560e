import Foundation
import SeatMeterStore
import Synchronization

/// Commits ingest batches on its own thread so that fetching and parsing the next UID ranges overlaps with
/// writing the previous ones (two cores). The first error stops further writes and is rethrown to the fetching
/// side. Batches commit strictly in order, so checkpoints only move forward.
///
/// Batches are committed together, in one transaction, up to ``messagesPerTransaction`` messages or once the
/// oldest waiting batch has waited ``maximumDelay``, and always at ``finish()``: each commit rewrites every index
/// page it touched (the de-duplication index's keys are hashes, spread over the whole index), so fewer, larger
/// commits write far less. A `kill -9` loses at most the batches not yet committed; their checkpoints were not
/// committed either, so the next sync fetches them again.
final class BatchWriter: @unchecked Sendable {
    // @unchecked: `results` and `failure` are only touched on `queue` (serial) and read after `queue.sync`;
    // `state` is behind its mutex.
    private let ledger: Ledger
    private let queue = DispatchQueue(label: "seatmeter.batch-writer")
    private let slots = DispatchSemaphore(value: BatchWriter.inFlight)
    private struct State {
        var pending: [IngestBatch] = []
        var pendingMessages = 0
        /// A commit is scheduled on `queue` (now or after the delay).
        var scheduled = false
    }
    private let state = Mutex(State())
    private var results: [IngestResult] = []
    private var failure: (any Error)?

    /// Batches submitted and not yet committed, at most.
    static let inFlight = 8
    /// Messages per transaction, at most (a single larger batch is still committed whole).
    static let messagesPerTransaction = 8_000
    /// How long a submitted batch waits for others before it is committed anyway.
    static let maximumDelay = DispatchTimeInterval.milliseconds(250)

    init(ledger: Ledger) {
        self.ledger = ledger
    }

    func submit(_ batch: IngestBatch) throws {
        if let failure = queue.sync(execute: { self.failure }) { throw failure }
        slots.wait()
        let schedule = state.withLock { state -> DispatchTimeInterval? in
            state.pending.append(batch)
            state.pendingMessages += batch.messages.count
            if state.pendingMessages >= Self.messagesPerTransaction {
                state.scheduled = true
                return .never  // now
            }
            if state.scheduled { return nil }
            state.scheduled = true
            return Self.maximumDelay
        }
        switch schedule {
        case nil: break
        case .never?: queue.async { self.commitPending() }
        case let delay?: queue.asyncAfter(deadline: .now() + delay) { self.commitPending() }
        }
    }

    /// Commits what is waiting, then waits for every submitted batch; rethrows the first write error.
    func finish() throws -> [IngestResult] {
        try queue.sync {
            commitPending()
            if let failure { throw failure }
            return results
        }
    }

    /// On `queue`: commits the waiting batches (in order, up to the message limit) in one transaction, and
    /// schedules the next commit if more are waiting. Calls that find nothing waiting return at once.
    private func commitPending() {
        let (batches, more) = state.withLock { state -> ([IngestBatch], Bool) in
            var count = 0
            var taken = 0
            while taken < state.pending.count,
                taken == 0 || count + state.pending[taken].messages.count <= Self.messagesPerTransaction
            {
                count += state.pending[taken].messages.count
                taken += 1
            }
            let batches = Array(state.pending.prefix(taken))
            state.pending.removeFirst(taken)
            state.pendingMessages -= count
            state.scheduled = !state.pending.isEmpty
            return (batches, state.scheduled)
        }
        defer { for _ in batches { slots.signal() } }
        // What is left waits its turn as if just submitted (``finish()`` commits it at once).
        if more { queue.asyncAfter(deadline: .now() + Self.maximumDelay) { self.commitPending() } }
        guard !batches.isEmpty, failure == nil else { return }
        do {
            results.append(contentsOf: try ledger.ingest(batches))
        } catch {
            failure = error
        }
    }
}
