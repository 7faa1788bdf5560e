import Foundation
import SeatMeterCore
import SeatMeterStore
import Testing

/// Deterministic message facts for ledger tests.
enum Fixtures {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    /// Message `n`: from person n % 50 to the help desk, cc two others; every 7th automated, every 11th with a
    /// defect, every 13th without a Message-ID (keyed by digest), every 17th without a date.
    static func facts(_ n: Int, people: Int = 50) -> MessageFacts {
        let sender = n % people
        var appearances = [
            AddressAppearance(
                field: .from,
                mailbox: Mailbox(name: "Person \(sender)", address: "p\(sender)@example.com")
            ),
            AddressAppearance(field: .to, mailbox: Mailbox(name: "", address: "helpdesk@example.com")),
            AddressAppearance(
                field: .cc,
                mailbox: Mailbox(name: "Näme \((n + 1) % people)", address: "p\((n + 1) % people)@example.com")
            ),
            AddressAppearance(field: .cc, mailbox: Mailbox(name: "", address: "P\((n + 2) % people)@Example.com")),
        ]
        if n % 5 == 0 {
            appearances.append(
                AddressAppearance(
                    field: .replyTo,
                    mailbox: Mailbox(name: "Reply", address: "reply\(n % 3)@example.org")
                )
            )
        }
        if n % 9 == 0 {
            appearances.append(
                AddressAppearance(field: .resentFrom, mailbox: Mailbox(name: "Agent", address: "agent@example.com"))
            )
        }
        return MessageFacts(
            messageID: n % 13 == 0 ? nil : "msg-\(n)@example.com",
            date: n % 17 == 0 ? nil : epoch.addingTimeInterval(Double(n) * 60),
            subject: n % 19 == 0 ? nil : "Ticket #\(n): printer on floor \(n % 4) ✓",
            appearances: appearances,
            automation: AutomationFacts(reasons: n % 7 == 0 ? ["auto-submitted: auto-replied", "list-id"] : []),
            defects: n % 11 == 0 ? ["unterminated quoted string in To"] : [],
            digest: String(repeating: String(n % 16, radix: 16), count: 8) + String(format: "%056x", n)
        )
    }

    static func batch(
        _ numbers: some Sequence<Int>,
        account: String = "helpdesk",
        folder: String = "INBOX",
        role: FolderRole = .incoming,
        uidValidity: UInt32? = 1,
        uidOffset: Int = 0,
        checkpoint: Bool = true
    ) -> IngestBatch {
        let messages = numbers.map { n in
            IngestMessage(uid: uidValidity == nil ? nil : UInt32(n + 1 + uidOffset), facts: facts(n))
        }
        let highest = messages.compactMap(\.uid).max()
        return IngestBatch(
            account: account,
            folder: folder,
            role: role,
            uidValidity: uidValidity,
            messages: messages,
            checkpointUID: checkpoint ? (highest ?? 0) : nil
        )
    }

    /// The observation the ledger must return for `facts` seen in `locations`.
    static func observation(_ facts: MessageFacts, locations: [FolderLocation]) -> MessageObservation {
        MessageObservation(
            key: facts.deduplicationKey,
            messageID: facts.messageID,
            date: facts.date,
            subject: facts.subject,
            locations: locations,
            appearances: facts.appearances,
            automation: facts.automation
        )
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("seatmeter-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Where a test's ledger lives: both kinds must behave the same.
enum LedgerKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case file

    var testDescription: String { rawValue }

    /// A fresh ledger; a file one lives in a temporary directory removed when `scratch` goes away.
    func make() throws -> (ledger: Ledger, scratch: Scratch) {
        switch self {
        case .memory:
            return (try Ledger.inMemory(), Scratch(directory: nil))
        case .file:
            let directory = try Fixtures.temporaryDirectory()
            let ledger = try Ledger(path: directory.appendingPathComponent("ledger.sqlite").path)
            return (ledger, Scratch(directory: directory))
        }
    }

    final class Scratch {
        let directory: URL?
        init(directory: URL?) { self.directory = directory }
        deinit {
            if let directory { try? FileManager.default.removeItem(at: directory) }
        }
    }
}
