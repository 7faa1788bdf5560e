import Foundation
import SeatMeterCore

/// One case of `../shared/corpus/cases/*.json`.
struct AddressCorpusCase: Sendable, CustomStringConvertible {
    enum Kind: String, Sendable {
        case addressList = "address-list"
        case mustFail = "must-fail"
        case encodedWord = "encoded-word"
    }

    var source: String
    var id: String
    var kind: Kind
    var input: [UInt8]
    var expectedAddresses: [(name: String, address: String)]
    var api: String

    var description: String { "\(source) \(id)" }

    /// The deviation key used in Fixtures/address-deviations.json.
    func key(_ aspect: String) -> String { "\(source)|\(id)|\(aspect)" }

    static func load(kinds: Set<Kind>) throws -> [AddressCorpusCase] {
        let directory = try ParsingTestPaths.corpus().appendingPathComponent("cases")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        var cases: [AddressCorpusCase] = []
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let entries = root["cases"] as? [[String: Any]]
            else { throw ParsingTestPaths.Missing(description: "\(file): no cases") }
            for entry in entries {
                guard let kindText = entry["kind"] as? String, let kind = Kind(rawValue: kindText),
                    kinds.contains(kind), let id = entry["id"] as? String, let text = entry["input"] as? String
                else { continue }
                var input = Array(text.utf8)
                if entry["input_encoding"] as? String == "hex" { input = hexBytes(text) }
                var expected: [(String, String)] = []
                if let list = entry["expected"] as? [[String: Any]] {
                    expected = list.map { ($0["name"] as? String ?? "", $0["address"] as? String ?? "") }
                }
                cases.append(
                    AddressCorpusCase(
                        source: file, id: id, kind: kind, input: input, expectedAddresses: expected,
                        api: entry["api"] as? String ?? ""))
            }
        }
        return cases
    }

    private static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { break }
            bytes.append(value)
        }
        return bytes
    }

    /// The input as the value of a `To:` field of a one-field header block (a trailing line end stripped).
    var headerBlock: [UInt8] {
        var value = input
        if value.last == 0x0A { value.removeLast() }
        if value.last == 0x0D { value.removeLast() }
        return Array("To: ".utf8) + value + Array("\r\n".utf8)
    }
}

/// Compares address lists across suites that write addresses differently.
///
/// Both sides are reduced to counting identities (``AddressCanonicalizer`` with its defaults, so local-part case
/// is folded: suites differ only in spelling, never in which person an address is):
/// - ours: ``AddressCanonicalizer/identity(_:)`` of ``Mailbox/address``;
/// - theirs: Go's `net/mail` gives the **unquoted** local part (`foo bar@x`), so it is quoted back
///   (`"foo bar"@x`); every other suite writes RFC 5322 syntax (`"foo bar"@x`, `merwok  wok@x`, routes,
///   comments, spaces around dots). Either form is then read as the angle address `<...>` by our parser, which
///   gives the canonical form (unquoting, dropping routes and comments, lowercasing the domain). An expected entry
///   that is not one clean mailbox (`""`, `<>`, no `@`, or junk such as `a@b[<c@d>]` that only reads as an address
///   with stray text around it) is removed: the corpus README says never to count those.
enum AddressComparison {
    static let canonicalizer = AddressCanonicalizer()

    static func identities(_ mailboxes: [Mailbox]) -> [String] {
        mailboxes.map { canonicalizer.identity($0.address) }
    }

    static func expectedIdentity(_ address: String, goStyle: Bool) -> String? {
        guard !address.isEmpty else { return nil }
        var spelled = address
        if goStyle, let at = address.utf8.lastIndex(of: UInt8(ascii: "@")) {
            let local = address[..<at]
            let domain = address[address.index(after: at)...]
            let escaped = local.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            spelled = "\"\(escaped)\"@\(domain)"
        }
        let list = HeaderParser.parseAddressList(Array("<\(spelled)>".utf8))
        // The whole string must be one clean addr-spec: no text outside it, no stray brackets or quotes.
        let junk = ["text after", "display name", "unexpected ':'", "missing", "unterminated", "stray"]
        guard list.mailboxes.count == 1, list.mailboxes[0].name.isEmpty,
            !list.defects.contains(where: { defect in junk.contains { defect.contains($0) } })
        else { return nil }
        return canonicalizer.identity(list.mailboxes[0].address)
    }

    /// The expected (name, identity) pairs that are mailboxes.
    static func expected(_ entries: [(name: String, address: String)], source: String) -> [(name: String, id: String)] {
        entries.compactMap { entry in
            expectedIdentity(entry.address, goStyle: source.hasPrefix("go-")).map { (entry.name, $0) }
        }
    }
}
