import Foundation
import Testing

@testable import SeatMeterCore

/// Every `encoded-word` case of `../shared/corpus/cases/*.json`, decoded with
/// ``EncodedWordDecoder/decode(unstructured:)`` and compared with what the source suite expects.
///
/// Cases whose expectation SeatMeter deliberately does not meet are listed, each with its reason, in
/// `Fixtures/encoded-word-deviations.json`; the test fails when that list and the actual deviations differ in
/// either direction, so a fixed case or a new regression cannot go unnoticed.
@Suite("Encoded words: shared corpus")
struct EncodedWordCorpusTests {
    @Test func decodedTextMatchesTheSuitesExceptListedDeviations() throws {
        let cases = try EncodedWordCase.load(kind: "encoded-word")
        try #require(cases.count >= 50, "expected the shared corpus's encoded-word cases, found \(cases.count)")
        let deviations = try EncodedWordDeviation.load()
        let listed = Dictionary(deviations.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(listed.count == deviations.count, "a deviation is listed twice")

        var deviating: Set<String> = []
        for corpusCase in cases {
            let decoded = EncodedWordDecoder.decode(unstructured: corpusCase.input)
            guard let expected = corpusCase.expected else {
                Issue.record("\(corpusCase.key): expected is not a string")
                continue
            }
            if decoded.text != expected {
                deviating.insert(corpusCase.key)
                if listed[corpusCase.key] == nil {
                    Issue.record(
                        "\(corpusCase.key): got \(String(reflecting: decoded.text)), expected \(String(reflecting: expected)) (input \(String(reflecting: String(decoding: corpusCase.input, as: UTF8.self))))"
                    )
                }
            }
        }
        let stale = Set(listed.keys).subtracting(deviating)
        #expect(stale.isEmpty, "listed as deviations but now decoded as the suite expects: \(stale.sorted())")
        #expect(Set(listed.keys) == deviating)

        let passed = cases.count - deviating.count
        let rate = Double(passed) / Double(cases.count)
        print(
            "encoded-word corpus: \(passed)/\(cases.count) decoded as expected (\(String(format: "%.1f", rate * 100))%)"
        )
        #expect(rate >= 0.95, "pass rate \(passed)/\(cases.count) is below 95%")
    }

    /// The `must-fail` cases of the encoded-word suites name a single malformed word. As unstructured text it is
    /// never turned into anything but itself, and when it has the complete `=?charset?X?text?=` shape a defect says why it
    /// was not decoded.
    @Test func mustFailWordsStayAsWrittenWithADefect() throws {
        let cases = try EncodedWordCase.load(kind: "must-fail", files: EncodedWordCase.encodedWordFiles)
        try #require(!cases.isEmpty)
        for corpusCase in cases {
            let decoded = EncodedWordDecoder.decode(unstructured: corpusCase.input)
            let input = String(decoding: corpusCase.input, as: UTF8.self)
            #expect(decoded.text == input, "\(corpusCase.key)")
            let completeShape = input.wholeMatch(of: /=\?[^?]+\?[^?]\?[^?]*\?=/) != nil
            #expect(decoded.defects.isEmpty == !completeShape, "\(corpusCase.key): defects \(decoded.defects)")
        }
    }
}

/// One case of the shared corpus.
struct EncodedWordCase {
    var file: String
    var id: String
    var input: [UInt8]
    var expected: String?

    var key: String { "\(file)#\(id)" }

    static let encodedWordFiles = ["cpython-encoded-words.json", "go-mime-encodedword.json", "rfc2047-section8.json"]

    /// `../shared` beside the package root (the directory holding Package.swift above this file).
    static func sharedDirectory(filePath: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let shared = directory.deletingLastPathComponent().appendingPathComponent("shared")
                guard FileManager.default.fileExists(atPath: shared.appendingPathComponent("corpus/cases").path) else {
                    throw CorpusError.missing("no ../shared/corpus/cases next to \(directory.path)")
                }
                return shared
            }
            directory = directory.deletingLastPathComponent()
        }
        throw CorpusError.missing("no Package.swift above \(filePath)")
    }

    /// The cases of `kind` in every corpus file (or in `files`).
    static func load(kind: String, files: [String]? = nil) throws -> [EncodedWordCase] {
        let casesDirectory = try sharedDirectory().appendingPathComponent("corpus/cases")
        let names =
            try files
            ?? FileManager.default.contentsOfDirectory(atPath: casesDirectory.path).filter { $0.hasSuffix(".json") }
            .sorted()
        var result: [EncodedWordCase] = []
        for name in names {
            let data = try Data(contentsOf: casesDirectory.appendingPathComponent(name))
            guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let cases = root["cases"] as? [[String: Any]]
            else { throw CorpusError.malformed(name) }
            for entry in cases where entry["kind"] as? String == kind {
                guard let id = entry["id"] as? String, let input = entry["input"] as? String else {
                    throw CorpusError.malformed("\(name): case without id or input")
                }
                let bytes: [UInt8]
                if entry["input_encoding"] as? String == "hex" {
                    bytes = try hexBytes(input)
                } else {
                    bytes = Array(input.utf8)
                }
                result.append(EncodedWordCase(file: name, id: id, input: bytes, expected: entry["expected"] as? String))
            }
        }
        return result
    }

    static func hexBytes(_ hex: String) throws -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
        guard digits.count % 2 == 0 else { throw CorpusError.malformed("odd hex input") }
        return try stride(from: 0, to: digits.count, by: 2).map { offset in
            guard let byte = UInt8(String(decoding: digits[offset..<offset + 2], as: UTF8.self), radix: 16) else {
                throw CorpusError.malformed("bad hex input")
            }
            return byte
        }
    }
}

enum CorpusError: Error, CustomStringConvertible {
    case missing(String)
    case malformed(String)

    var description: String {
        switch self {
        case .missing(let detail): "shared test corpus missing: \(detail)"
        case .malformed(let detail): "shared test corpus malformed: \(detail)"
        }
    }
}

/// An entry of `Fixtures/encoded-word-deviations.json`.
struct EncodedWordDeviation: Decodable {
    var id: String
    var file: String
    var reason: String

    var key: String { "\(file)#\(id)" }

    static func load(filePath: String = #filePath) throws -> [EncodedWordDeviation] {
        let fixture = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures/encoded-word-deviations.json")
        let deviations = try JSONDecoder().decode([EncodedWordDeviation].self, from: Data(contentsOf: fixture))
        for deviation in deviations where deviation.reason.trimmingCharacters(in: .whitespaces).isEmpty {
            Issue.record("deviation \(deviation.key) has no reason")
        }
        return deviations
    }
}
