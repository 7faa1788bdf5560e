package import Foundation

/// The per-person rows of `seatmeter users` and the report's CSV: one concept, rendered three ways.
package enum PeopleRendering {
    // MARK: - JSON

    /// A list of objects with exactly the keys `address`, `name`, `role`, `agent` (`confirmed`, `reasons`),
    /// `first_seen`, `last_seen`, `sent`, `received` (excluded rows add `reasons`).
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
            ("first_seen", timestamp(excluded.firstSeen)),
            ("last_seen", timestamp(excluded.lastSeen)),
            ("sent", .int(excluded.sent)),
            ("received", .int(excluded.received)),
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

    /// The CSV columns, in order.
    package static let csvColumns = [
        "address", "name", "role", "agent_confirmed", "agent_reasons", "first_seen", "last_seen", "sent", "received",
        "on_behalf", "ownership_evidence",
    ]

    /// One row per person (RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted).
    /// `agent_reasons` is the reason kinds joined by `;`; dates are ISO 8601 in `timeZone`. Excluded addresses
    /// (with `--all`) have role `excluded` and their reason kinds in `agent_reasons`.
    package static func csv(
        _ people: [PersonVerdict], excluded: [ExcludedAddress] = [], timeZone: TimeZone = .gmt
    ) -> String {
        let format = ReportFormatting(timeZone: timeZone)
        var out = csvColumns.joined(separator: ",") + "\r\n"
        for person in people {
            let confirmed: String = person.agent.map { $0.confirmed ? "true" : "false" } ?? ""
            let reasons: String = person.agent.map { $0.reasons.map(\.kind.rawValue).joined(separator: ";") } ?? ""
            let firstSeen: String = person.firstSeen.map(format.iso) ?? ""
            let lastSeen: String = person.lastSeen.map(format.iso) ?? ""
            let fields: [String] = [
                person.address, person.name, person.role.rawValue, confirmed, reasons, firstSeen, lastSeen,
                String(person.sent), String(person.received), String(person.onBehalfCount),
                person.ownershipEvidence ? "true" : "false",
            ]
            out += fields.map(csvField).joined(separator: ",") + "\r\n"
        }
        for entry in excluded {
            let fields = [
                entry.address, entry.name, "excluded", "", entry.reasons.map(\.kind.rawValue).joined(separator: ";"),
                entry.firstSeen.map(format.iso) ?? "", entry.lastSeen.map(format.iso) ?? "", String(entry.sent),
                String(entry.received), "0", "false",
            ]
            out += fields.map(csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// Quotes a field when needed; a leading `=`, `+`, `-` or `@` (not a number) gets a `'` so spreadsheets do
    /// not run it as a formula (display names come from mail headers).
    package static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@".unicodeScalars.contains(first), Double(value) == nil {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - Table

    /// Aligned columns for a terminal.
    package static func table(_ people: [PersonVerdict], excluded: [ExcludedAddress] = []) -> String {
        var table = TextTable(
            ["ADDRESS", "NAME", "ROLE", "AGENT", "FIRST SEEN", "LAST SEEN", "SENT", "RECEIVED"],
            [.left, .left, .left, .left, .left, .left, .right, .right])
        for person in people {
            table.add([
                person.address, person.name, person.role.rawValue, agentLabel(person),
                person.firstSeen.map { ISO8601.day($0) } ?? "-", person.lastSeen.map { ISO8601.day($0) } ?? "-",
                String(person.sent), String(person.received),
            ])
        }
        for entry in excluded {
            table.add([
                entry.address, entry.name, "excluded", entry.reasons.map(\.kind.rawValue).joined(separator: ","),
                entry.firstSeen.map { ISO8601.day($0) } ?? "-", entry.lastSeen.map { ISO8601.day($0) } ?? "-",
                String(entry.sent), String(entry.received),
            ])
        }
        return table.render(indent: "")
    }

    static func agentLabel(_ person: PersonVerdict) -> String {
        guard let agent = person.agent else { return "" }
        return agent.confirmed ? "confirmed" : "inferred"
    }
}
