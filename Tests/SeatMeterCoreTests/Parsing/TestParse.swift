import Foundation
import SeatMeterCore

/// Shortcuts for the parsing tests.
enum TestParse {
/// Parses `value` as the value of one address field and returns (name, address) pairs and the defects.
static func list(_ value: String) -> (mailboxes: [(String, String)], defects: [String]) {
    let list = HeaderParser.parseAddressList(Array(value.utf8), label: "to")
    return (list.mailboxes.map { ($0.name, $0.address) }, list.defects)
}

/// The addresses only.
static func addresses(_ value: String) -> [String] {
    HeaderParser.parseAddressList(Array(value.utf8), label: "to").mailboxes.map(\.address)
}

/// The names only.
static func names(_ value: String) -> [String] {
    HeaderParser.parseAddressList(Array(value.utf8), label: "to").mailboxes.map(\.name)
}

/// Parses a header block written with `\n` line ends, converted to CRLF unless `lf` is set.
static func header(_ text: String, lf: Bool = false) -> MessageFacts {
    let block = lf ? text : text.replacingOccurrences(of: "\n", with: "\r\n")
    return HeaderParser.parse(Array(block.utf8))
}
}
