import Foundation
import SeatMeterCore
import Testing

/// Deviations from the corpus, each with its reason: Fixtures/address-deviations.json.
struct AddressDeviation: Decodable, Sendable {
    var id: String
    var source: String
    /// `address` (canonical address list), `name` (display names), `must-fail` (no defect although a peer fails).
    var aspect: String
    var reason: String

    var key: String { "\(source)|\(id)|\(aspect)" }

    static func load() throws -> [AddressDeviation] {
        let url = try ParsingTestPaths.fixtures().appendingPathComponent("address-deviations.json")
        return try JSONDecoder().decode([AddressDeviation].self, from: Data(contentsOf: url))
    }

    static func keys() throws -> Set<String> { Set(try load().map(\.key)) }
}

/// Outcome of one address-list case.
struct AddressCaseResult {
    var addressesEqual: Bool
    var namesEqual: Bool
    var actual: [Mailbox]
    var expected: [(name: String, id: String)]

    init(_ corpusCase: AddressCorpusCase) {
        let facts = HeaderParser.parse(corpusCase.headerBlock)
        actual = facts.appearances.map(\.mailbox)
        expected = AddressComparison.expected(corpusCase.expectedAddresses, source: corpusCase.source)
        addressesEqual = AddressComparison.identities(actual) == expected.map(\.id)
        namesEqual = addressesEqual && actual.map(\.name) == expected.map(\.name)
    }

    var summary: String {
        "got \(actual.map { "\($0.name)|\($0.address)" }) expected \(expected.map { "\($0.name)|\($0.id)" })"
    }
}

@Suite("Address corpus (../shared/corpus/cases)")
struct AddressCorpusTests {
    static let addressCases: [AddressCorpusCase] = (try? AddressCorpusCase.load(kinds: [.addressList])) ?? []
    static let mustFailCases: [AddressCorpusCase] = (try? AddressCorpusCase.load(kinds: [.mustFail])) ?? []

    @Test("the corpus is present and holds the address cases")
    func corpusIsPresent() throws {
        _ = try ParsingTestPaths.corpus()
        #expect(Self.addressCases.count >= 200)
        #expect(Self.mustFailCases.count >= 50)
    }

    @Test("canonical address list equals the suite's, unless listed as a deviation", arguments: AddressCorpusTests.addressCases)
    func addressList(_ corpusCase: AddressCorpusCase) throws {
        let listed = try AddressDeviation.keys().contains(corpusCase.key("address"))
        let result = AddressCaseResult(corpusCase)
        #expect(result.addressesEqual == !listed, "\(listed ? "listed deviation now passes" : "deviation"): \(result.summary)")
    }

    @Test("display names equal the suite's, unless listed as a deviation", arguments: AddressCorpusTests.addressCases)
    func names(_ corpusCase: AddressCorpusCase) throws {
        let keys = try AddressDeviation.keys()
        let result = AddressCaseResult(corpusCase)
        guard result.addressesEqual else { return }  // scored under the address aspect
        let listed = keys.contains(corpusCase.key("name"))
        #expect(result.namesEqual == !listed, "\(listed ? "listed deviation now passes" : "deviation"): \(result.summary)")
    }

    @Test("at least 98% of address-list cases agree, and the fixture lists only real cases")
    func passRate() throws {
        let deviations = try AddressDeviation.load()
        let results = Self.addressCases.map { ($0, AddressCaseResult($0)) }
        let equal = results.filter { $0.1.addressesEqual }.count
        let namesEqual = results.filter { $0.1.namesEqual }.count
        print("address-list: \(equal)/\(results.count) canonical address lists equal; names \(namesEqual)/\(results.count)")
        #expect(Double(equal) >= 0.98 * Double(results.count))
        let known = Set(Self.addressCases.flatMap { [$0.key("address"), $0.key("name")] })
            .union(Self.mustFailCases.map { $0.key("must-fail") })
            .union(OracleMessage.keys())
        for deviation in deviations where !deviation.source.hasPrefix("messages/") {
            #expect(known.contains(deviation.key), "fixture lists an unknown case: \(deviation.key)")
            #expect(!deviation.reason.isEmpty)
        }
    }

    @Test("must-fail: no crash, and a defect (unless listed with its reason)", arguments: AddressCorpusTests.mustFailCases)
    func mustFail(_ corpusCase: AddressCorpusCase) throws {
        let listed = try AddressDeviation.keys().contains(corpusCase.key("must-fail"))
        let facts = HeaderParser.parse(corpusCase.headerBlock)
        let list = HeaderParser.parseAddressList(corpusCase.input, label: "to")
        #expect(list.mailboxes.map(\.address) == facts.appearances.map(\.mailbox.address))
        let hasDefect = !facts.defects.isEmpty
        #expect(hasDefect == !listed, "defects \(facts.defects), mailboxes \(list.mailboxes)")
        // Never an address without '@', never `<>`.
        for mailbox in list.mailboxes {
            #expect(mailbox.address.contains("@") && mailbox.address != "<>")
        }
    }
}

extension AddressCorpusCase: CustomTestStringConvertible {
    var testDescription: String { description }
}
