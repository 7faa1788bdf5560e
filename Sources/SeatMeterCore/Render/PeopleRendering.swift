package import Foundation

/// The per-person rows of `seatmeter users` and the report's CSV: one concept, rendered three ways.
package enum PeopleRendering {
    /// The CSV and JSON columns, in order.
    package static let columns = ["address", "name", "role", "agent", "first_seen", "last_seen", "sent", "received"]

    // MARK: - JSON

    /// A list of objects with exactly the keys of ``columns`` (excluded rows add `reasons`).
    package static func json(_ people: [PersonVerdict], excluded: [ExcludedAddress] = []) -> JSONValue {
        .array(people.map(json) + excluded.map(json))
    }

    package static func json(_ person: PersonVerdict) -> JSONValue {
        var agent = JSONValue.null
        if let status = person.agent {
            let reasons: [JSONValue] = status.reasons.map { json($0) }
            agent = .object([("confirmed", .bool(status.confirmed)), ("reasons", .array(reasons))])
        }
        return .object([
            ("address", .string(person.address)),
            ("name", .string(person.name)),
            ("role", .string(person.role.rawValue)),
            ("agent", agent),
            ("first_seen", timestamp(person.firstSeen)),
            ("last_seen", timestamp(person.lastSeen)),
            ("sent", .int(person.sent)),
            ("received", .int(person.received)),
        ])
    }

    static func timestamp(_ date: Date?) -> JSONValue {
        guard let date else { return .null }
        return .string(ISO8601.string(date))
    }

    package static func json(_ excluded: ExcludedAddress) -> JSONValue {
        .object([
            ("address", .string(excluded.address)),
            ("name", .string(excluded.name)),
            ("role", .string("excluded")),
            ("agent", .null),
            ("first_seen", .null),
            ("last_seen", .null),
            ("sent", .int(0)),
            ("received", .int(0)),
            ("reasons", .array(excluded.reasons.map { json($0) })),
        ])
    }

    package static func json<Kind>(_ reason: Reason<Kind>) -> JSONValue where Kind: RawRepresentable<String> {
        .object([
            ("kind", .string(reason.kind.rawValue)),
            ("summary", .string(reason.summary)),
            ("count", .int(reason.evidenceCount)),
            ("evidence", .array(reason.evidence.map { json($0) })),
        ])
    }

    package static func json(_ evidence: Evidence) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("date", timestamp(evidence.date)),
            ("account", .string(evidence.account)),
            ("folder", .string(evidence.folder)),
            ("message_id", .optional(evidence.messageID)),
            ("subject", .optional(evidence.subject)),
        ]
        if let detail = evidence.detail { members.append(("detail", .string(detail))) }
        return .object(members)
    }

    // MARK: - CSV

    /// RFC 4180 CSV with a header row; `agent` is `confirmed`, `inferred` or empty, followed by the reasons.
    package static func csv(_ people: [PersonVerdict], excluded: [ExcludedAddress] = []) -> String {
        var lines = [(columns + ["reasons"]).joined(separator: ",")]
        for person in people {
            lines.append([
                person.address, person.name, person.role.rawValue, agentLabel(person),
                person.firstSeen.map { ISO8601.string($0) } ?? "", person.lastSeen.map { ISO8601.string($0) } ?? "",
                String(person.sent), String(person.received),
                (person.agent?.reasons.map(\.summary) ?? []).joined(separator: "; "),
            ].map(csvField).joined(separator: ","))
        }
        for entry in excluded {
            lines.append([
                entry.address, entry.name, "excluded", "", "", "", "0", "0",
                entry.reasons.map(\.summary).joined(separator: "; "),
            ].map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    package static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            // A leading =, +, - or @ would be a formula in spreadsheet programs.
            if let first = field.first, "=+-@".contains(first) { return "'" + field }
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - Table

    /// Aligned columns for a terminal.
    package static func table(_ people: [PersonVerdict], excluded: [ExcludedAddress] = []) -> String {
        var rows = [["ADDRESS", "NAME", "ROLE", "AGENT", "FIRST SEEN", "LAST SEEN", "SENT", "RECEIVED"]]
        for person in people {
            rows.append([
                person.address, person.name, person.role.rawValue, agentLabel(person),
                person.firstSeen.map { ISO8601.day($0) } ?? "-", person.lastSeen.map { ISO8601.day($0) } ?? "-",
                String(person.sent), String(person.received),
            ])
        }
        for entry in excluded {
            rows.append([
                entry.address, entry.name, "excluded", entry.reasons.map(\.kind.rawValue).joined(separator: ","),
                "-", "-", "0", "0",
            ])
        }
        return AlignedColumns.render(rows, rightAligned: [6, 7])
    }

    static func agentLabel(_ person: PersonVerdict) -> String {
        guard let agent = person.agent else { return "" }
        return agent.confirmed ? "confirmed" : "inferred"
    }
}

/// Columns padded to the widest cell, two spaces apart.
package enum AlignedColumns {
    package static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() where index < widths.count {
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += rightAligned.contains(index) ? pad + cell : cell + pad
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
