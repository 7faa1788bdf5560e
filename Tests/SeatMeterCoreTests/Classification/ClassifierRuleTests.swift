import Foundation
import SeatMeterCore
import Testing

/// One rule or trap: messages, rules, and the exact verdict of every address that appears.
struct RuleCase: Sendable, CustomTestStringConvertible {
    var name: String
    var rules: ClassificationRules = .base
    var messages: [M]
    /// Every address in the result: `role` or `excluded:<kinds>`; addresses not listed must not appear.
    var expected: [String: String]

    var testDescription: String { name }
}

private let desk = "helpdesk@example.com"

let ruleCases: [RuleCase] = [
    RuleCase(
        name: "a person mailing the desk is a free submitter; the desk is not a user",
        messages: [M("1").from("alice@example.com").to(desk)],
        expected: ["alice@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "someone only copied is a free recipient",
        messages: [M("1").from("alice@example.com").to(desk).cc("bob@example.com")],
        expected: [
            "alice@example.com": "free-submitter", "bob@example.com": "free-recipient", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "trap: Sender equal to From in another case is not on behalf",
        messages: [M("1").from("alice@example.com").sender("Alice@example.com").to(desk)],
        expected: ["alice@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: Sender equal to From in another case, case folding off, is still not on behalf",
        rules: .base.with { $0.foldLocalPartCase = false },
        messages: [M("1").from("alice@example.com").sender("ALICE@example.com").to(desk)],
        expected: ["alice@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: Sender differing from From only by display name is not on behalf",
        messages: [M("1").from("alice@example.com", "Alice").sender("alice@example.com", "Alice Smith (IT)").to(desk)],
        expected: ["alice@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "a person Sender differing from From sends on behalf: agent",
        messages: [M("1").from("bob@example.com").sender("carol@example.com").to(desk)],
        expected: ["bob@example.com": "free-submitter", "carol@example.com": "agent", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "Sender that is the help desk is not on behalf",
        messages: [M("1").from("alice@example.com").sender("support@example.com").to("bob@example.com")],
        expected: [
            "alice@example.com": "free-submitter", "bob@example.com": "free-recipient",
            "support@example.com": "excluded:helpdesk",
        ]),
    RuleCase(
        name: "Sender that is a system address is not on behalf",
        messages: [M("1").from("alice@example.com").sender("bounces-123@example.com").to(desk)],
        expected: [
            "alice@example.com": "free-submitter", "bounces-123@example.com": "excluded:system",
            desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "a staff member writing as the help desk (Sender of desk mail) is an agent",
        messages: [M("1", .outgoing).from(desk).sender("dave@example.com").to("alice@example.com")],
        expected: ["dave@example.com": "agent", "alice@example.com": "free-recipient", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "Resent-From re-submitting someone else's mail: agent",
        messages: [M("1").from("bob@example.com").resentFrom("carol@example.com").resentTo(desk)],
        expected: ["bob@example.com": "free-submitter", "carol@example.com": "agent", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "Resent-Sender re-submitting someone else's mail: agent",
        messages: [M("1").from("bob@example.com").to("x@example.com").resentSender("carol@example.com").resentTo(desk)],
        expected: [
            "bob@example.com": "free-submitter", "x@example.com": "free-recipient", "carol@example.com": "agent",
            desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "re-sending one's own message is plain submission",
        messages: [M("1").from("bob@example.com").resentFrom("Bob@example.com").resentTo(desk)],
        expected: ["bob@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "the author of mail in an outgoing folder is an agent; its recipient a free recipient",
        messages: [M("1", .outgoing).from("eve@example.com").to("alice@example.com")],
        expected: ["eve@example.com": "agent", "alice@example.com": "free-recipient"]),
    RuleCase(
        name: "the help desk's own address in From of outgoing mail is not a person",
        messages: [M("1", .outgoing).from(desk).to("alice@example.com")],
        expected: ["alice@example.com": "free-recipient", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "ownership rule with an owner group names the owner (automated notification)",
        rules: .base.with {
            $0.ownershipRules = [OwnershipRule(name: "assigned", subjectPattern: #"(?i)assigned to (?<owner>\S+)"#)]
        },
        messages: [
            M("1").from(desk).to(desk).subject("Ticket #5 assigned to <Frank@Example.com>")
                .automated("auto-submitted: auto-generated")
        ],
        expected: ["frank@example.com": "agent", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "ownership rule without a group makes the From the owner",
        rules: .base.with { $0.ownershipRules = [OwnershipRule(name: "taken", subjectPattern: #"^\[Taken\]"#)] },
        messages: [
            M("1").from("gina@example.com").to(desk).subject("[Taken] printer"),
            M("2").from("hal@example.com").to(desk).subject("Re: [Taken] printer"),
        ],
        expected: ["gina@example.com": "agent", "hal@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "ownership rule naming the help desk or an external address makes no agent",
        rules: .base.with {
            $0.ownershipRules = [OwnershipRule(name: "assigned", subjectPattern: #"assigned to (?<owner>\S+)"#)]
        },
        messages: [
            M("1").from("a@example.com").to(desk).subject("assigned to helpdesk@example.com"),
            M("2").from("a@example.com").to(desk).subject("assigned to x@gmail.com"),
            M("3").from("a@example.com").to(desk).subject("assigned to nobody"),
        ],
        expected: ["a@example.com": "free-submitter", desk: "excluded:helpdesk", "x@gmail.com": "excluded:external"]),
    RuleCase(
        name: "trap: an employee's out-of-office reply alone does not count them",
        messages: [
            M("1", .outgoing).from(desk).to("henry@example.com").automated("auto-submitted: auto-replied"),
            M("2").from("henry@example.com").to(desk).automated("auto-submitted: auto-replied"),
        ],
        // Henry received the desk's acknowledgement: he counts as a recipient, not as a sender.
        expected: ["henry@example.com": "free-recipient", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: an out-of-office sender with no other mail is excluded",
        messages: [M("1").from("henry@example.com").to(desk).automated("x-autoreply")],
        expected: ["henry@example.com": "excluded:automated-sender", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: the out-of-office sender still counts from ordinary mail",
        messages: [
            M("1").from("henry@example.com").to(desk).automated("auto-submitted: auto-replied"),
            M("2").from("henry@example.com").to(desk),
        ],
        expected: ["henry@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "recipients of the desk's automated acknowledgement count (incoming copy, From the desk)",
        messages: [M("1").from(desk).to("ian@example.com").automated("auto-submitted: auto-replied")],
        expected: ["ian@example.com": "free-recipient", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: a mailing list CCing the desk counts neither the poster (from that message) nor the list",
        messages: [
            M("1").from("ivan@example.com").sender("it-list-bounces@example.com").to("it-list@example.com").cc(desk)
                .automated("list-id")
        ],
        expected: [
            "ivan@example.com": "excluded:automated-sender", "it-list-bounces@example.com": "excluded:system",
            "it-list@example.com": "excluded:automated-mail", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "trap: the desk's alias in To is the desk",
        rules: .base.with { $0.aliases = ["it-help@example.com": desk] },
        messages: [M("1").from("alice@example.com").to("it-help@example.com")],
        expected: ["alice@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: one person under two aliases is one person",
        rules: .base.with {
            $0.aliases = ["jsmith@example.com": "john.smith@example.com", "john@example.com": "jsmith@example.com"]
        },
        messages: [
            M("1").from("jsmith@example.com").to(desk),
            M("2").from("john@example.com").to(desk),
            M("3").from("John.Smith@example.com").to(desk),
        ],
        expected: ["john.smith@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: plus-tags folded",
        rules: .base.with { $0.foldPlusTags = true },
        messages: [M("1").from("alice+vpn@example.com").to(desk), M("2").from("alice@example.com").to(desk)],
        expected: ["alice@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "trap: plus-tags kept apart by default",
        messages: [M("1").from("alice+vpn@example.com").to(desk), M("2").from("alice@example.com").to(desk)],
        expected: [
            "alice+vpn@example.com": "free-submitter", "alice@example.com": "free-submitter", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "trap: mixed-case local parts are one person by default",
        messages: [
            M("1").from("Alice.Doe@EXAMPLE.com").to(desk),
            M("2").from("alice.doe@example.com").to("HelpDesk@Example.COM"),
        ],
        expected: ["alice.doe@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "mixed-case local parts are two identities when folding is off (domains still fold)",
        rules: .base.with { $0.foldLocalPartCase = false },
        messages: [M("1").from("Alice@EXAMPLE.com").to(desk), M("2").from("alice@example.com").to(desk)],
        expected: [
            "Alice@example.com": "free-submitter", "alice@example.com": "free-submitter", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "roster by domain, subdomain included: confirmed agent",
        rules: .base.with { $0.agentDomains = ["it.example.com"] },
        messages: [
            M("1").from("kim@it.example.com").to(desk), M("2").from("lee@eu.it.example.com").to(desk),
            M("3").from("mo@example.com").to(desk),
        ],
        expected: [
            "kim@it.example.com": "agent", "lee@eu.it.example.com": "agent", "mo@example.com": "free-submitter",
            desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "roster by address, through an alias: confirmed agent even if only a recipient",
        rules: .base.with {
            $0.agentAddresses = ["nina@example.com"]
            $0.aliases = ["n.n@example.com": "nina@example.com"]
        },
        messages: [M("1").from("alice@example.com").to(desk).cc("N.N@example.com")],
        expected: ["alice@example.com": "free-submitter", "nina@example.com": "agent", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "a rostered agent at an external domain counts; other externals do not",
        rules: .base.with { $0.agentAddresses = ["tech@vendor.com"] },
        messages: [M("1", .outgoing).from("tech@vendor.com").to("cust@gmail.com")],
        expected: ["tech@vendor.com": "agent", "cust@gmail.com": "excluded:external"]),
    RuleCase(
        name: "external addresses are excluded when count_external is false (internal subdomains count)",
        messages: [
            M("1").from("cust@gmail.com").to(desk).cc("pat@eu.example.com", "x@badexample.com")
        ],
        expected: [
            "cust@gmail.com": "excluded:external", "pat@eu.example.com": "free-recipient",
            "x@badexample.com": "excluded:external", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "external addresses count when count_external is true",
        rules: .base.with { $0.countExternal = true },
        messages: [M("1").from("cust@gmail.com").to(desk)],
        expected: ["cust@gmail.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "ignore: exact addresses and globs, case-insensitive",
        rules: .base.with { $0.ignore = ["*@notifications.example.com", "Scanner?@example.com", "boss@example.com"] },
        messages: [
            M("1").from("alerts@notifications.example.com").to(desk),
            M("2").from("scanner1@example.com").to(desk),
            M("3").from("scanner12@example.com").to(desk),
            M("4").from("BOSS@example.com").to(desk),
        ],
        expected: [
            "alerts@notifications.example.com": "excluded:ignored", "scanner1@example.com": "excluded:ignored",
            "scanner12@example.com": "free-submitter", "boss@example.com": "excluded:ignored",
            desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "ignoring an alias as written ignores only mail written to/from that alias",
        rules: .base.with {
            $0.aliases = ["jsmith@example.com": "john@example.com"]
            $0.ignore = ["jsmith@example.com"]
        },
        messages: [M("1").from("jsmith@example.com").to(desk), M("2").from("zed@example.com").to(desk)],
        expected: [
            "john@example.com": "excluded:ignored", "zed@example.com": "free-submitter", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "system senders are not users",
        messages: [
            M("1").from("MAILER-DAEMON@example.com").to(desk), M("2").from("no-reply@example.com").to(desk),
            M("3").from("postmaster@example.com").to(desk),
        ],
        expected: [
            "mailer-daemon@example.com": "excluded:system", "no-reply@example.com": "excluded:system",
            "postmaster@example.com": "excluded:system", desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "a Reply-To-only address is not counted",
        messages: [M("1").from("alice@example.com").replyTo("team@example.com").to(desk)],
        expected: [
            "alice@example.com": "free-submitter", "team@example.com": "excluded:reply-to-only",
            desk: "excluded:helpdesk",
        ]),
    RuleCase(
        name: "a message without From takes its Sender as author",
        messages: [M("1").sender("olga@example.com").to(desk)],
        expected: ["olga@example.com": "free-submitter", desk: "excluded:helpdesk"]),
    RuleCase(
        name: "an agent is an agent even where it only received",
        messages: [
            M("1", .outgoing).from("eve@example.com").to("a@example.com"),
            M("2").from("a@example.com").to(desk).cc("eve@example.com"),
        ],
        expected: ["eve@example.com": "agent", "a@example.com": "free-submitter", desk: "excluded:helpdesk"]),
]

@Suite("Classifier rules")
struct ClassifierRuleTests {
    @Test(arguments: ruleCases + ownershipCases)
    func rule(_ ruleCase: RuleCase) throws {
        let result = try classify(ruleCase.messages, rules: ruleCase.rules)
        #expect(result.verdicts == ruleCase.expected)
        #expect(result.people.map(\.address) == result.people.map(\.address).sorted())
        #expect(result.excluded.map(\.address) == result.excluded.map(\.address).sorted())
    }

    @Test(
        "agent reason kinds and confirmation",
        arguments: [
            (M("1").from("bob@example.com").sender("carol@example.com").to(desk), AgentReasonKind.onBehalf, false),
            (M("1").from("bob@example.com").resentFrom("carol@example.com").resentTo(desk), .resent, false),
            (M("1", .outgoing).from("carol@example.com").to("bob@example.com"), .outgoingAuthor, false),
            (M("1", .outgoing).from(desk).sender("carol@example.com").to("bob@example.com"), .sentAsHelpdesk, false),
            (M("1").from("carol@example.com").to(desk).subject("[Taken] x"), .ownershipRule, false),
            (M("1").from("carol@example.com").to(desk), .roster, true),
        ])
    func reasonKind(_ message: M, kind: AgentReasonKind, rostered: Bool) throws {
        let rules = ClassificationRules.base.with {
            $0.ownershipRules = [OwnershipRule(name: "taken", subjectPattern: #"^\[Taken\]"#)]
            if rostered { $0.agentAddresses = ["carol@example.com"] }
        }
        let carol = try #require(try classify([message], rules: rules).person("carol@example.com"))
        #expect(carol.role == .agent)
        #expect(carol.agent?.confirmed == rostered)
        #expect(carol.agent?.reasons.map(\.kind) == [kind])
        #expect(carol.onBehalfCount == ([.onBehalf, .resent].contains(kind) ? 1 : 0))
        #expect(carol.ownershipEvidence == [.ownershipRule, .outgoingAuthor, .sentAsHelpdesk].contains(kind))
    }
}
