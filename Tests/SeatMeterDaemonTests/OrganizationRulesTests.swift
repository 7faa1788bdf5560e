import Foundation
import SeatMeterCore
import TestSupport
import Testing

@testable import SeatMeterDaemon

/// `organization:` as the classifier gets it: ownership rules, the roster file and the aliases file.
@Suite struct OrganizationRulesTests {
    static func parse(_ yaml: String) throws -> SeatMeterConfiguration {
        try SeatMeterConfiguration.parse(yaml: yaml, file: "/etc/seatmeter/seatmeter.yaml", environment: [:])
    }

    /// Writes `text` to a file `name` in a fresh directory (removed with the returned value).
    static func write(_ text: String, name: String) throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory(prefix: "seatmeter-org")
        let path = directory.path + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    // MARK: - ownership_rules

    @Test(arguments: [
        (
            #"{ name: a, subject: "assigned to (?<owner>\\S+)" }"#,
            OwnershipRule(name: "a", subjectPattern: #"assigned to (?<owner>\S+)"#)
        ),
        (#"{ name: b, from: "*@tracker.example.com" }"#, OwnershipRule(name: "b", fromPattern: "*@tracker.example.com")),
        (
            #"{ name: c, from: "bot@example.com", subject: "assigned to you", owner: to }"#,
            OwnershipRule(name: "c", subjectPattern: "assigned to you", fromPattern: "bot@example.com", owner: .to)
        ),
        (#"{ subject: "x", owner: cc }"#, OwnershipRule(name: "rule 1", subjectPattern: "x", owner: .cc)),
        (
            #"{ name: e, subject: "by (?<owner>\\S+)", owner: from }"#,
            OwnershipRule(name: "e", subjectPattern: #"by (?<owner>\S+)"#, owner: .from)
        ),
    ])
    func ownershipRulesParse(_ rule: String, expected: OwnershipRule) throws {
        let configuration = try Self.parse(
            "organization: { internal_domains: [example.com], ownership_rules: [ \(rule) ] }\n")
        #expect(try configuration.organization.classificationRules().ownershipRules == [expected])
    }

    @Test(arguments: [
        (#"{ name: a }"#, "organization.ownership_rules[0]", "subject or from"),
        (#"{ name: a, subject: "([" }"#, "organization.ownership_rules[0].subject", "regular expression"),
        (#"{ name: a, from: "a b@example.com" }"#, "organization.ownership_rules[0].from", "address or a glob"),
        (#"{ name: a, from: "" }"#, "organization.ownership_rules[0].from", "address or a glob"),
        (#"{ name: a, subject: "x", owner: bcc }"#, "organization.ownership_rules[0].owner", "capture, from, to or cc"),
        (#"{ name: a, subject: "x", owner: capture }"#, "organization.ownership_rules[0].owner", "(?<owner>"),
        (#"{ name: a, subject: "x", sender: y }"#, "organization.ownership_rules[0].sender", "unknown key"),
    ])
    func badOwnershipRulesNameTheKey(_ rule: String, keyPath: String, message: String) throws {
        let yaml = "organization: { internal_domains: [example.com], ownership_rules: [ { subject: ok }, \(rule) ] }\n"
        let error = try #require(
            throws: ConfigurationError.self, performing: { try Self.parse(yaml) })
        #expect(error.keyPath == keyPath.replacingOccurrences(of: "[0]", with: "[1]"), "\(error)")
        #expect(error.message.contains(message), "\(error)")
    }

    // MARK: - Roster sources

    @Test func eachRosterAddressKeepsItsSource() throws {
        let (file, path) = try Self.write("lou@example.com\nkim@example.com\n", name: "agents.txt")
        defer { _ = file }
        var organization = OrganizationConfiguration()
        organization.internalDomains = ["example.com"]
        organization.agentAddresses = ["kim@example.com"]
        organization.agentsFile = path
        let rules = try organization.classificationRules()
        #expect(rules.agentAddressSources == ["lou@example.com": path])
        let classifier = try Classifier(rules: rules)
        let message = { (address: String) in
            MessageObservation(
                key: address, messageID: address, date: Date(timeIntervalSince1970: 1_700_000_000), subject: "s",
                locations: [FolderLocation(account: "a", folder: "INBOX", role: .incoming)],
                appearances: [AddressAppearance(field: .from, mailbox: Mailbox(name: "", address: address))],
                automation: AutomationFacts())
        }
        let result = classifier.classify([message("kim@example.com"), message("lou@example.com")], window: nil)
        #expect(
            classifier.explain("kim@example.com", in: result)?.reasons.first?.summary
                == "listed as agent in organization.agents.addresses")
        #expect(classifier.explain("lou@example.com", in: result)?.reasons.first?.summary == "listed as agent in \(path)")
    }

    // MARK: - agents.file

    @Test(arguments: [
        ("plain list", "alice@example.com\n\n# a comment\n bob@example.com \r\n", ["alice@example.com", "bob@example.com"]),
        ("byte order mark", "\u{FEFF}alice@example.com\nbob@example.com\n", ["alice@example.com", "bob@example.com"]),
        (
            "CSV with an email column", "name,email,team\nAlice,alice@example.com,L1\nBob,bob@example.com,L2\n",
            ["alice@example.com", "bob@example.com"]
        ),
        (
            "header in another case, quoted fields with commas",
            "\"Name\",\"E-Mail Address\",\"Role\"\r\n\"Smith, Alice\",\"alice@example.com\",\"Agent, L1\"\r\n"
                + "\"O\"\"Brien, Bob\",bob@example.com,Agent\r\n",
            ["alice@example.com", "bob@example.com"]
        ),
        (
            "upper-case EMAIL, rows without an address skipped",
            "ID;x,EMAIL\n1,alice@example.com\n2,\n3\n4,carol@example.com\n", ["alice@example.com", "carol@example.com"]
        ),
    ])
    func rosterFiles(_ name: String, text: String, expected: [String]) throws {
        let (file, path) = try Self.write(text, name: "agents.csv")
        defer { _ = file }
        #expect(try RosterFile.addresses(at: path, keyPath: "organization.agents.file") == expected, "\(name)")
    }

    @Test func aCSVWithoutAnEmailColumnIsAnError() throws {
        let (file, path) = try Self.write("name,team\nAlice,L1\n", name: "agents.csv")
        defer { _ = file }
        let error = try #require(
            throws: ConfigurationError.self,
            performing: { try RosterFile.addresses(at: path, keyPath: "organization.agents.file") })
        #expect(error.keyPath == "organization.agents.file")
        #expect(error.message.contains("email"), "\(error)")
    }

    @Test func aMissingRosterFileNamesTheKeyAndThePath() throws {
        let error = try #require(
            throws: ConfigurationError.self,
            performing: { try RosterFile.addresses(at: "/nonexistent/agents.csv", keyPath: "organization.agents.file") })
        #expect(error.keyPath == "organization.agents.file")
        #expect(error.message.contains("/nonexistent/agents.csv"))
    }

    // MARK: - aliases_file

    @Test(arguments: [
        ("no header", "jsmith@example.com,john.smith@example.com\nJ@example.com, john.smith@example.com\n"),
        ("a header", "alias,address\njsmith@example.com,john.smith@example.com\nJ@example.com,john.smith@example.com\n"),
        ("quoted", "\"jsmith@example.com\",\"john.smith@example.com\"\r\n\"J@example.com\",\"john.smith@example.com\"\r\n"),
    ])
    func aliasesFiles(_ name: String, text: String) throws {
        let (file, path) = try Self.write(text, name: "aliases.csv")
        defer { _ = file }
        let pairs = try RosterFile.aliases(at: path)
        #expect(pairs.map(\.0) == ["jsmith@example.com", "J@example.com"], "\(name)")
        #expect(pairs.map(\.1) == ["john.smith@example.com", "john.smith@example.com"], "\(name)")

        var organization = OrganizationConfiguration()
        organization.internalDomains = ["example.com"]
        organization.aliases = ["js@example.com": "john.smith@example.com"]
        organization.aliasesFile = path
        let rules = try organization.classificationRules()
        #expect(rules.aliases["jsmith@example.com"] == "john.smith@example.com")
        #expect(rules.aliases["js@example.com"] == "john.smith@example.com")
    }

    @Test func aBadAliasLineNamesTheFileAndTheLine() throws {
        let (file, path) = try Self.write("a@example.com,b@example.com\nnot an alias\n", name: "aliases.csv")
        defer { _ = file }
        let error = try #require(throws: ConfigurationError.self, performing: { try RosterFile.aliases(at: path) })
        #expect(error.keyPath == "organization.aliases_file")
        #expect(error.message.contains("\(path) line 2"), "\(error)")
    }
}
