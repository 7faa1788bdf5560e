import Foundation
import SeatMeterCore
import Testing

@testable import SeatMeterStore

@Suite("Ledger observations")
struct LedgerObservationsTests {
    let inbox = FolderLocation(account: "helpdesk", folder: "INBOX", role: .incoming)

    /// Messages 0..<200 (one a minute from the fixture epoch), some without a date.
    func ledger() throws -> Ledger {
        let ledger = try Ledger.inMemory()
        // Ingest out of date order, in several batches, so storage order differs from date order.
        try ledger.ingest(Fixtures.batch(100..<200))
        try ledger.ingest(Fixtures.batch(0..<100))
        return ledger
    }

    @Test func withoutARangeEveryMessageComesBackExactlyInStorageOrder() throws {
        let ledger = try ledger()
        let expected = (Array(100..<200) + Array(0..<100)).map {
            Fixtures.observation(Fixtures.facts($0), locations: [inbox])
        }
        #expect(try ledger.observations() == expected)
        #expect(try ledger.observations(from: nil, to: nil) == expected)
    }

    static let ranges: [(from: Int?, to: Int?)] = [
        (10, 50), (0, 200), (nil, 30), (150, nil), (42, 43), (60, 60), (199, 500),
    ]

    @Test(arguments: ranges)
    func aRangeReturnsDatedMessagesInDateOrder(from: Int?, to: Int?) throws {
        let ledger = try ledger()
        let start = from.map { Fixtures.epoch.addingTimeInterval(Double($0) * 60) }
        let end = to.map { Fixtures.epoch.addingTimeInterval(Double($0) * 60) }
        let expected = (0..<200)
            .filter { $0 % 17 != 0 && $0 >= (from ?? Int.min) && $0 < (to ?? Int.max) }
            .map { Fixtures.observation(Fixtures.facts($0), locations: [inbox]) }
        #expect(try ledger.observations(from: start, to: end) == expected)
    }

    @Test func fractionalBoundsCompareWithTheStoredSecond() throws {
        let ledger = try ledger()
        let second = Fixtures.epoch.addingTimeInterval(60)  // message 1
        #expect(
            try ledger.observations(from: second.addingTimeInterval(-0.5), to: second.addingTimeInterval(0.5)).map(
                \.key
            ) == ["mid:msg-1@example.com"]
        )
        #expect(
            try ledger.observations(from: second.addingTimeInterval(0.5), to: second.addingTimeInterval(59)).isEmpty
        )
    }

    @Test func locationsAndAppearancesStayWithTheirMessageInARange() throws {
        let ledger = try ledger()
        let sent = FolderLocation(account: "helpdesk", folder: "Sent", role: .outgoing)
        let other = FolderLocation(account: "second", folder: "INBOX", role: .incoming)
        try ledger.ingest(Fixtures.batch(stride(from: 0, to: 200, by: 3), folder: "Sent", role: .outgoing))
        try ledger.ingest(Fixtures.batch(stride(from: 0, to: 200, by: 4), account: "second"))
        let start = Fixtures.epoch.addingTimeInterval(20 * 60)
        let end = Fixtures.epoch.addingTimeInterval(130 * 60)
        let expected = (20..<130).filter { $0 % 17 != 0 }.map { n in
            Fixtures.observation(
                Fixtures.facts(n),
                locations: [inbox] + (n % 3 == 0 ? [sent] : []) + (n % 4 == 0 ? [other] : [])
            )
        }
        #expect(try ledger.observations(from: start, to: end) == expected)
    }

    @Test func anEmptyLedgerHasNoObservations() throws {
        let ledger = try Ledger.inMemory()
        #expect(try ledger.observations().isEmpty)
        #expect(try ledger.observations(from: Fixtures.epoch, to: nil).isEmpty)
    }

    @Test func theObservationsQueriesNeedNoSort() throws {
        let ledger = try ledger()
        let epoch = Fixtures.epoch
        for selection in [
            Ledger.Selection(from: nil, to: nil), Ledger.Selection(from: epoch, to: epoch.addingTimeInterval(60)),
            Ledger.Selection(from: nil, to: epoch), Ledger.Selection(from: nil, to: nil).adding("id <= ?", 5),
            Ledger.Selection(from: epoch, to: nil).adding("id <= ?", 5).adding("date < ?", 7),
        ] {
            // EXPLAIN cannot bind: the bounds go in as literals.
            var sql = selection.query
            for bound in selection.bounds {
                if let mark = sql.firstIndex(of: "?") { sql.replaceSubrange(mark...mark, with: "\(bound)") }
            }
            let plan = try ledger.queryPlan(sql: sql)
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sql): \(plan)")
        }
    }

    /// The id bounds of a read are two index descents, not a scan of every message.
    @Test func theIdBoundsAreFoundWithoutAScan() throws {
        let plan = try ledger().queryPlan(sql: Ledger.idBoundsQuery)
        #expect(plan.filter { $0.contains("SEARCH message") }.count == 2, "\(plan)")
        #expect(!plan.contains { $0.contains("SCAN message") }, "\(plan)")
        #expect(try ledger().strings(sql: Ledger.idBoundsQuery) == ["1"])
    }

    @Test(arguments: ranges)
    func aReadCutInTwoHalvesEqualsOneScan(from: Int?, to: Int?) throws {
        let ledger = try ledger()
        let sent = FolderLocation(account: "helpdesk", folder: "Sent", role: .outgoing)
        try ledger.ingest(Fixtures.batch(stride(from: 0, to: 200, by: 3), folder: "Sent", role: .outgoing))
        let start = from.map { Fixtures.epoch.addingTimeInterval(Double($0) * 60) }
        let end = to.map { Fixtures.epoch.addingTimeInterval(Double($0) * 60) }
        let halves = try ledger.observations(from: start, to: end, parallelMinimum: 0)
        let scan = try ledger.observations(from: start, to: end, parallelMinimum: Int.max)
        #expect(halves == scan)
        #expect(scan.allSatisfy { $0.locations == [inbox] || $0.locations == [inbox, sent] })
        // Without a range too (storage order, undated messages included).
        #expect(
            try ledger.observations(from: nil, to: nil, parallelMinimum: 0)
                == ledger.observations(from: nil, to: nil, parallelMinimum: Int.max)
        )
    }

    /// Observations with the key left out: a batch keeps no digest.
    static func keyless(_ observations: [MessageObservation]) -> [MessageObservation] {
        observations.map {
            var copy = $0
            copy.key = ""
            return copy
        }
    }

    @Test(arguments: ranges)
    func theBatchHoldsTheSameMessagesInStorageOrder(from: Int?, to: Int?) throws {
        let ledger = try ledger()
        try ledger.ingest(Fixtures.batch(stride(from: 0, to: 200, by: 3), folder: "Sent", role: .outgoing))
        let start = from.map { Fixtures.epoch.addingTimeInterval(Double($0) * 60) }
        let end = to.map { Fixtures.epoch.addingTimeInterval(Double($0) * 60) }
        let halves = try ledger.observationBatch(from: start, to: end, parallelMinimum: 0)
        let scan = try ledger.observationBatch(from: start, to: end, parallelMinimum: Int.max)
        #expect(halves.observations == scan.observations)
        // Storage order: 100..<200 then 0..<100; the observations read sorts a range by date.
        let storage = Self.keyless(try ledger.observations(from: nil, to: nil))
        let selected = Self.keyless(try ledger.observations(from: start, to: end))
        #expect(Self.keyless(scan.observations) == storage.filter { selected.contains($0) })
        #expect(scan.count == selected.count)
        // Addresses and names are the ledger's interned tables, read once.
        #expect(scan.names.first == "")
        #expect(
            Set(scan.addresses.filter { !$0.isEmpty })
                == Set(storage.flatMap { $0.appearances.map(\.mailbox.address) }))
    }

    @Test func theBatchOfAnEmptyLedgerIsEmpty() throws {
        #expect(try Ledger.inMemory().observationBatch().count == 0)
    }

    @Test(arguments: [
        // The count says five appearances; none follow.
        "UPDATE message SET appearances = X'05' WHERE id = 1",
        // One appearance of address 424242 (not stored).
        "UPDATE message SET appearances = X'01A0A69E0300' WHERE id = 1",
        // Field code 15 (never written).
        "UPDATE message SET appearances = X'011F00' WHERE id = 1",
        // Name id 999 (not stored).
        "UPDATE message SET appearances = X'0110E707' WHERE id = 1",
        // A trailing byte after the last appearance.
        "UPDATE message SET appearances = X'01100000' WHERE id = 1",
        // Folder 77 (not stored).
        "UPDATE message SET folders = X'4D' WHERE id = 1",
        // A varint cut short.
        "UPDATE message SET folders = X'81' WHERE id = 1",
    ])
    func aDamagedLedgerIsReportedNotSilentlyMisread(damage: String) throws {
        let ledger = try ledger()
        try ledger.execute(sql: damage)
        #expect(throws: (any Error).self) { try ledger.observations() }
        #expect(throws: (any Error).self) { try ledger.observationBatch() }
    }
}
