import Foundation
import SeatMeterCore
import Testing

private let desk = "helpdesk@example.com"
private let tracker = "notify@tracker.example.net"

private func rules(_ rules: OwnershipRule...) -> ClassificationRules {
    .base.with { $0.ownershipRules = rules }
}

/// `ownership_rules` with `subject`, `from` and `owner`: every address's verdict, exact (run by
/// `ClassifierRuleTests.rule`).
let ownershipCases: [RuleCase] = [
    RuleCase(
        name: "from only, default owner from: the matching sender is the owner",
        rules: rules(OwnershipRule(name: "taker", fromPattern: "gina@example.com")),
        messages: [
            M("1").from("gina@example.com").to(desk),
            M("2").from("hal@example.com").to(desk),
        ],
        expected: ["gina@example.com": "agent", "hal@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "from glob and owner to: each To recipient of the tracker's notice is an owner",
        rules: rules(
            OwnershipRule(
                name: "assigned to you", subjectPattern: #"assigned to you$"#, fromPattern: "*@tracker.example.net",
                owner: .to)),
        messages: [
            M("1").from(tracker).to("ivy@example.com", "jon@example.com").cc("kay@example.com")
                .subject("Issue #12 assigned to you").automated("auto-submitted: auto-generated")
        ],
        expected: [
            "ivy@example.com": "agent", "jon@example.com": "agent", "kay@example.com": "excluded:automated-mail",
            tracker: "excluded:external",
        ]),
    RuleCase(
        name: "owner cc: the Cc recipients are owners, To recipients are not",
        rules: rules(OwnershipRule(name: "cc", subjectPattern: #"^\[Assigned\]"#, owner: .cc)),
        messages: [
            M("1").from("lee@example.com").to("max@example.com").cc("ned@example.com", "x@gmail.com", desk)
                .subject("[Assigned] VPN")
        ],
        expected: [
            "lee@example.com": "free-submitter", "max@example.com": "free-recipient", "ned@example.com": "agent",
            "x@gmail.com": "excluded:external", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "subject and from must both match: the same subject from someone else names nobody",
        rules: rules(
            OwnershipRule(
                name: "assigned", subjectPattern: #"assigned to (?<owner>\S+)"#, fromPattern: tracker)),
        messages: [
            M("1").from("ann@example.com").to(desk).subject("assigned to ola@example.com"),
            M("2").from("NOTIFY@Tracker.Example.NET").to(desk).subject("assigned to pat@example.com"),
        ],
        expected: [
            "ann@example.com": "free-submitter", "pat@example.com": "agent", desk: "excluded:helpdesk",
            tracker: "excluded:external",
        ]),
    RuleCase(
        name: "owner from with a subject that has an owner group: the sender, not the captured text",
        rules: rules(OwnershipRule(name: "took", subjectPattern: #"taken by (?<owner>\S+)"#, owner: .from)),
        messages: [M("1").from("quin@example.com").to(desk).subject("taken by rex@example.com")],
        expected: ["quin@example.com": "agent", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "from matches the From only, not a Sender or a recipient with that address",
        rules: rules(OwnershipRule(name: "taker", fromPattern: "sam@example.com")),
        messages: [
            M("1").from("tom@example.com").to(desk).cc("sam@example.com"),
            M("2").from("uma@example.com").to("sam@example.com"),
        ],
        expected: [
            "tom@example.com": "free-submitter", "sam@example.com": "free-recipient",
            "uma@example.com": "free-submitter",
            desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "a message without a subject still matches a from-only rule",
        rules: rules(OwnershipRule(name: "taker", fromPattern: "vic@*")),
        messages: [M("1").noSubject().from("vic@example.com").to(desk)],
        expected: ["vic@example.com": "agent", desk: "excluded:helpdesk"]),
]

@Suite("Ownership rules")
struct OwnershipRuleTests {
    @Test func theReasonNamesTheRuleAndTheEvidence() throws {
        let result = try classify(
            [M("1").from(tracker).to("ivy@example.com").subject("Issue #3 assigned to you")],
            rules: rules(OwnershipRule(name: "assigned to you", fromPattern: tracker, owner: .to)))
        let ivy = try #require(result.person("ivy@example.com"))
        let reason = try #require(ivy.agent?.reason(.ownershipRule))
        #expect(reason.summary == "named owner in 1 message by ownership rule \"assigned to you\"")
        #expect(reason.evidence.first?.subject == "Issue #3 assigned to you")
        #expect(ivy.ownershipEvidence)
    }

    @Test(arguments: [
        (OwnershipRule(name: "none"), "organization.ownership_rules[0]"),
        (OwnershipRule(name: "bad", subjectPattern: "([a-"), "organization.ownership_rules[0].subject"),
        (OwnershipRule(name: "blank", fromPattern: " "), "organization.ownership_rules[0].from"),
        (OwnershipRule(name: "spaces", fromPattern: "a b@example.com"), "organization.ownership_rules[0].from"),
        (OwnershipRule(name: "capture", subjectPattern: "x", owner: .capture), "organization.ownership_rules[0].owner"),
        (OwnershipRule(name: "capture", fromPattern: "a@example.com", owner: .capture), "organization.ownership_rules[0].owner"),
    ])
    func invalidRulesNameTheKey(_ rule: OwnershipRule, key: String) {
        #expect {
            try rules(rule).validate()
        } throws: { error in
            (error as? ClassificationRulesError)?.key == key
        }
    }

    @Test(arguments: [
        (OwnershipRule(name: "a", subjectPattern: #"to (?<owner>\S+)"#), OwnershipRule.Owner.capture),
        (OwnershipRule(name: "b", subjectPattern: "x"), .from),
        (OwnershipRule(name: "c", fromPattern: "a@example.com"), .from),
        (OwnershipRule(name: "d", fromPattern: "a@example.com", owner: .cc), .cc),
    ])
    func defaultOwner(_ rule: OwnershipRule, expected: OwnershipRule.Owner) throws {
        #expect(rule.effectiveOwner == expected)
        try rules(rule).validate()
    }
}

@Suite("Roster sources and excluded activity")
struct RosterSourceTests {
    @Test(arguments: [
        ("kim@example.com", "listed as agent in organization.agents.addresses"),
        ("lou@example.com", "listed as agent in /etc/seatmeter/agents.csv"),
        ("both@example.com", "listed as agent in organization.agents.addresses"),
        ("mo@support.example.com", "domain support.example.com is listed in organization.agents.domains"),
    ])
    func explainNamesEachAddressesOwnSource(_ address: String, summary: String) throws {
        let rules = ClassificationRules.base.with {
            $0.agentAddresses = ["kim@example.com", "Both@example.com", "lou@example.com", "both@example.com"]
            $0.agentAddressSources = ["lou@example.com": "/etc/seatmeter/agents.csv"]
            $0.agentDomains = ["support.example.com"]
        }
        let classifier = try Classifier(rules: rules)
        let result = classifier.classify([M("1").from(address).to(desk)].map(\.observation), window: nil)
        let explanation = try #require(classifier.explain(address, in: result))
        #expect(explanation.reasons.first?.summary == summary)
        #expect(result.person(address)?.agent?.confirmed == true)
    }

    @Test func excludedAddressesCarryWhenAndHowOften() throws {
        let rules = ClassificationRules.base.with { $0.ignore = ["ignored@example.com"] }
        let messages = [
            M("1", day: 1).from("cust@gmail.com").to(desk),
            M("2", day: 3).from(desk).to("cust@gmail.com").cc("ignored@example.com"),
            M("3", day: 5).from("cust@gmail.com").to(desk).cc("ignored@example.com"),
            M("4", day: 2).from("ooo@example.com").to(desk).automated("x-autoreply"),
            M("5", day: 4).from("ooo@example.com").to(desk).automated("x-autoreply"),
            M("6", day: 6).from("list@example.com").to("auto@example.com").automated("list-id"),
            M("7", day: 7).from("ann@example.com").to(desk).replyTo("reply@example.com"),
        ]
        let result = try classify(messages, rules: rules)
        let expected: [String: (first: Double, last: Double, sent: Int, received: Int)] = [
            "cust@gmail.com": (1, 5, 2, 1),
            "ignored@example.com": (3, 5, 0, 2),
            "ooo@example.com": (2, 4, 2, 0),
            "auto@example.com": (6, 6, 0, 1),
            "reply@example.com": (7, 7, 0, 0),
            desk: (1, 7, 1, 5),
        ]
        for (address, want) in expected {
            let entry = try #require(result.excludedAddress(address), "\(address)")
            #expect(entry.firstSeen == M.day(want.first), "\(address)")
            #expect(entry.lastSeen == M.day(want.last), "\(address)")
            #expect(entry.sent == want.sent, "\(address)")
            #expect(entry.received == want.received, "\(address)")
        }
    }
}

extension M {
    func noSubject() -> M {
        var copy = self
        copy.observation.subject = nil
        return copy
    }
}
