import Foundation
import SeatMeterStore

/// Commits ingest batches on its own thread so that fetching and parsing the next UID range overlaps with
/// writing the previous one (two cores). At most two batches are in flight; the first error stops further
/// writes and is rethrown to the fetching side. Batches commit strictly in order, so checkpoints only move forward.
final class BatchWriter: @unchecked Sendable {
    // @unchecked: `results` and `failure` are only touched on `queue` (serial) and read after `queue.sync`.
    private let ledger: Ledger
    private let queue = DispatchQueue(label: "seatmeter.batch-writer")
    private let slots = DispatchSemaphore(value: 2)
    private var results: [IngestResult] = []
    private var failure: (any Error)?

    init(ledger: Ledger) {
        self.ledger = ledger
    }

    func submit(_ batch: IngestBatch) throws {
        if let failure = queue.sync(execute: { self.failure }) { throw failure }
        slots.wait()
        queue.async {
            defer { self.slots.signal() }
            guard self.failure == nil else { return }
            do {
                self.results.append(try self.ledger.ingest(batch))
            } catch {
                self.failure = error
            }
        }
    }

    /// Waits for every submitted batch; rethrows the first write error.
    func finish() throws -> [IngestResult] {
        try queue.sync {
            if let failure { throw failure }
            return results
        }
    }
}
