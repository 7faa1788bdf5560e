import SeatMeterCore
import TestSupport
import Testing

@Suite("Classifier at scale")
struct ClassifierScaleTests {
    /// The benchmark's synthetic history, smaller: every person is classified once, agents come out exactly as
    /// generated (25 on the roster, 25 more inferred from staff replies and on-behalf requests).
    @Test func syntheticHistory() throws {
        let observations = SyntheticLedger.observations(messages: 20_000, people: 1_000, agents: 50)
        let result = try Classifier(rules: SyntheticLedger.rules).classify(observations, window: nil)
        #expect(result.messagesConsidered == 20_000)
        #expect(result.confirmedAgentCount == 25)
        #expect(result.agentCount == 50)
        #expect(result.people.count == 1_000)
        #expect(Set(result.people.map(\.address)).count == result.people.count)
        #expect(result.excluded.map(\.address) == ["helpdesk@example.com", "mailer-daemon@example.com"])
        #expect(result.people.allSatisfy { $0.address == $0.address.lowercased() })
        let upper = try #require(result.person("person77@example.com"))
        #expect(upper.seenAs == ["Person77@example.com"])
    }
}
