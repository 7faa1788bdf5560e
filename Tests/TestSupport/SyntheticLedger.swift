import Foundation
package import SeatMeterCore

/// A deterministic help desk history of any size, for scale tests and the classify benchmark:
/// `people` internal people (the first `agents` of them staff), `messages` messages over one year with about five
/// address appearances each. Mix: 78% requests (a person to the desk, two people copied), 12% staff replies from
/// the outgoing folder, 4% requests sent on behalf of someone else, 6% automated (acknowledgements from the desk,
/// out-of-office replies). Some addresses are written in upper case, some with display names.
package enum SyntheticLedger {
    package static func observations(messages: Int = 100_000, people: Int = 5_000, agents: Int = 50) -> [MessageObservation] {
        var generator = SplitMix64(seed: 42)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let inbox = [FolderLocation(account: "helpdesk", folder: "INBOX", role: .incoming)]
        let sent = [FolderLocation(account: "helpdesk", folder: "Sent", role: .outgoing)]
        let desk = Mailbox(name: "Help Desk", address: "helpdesk@example.com")
        let addresses = (0..<people).map { "person\($0)@example.com" }
        let shouting = (0..<people).map { "Person\($0)@example.com" }
        let names = (0..<people).map { "Person \($0)" }
        func someone(_ g: inout SplitMix64) -> Mailbox {
            let index = agents + Int(g.next() % UInt64(people - agents))
            let address = g.next() % 10 == 0 ? shouting[index] : addresses[index]
            return Mailbox(name: g.next() % 3 == 0 ? "" : names[index], address: address)
        }
        func agent(_ g: inout SplitMix64) -> Mailbox {
            let index = Int(g.next() % UInt64(agents))
            return Mailbox(name: names[index], address: addresses[index])
        }
        var result: [MessageObservation] = []
        result.reserveCapacity(messages)
        for index in 0..<messages {
            let date = start.addingTimeInterval(Double(index) * 315.36)  // one year
            let kind = generator.next() % 100
            var appearances: [AddressAppearance] = []
            var automation = AutomationFacts()
            var locations = inbox
            switch kind {
            case 0..<78:
                appearances = [
                    .init(field: .from, mailbox: someone(&generator)), .init(field: .to, mailbox: desk),
                    .init(field: .cc, mailbox: someone(&generator)), .init(field: .cc, mailbox: someone(&generator)),
                    .init(field: .replyTo, mailbox: someone(&generator)),
                ]
            case 78..<90:
                locations = sent
                appearances = [
                    .init(field: .from, mailbox: agent(&generator)), .init(field: .to, mailbox: someone(&generator)),
                    .init(field: .cc, mailbox: desk), .init(field: .cc, mailbox: someone(&generator)),
                    .init(field: .bcc, mailbox: someone(&generator)),
                ]
            case 90..<94:
                appearances = [
                    .init(field: .from, mailbox: someone(&generator)),
                    .init(field: .sender, mailbox: agent(&generator)),
                    .init(field: .to, mailbox: desk), .init(field: .cc, mailbox: someone(&generator)),
                    .init(field: .cc, mailbox: someone(&generator)),
                ]
            case 94..<97:
                automation = AutomationFacts(reasons: ["auto-submitted: auto-replied"])
                locations = sent
                appearances = [
                    .init(field: .from, mailbox: desk), .init(field: .to, mailbox: someone(&generator)),
                    .init(field: .cc, mailbox: someone(&generator)), .init(field: .cc, mailbox: someone(&generator)),
                    .init(field: .replyTo, mailbox: desk),
                ]
            default:
                automation = AutomationFacts(reasons: ["auto-submitted: auto-replied", "x-autoreply"])
                appearances = [
                    .init(field: .from, mailbox: someone(&generator)), .init(field: .to, mailbox: desk),
                    .init(field: .cc, mailbox: someone(&generator)), .init(field: .cc, mailbox: someone(&generator)),
                    .init(field: .cc, mailbox: Mailbox(name: "", address: "mailer-daemon@example.com")),
                ]
            }
            result.append(
                MessageObservation(
                    key: "mid:\(index)@synthetic", messageID: "\(index)@synthetic", date: date,
                    subject: "Request \(index)", locations: locations, appearances: appearances,
                    automation: automation))
        }
        return result
    }

    /// The rules the synthetic history is meant for.
    package static let rules = ClassificationRules(
        helpdeskAddresses: ["helpdesk@example.com"], internalDomains: ["example.com"],
        agentAddresses: (0..<25).map { "person\($0)@example.com" }, agentRosterSource: "agents.csv",
        ownershipRules: [OwnershipRule(name: "assigned", subjectPattern: #"(?i)assigned to (?<owner>\S+@\S+)"#)])
}

/// A tiny deterministic generator (SplitMix64), so the synthetic history is the same on every machine.
package struct SplitMix64 {
    package var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
