import Foundation
import SeatMeterCore
import Testing

private let desk = "helpdesk@example.com"

@Suite("Classifier windows, evidence, re-classification")
struct ClassifierBehaviourTests {
    // MARK: - Window

    /// Window [day 10, day 20): day 10 in, day 20 out, just before day 20 in, undated out.
    @Test(arguments: [
        (9.999, false), (10.0, true), (15.0, true), (19.9999, true), (20.0, false), (25.0, false),
    ])
    func windowIsHalfOpen(day: Double, included: Bool) throws {
        let window = DateInterval(start: M.day(10), end: M.day(20))
        let result = try classify([M("1", day: day).from("alice@example.com").to(desk)], window: window)
        #expect((result.person("alice@example.com") != nil) == included)
        #expect(result.messagesConsidered == (included ? 1 : 0))
    }

    @Test func undatedMessagesAreLeftOutOfWindowedCountsOnly() throws {
        let messages = [
            M("1").from("alice@example.com").to(desk).undated(), M("2", day: 12).from("bob@example.com").to(desk),
        ]
        let windowed = try classify(messages, window: DateInterval(start: M.day(10), end: M.day(20)))
        #expect(windowed.people.map(\.address) == ["bob@example.com"])
        #expect(windowed.undatedMessagesSkipped == 1)
        #expect(windowed.messagesConsidered == 1)
        let all = try classify(messages, window: nil)
        #expect(all.people.map(\.address) == ["alice@example.com", "bob@example.com"])
        #expect(all.person("alice@example.com")?.firstSeen == nil)
        #expect(all.undatedMessagesSkipped == 0)
    }

    @Test func agentEvidenceOutsideTheWindowDoesNotCount() throws {
        let messages = [
            M("1", .outgoing, day: 1).from("eve@example.com").to("a@example.com"),
            M("2", day: 15).from("eve@example.com").to(desk),
        ]
        let result = try classify(messages, window: DateInterval(start: M.day(10), end: M.day(20)))
        #expect(result.person("eve@example.com")?.role == .freeSubmitter)
        #expect(result.person("a@example.com") == nil)
        #expect(try classify(messages).person("eve@example.com")?.role == .agent)
    }

    // MARK: - Re-classification

    /// Same observations, different rules, different answer: nothing is refetched or re-parsed.
    @Test func reclassificationAfterConfigurationChange() throws {
        let observations = [
            M("1", day: 1).from("carol@example.com").to(desk),
            M("2", day: 2).from("jsmith@example.com").to(desk).cc("cust@gmail.com"),
            M("3", day: 3).from("john.smith@example.com").to(desk),
            M("4", day: 4).from("scanner1@example.com").to(desk),
        ].map(\.observation)
        let before = try Classifier(rules: .base).classify(observations, window: nil)
        #expect(
            before.verdicts == [
                "carol@example.com": "free-submitter", "jsmith@example.com": "free-submitter",
                "john.smith@example.com": "free-submitter", "scanner1@example.com": "free-submitter",
                "cust@gmail.com": "excluded:external", desk: "excluded:helpdesk",
            ])
        let changed = ClassificationRules.base.with {
            $0.agentAddresses = ["carol@example.com"]
            $0.aliases = ["jsmith@example.com": "john.smith@example.com"]
            $0.ignore = ["scanner*@example.com"]
            $0.countExternal = true
        }
        let after = try Classifier(rules: changed).classify(observations, window: nil)
        #expect(
            after.verdicts == [
                "carol@example.com": "agent", "john.smith@example.com": "free-submitter",
                "scanner1@example.com": "excluded:ignored", "cust@gmail.com": "free-recipient",
                desk: "excluded:helpdesk",
            ])
        #expect(after.person("john.smith@example.com")?.sent == 2)
        #expect(after.person("john.smith@example.com")?.seenAs == ["jsmith@example.com"])
        #expect(after.person("carol@example.com")?.agent?.confirmed == true)
        // And back: the first answer again, from the same values.
        #expect(try Classifier(rules: .base).classify(observations, window: nil) == before)
    }

    // MARK: - Evidence and counters

    @Test func evidenceIsMostRecentFirstCappedWithCount() throws {
        var messages: [M] = []
        for day in [3.0, 9, 1, 7, 5, 8, 2] {
            messages.append(
                M("m\(Int(day))", day: day).from("bob@example.com", "Bob").sender("carol@example.com").to(desk))
        }
        messages.append(M("undated").from("bob@example.com").sender("carol@example.com").to(desk).undated())
        let carol = try #require(try classify(messages).person("carol@example.com"))
        let reason = try #require(carol.agent?.reason(.onBehalf))
        #expect(reason.evidenceCount == 8)
        #expect(reason.evidence.count == Classifier.evidenceLimit)
        #expect(reason.evidence.map(\.messageID) == ["m9@test", "m8@test", "m7@test", "m5@test", "m3@test"])
        #expect(reason.evidence.first?.date == M.day(9))
        #expect(reason.evidence.first?.folder == "INBOX")
        #expect(reason.evidence.first?.account == "desk")
        #expect(reason.evidence.first?.detail == "on behalf of bob@example.com")
        #expect(reason.summary.contains("8 messages"))
        #expect(carol.onBehalfCount == 8)
        #expect(carol.sent == 8)
        #expect(carol.firstSeen == M.day(1))
        #expect(carol.lastSeen == M.day(9))
        #expect(carol.ownershipEvidence == false)
    }

    @Test func undatedEvidenceComesLast() throws {
        let messages = [
            M("u").from("bob@example.com").to(desk).undated(),
            M("d", day: 2).from("bob@example.com").to(desk),
        ]
        let bob = try #require(try classify(messages).person("bob@example.com"))
        #expect(bob.activity.first?.evidence.map(\.messageID) == ["d@test", "u@test"])
    }

    @Test func countersCountMessagesOnce() throws {
        let messages = [
            // From and Cc of the same message; Sender equal to From.
            M("1", day: 1).from("bob@example.com").sender("bob@example.com").to(desk).cc("bob@example.com"),
            M("2", day: 2).from("alice@example.com").to(desk, "bob@example.com").cc("bob@example.com"),
        ]
        let bob = try #require(try classify(messages).person("bob@example.com"))
        #expect(bob.sent == 1)
        #expect(bob.received == 2)
        #expect(bob.role == .freeSubmitter)
        #expect(bob.activity.map(\.kind) == [.submitted, .received])
        #expect(bob.activity.map(\.evidenceCount) == [1, 2])
    }

    @Test func theNameShownIsTheMostRecentNonEmptyOne() throws {
        let messages = [
            M("1", day: 5).from("bob@example.com", "Robert"),
            M("2", day: 9).to("bob@example.com").from("alice@example.com"),  // no name
            M("3", day: 1).from("bob@example.com", "Bobby"),
            M("4", day: 7).cc("Bob@example.com").from("bob@example.com", "Bob Jones").to(desk),
        ]
        #expect(try classify(messages).person("bob@example.com")?.name == "Bob Jones")
    }

    @Test func outOfOfficeDoesNotCountAsSentButPersonStillCounts() throws {
        let messages = [
            M("1", day: 1).from("henry@example.com").to(desk).automated("auto-submitted: auto-replied"),
            M("2", day: 2).from("henry@example.com").to(desk),
        ]
        let henry = try #require(try classify(messages).person("henry@example.com"))
        #expect(henry.sent == 1)
        #expect(henry.firstSeen == M.day(2))
    }

    @Test func excludedAddressesCarryEvidence() throws {
        let messages = [
            M("1", day: 1).from("henry@example.com").to(desk).automated("auto-submitted: auto-replied"),
            M("2", day: 2).from("cust@gmail.com").to(desk),
        ]
        let result = try classify(messages)
        let henry = try #require(result.excludedAddress("henry@example.com"))
        #expect(henry.reasons.map(\.kind) == [.automatedSender])
        #expect(henry.reasons.first?.evidence.first?.detail == "auto-submitted: auto-replied")
        let customer = try #require(result.excludedAddress("cust@gmail.com"))
        #expect(customer.reasons.map(\.kind) == [.external])
        #expect(customer.reasons.first?.evidence.first?.detail == "in from")
        #expect(result.excludedAddress(desk)?.reasons.first?.evidenceCount == 2)
        #expect(result.excludedCountByKind == [.automatedSender: 1, .external: 1, .helpdesk: 1])
    }

    @Test func ownershipEvidenceAndRuleNames() throws {
        let rules = ClassificationRules.base.with {
            $0.ownershipRules = [
                OwnershipRule(name: "assigned", subjectPattern: #"assigned to (?<owner>\S+)"#),
                OwnershipRule(name: "taken", subjectPattern: #"taken by (?<owner>\S+)"#),
            ]
        }
        let messages = [
            M("1", day: 1).from(desk).to(desk).subject("#1 assigned to frank@example.com").automated("x-autogenerated"),
            M("2", day: 3).from(desk).to(desk).subject("#2 taken by frank@example.com."),
        ]
        let frank = try #require(try classify(messages, rules: rules).person("frank@example.com"))
        #expect(frank.role == .agent)
        #expect(frank.ownershipEvidence)
        #expect(frank.sent == 0 && frank.received == 0)
        #expect(frank.firstSeen == M.day(1) && frank.lastSeen == M.day(3))
        let reason = try #require(frank.agent?.reason(.ownershipRule))
        #expect(reason.evidenceCount == 2)
        #expect(reason.summary.contains("\"assigned\"") && reason.summary.contains("\"taken\""))
        #expect(reason.evidence.map(\.detail) == ["rule \"taken\"", "rule \"assigned\""])
    }

    @Test func inactiveRosterAgentsAndCounts() throws {
        let rules = ClassificationRules.base.with {
            $0.agentAddresses = ["Active@example.com", "idle@example.com", "ooo@example.com"]
        }
        let messages = [
            M("1").from("active@example.com").to(desk),
            M("2").from("ooo@example.com").to(desk).automated("auto-submitted: auto-replied"),
            M("3", .outgoing).from("eve@example.com").to("bob@example.com"),
            M("4").from("bob@example.com").to(desk),
            M("5").from("zoe@example.com").to(desk).cc("cy@example.com"),
        ]
        let result = try classify(messages, rules: rules)
        #expect(result.inactiveRosterAgents == ["idle@example.com", "ooo@example.com"])
        #expect(result.agentCount == 2)
        #expect(result.confirmedAgentCount == 1)
        #expect(result.inferredAgentCount == 1)
        #expect(result.freeSubmitterCount == 2)
        #expect(result.freeRecipientCount == 1)
        #expect(result.people(with: .freeRecipient).map(\.address) == ["cy@example.com"])
    }

    @Test func messageInBothIncomingAndOutgoingFoldersMakesItsAuthorAnAgent() throws {
        let message = M("1", .incoming).alsoIn(.outgoing, folder: "Sent").from("eve@example.com").to(desk)
        let eve = try #require(try classify([message]).person("eve@example.com"))
        #expect(eve.agent?.reasons.map(\.kind) == [.outgoingAuthor])
        #expect(eve.agent?.reasons.first?.evidence.first?.folder == "Sent")
        #expect(eve.activity.first?.evidence.first?.folder == "INBOX")
    }

    // MARK: - Explain

    @Test func explainInferredAgent() throws {
        let rules = ClassificationRules.base.with { $0.aliases = ["cj@example.com": "carol@example.com"] }
        let classifier = try Classifier(rules: rules)
        let messages = [
            M("1", day: 1).from("bob@example.com").sender("carol@example.com", "Carol").to(desk),
            M("2", day: 2).from("dan@example.com").sender("cj@example.com").to(desk),
            M("3", .outgoing, day: 3).from("carol@example.com").to("bob@example.com"),
        ].map(\.observation)
        let result = classifier.classify(messages, window: nil)
        let explanation = try #require(classifier.explain("CJ@Example.com", in: result))
        #expect(explanation.address == "carol@example.com")
        #expect(explanation.role == "agent")
        #expect(explanation.headline == "carol@example.com (Carol) is an inferred agent (not on the roster)")
        #expect(explanation.reasons.count == 2)
        #expect(
            explanation.whatWouldChange.contains("would be free if it stopped sending on behalf of others (2 messages)")
        )
        #expect(
            explanation.whatWouldChange.contains(
                "would be free if it stopped writing from the help desk's outgoing folders (1 message)"))
        #expect(explanation.whatWouldChange.contains("all 2 inferred reasons must stop for it to be free"))
        #expect(
            explanation.whatWouldChange.contains(
                "not on the roster: add it to organization.agents to confirm it as an agent"))
        #expect(explanation.text.contains("on behalf of dan@example.com"))
        #expect(explanation.text.contains("<2@test>"))
    }

    @Test func explainConfirmedAgentNamesTheRosterSource() throws {
        let rules = ClassificationRules.base.with {
            $0.agentAddresses = ["kim@example.com"]
            $0.agentRosterSource = "agents.csv"
        }
        let classifier = try Classifier(rules: rules)
        let result = classifier.classify([M("1").from("kim@example.com").to(desk)].map(\.observation), window: nil)
        let explanation = try #require(classifier.explain("kim@example.com", in: result))
        #expect(explanation.headline == "kim@example.com is a confirmed agent (on the roster)")
        #expect(explanation.reasons.first?.summary == "listed as agent in agents.csv")
        #expect(
            explanation.whatWouldChange.first
                == "listed as agent in agents.csv; removed from the roster it would be a free submitter")
    }

    @Test func explainFreeAndExcludedAndUnknown() throws {
        let classifier = try Classifier(rules: .base)
        let result = classifier.classify(
            [M("1").from("bob@example.com").to(desk).cc("cy@example.com", "x@gmail.com")].map(\.observation),
            window: nil)
        let bob = try #require(classifier.explain("bob@example.com", in: result))
        #expect(bob.role == "free-submitter")
        #expect(bob.whatWouldChange.contains("would be counted as an agent if added to organization.agents"))
        let cy = try #require(classifier.explain("cy@example.com", in: result))
        #expect(cy.role == "free-recipient")
        #expect(cy.whatWouldChange.contains("would become a free submitter if it sent mail to the help desk"))
        let external = try #require(classifier.explain("X@GMAIL.com", in: result))
        #expect(external.role == "excluded")
        #expect(external.whatWouldChange.first?.contains("gmail.com were in organization.internal_domains") == true)
        #expect(classifier.explain("nobody@example.com", in: result) == nil)
    }
}

@Suite("Classifier explain, confirmed agents with inferred reasons")
struct ClassifierExplainConfirmedTests {
    @Test func confirmedAgentWithInferredReasonsIsNotToldItWouldBeFree() throws {
        let rules = ClassificationRules.base.with { $0.agentAddresses = ["carol@example.com"] }
        let classifier = try Classifier(rules: rules)
        let messages = [M("1").from("bob@example.com").sender("carol@example.com").to("helpdesk@example.com")]
        let result = classifier.classify(messages.map(\.observation), window: nil)
        let explanation = try #require(classifier.explain("carol@example.com", in: result))
        #expect(
            explanation.whatWouldChange == [
                "listed as agent in organization.agents.addresses; removed from the roster it would be an inferred agent",
                "off the roster, would be free only if it also stopped sending on behalf of others (1 message)",
                "would not be counted at all if it matched organization.ignore",
            ])
    }
}
