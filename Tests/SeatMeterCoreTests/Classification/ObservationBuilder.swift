import Foundation
import SeatMeterCore
import Testing

/// Builds ``MessageObservation`` values for classification tests: `M("k1").from("alice@example.com").to(desk)`.
struct M: Sendable {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)
    static func day(_ n: Double) -> Date { epoch.addingTimeInterval(n * 86_400) }

    var observation: MessageObservation

    init(_ key: String, _ role: FolderRole = .incoming, day: Double? = 1, subject: String? = nil) {
        observation = MessageObservation(
            key: key, messageID: "\(key)@test", date: day.map(M.day), subject: subject ?? "subject \(key)",
            locations: [FolderLocation(account: "desk", folder: role == .incoming ? "INBOX" : "Sent", role: role)],
            appearances: [], automation: AutomationFacts())
    }

    func add(_ field: AddressField, _ address: String, _ name: String = "") -> M {
        var copy = self
        copy.observation.appearances.append(
            AddressAppearance(field: field, mailbox: Mailbox(name: name, address: address)))
        return copy
    }

    func from(_ address: String, _ name: String = "") -> M { add(.from, address, name) }
    func sender(_ address: String, _ name: String = "") -> M { add(.sender, address, name) }
    func to(_ addresses: String...) -> M { addresses.reduce(self) { $0.add(.to, $1) } }
    func cc(_ addresses: String...) -> M { addresses.reduce(self) { $0.add(.cc, $1) } }
    func replyTo(_ address: String) -> M { add(.replyTo, address) }
    func resentFrom(_ address: String) -> M { add(.resentFrom, address) }
    func resentSender(_ address: String) -> M { add(.resentSender, address) }
    func resentTo(_ address: String) -> M { add(.resentTo, address) }

    func automated(_ reasons: String...) -> M {
        var copy = self
        copy.observation.automation = AutomationFacts(reasons: reasons)
        return copy
    }

    func alsoIn(_ role: FolderRole, folder: String) -> M {
        var copy = self
        copy.observation.locations.append(FolderLocation(account: "desk", folder: folder, role: role))
        return copy
    }

    func undated() -> M {
        var copy = self
        copy.observation.date = nil
        return copy
    }

    func subject(_ subject: String) -> M {
        var copy = self
        copy.observation.subject = subject
        return copy
    }
}

extension ClassificationRules {
    /// The rules most tests start from: a desk at example.com, internal example.com.
    static let base = ClassificationRules(
        helpdeskAddresses: ["helpdesk@example.com", "support@example.com"],
        internalDomains: ["example.com"])

    func with(_ change: (inout ClassificationRules) -> Void) -> ClassificationRules {
        var copy = self
        change(&copy)
        return copy
    }
}

extension Classification {
    /// `address → role` for people, `address → "excluded:<kind>,<kind>"` for excluded addresses.
    var verdicts: [String: String] {
        var result: [String: String] = [:]
        for person in people { result[person.address] = person.role.rawValue }
        for address in excluded {
            result[address.address] = "excluded:" + address.reasons.map(\.kind.rawValue).joined(separator: ",")
        }
        return result
    }
}

func classify(_ messages: [M], rules: ClassificationRules = .base, window: DateInterval? = nil) throws
    -> Classification
{
    try Classifier(rules: rules).classify(messages.map(\.observation), window: window)
}

extension M: CustomTestStringConvertible {
    var testDescription: String {
        let fields = observation.appearances.map { "\($0.field.rawValue): \($0.mailbox.address)" }
        let where_ = observation.locations.map(\.role.rawValue).joined(separator: "+")
        return "[\(where_)] " + fields.joined(separator: ", ")
    }
}
