import Foundation
import TestSupport
import Testing

@testable import SeatMeterCore

/// The multi-window path (``ClassificationHistory``) against the single-window one
/// (``Classifier/classify(_:window:)``),
/// on a shuffled synthetic history with undated messages, ownership rules, aliases and ignore patterns.
@Suite("Classification history: many windows, one pass")
struct ClassificationHistoryTests {
    static let rules: ClassificationRules = {
        var rules = SyntheticLedger.rules
        rules.ownershipRules.append(OwnershipRule(name: "taken", subjectPattern: #"^\[Taken\]"#))
        rules.ignore = ["person7*@example.com"]
        rules.aliases = ["person3@example.com": "person4@example.com"]
        return rules
    }()

    /// 20,000 messages, about a tenth moved back in time (out of order), 2% undated, some ownership subjects.
    static let observations: [MessageObservation] = {
        var observations = SyntheticLedger.observations(messages: 20_000, people: 800, agents: 40)
        var generator = SplitMix64(seed: 7)
        for index in observations.indices {
            if generator.next() % 50 == 0 { observations[index].date = nil }
            if generator.next() % 7 == 0 {
                observations[index].date = observations[index].date?.addingTimeInterval(
                    -Double(generator.next() % 1_000_000))
            }
            if generator.next() % 40 == 0 {
                observations[index].subject =
                    "Ticket \(index) assigned to person\(generator.next() % 900)@example.com"
            }
            if generator.next() % 60 == 0 { observations[index].subject = "[Taken] Ticket \(index)" }
        }
        return observations
    }()

    static let windows: [DateInterval?] = {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        return [nil]
            + (0..<8).map { k in
                DateInterval(start: start.addingTimeInterval(Double(k) * 600_000), duration: Double(k + 1) * 700_000)
            }
    }()

    /// Names and spellings may come from before a history window's start (documented); everything else is equal.
    static func withoutNames(_ classification: Classification) -> Classification {
        var copy = classification
        for index in copy.people.indices {
            copy.people[index].name = ""
            copy.people[index].seenAs = []
        }
        for index in copy.excluded.indices { copy.excluded[index].name = "" }
        return copy
    }

    @Test(arguments: 0..<windows.count)
    func historyMatchesSingleWindow(windowIndex: Int) throws {
        let classifier = try Classifier(rules: Self.rules)
        let window = Self.windows[windowIndex]
        let single = classifier.classify(Self.observations, window: window)
        let history = classifier.history(Self.observations)
        let chunked = classifier.history(Self.observations, parallelChunkMinimum: 3_000)
        let fromHistory = history.classification(in: window)
        #expect(Self.withoutNames(fromHistory) == Self.withoutNames(single))
        #expect(chunked.classification(in: window) == fromHistory)
        #expect(history.seats(in: window) == single.seats)
        #expect(chunked.seats(in: window) == single.seats)
        #expect(single.messagesConsidered > 0)
        if window == nil { #expect(fromHistory == single) }
    }

    /// People judged in parts at once (as for thousands of people) give the same classification, in the same order,
    /// and the seats of many windows counted at once equal those counted one by one.
    @Test(arguments: [2, 3, 7])
    func peopleJudgedInPartsEqualOneByOne(parts: Int) throws {
        let history = try Classifier(rules: Self.rules).history(Self.observations)
        let windows = Self.windows.compactMap { $0 }
        for window in Self.windows {
            let whole = history.classification(in: window, evidence: true, parts: 1)
            #expect(whole.people.count > 100)
            #expect(history.classification(in: window, evidence: true, parts: parts) == whole)
            #expect(history.classification(in: window, evidence: false, parts: parts)
                == history.classification(in: window, evidence: false, parts: 1))
        }
        #expect(history.seats(in: windows) == windows.map { history.seats(in: $0) })
        #expect(Set(history.seats(in: windows).map(\.teamUsers)).count > 1)
    }

    @Test func classifyWindowsEqualsOneByOne() throws {
        let classifier = try Classifier(rules: Self.rules)
        let windows = Self.windows.compactMap { $0 }
        let many = classifier.classify(Self.observations, windows: windows)
        #expect(many.count == windows.count)
        for (window, result) in zip(windows, many) {
            #expect(
                Self.withoutNames(result) == Self.withoutNames(classifier.classify(Self.observations, window: window)))
        }
    }

    /// In a history window the display name is the latest seen before the window's end, even before its start.
    @Test func historyNameLooksBeforeTheWindow() throws {
        let desk = "helpdesk@example.com"
        let day = { (n: Double) in Date(timeIntervalSince1970: 1_700_000_000 + n * 86_400) }
        func message(_ key: String, _ day: Date, name: String) -> MessageObservation {
            MessageObservation(
                key: key, messageID: key, date: day, subject: "s",
                locations: [FolderLocation(account: "a", folder: "INBOX", role: .incoming)],
                appearances: [
                    AddressAppearance(field: .from, mailbox: Mailbox(name: name, address: "ann@example.com")),
                    AddressAppearance(field: .to, mailbox: Mailbox(name: "", address: desk)),
                ], automation: AutomationFacts())
        }
        let observations = [
            message("1", day(1), name: "Ann Old"), message("2", day(5), name: "Ann Lee"),
            message("3", day(12), name: ""), message("4", day(30), name: "Ann Later"),
        ]
        let classifier = try Classifier(
            rules: ClassificationRules(helpdeskAddresses: [desk], internalDomains: ["example.com"]))
        let window = DateInterval(start: day(10), end: day(20))
        #expect(classifier.classify(observations, window: window).person("ann@example.com")?.name == "")
        let history = classifier.history(observations)
        #expect(history.classification(in: window).person("ann@example.com")?.name == "Ann Lee")
        #expect(history.classification(in: nil).person("ann@example.com")?.name == "Ann Later")
        #expect(history.dateRange == day(1)...day(30))
        #expect(history.messageCount == 4)
    }

    /// The ownership prefilter never hides a match: for each pattern and subject, the person is named owner
    /// exactly when NSRegularExpression finds the pattern in the subject.
    @Test(arguments: [
        #"(?i)assigned to (?<owner>\S+@\S+)"#, #"^\[Taken\]"#, #"Ticket #\d+ taken"#, #"(?i)ta?ken by me"#,
        #"owner: (?<owner>[^ ]+)"#, #"(?i)(re: )?claimed"#, #"a|b claimed"#, #"\QTaken\E"#, #"(?i:taken)"#,
        #"tak+en\."#, #"x{2}taken"#, #"[A-Z]aken"#, #"(?x) t a k e n"#,
    ])
    func ownershipPrefilterAgreesWithTheRegex(pattern: String) throws {
        let subjects = [
            "Assigned to bob@example.com", "ASSIGNED TO bob@example.com", "assigned  to bob@example.com",
            "[Taken] printer", "Re: [Taken] printer", "Ticket #12 taken", "Ticket # taken", "taken by me",
            "TKEN BY ME", "tken by me", "owner: bob@example.com", "claimed", "Re: CLAIMED", "b claimed",
            "taken", "Taken", "takkken.", "taken.", "xxtaken", "Taken", "t a k e n", "\u{212A}laimed",
            "assigned to bob@example.com \u{17F}", "ta\u{17F}ken by me", "",
        ]
        let regex = try NSRegularExpression(pattern: pattern)
        let classifier = try Classifier(
            rules: ClassificationRules(
                helpdeskAddresses: ["helpdesk@example.com"], internalDomains: ["example.com"],
                ownershipRules: [OwnershipRule(name: "rule", subjectPattern: pattern)]))
        for subject in subjects {
            let observation = MessageObservation(
                key: subject, messageID: nil, date: Date(timeIntervalSince1970: 1_700_000_000), subject: subject,
                locations: [FolderLocation(account: "a", folder: "INBOX", role: .incoming)],
                appearances: [
                    AddressAppearance(field: .from, mailbox: Mailbox(name: "", address: "carol@example.com")),
                    AddressAppearance(field: .to, mailbox: Mailbox(name: "", address: "helpdesk@example.com")),
                ], automation: AutomationFacts())
            let result = classifier.classify([observation], window: nil)
            let matches =
                !subject.isEmpty
                && regex.firstMatch(in: subject, range: NSRange(location: 0, length: subject.utf16.count)) != nil
            let owners = result.people.filter { $0.agent?.reason(.ownershipRule) != nil }
            #expect(!owners.isEmpty == matches, "pattern \(pattern) subject \(subject)")
        }
    }
}

@Suite("Classification history: address spellings")
struct AddressSpellingTests {
    /// Thousands of distinct addresses that share a long prefix (longer than the table's inline 24 bytes) and
    /// differ only at the end, in both cases: each is its own person, counted once per message.
    @Test func longAddressesWithASharedPrefixStayDistinct() throws {
        let prefix = "first.middle.lastname.department"
        var observations: [MessageObservation] = []
        for index in 0..<3_000 {
            for spelling in ["\(prefix)\(index)@example.com", "\(prefix.uppercased())\(index)@EXAMPLE.com"] {
                observations.append(
                    MessageObservation(
                        key: "\(spelling)", messageID: nil, date: Date(timeIntervalSince1970: Double(index)),
                        subject: nil, locations: [FolderLocation(account: "a", folder: "INBOX", role: .incoming)],
                        appearances: [
                            AddressAppearance(field: .from, mailbox: Mailbox(name: "", address: spelling)),
                            AddressAppearance(field: .to, mailbox: Mailbox(name: "", address: "helpdesk@example.com")),
                        ], automation: AutomationFacts()))
            }
        }
        let classifier = try Classifier(
            rules: ClassificationRules(helpdeskAddresses: ["helpdesk@example.com"], internalDomains: ["example.com"]))
        let result = classifier.classify(observations, window: nil)
        #expect(result.people.count == 3_000)
        #expect(result.people.allSatisfy { $0.sent == 2 && $0.seenAs.count == 1 })
        let chunked = classifier.history(observations, parallelChunkMinimum: 1_000).classification(in: nil)
        #expect(chunked == result)
    }
}
