import Foundation
import SeatMeterCore
import Testing

/// Inputs the fuzzer (scripts/fuzz.sh) found, kept in Fixtures/fuzz-crashers/. Each must parse without a crash
/// and keep the invariants the fuzz target checks.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func crashers() throws -> [URL] {
        let directory = try ParsingTestPaths.fixtures().appendingPathComponent("fuzz-crashers")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("every crasher parses and keeps the invariants")
    func crashersParse() throws {
        let files = try Self.crashers()
        #expect(!files.isEmpty)
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            let facts = HeaderParser.parse(bytes)
            for appearance in facts.appearances {
                let address = appearance.mailbox.address
                #expect(address.contains("@") && address != "<>", "\(file.lastPathComponent): \(address)")
                #expect(CanonicalAddress.normalize(address) == address, "\(file.lastPathComponent): \(address)")
                let identity = AddressCanonicalizer().identity(address)
                #expect(AddressCanonicalizer().identity(identity) == identity)
            }
            #expect(HeaderParser.parse(bytes) == facts)
        }
    }

    @Test("a domain literal never holds '@' (first fuzz finding)")
    func domainLiteralWithAt() {
        let list = HeaderParser.parseAddressList(Array("<jdoe@[tag:<x@y:1.2.3.4]>".utf8), label: "from")
        #expect(list.mailboxes.isEmpty)
        #expect(list.defects.contains("from: dropped an element with an invalid domain literal"))
    }
}
