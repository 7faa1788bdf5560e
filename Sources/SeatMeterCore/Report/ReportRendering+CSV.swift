import Foundation

extension ReportRendering {
    /// The CSV columns, one row per person of the licence window.
    package static let csvColumns = [
        "address", "name", "role", "agent_confirmed", "agent_reasons", "first_seen", "last_seen", "sent", "received",
        "on_behalf", "ownership_evidence",
    ]

    /// One row per person counted in the licence window (RFC 4180: CRLF line ends, fields with a comma, quote or
    /// line break quoted). `agent_reasons` is the reason kinds joined by `;`; dates are ISO 8601 in the report's
    /// time zone. A field that starts with `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not run
    /// it as a formula (display names come from mail headers).
    ///
    /// The lead may point this at `PeopleRendering.csv` so `users --format csv` and the report's attachment match.
    package static func csv(_ report: SeatReport) -> String {
        let format = ReportFormatting(timeZone: report.timeZone)
        var out = csvColumns.joined(separator: ",") + "\r\n"
        for person in report.people {
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
        return out
    }

    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@".unicodeScalars.contains(first), Double(value) == nil {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
