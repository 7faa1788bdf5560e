import GRDB
import Testing

@testable import SeatMeterStore

@Suite("RawStatement binding")
struct RawStatementTests {
    /// Runs `body` with a statement inserting into `t(x)`, then returns what `t` holds as `(typeof(x), hex(x))`.
    private func stored(_ body: (RawStatement) throws -> Void) throws -> [String] {
        // The ledger's configuration: SQLite's process-wide settings come before its first connection.
        let queue = try DatabaseQueue(configuration: Ledger.makeConfiguration(readOnly: false, file: false))
        return try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (x)")
            let insert = try RawStatement(db, sql: "INSERT INTO t (x) VALUES (?)")
            try body(insert)
            return try String.fetchAll(db, sql: "SELECT typeof(x) || ' ' || hex(x) FROM t ORDER BY rowid")
        }
    }

    /// Binds "abc" with `bind`, changes its first byte to "x", then steps: what `t` then holds.
    private func storedAfterChangingTheBoundBytes(_ bind: (RawStatement, UnsafeRawBufferPointer) throws -> Void) throws
        -> [String]
    {
        try stored { insert in
            var bytes: [UInt8] = Array("abc".utf8)
            try bytes.withUnsafeMutableBytes { buffer in
                try bind(insert, UnsafeRawBufferPointer(buffer))
                buffer[0] = UInt8(ascii: "x")
                try insert.execute()
            }
        }
    }

    @Test func aBorrowedValueIsReadInPlaceWhenTheStatementSteps() throws {
        // SQLite reads borrowed bytes at the step, not at the bind: what the buffer holds then is stored.
        #expect(try storedAfterChangingTheBoundBytes { try $0.bind(borrowedText: $1, at: 1) } == ["text 786263"])
        #expect(try storedAfterChangingTheBoundBytes { try $0.bind(borrowedBlob: $1, at: 1) } == ["blob 786263"])
    }

    @Test func aCopiedValueIsReadWhenBound() throws {
        #expect(try storedAfterChangingTheBoundBytes { try $0.bind(text: $1, at: 1) } == ["text 616263"])
        #expect(try storedAfterChangingTheBoundBytes { try $0.bind(blob: $1, at: 1) } == ["blob 616263"])
    }

    @Test func borrowedEmptyAndMissingValuesKeepTheirMeaning() throws {
        // An empty buffer (nil base address) is the empty string or an empty BLOB; nil text is NULL.
        let rows = try stored { insert in
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            try insert.bind(borrowedText: empty, at: 1)
            try insert.execute()
            try insert.bind(borrowedBlob: empty, at: 1)
            try insert.execute()
            try insert.bind(borrowedText: nil, at: 1)
            try insert.execute()
        }
        #expect(rows == ["text ", "blob ", "null "])
    }
}
