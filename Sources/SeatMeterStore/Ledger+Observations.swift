import Foundation
import GRDB
import SeatMeterCore

extension Ledger {
    /// Three ordered raw-row scans (messages, appearances, locations) merged in one pass: no per-message
    /// query, no Codable decoding. The appearance and location scans visit messages in the same order as
    /// the message scan, so the three advance in lockstep.
    static func observations(from: Date?, to: Date?, in db: Database) throws -> [MessageObservation] {
        // Stored dates are whole seconds d: from <= d ⟺ ceil(from) <= d, and d < to ⟺ d < ceil(to).
        var conditions: [String] = []
        var bounds: [Int64] = []
        if from != nil || to != nil { conditions.append("m.date IS NOT NULL") }
        if let from {
            conditions.append("m.date >= ?")
            bounds.append(ceilSeconds(from))
        }
        if let to {
            conditions.append("m.date < ?")
            bounds.append(ceilSeconds(to))
        }
        let ranged = !conditions.isEmpty
        let filter = ranged ? "WHERE " + conditions.joined(separator: " AND ") : ""
        // With a range, walk the date index (date, id); without, the message table (id) and the appearance
        // primary key (messageId, position). Both orders are index orders: no sort.
        let order = ranged ? "m.date, m.id" : "m.id"
        func prepare(_ sql: String) throws -> RawStatement {
            let statement = try RawStatement(db, sql: sql)
            for (offset, bound) in bounds.enumerated() { try statement.bind(bound, at: Int32(offset + 1)) }
            return statement
        }

        let addresses = try addressTable(in: db)
        let folders = try folderTable(in: db)

        let messages = try prepare(
            """
            SELECT m.id, m.dedupKey, m.messageID, m.date, m.subject, m.automationReasons
            FROM message m \(filter) ORDER BY \(order)
            """
        )
        let appearances = try prepare(
            ranged
                ? """
                SELECT a.messageId, a.field, a.addressId, a.name
                FROM message m JOIN appearance a ON a.messageId = m.id \(filter) ORDER BY \(order), a.position
                """
                : "SELECT messageId, field, addressId, name FROM appearance ORDER BY messageId, position"
        )
        let locations = try prepare(
            ranged
                ? """
                SELECT l.messageId, l.folderId
                FROM message m JOIN location l ON l.messageId = m.id \(filter) ORDER BY \(order), l.folderId
                """
                : "SELECT messageId, folderId FROM location ORDER BY messageId, folderId"
        )
        defer {
            messages.reset()
            appearances.reset()
            locations.reset()
        }

        // Field names are few: decode each distinct text once.
        var fields: [String: AddressField] = [:]
        for field in AddressField.allCases { fields[field.rawValue] = field }

        // The three scans advance in lockstep: the rows of a message's appearances and locations come right
        // when the message does.
        var observations: [MessageObservation] = []
        var moreAppearances = try appearances.step()
        var moreLocations = try locations.step()
        while try messages.step() {
            let id = messages.int64(0)
            var messageAppearances: [AddressAppearance] = []
            while moreAppearances, appearances.int64(0) == id {
                let fieldName = appearances.string(1)
                guard let field = fields[fieldName] else {
                    throw DatabaseError(message: "unknown address field \(fieldName) in message \(id)")
                }
                let addressID = appearances.int64(2)
                guard let address = addresses.address(addressID) else {
                    throw DatabaseError(message: "unknown address id \(addressID) in message \(id)")
                }
                messageAppearances.append(
                    AddressAppearance(field: field, mailbox: Mailbox(name: appearances.string(3), address: address))
                )
                moreAppearances = try appearances.step()
            }
            var messageLocations: [FolderLocation] = []
            var previousFolderID: Int64?  // rows come ordered by folder: keep each folder once
            while moreLocations, locations.int64(0) == id {
                let folderID = locations.int64(1)
                if folderID != previousFolderID {
                    guard let location = folders[folderID] else {
                        throw DatabaseError(message: "unknown folder id \(folderID) in message \(id)")
                    }
                    messageLocations.append(location)
                    previousFolderID = folderID
                }
                moreLocations = try locations.step()
            }
            observations.append(
                MessageObservation(
                    key: messages.string(1),
                    messageID: messages.optionalString(2),
                    date: messages.optionalInt64(3).map { Date(timeIntervalSince1970: Double($0)) },
                    subject: messages.optionalString(4),
                    locations: messageLocations,
                    appearances: messageAppearances,
                    automation: AutomationFacts(reasons: splitLines(messages.string(5)))
                )
            )
        }
        if moreAppearances || moreLocations {
            // Only possible if rows lost their message (foreign keys are declared, not enforced).
            throw DatabaseError(message: "ledger inconsistency: appearances or locations without their message")
        }
        return observations
    }

    private static func ceilSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.up)
        if let exact = Int64(exactly: seconds) { return exact }
        return seconds < 0 ? Int64.min : Int64.max
    }

    /// Every stored address by id (ids are dense from 1: rows are never deleted).
    private static func addressTable(in db: Database) throws -> AddressTable {
        var table = AddressTable()
        let rows = try RawStatement(db, sql: "SELECT id, address FROM address ORDER BY id")
        defer { rows.reset() }
        while try rows.step() {
            table.insert(id: rows.int64(0), address: rows.string(1))
        }
        return table
    }

    private static func folderTable(in db: Database) throws -> [Int64: FolderLocation] {
        var folders: [Int64: FolderLocation] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, account, name, role FROM folder") {
            let role: String = row[3]
            guard let folderRole = FolderRole(rawValue: role) else {
                throw DatabaseError(message: "unknown folder role \(role)")
            }
            folders[row[0]] = FolderLocation(account: row[1], folder: row[2], role: folderRole)
        }
        return folders
    }
}

/// Address ids to strings: an array for the dense ids, a dictionary for any others.
private struct AddressTable {
    private var dense: [String?] = [nil]
    private var sparse: [Int64: String] = [:]

    mutating func insert(id: Int64, address: String) {
        if id == Int64(dense.count) {
            dense.append(address)
        } else if id >= 0, id < Int64(dense.count) {
            dense[Int(id)] = address
        } else {
            sparse[id] = address
        }
    }

    func address(_ id: Int64) -> String? {
        if id >= 0, id < Int64(dense.count) { return dense[Int(id)] }
        return sparse[id]
    }
}
