/// Ledger failures SeatMeter can explain; SQLite errors propagate as GRDB's `DatabaseError`.
package enum LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file was migrated by a newer SeatMeter: this version must not write (or trust) it.
    case newerSchema(path: String, unknownMigrations: [String])
    /// Read-only open of a file whose schema is missing migrations this version needs.
    case olderSchema(path: String, missingMigrations: [String])
    /// Read-only open of a file that does not exist.
    case missingFile(path: String)
    /// The ledger's directory could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// A batch that contradicts itself, e.g. a UID without a UIDVALIDITY.
    case invalidBatch(account: String, folder: String, reason: String)

    package var description: String {
        switch self {
        case .newerSchema(let path, let unknown):
            "ledger \(path) was written by a newer SeatMeter (unknown migrations: "
                + "\(unknown.joined(separator: ", "))); upgrade SeatMeter or use another ledger file"
        case .olderSchema(let path, let missing):
            "ledger \(path) needs migrations \(missing.joined(separator: ", ")); "
                + "run `seatmeter sync` (which migrates it) first"
        case .missingFile(let path):
            "ledger \(path) does not exist; run `seatmeter sync` or `seatmeter import` first"
        case .cannotCreateDirectory(let path, let reason):
            "cannot create the ledger directory \(path): \(reason)"
        case .invalidBatch(let account, let folder, let reason):
            "invalid batch for account \(account), folder \(folder): \(reason)"
        }
    }
}
