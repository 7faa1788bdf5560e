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
                    // Every other read is cut in two halves read at once (what large reads do).
                    let observations = try reader.observations(
                        from: nil, to: nil, parallelMinimum: readsDone.load(ordering: .relaxed) % 2 == 0 ? 0 : .max)
                    let inInbox = observations.filter { $0.locations.contains { $0.folder == "INBOX" } }.count
                    // A batch is all or nothing: readers only ever see whole batches of the sync.
                    if inInbox % batchSize != 0 || inInbox < lastSyncCount {
                        errors.withLock { $0.append("reader saw \(inInbox) INBOX messages after \(lastSyncCount)") }
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
        #expect(readsDone.load(ordering: .relaxed) > 0)
        let total = batches * batchSize + batchSize / 2
        #expect(try reader.messageCount() == total)
        #expect(try writer.checkpoint(account: "helpdesk", folder: "INBOX")?.lastUID == UInt32(batches * batchSize))
        #expect(try reader.stats().locations == 2 * batches * batchSize)
        #expect(try reader.strings(sql: "PRAGMA foreign_key_check") == [])
    }
}
