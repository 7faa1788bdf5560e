import CSQLiteSetup
import GRDBSQLite
import Testing

@testable import SeatMeterStore

@Suite("SQLite setup")
struct SQLiteSetupTests {
    /// The settings are made before the first connection opens (else SQLite refuses them), and hold while ledgers
    /// are in use: no memory statistics, so no global mutex around every allocation.
    @Test func memoryStatisticsAreOffWhileLedgersAreInUse() throws {
        let ledger = try Ledger.inMemory()
        try ledger.ingest(Fixtures.batch(0..<50))
        #expect(Ledger.sqliteSetup == SQLITE_OK)
        #expect(seatmeter_sqlite_keeps_memory_statistics() == 0)
        #expect(try ledger.messageCount() == 50)
    }
}
