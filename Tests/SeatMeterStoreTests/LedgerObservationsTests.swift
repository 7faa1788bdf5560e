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

    @Test func rangedQueriesNeedNoSort() throws {
        let ledger = try ledger()
        for sql in [
            "SELECT m.id FROM message m WHERE m.date IS NOT NULL AND m.date >= 1 AND m.date < 2 ORDER BY m.date, m.id",
            """
            SELECT a.messageId FROM message m JOIN appearance a ON a.messageId = m.id
            WHERE m.date IS NOT NULL AND m.date >= 1 AND m.date < 2 ORDER BY m.date, m.id, a.position
            """,
            """
            SELECT l.messageId FROM message m JOIN location l ON l.messageId = m.id
            WHERE m.date IS NOT NULL AND m.date >= 1 AND m.date < 2 ORDER BY m.date, m.id, l.folderId
            """,
            "SELECT messageId FROM appearance ORDER BY messageId, position",
            "SELECT messageId FROM location ORDER BY messageId, folderId",
        ] {
            let plan = try ledger.queryPlan(sql: sql)
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sql): \(plan)")
        }
    }

    @Test(arguments: [
        "INSERT INTO appearance (messageId, position, field, addressId, name) VALUES (999999, 0, 'from', 1, '')",
        "INSERT INTO location (messageId, folderId, uidValidity, uid) VALUES (999999, 1, 1, 999999)",
        "UPDATE appearance SET addressId = 424242 WHERE messageId = 1 AND position = 0",
        "UPDATE appearance SET field = 'x-unknown' WHERE messageId = 1 AND position = 0",
        "UPDATE location SET folderId = 77 WHERE messageId = 1",
    ])
    func aDamagedLedgerIsReportedNotSilentlyMisread(damage: String) throws {
        let ledger = try ledger()
        try ledger.execute(sql: damage)
        #expect(throws: (any Error).self) { try ledger.observations() }
    }
}
