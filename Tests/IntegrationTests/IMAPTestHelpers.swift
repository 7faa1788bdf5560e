import Foundation
@testable import SeatMeterCurl
import TestSupport

/// Builders and oracles shared by the IMAP integration tests.
enum IMAPTestMail {
    /// The header fields the tests ask for (a mix of cases, as the real list has).
    static let fields = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "Auto-Submitted"]

    /// A CRLF message with a few fields requested and some not (Received, X-Other), one folded.
    static func message(_ number: Int, to: String? = nil, extraHeaders: [String] = []) -> [UInt8] {
        let lines = [
            "Received: from relay.example.net by mx.example.com; Mon, 6 Jan 2025 10:00:00 +0000",
            "From: \"Customer \(number)\" <customer\(number)@example.org>",
            "To: \(to ?? "helpdesk@example.com")",
            "Subject: Printer \(number) is",
            " on fire",
            "X-Other: not requested",
            "Date: Mon, 6 Jan 2025 10:\(number % 50 + 10):00 +0000",
            "Message-ID: <msg\(number)@example.org>",
        ] + extraHeaders + ["", "Body of message \(number).", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// What `BODY[HEADER.FIELDS (fields)]` must return for `raw`: the matching fields (with continuation lines) in
    /// message order, then the blank line (RFC 3501 §6.4.5).
    static func expectedFields(of raw: [UInt8], fields: [String] = fields) -> [UInt8] {
        let wanted = Set(fields.map { $0.lowercased() })
        var output: [UInt8] = []
        var index = 0
        var including = false
        while index < raw.count {
            var end = index
            while end < raw.count && raw[end] != 0x0A { end += 1 }
            let line = Array(raw[index..<min(end + 1, raw.count)])
            index = end + 1
            if line == [0x0D, 0x0A] || line == [0x0A] { break }
            if line.first == 0x20 || line.first == 0x09 {
                if including { output += line }
                continue
            }
            let name = line.prefix { $0 != UInt8(ascii: ":") }
            including = wanted.contains(String(decoding: name, as: UTF8.self).lowercased())
            if including { output += line }
        }
        return output + [0x0D, 0x0A]
    }
}

enum Transport: String, CaseIterable, CustomStringConvertible {
    case plain, startTLS, implicitTLS
    var description: String { rawValue }
}

extension DovecotServer {
    /// An endpoint for this server over `transport`, trusting its certificate.
    func endpoint(
        _ transport: Transport, password: String? = nil, connectTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(10)
    ) -> IMAPEndpoint {
        switch transport {
        case .plain:
            IMAPEndpoint(url: plainURL, username: user, password: password ?? self.password, allowInsecure: true,
                         connectTimeout: connectTimeout, idleTimeout: idleTimeout)
        case .startTLS:
            IMAPEndpoint(url: plainURL, username: user, password: password ?? self.password, caFile: caFile,
                         connectTimeout: connectTimeout, idleTimeout: idleTimeout)
        case .implicitTLS:
            IMAPEndpoint(url: tlsURL ?? "", username: user, password: password ?? self.password, caFile: caFile,
                         connectTimeout: connectTimeout, idleTimeout: idleTimeout)
        }
    }
}

extension IMAPSession {
    /// All fetched headers of `uids`, in arrival order.
    func collect(_ uids: ClosedRange<UInt32>, fields: [String] = IMAPTestMail.fields) throws -> [FetchedHeader] {
        var result: [FetchedHeader] = []
        try fetchHeaders(uids: uids, fields: fields) { result.append($0) }
        return result
    }
}
