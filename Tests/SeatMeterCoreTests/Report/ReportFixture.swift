import Foundation
import SeatMeterCore

/// A small help desk history with known content, in Europe/Berlin. The report is run "as of" Wednesday
/// 2025-01-15 10:00, so the period is week 2025-W02 (Mon 2025-01-06 to Mon 2025-01-13), the licence window (90 days)
/// is [2024-10-15, 2025-01-13) and the previous period's is [2024-10-08, 2025-01-06).
///
/// | msg | date (local)     | folder | what                                   |
/// |-----|------------------|--------|----------------------------------------|
/// | m1  | 2025-01-08 09:00 | INBOX  | alice → desk                           |
/// | m2  | 2024-11-01 10:00 | INBOX  | bob → desk                             |
/// | m3  | 2025-01-02 10:00 | INBOX  | bob → desk                             |
/// | m4  | 2024-12-01 10:00 | INBOX  | bob → desk, cc carol                   |
/// | m5  | 2024-10-10 10:00 | INBOX  | dave → desk (previous window only)     |
/// | m6  | 2025-01-07 11:00 | Sent   | agent1 (roster) → bob                  |
/// | m7  | 2024-12-10 11:00 | Sent   | agent1 → carol                         |
/// | m8  | 2025-01-09 12:00 | Sent   | erin (not on the roster) → alice       |
/// | m9  | 2024-12-05 09:00 | INBOX  | erin → desk                            |
/// | m10 | 2025-01-10 09:00 | INBOX  | From grace, Sender frank → desk        |
/// | m11 | 2024-12-20 09:00 | INBOX  | henry@external.org → desk              |
/// | m12 | 2024-12-21 09:00 | INBOX  | ivan → desk, automated (out of office) |
/// | m13 | 2024-10-13 12:00 | Sent   | judy (not on the roster) → desk        |
///
/// The roster is agent1 and agent2 (agent2 never appears).
enum ReportFixture {
    static let desk = "helpdesk@example.com"
    static let berlin = TimeZone(identifier: "Europe/Berlin") ?? .gmt

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = berlin
        return calendar
    }()

    /// A local date in Europe/Berlin.
    static func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Date {
        calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))
            ?? Date(timeIntervalSince1970: 0)
    }

    static let asOf = at(2025, 1, 15, 10)

    static func message(
        _ key: String, _ date: Date, _ role: FolderRole = .incoming, from: String, sender: String? = nil,
        to: [String] = [desk], cc: [String] = [], automated: Bool = false, name: String = ""
    ) -> MessageObservation {
        var appearances = [AddressAppearance(field: .from, mailbox: Mailbox(name: name, address: from))]
        if let sender {
            appearances.append(AddressAppearance(field: .sender, mailbox: Mailbox(name: "", address: sender)))
        }
        appearances += to.map { AddressAppearance(field: .to, mailbox: Mailbox(name: "", address: $0)) }
        appearances += cc.map { AddressAppearance(field: .cc, mailbox: Mailbox(name: "", address: $0)) }
        return MessageObservation(
            key: "mid:\(key)", messageID: "\(key)@test", date: date, subject: "subject \(key)",
            locations: [FolderLocation(account: "desk", folder: role == .incoming ? "INBOX" : "Sent", role: role)],
            appearances: appearances,
            automation: AutomationFacts(reasons: automated ? ["auto-submitted: auto-replied"] : []))
    }

    static func person(_ name: String) -> String { "\(name)@example.com" }

    static let observations: [MessageObservation] = [
        message("m1", at(2025, 1, 8, 9), from: person("alice"), name: "Alice A"),
        message("m2", at(2024, 11, 1, 10), from: person("bob")),
        message("m3", at(2025, 1, 2, 10), from: person("bob")),
        message("m4", at(2024, 12, 1, 10), from: person("bob"), cc: [person("carol")]),
        message("m5", at(2024, 10, 10, 10), from: person("dave")),
        message("m6", at(2025, 1, 7, 11), .outgoing, from: person("agent1"), to: [person("bob")]),
        message("m7", at(2024, 12, 10, 11), .outgoing, from: person("agent1"), to: [person("carol")]),
        message("m8", at(2025, 1, 9, 12), .outgoing, from: person("erin"), to: [person("alice")]),
        message("m9", at(2024, 12, 5, 9), from: person("erin")),
        message("m10", at(2025, 1, 10, 9), from: person("grace"), sender: person("frank")),
        message("m11", at(2024, 12, 20, 9), from: "henry@external.org"),
        message("m12", at(2024, 12, 21, 9), from: person("ivan"), automated: true),
        message("m13", at(2024, 10, 13, 12), .outgoing, from: person("judy")),
    ]

    static let rules = ClassificationRules(
        helpdeskAddresses: [desk], internalDomains: ["example.com"],
        agentAddresses: [person("agent1"), person("agent2")], agentRosterSource: "agents.csv")

    static let dataQuality = DataQualityInput(
        folders: [
            FolderFreshness(
                account: "desk", folder: "INBOX", role: .incoming, lastSuccessfulSync: at(2025, 1, 15, 9, 58),
                messages: 10),
            FolderFreshness(
                account: "desk", folder: "Sent", role: .outgoing, lastSuccessfulSync: at(2025, 1, 15, 9, 0), messages: 4
            ),
        ], pollInterval: 300, messagesIngested: 13, messagesWithDefects: 2)

    static func input(
        licensing: Licensing = Licensing(teamPricePerUser: 10, supportPricePerAgent: 25), threshold: Double = 0.10,
        observations: [MessageObservation] = observations, asOf: Date = asOf,
        dataQuality: DataQualityInput = dataQuality
    ) -> ReportInput {
        ReportInput(
            asOf: asOf, timeZone: berlin, observations: observations, rules: rules, licensing: licensing,
            onBehalfThreshold: threshold, dataQuality: dataQuality)
    }

    static func report(
        licensing: Licensing = Licensing(teamPricePerUser: 10, supportPricePerAgent: 25), threshold: Double = 0.10
    ) throws -> SeatReport {
        try SeatReport(input(licensing: licensing, threshold: threshold))
    }
}
