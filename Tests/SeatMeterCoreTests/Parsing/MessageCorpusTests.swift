import Foundation
import SeatMeterCore
import Testing

/// A message of `../shared/corpus/messages/` with the addresses Python's `email.policy.default` found in it
/// (an oracle, not the truth).
struct OracleMessage: Sendable, CustomTestStringConvertible {
    var source: String
    var file: String
    var path: String
    /// Field → (name, address) in header order, all occurrences of the field concatenated.
    var oracle: [AddressField: [(name: String, address: String)]]

    var testDescription: String { "\(source) \(file)" }

    func key(_ aspect: String) -> String { "\(source)|\(file)|\(aspect)" }

    static let manifests = [
        "messages/cpython/manifest.json", "messages/rfc/manifest.json",
        "messages/mail-parser/manifest_python_oracle.json",
    ]

    static func load() throws -> [OracleMessage] {
        let corpus = try ParsingTestPaths.corpus()
        var messages: [OracleMessage] = []
        for manifest in manifests {
            let url = corpus.appendingPathComponent(manifest)
            let data = try surrogateEscapesAsLatin1(Data(contentsOf: url))
            guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let files = root["files"] as? [[String: Any]]
            else { throw ParsingTestPaths.Missing(description: "\(manifest): no files") }
            for entry in files {
                guard let file = entry["file"] as? String else { continue }
                let headers = (entry["headers"] ?? entry["python_oracle"]) as? [String: Any] ?? [:]
                var oracle: [AddressField: [(String, String)]] = [:]
                for (name, occurrences) in headers {
                    guard let field = AddressField(rawValue: name.lowercased()),
                        let occurrences = occurrences as? [[String: Any]]
                    else { continue }
                    for occurrence in occurrences {
                        for address in occurrence["addresses"] as? [[String: Any]] ?? [] {
                            oracle[field, default: []].append(
                                (address["name"] as? String ?? "", address["address"] as? String ?? ""))
                        }
                    }
                }
                messages.append(
                    OracleMessage(
                        source: manifest, file: file,
                        path: url.deletingLastPathComponent().appendingPathComponent(file).path, oracle: oracle))
            }
        }
        return messages
    }

    /// Python writes undecodable header bytes as lone surrogates (`\udcfc` for byte 0xFC, "surrogateescape"),
    /// which JSON parsers reject. They only occur in display names; each is read as the Latin-1 character of
    /// that byte (`\u00fc`), the same reading a legacy 8-bit fallback gives.
    static func surrogateEscapesAsLatin1(_ data: Data) throws -> Data {
        let text = String(decoding: data, as: UTF8.self)
        let pattern = try NSRegularExpression(
            pattern: #"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][cC]([89a-fA-F][0-9a-fA-F])"#)
        let range = NSRange(text.startIndex..., in: text)
        return Data(pattern.stringByReplacingMatches(in: text, range: range, withTemplate: #"\\u00$1"#).utf8)
    }

    static func keys() -> Set<String> {
        Set(((try? load()) ?? []).flatMap { [$0.key("address"), $0.key("name")] })
    }

    /// Compares our canonical address lists (and names) field by field with the oracle's.
    func compare() throws -> (addressesEqual: Bool, namesEqual: Bool, summary: String) {
        let facts = HeaderParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        var addressesEqual = true
        var namesEqual = true
        var summary: [String] = []
        let fields = Set(oracle.keys).union(facts.appearances.map(\.field))
        for field in fields.sorted() {
            let ours = facts.appearances.filter { $0.field == field }.map(\.mailbox)
            let theirs = AddressComparison.expected(oracle[field] ?? [], source: "python")
            if AddressComparison.identities(ours) != theirs.map(\.id) {
                addressesEqual = false
                summary.append("\(field.rawValue): got \(ours.map(\.address)) expected \(theirs.map(\.id))")
            } else if ours.map(\.name) != theirs.map(\.name) {
                namesEqual = false
                summary.append("\(field.rawValue) names: got \(ours.map(\.name)) expected \(theirs.map(\.name))")
            }
        }
        return (addressesEqual, addressesEqual && namesEqual, summary.joined(separator: "; "))
    }
}

@Suite("Message corpus (../shared/corpus/messages, Python policy.default oracle)")
struct MessageCorpusTests {
    static let messages: [OracleMessage] = (try? OracleMessage.load()) ?? []

    @Test("the message corpus is present")
    func corpusIsPresent() throws {
        #expect(try OracleMessage.load().count >= 150)
    }

    @Test("canonical address lists equal the oracle's, unless listed as a deviation", arguments: MessageCorpusTests.messages)
    func addresses(_ message: OracleMessage) throws {
        let listed = try AddressDeviation.keys().contains(message.key("address"))
        let result = try message.compare()
        #expect(result.addressesEqual == !listed, "\(listed ? "listed deviation now passes" : "deviation"): \(result.summary)")
    }

    @Test("display names equal the oracle's, unless listed as a deviation", arguments: MessageCorpusTests.messages)
    func names(_ message: OracleMessage) throws {
        let result = try message.compare()
        guard result.addressesEqual else { return }
        let listed = try AddressDeviation.keys().contains(message.key("name"))
        #expect(result.namesEqual == !listed, "\(listed ? "listed deviation now passes" : "deviation"): \(result.summary)")
    }

    @Test("every message parses without crashing and the fixture lists only real messages")
    func fixtureListsRealMessages() throws {
        let keys = OracleMessage.keys()
        var equal = 0
        for message in Self.messages where try message.compare().addressesEqual { equal += 1 }
        print("messages: \(equal)/\(Self.messages.count) canonical address lists equal the oracle")
        for deviation in try AddressDeviation.load() where deviation.source.hasPrefix("messages/") {
            #expect(keys.contains(deviation.key), "fixture lists an unknown message: \(deviation.key)")
        }
    }
}
