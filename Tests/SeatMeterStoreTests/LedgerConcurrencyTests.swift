import Foundation
import SeatMeterCore
import Synchronization
import Testing

@testable import SeatMeterStore

@Suite("Ledger sharing: readers while a sync writes")
struct LedgerConcurrencyTests {
    /// Runs `work` on a thread of its own (ledger calls block) and returns a way to wait for it.
    private static func onThread(_ work: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            work()
            done.signal()
        }
        thread.start()
        return done
    }

    @Test func aReadOnlyLedgerReadsWholeBatchesWhileTwoWritersWrite() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        let writer = try Ledger(path: path)
        let importer = try Ledger(path: path)  // e.g. `seatmeter import` while the daemon syncs
        let reader = try Ledger(readOnlyPath: path)

        let batchSize = 250
        let batches = 24
        let errors = Mutex<[String]>([])
        let writing = Atomic<Int>(2)
        let readsDone = Atomic<Int>(0)

        let syncDone = Self.onThread {
            do {
                for b in 0..<batches {
                    try writer.ingest(Fixtures.batch((b * batchSize)..<((b + 1) * batchSize)))
                }
            } catch {
                errors.withLock { $0.append("writer: \(error)") }
            }
            writing.subtract(1, ordering: .sequentiallyConsistent)
        }
        let importDone = Self.onThread {
            do {
                // Overlapping messages from an export: duplicates of the sync's, plus its own.
                for b in 0..<batches {
                    let numbers = (b * batchSize + batchSize / 2)..<((b + 1) * batchSize + batchSize / 2)
                    try importer.ingest(Fixtures.batch(numbers, account: "import", folder: "mbox", uidValidity: nil))
                }
            } catch {
                errors.withLock { $0.append("importer: \(error)") }
            }
            writing.subtract(1, ordering: .sequentiallyConsistent)
        }
        let readDone = Self.onThread {
            var lastSyncCount = 0
            while writing.load(ordering: .sequentiallyConsistent) > 0 {
                do {
                    // In turn: observations cut in halves read at once on one connection, in one piece, and the
                    // compact batch whose halves are read on two connections in one snapshot (what large reads do).
                    let turn = readsDone.load(ordering: .relaxed) % 3
                    let locations: [[FolderLocation]]
                    if turn == 2 {
                        let read = try reader.observationBatchRead(from: nil, to: nil, parallelMinimum: 0)
                        locations = (0..<read.batch.count).map { read.batch.locations(of: $0) }
                    } else {
                        locations = try reader.observations(
                            from: nil, to: nil, parallelMinimum: turn == 0 ? 0 : .max
                        ).map(\.locations)
                    }
                    let inInbox = locations.filter { $0.contains { $0.folder == "INBOX" } }.count
                    let imported = locations.filter { $0.contains { $0.account == "import" } }.count
                    // A batch is all or nothing: readers only ever see whole batches of the sync and the import.
                    if inInbox % batchSize != 0 || inInbox < lastSyncCount || imported % batchSize != 0 {
                        errors.withLock {
                            $0.append("read \(turn) saw \(inInbox) INBOX, \(imported) imported after \(lastSyncCount)")
                        }
                    }
                    lastSyncCount = inInbox
                    if let checkpoint = try reader.checkpoint(account: "helpdesk", folder: "INBOX"),
                        checkpoint.lastUID < lastSyncCount
                    {
                        errors.withLock {
                            $0.append("checkpoint \(checkpoint.lastUID) behind \(lastSyncCount) messages")
                        }
                    }
                    readsDone.add(1, ordering: .relaxed)
                } catch {
                    errors.withLock { $0.append("reader: \(error)") }
                    return
                }
            }
        }
        syncDone.wait()
        importDone.wait()
        readDone.wait()

        #expect(errors.withLock { $0 } == [])
        let total = batches * batchSize + batchSize / 2
        #expect(readsDone.load(ordering: .relaxed) > 0)
        // With no writer, the two halves of a read always get a connection each.
        let quiet = try reader.observationBatchRead(from: nil, to: nil, parallelMinimum: 0)
        #expect(quiet.connections == 2)
        #expect(quiet.batch.count == total)
        #expect(try reader.messageCount() == total)
        #expect(try writer.checkpoint(account: "helpdesk", folder: "INBOX")?.lastUID == UInt32(batches * batchSize))
        #expect(try reader.stats().locations == 2 * batches * batchSize)
        #expect(try reader.strings(sql: "PRAGMA foreign_key_check") == [])
    }

    /// A commit landing between the two connections' snapshots is noticed: the read is not split across two
    /// states of the ledger but retried, and after three tries done on one connection.
    @Test func aCommitBetweenTheTwoSnapshotsSendsTheReadToOneConnection() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.sqlite").path
        let writer = try Ledger(path: path)
        try writer.ingest(Fixtures.batch(0..<100))
        let reader = try Ledger(readOnlyPath: path)
        let commits = Atomic<Int>(0)
        let read = try reader.observationBatchRead(from: nil, to: nil, parallelMinimum: 0) {
            // Between the first connection's snapshot and the second's: another process's sync commits.
            let next = 100 + 10 * commits.add(1, ordering: .relaxed).oldValue
            try? writer.ingest(Fixtures.batch(next..<(next + 10)))
        }
        #expect(commits.load(ordering: .relaxed) == Ledger.alignmentAttempts)
        #expect(read.connections == 1)
        #expect(read.batch.count == 100 + 10 * Ledger.alignmentAttempts)

        let calm = try reader.observationBatchRead(from: nil, to: nil, parallelMinimum: 0) {}
        #expect(calm.connections == 2)
        #expect(calm.batch.count == 100 + 10 * Ledger.alignmentAttempts)
        #expect(calm.batch.observations.map(\.key) == read.batch.observations.map(\.key))
    }
}
