import Foundation
import SeatMeterCore
import Testing

@testable import SeatMeterStore

/// Throughput of the ledger on a help-desk-sized mailbox. A benchmark, run on demand in release:
///
///     SEATMETER_STORE_BENCH=1 swift test -c release --filter LedgerBenchmarkTests
///
/// It fails when a target is missed: ingest ≥ 50,000 messages/s, observations of 100,000 messages /
/// ~500,000 appearances ≤ 0.5 s.
@Suite(
    "Ledger benchmark",
    .enabled(if: ProcessInfo.processInfo.environment["SEATMETER_STORE_BENCH"] == "1", "set SEATMETER_STORE_BENCH=1"),
    .serialized
)
struct LedgerBenchmarkTests {
    /// `SEATMETER_STORE_BENCH_MESSAGES` scales it (e.g. down, for a profiler); the targets assume 100,000.
    static let messageCount =
        ProcessInfo.processInfo.environment["SEATMETER_STORE_BENCH_MESSAGES"].flatMap { Int($0) } ?? 100_000
    static let people = 5_000
    static let batchSize = 1_000

    /// A help-desk message: From a person, To the desk, Cc 2–3 colleagues; ~5 appearances on average.
    static func facts(_ n: Int) -> MessageFacts {
        var random = SplitMix(seed: UInt64(n))
        func person() -> Mailbox {
            let p = Int(random.next() % UInt64(people))
            return Mailbox(name: "Firstname\(p) Lastname\(p % 97)", address: "person.\(p)@corp\(p % 7).example.com")
        }
        var appearances = [
            AddressAppearance(field: .from, mailbox: person()),
            AddressAppearance(field: .to, mailbox: Mailbox(name: "Help Desk", address: "helpdesk@example.com")),
            AddressAppearance(field: .cc, mailbox: person()),
            AddressAppearance(field: .cc, mailbox: person()),
        ]
        if random.next() % 2 == 0 { appearances.append(AddressAppearance(field: .cc, mailbox: person())) }
        if random.next() % 2 == 0 { appearances.append(AddressAppearance(field: .replyTo, mailbox: person())) }
        return MessageFacts(
            messageID: "\(n).\(random.next())@mail.corp.example.com",
            date: Date(timeIntervalSince1970: 1_700_000_000 + Double(n) * 300),
            subject: "RE: [Ticket #\(100_000 + n)] VPN does not connect from home office",
            appearances: appearances,
            automation: AutomationFacts(reasons: n % 10 == 0 ? ["auto-submitted: auto-replied"] : []),
            defects: n % 50 == 0 ? ["obsolete date syntax"] : [],
            digest: String(
                format: "%016llx%016llx%016llx%016llx",
                random.next(),
                random.next(),
                random.next(),
                random.next()
            )
        )
    }

    static func batches() -> [IngestBatch] {
        stride(from: 0, to: messageCount, by: batchSize).map { start in
            let messages = (start..<min(start + batchSize, messageCount)).map {
                IngestMessage(uid: UInt32($0 + 1), facts: facts($0))
            }
            return IngestBatch(
                account: "helpdesk",
                folder: "INBOX",
                role: .incoming,
                uidValidity: 1,
                messages: messages,
                checkpointUID: messages.last?.uid
            )
        }
    }

    /// Wall-clock and process CPU seconds of `body` (CPU time: the machine may be shared with other jobs).
    struct Timing: CustomStringConvertible {
        var wall: Double
        var cpu: Double
        var description: String { String(format: "%.3f s (cpu %.3f s)", wall, cpu) }
    }

    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Timing {
        let cpu = cpuSeconds()
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Timing(
            wall: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            cpu: cpuSeconds() - cpu
        )
    }

    @Test func ingestAndObservationsOnAFileLedger() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ledger = try Ledger(path: directory.appendingPathComponent("bench.sqlite").path)
        let batches = Self.batches()
        let appearances = batches.reduce(0) { $0 + $1.messages.reduce(0) { $0 + $1.facts.appearances.count } }

        let ingest = try Self.seconds {
            for batch in batches { try ledger.ingest(batch) }
        }
        let resync = try Self.seconds {
            for batch in batches { try ledger.ingest(batch) }
        }
        var observations: [MessageObservation] = []
        var timings: [Timing] = []
        for _ in 0..<3 {
            timings.append(try Self.seconds { observations = try ledger.observations() })
        }
        let observe = timings.sorted { $0.wall < $1.wall }[1]
        var window: [MessageObservation] = []
        let windowStart = Date(timeIntervalSince1970: 1_700_000_000 + Double(Self.messageCount) * 300 - 90 * 86_400)
        let ranged = try Self.seconds { window = try ledger.observations(from: windowStart, to: nil) }
        let stats = try ledger.stats()
        let fileSizes = ["", "-wal"].map { suffix in
            let attributes = try? FileManager.default.attributesOfItem(atPath: ledger.path + suffix)
            return ((attributes?[.size] as? NSNumber)?.intValue ?? 0) / 1_048_576
        }

        print(
            """
            ledger benchmark: \(Self.messageCount) messages, \(appearances) appearances, \
            \(stats.addresses) addresses, batches of \(Self.batchSize)
              ingest (new):        \(ingest) = \(Int(Double(Self.messageCount) / ingest.wall)) messages/s
              ingest (duplicates): \(resync) = \(Int(Double(Self.messageCount) / resync.wall)) messages/s
              observations (all):  \(observe), median of \(timings)
              observations (90 d): \(ranged), \(window.count) messages
              file: \(fileSizes[0]) MB, WAL \(fileSizes[1]) MB
            """
        )
        #expect(observations.count == Self.messageCount)
        #expect(observations.reduce(0) { $0 + $1.appearances.count } == appearances)
        let sample = Self.messageCount / 3
        #expect(
            observations[sample]
                == Fixtures.observation(
                    Self.facts(sample),
                    locations: [
                        FolderLocation(account: "helpdesk", folder: "INBOX", role: .incoming)
                    ]
                )
        )
        #expect(window.count == min(Self.messageCount, 90 * 86_400 / 300))
        #expect(try ledger.strings(sql: "PRAGMA foreign_key_check") == [])
        // CPU time: on a shared machine wall-clock time measures the neighbours too.
        #expect(Double(Self.messageCount) / ingest.cpu >= 50_000)
        #expect(observe.cpu <= 0.5)
    }
}

/// A tiny deterministic generator (SplitMix64) so the benchmark data is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
