import SeatMeterCore
import Testing

@Suite("Identity resolver and patterns")
struct IdentityResolverTests {
    struct IdentityCase: Sendable, CustomTestStringConvertible {
        var input: String
        var foldCase = true
        var foldPlus = false
        var expected: String
        var testDescription: String { "\(input) (case \(foldCase), plus \(foldPlus))" }
    }

    @Test(arguments: [
        IdentityCase(input: "Alice@Example.COM", expected: "alice@example.com"),
        IdentityCase(input: "Alice@Example.COM", foldCase: false, expected: "Alice@example.com"),
        IdentityCase(input: "alice+vpn@example.com", expected: "alice+vpn@example.com"),
        IdentityCase(input: "alice+vpn@example.com", foldPlus: true, expected: "alice@example.com"),
        IdentityCase(input: "Alice+VPN+x@Example.com", foldCase: false, foldPlus: true, expected: "Alice@example.com"),
        IdentityCase(input: "+tag@example.com", foldPlus: true, expected: "+tag@example.com"),
        IdentityCase(input: " bob@example.com ", expected: "bob@example.com"),
        IdentityCase(input: "\"Odd@Name\"@Example.com", expected: "\"odd@name\"@example.com"),
        IdentityCase(input: "ÉLODIE@Exämple.com", expected: "élodie@exämple.com"),
    ])
    func normalization(_ c: IdentityCase) throws {
        let resolver = try IdentityResolver(foldLocalPartCase: c.foldCase, foldPlusTags: c.foldPlus)
        #expect(resolver.identity(c.input) == c.expected)
    }

    @Test func aliasChainsResolveToTheirEndAndAreNormalized() throws {
        let resolver = try IdentityResolver(
            foldPlusTags: true,
            aliases: [
                "A@example.com": "b@example.com", "b@EXAMPLE.com": "C@example.com", "d+x@example.com": "a@example.com",
            ])
        #expect(resolver.identity("a@example.com") == "c@example.com")
        #expect(resolver.identity("B@example.com") == "c@example.com")
        #expect(resolver.identity("d+other@example.com") == "c@example.com")
        #expect(resolver.identity("c@example.com") == "c@example.com")
        #expect(resolver.identity("e@example.com") == "e@example.com")
    }

    @Test func aliasCycleIsAnErrorNamingTheKey() {
        #expect {
            _ = try IdentityResolver(aliases: ["a@x.com": "b@x.com", "b@x.com": "c@x.com", "c@x.com": "A@x.com"])
        } throws: { error in
            guard let error = error as? ClassificationRulesError else { return false }
            return error.key.hasPrefix("organization.aliases.") && error.message.contains("cycle")
        }
    }

    @Test func aliasOfItselfInAnotherCaseIsHarmless() throws {
        let resolver = try IdentityResolver(aliases: ["Bob@x.com": "bob@x.com"])
        #expect(resolver.identity("BOB@x.com") == "bob@x.com")
    }

    @Test func aliasToTwoTargetsIsAnError() {
        #expect(throws: ClassificationRulesError.self) {
            _ = try IdentityResolver(aliases: ["Bob@x.com": "a@x.com", "bob@x.com": "c@x.com"])
        }
    }

    @Test(arguments: [
        ("*@notifications.example.com", "alerts@notifications.example.com", true),
        ("*@notifications.example.com", "alerts@example.com", false),
        ("scanner?@example.com", "scanner1@example.com", true),
        ("scanner?@example.com", "scanner@example.com", false),
        ("Boss@Example.com", "boss@example.com", true),
        ("boss@example.com", "boss@example.co", false),
        ("*", "anything@x", true),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYbZ", false),
        ("bounce*", "bounces", true),
        ("*-bounces", "list-bounces", true),
        ("*-bounces", "bounces", false),
    ])
    func glob(pattern: String, text: String, matches: Bool) {
        #expect(AddressPattern(pattern).matches(lowercased: text) == matches)
    }

    @Test(arguments: [
        ("example.com", "example.com", true),
        ("example.com", "eu.mail.example.com", true),
        ("Example.COM.", "example.com", true),
        ("@example.com", "example.com", true),
        ("*.example.com", "a.example.com", true),
        ("example.com", "badexample.com", false),
        ("example.com", "example.co", false),
        ("example.com", "com", false),
    ])
    func domain(configured: String, candidate: String, matches: Bool) {
        #expect(DomainPattern(configured).matches(candidate[...]) == matches)
    }
}

@Suite("Classification rules validation")
struct ClassificationRulesValidationTests {
    @Test(arguments: [
        (
            ClassificationRules.base.with {
                $0.ownershipRules = [
                    OwnershipRule(name: "ok", subjectPattern: "x"),
                    OwnershipRule(name: "bad", subjectPattern: "(?<owner>[a-"),
                ]
            }, "organization.ownership_rules[1].subject"
        ),
        (
            ClassificationRules.base.with {
                $0.aliases = ["a@example.com": "b@example.com", "b@example.com": "a@example.com"]
            }, "organization.aliases.a@example.com"
        ),
        (ClassificationRules.base.with { $0.aliases = ["nobody": "b@example.com"] }, "organization.aliases.nobody"),
        (ClassificationRules.base.with { $0.internalDomains = [] }, "organization.internal_domains"),
        (ClassificationRules.base.with { $0.internalDomains = ["example.com", ""] }, "organization.internal_domains"),
        (ClassificationRules.base.with { $0.helpdeskAddresses = ["helpdesk"] }, "organization.helpdesk_addresses"),
        (
            ClassificationRules.base.with {
                $0.agentAddresses = ["x"]; $0.agentRosterSource = "agents.csv"
            }, "agents.csv"
        ),
        (ClassificationRules.base.with { $0.agentDomains = [" "] }, "organization.agents.domains"),
        (ClassificationRules.base.with { $0.ignore = [""] }, "organization.ignore"),
    ])
    func invalid(_ rules: ClassificationRules, key: String) {
        #expect {
            try rules.validate()
        } throws: { error in
            (error as? ClassificationRulesError)?.key == key
        }
        #expect(throws: ClassificationRulesError.self) { _ = try Classifier(rules: rules) }
    }

    @Test func validRulesPass() throws {
        try ClassificationRules.base.validate()
        try ClassificationRules(countExternal: true).validate()
        try ClassificationRules.base.with {
            $0.ownershipRules = [OwnershipRule(name: "a", subjectPattern: #"(?i)assigned to (?<owner>\S+)"#)]
            $0.aliases = ["a@example.com": "b@example.com", "c@example.com": "a@example.com"]
            $0.ignore = ["*@x.example.com"]
        }.validate()
    }
}
