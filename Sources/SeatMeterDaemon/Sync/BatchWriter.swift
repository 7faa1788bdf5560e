import Foundation
import SeatMeterCore
import SeatMeterStore
import Synchronization

/// Commits ingest batches on its own thread, so that storing messages overlaps with fetching and parsing the next
/// ones (two cores).
///
/// A batch is one transaction: a sync's UID range with the folder's new checkpoint, or an import's run of messages.
/// It is opened with ``begin(account:folder:role:uidValidity:checkpointUID:)``, filled with ``append(_:)`` and
/// closed with ``commit()`` (or dropped with ``abort()``). Messages are encoded (``IngestEncoder``) on the appending
/// thread as they arrive and handed to the writer in chunks (``chunkSize(batchSize:)``) while the batch is still open:
/// the writer stores them inside the batch's transaction as they come, and commits when the batch is closed.
///
/// The writer's work is therefore spread evenly over the fetch instead of coming in bursts of a whole batch, and
/// when the fetch ends only the last chunk is left to store. Before, the writer took a batch only once it was
/// complete: it idled while the first batch was fetched, the sync had a core idle whenever the writer had no
/// complete batch, and after the last fetch up to two whole batches were left to store on one core.
///
/// The first error stops further writes and is rethrown to the appending side. Batches commit strictly in order, so
/// checkpoints only move forward.
final class BatchWriter: @unchecked Sendable {
    // @unchecked: `results` and `ids` are only touched on `queue` (serial) and read after `queue.sync`; `encoder` and
    // `open` only by the appending side (one thread at a time); `pending` and `failure` are behind their mutexes.
    private enum Item {
        /// Messages of the open batch; `closes`: the batch's last chunk (it then commits).
        case chunk(EncodedBatch, closes: Bool)
        /// The batch is dropped (its transaction rolls back).
        case abort
    }

    private struct Open {
        var account: String
        var folder: String
        var role: FolderRole
        var uidValidity: UInt32?
        var checkpointUID: UInt32?
        /// Messages appended to this batch, handed off or not.
        var count = 0
        /// Chunks of this batch already handed to the writer.
        var handedOff = false
    }

    private let ledger: Ledger
    private let queue = DispatchQueue(label: "seatmeter.batch-writer")
    /// Chunks handed off and not yet taken by the writer: at most ``inFlight``.
    private let slots = DispatchSemaphore(value: BatchWriter.inFlight)
    /// Signalled once per item put into `pending`.
    private let available = DispatchSemaphore(value: 0)
    private let pending = Mutex<[Item]>([])
    private var encoder = IngestEncoder()
    private var open: Open?
    private var ids = IngestIDs()
    private var results: [IngestResult] = []
    /// The first write error. Read without waiting for the writer: a fetch must not wait for a commit to end.
    private let failure = Mutex<(any Error)?>(nil)
    /// Chunks stored so far, committed or not (tests).
    private let stored = Atomic<Int>(0)
    /// Checkpoints requested so far (tests).
    private let requested = Atomic<Int>(0)

    /// Messages per chunk handed to the writer.
    private let chunkSize: Int
    /// Chunks handed off and not yet taken by the writer, at most: the appending side waits beyond that.
    static let inFlight = 12

    /// Checkpoints the WAL beside the writer (``WALCheckpointer``); nil for an in-memory ledger.
    private let checkpointer: WALCheckpointer?

    /// - Parameter chunkSize: messages per chunk handed to the writer while a batch is open.
    init(ledger: Ledger, chunkSize: Int) {
        precondition(chunkSize > 0, "BatchWriter chunk size must be positive")
        self.ledger = ledger
        self.chunkSize = chunkSize
        checkpointer = WALCheckpointer(ledger: ledger)
    }

    /// The chunk size for batches of `batchSize` messages: an eighth of a batch, at most 1,000 messages, so that the
    /// writer starts early in every batch and has little left when the fetch ends.
    static func chunkSize(batchSize: Int) -> Int {
        min(1000, max(1, batchSize / 8))
    }

    // The appending side: call from one thread at a time.

    /// Opens a batch: the messages appended until ``commit()`` are stored in one transaction, with the folder's
    /// checkpoint moved to `checkpointUID` when it is non-nil. A batch still open is committed first.
    func begin(account: String, folder: String, role: FolderRole, uidValidity: UInt32?, checkpointUID: UInt32?) throws {
        if open != nil { try commit() }
        open = Open(
            account: account, folder: folder, role: role, uidValidity: uidValidity, checkpointUID: checkpointUID)
    }

    /// Encodes one message of the open batch (so the appending thread spreads the work over the fetch and keeps no
    /// parsed messages); every chunk of messages, hands it to the writer.
    func append(_ message: IngestMessage) {
        precondition(open != nil, "BatchWriter.append without an open batch")
        encoder.append(message)
        open?.count += 1
        if encoder.count >= chunkSize { handOff(closes: false) }
    }

    /// The messages appended to the open batch (0 when none is open).
    var appendedCount: Int { open?.count ?? 0 }

    /// Closes the open batch (none open: does nothing): its last messages go to the writer, which then commits it.
    /// Waits while ``inFlight`` chunks are not yet taken by the writer.
    ///
    /// - Throws: the writer's first error (the batch is then dropped).
    func commit() throws {
        guard open != nil else { return }
        if let failure = failure.withLock({ $0 }) {
            abort()
            throw failure
        }
        handOff(closes: true)
        open = nil
    }

    /// Drops the open batch (a fetch that failed half-way): nothing of it is stored. The dictionary keeps what its
    /// messages added: the next batch carries it.
    func abort() {
        guard let batch = open else { return }
        encoder.discardMessages()
        open = nil
        if batch.handedOff { put(.abort) }
    }

    /// One batch of the messages `fetch` hands to its argument
    /// (see ``begin(account:folder:role:uidValidity:checkpointUID:)``). When `fetch` throws, nothing of it is stored.
    func submit(
        account: String, folder: String, role: FolderRole, uidValidity: UInt32?, checkpointUID: UInt32?,
        messages fetch: (_ append: (IngestMessage) -> Void) throws -> Void = { _ in }
    ) throws {
        if let failure = failure.withLock({ $0 }) { throw failure }
        try begin(account: account, folder: folder, role: role, uidValidity: uidValidity, checkpointUID: checkpointUID)
        do {
            try fetch { append($0) }
        } catch {
            abort()
            throw error
        }
        try commit()
    }

    /// Waits for every batch committed so far; rethrows the first write error. One result per committed batch, in
    /// order (a batch still open is not waited for).
    func finish() throws -> [IngestResult] {
        try queue.sync {
            if let failure = failure.withLock({ $0 }) { throw failure }
            return results
        }
    }

    /// Hands the messages appended since the last chunk to the writer; the batch's first chunk starts its
    /// transaction on the writer's queue.
    private func handOff(closes: Bool) {
        guard var batch = open else { return }
        let chunk = encoder.finish(
            account: batch.account, folder: batch.folder, role: batch.role, uidValidity: batch.uidValidity,
            checkpointUID: batch.checkpointUID)
        if !batch.handedOff {
            queue.async { self.commitBatch() }
            batch.handedOff = true
            open = batch
        }
        put(.chunk(chunk, closes: closes))
    }

    private func put(_ item: Item) {
        slots.wait()
        pending.withLock { $0.append(item) }
        available.signal()
    }

    // The writer's side, on `queue`.

    /// Waits for the next item.
    private func take() -> Item {
        available.wait()
        defer { slots.signal() }
        return pending.withLock { $0.removeFirst() }
    }

    private struct Aborted: Error {}

    /// Stores one batch's chunks in one transaction as they arrive and commits after its last one. Every chunk
    /// carries the batch's checkpoint: nothing is visible before the commit, so each may move it.
    private func commitBatch() {
        var closed = false
        var chunks = 0
        func next() throws -> EncodedBatch? {
            // Asked for the next chunk: the previous one is stored.
            if chunks > 0 { stored.add(1, ordering: .relaxed) }
            if closed { return nil }
            switch take() {
            case .chunk(let chunk, let closes):
                closed = closes
                chunks += 1
                return chunk
            case .abort:
                closed = true
                throw Aborted()
            }
        }
        if failure.withLock({ $0 == nil }) {
            // What this writer's earlier batches committed is copied into the database file while this one is
            // stored. A writer's first batch asks for nothing: a sync of one range (most of a service's) would start
            // a copy of what earlier runs left and then end, stopping it half-way if its process exits.
            if let checkpointer, !results.isEmpty {
                checkpointer.request()
                requested.add(1, ordering: .relaxed)
            }
            do {
                let chunkResults = try ledger.ingest(ids: &ids, next: next)
                results.append(chunkResults.reduce(into: IngestResult()) { total, chunk in
                    total.newMessages += chunk.newMessages
                    total.duplicates += chunk.duplicates
                    total.newLocations += chunk.newLocations
                })
            } catch is Aborted {
            } catch {
                failure.withLock { $0 = error }
            }
        }
        // The rest of a batch that failed or was not started: take it, so that the next batch starts at its own.
        while !closed {
            if case .chunk(_, let closes) = take() { closed = closes } else { closed = true }
        }
    }

    /// Chunks the writer has stored so far, committed or not (tests).
    var chunksStored: Int { stored.load(ordering: .relaxed) }

    /// Checkpoints requested so far (tests).
    var checkpointsRequested: Int { requested.load(ordering: .relaxed) }

    /// Waits for the checkpoints requested so far (tests).
    func waitForCheckpoints() { checkpointer?.waitForCheckpoint() }
}
