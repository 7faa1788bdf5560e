import Foundation

/// Why one address is what it is, for `seatmeter explain ADDRESS`: its role, every reason with its evidence
/// messages (most recent first, capped, with the full count), and what would change the verdict.
package struct Explanation: Sendable, Hashable {
    package enum Verdict: Sendable, Hashable {
        case person(PersonVerdict)
        case excluded(ExcludedAddress)
    }

    /// One reason line with its evidence.
    package struct Line: Sendable, Hashable {
        package var summary: String
        package var evidence: [Evidence]
        package var evidenceCount: Int

        package init(summary: String, evidence: [Evidence], evidenceCount: Int) {
            self.summary = summary
            self.evidence = evidence
            self.evidenceCount = evidenceCount
        }
    }

    /// The address as asked.
    package var query: String
    /// The identity it resolved to.
    package var address: String
    package var name: String
    /// `agent`, `free-submitter`, `free-recipient` or `excluded`.
    package var role: String
    package var verdict: Verdict
    /// One sentence: "alice@example.com is an inferred agent (not on the roster)".
    package var headline: String
    /// Agent reasons, then activity (submitted/received); or the exclusion reasons.
    package var reasons: [Line]
    /// "listed as agent in agents.csv", "would be free if it stopped sending on behalf of others (3 messages)", ...
    package var whatWouldChange: [String]

    package init(
        query: String, address: String, name: String, role: String, verdict: Verdict, headline: String,
        reasons: [Line], whatWouldChange: [String]
    ) {
        self.query = query
        self.address = address
        self.name = name
        self.role = role
        self.verdict = verdict
        self.headline = headline
        self.reasons = reasons
        self.whatWouldChange = whatWouldChange
    }

    /// A plain-text rendering for the terminal (dates in UTC, ISO 8601).
    package var text: String {
        var lines: [String] = [headline]
        if case .person(let person) = verdict {
            let first = person.firstSeen.map(Self.format) ?? "unknown"
            let last = person.lastSeen.map(Self.format) ?? "unknown"
            var counts = "first seen \(first), last seen \(last); sent \(person.sent), received \(person.received)"
            if person.onBehalfCount > 0 { counts += ", on behalf of others \(person.onBehalfCount)" }
            lines.append(counts)
            if !person.seenAs.isEmpty { lines.append("also written as: " + person.seenAs.joined(separator: ", ")) }
        }
        lines.append("Reasons:")
        for reason in reasons {
            lines.append("  - " + reason.summary)
            for item in reason.evidence {
                var parts = [item.date.map(Self.format) ?? "undated"]
                let place = item.account.isEmpty ? item.folder : "\(item.account)/\(item.folder)"
                if !place.isEmpty { parts.append(place) }
                parts.append(item.messageID.map { "<\($0)>" } ?? "(no Message-ID)")
                if let subject = item.subject { parts.append("\"\(subject)\"") }
                if let detail = item.detail { parts.append("(\(detail))") }
                lines.append("      " + parts.joined(separator: "  "))
            }
            if reason.evidenceCount > reason.evidence.count {
                lines.append("      … and \(reason.evidenceCount - reason.evidence.count) more")
            }
        }
        if !whatWouldChange.isEmpty {
            lines.append("What would change it:")
            lines.append(contentsOf: whatWouldChange.map { "  - " + $0 })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func format(_ date: Date) -> String { date.formatted(.iso8601) }
}
