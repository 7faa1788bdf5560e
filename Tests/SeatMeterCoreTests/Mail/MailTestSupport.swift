import Foundation

@testable import SeatMeterCore

/// SplitMix64: a seeded generator, so that boundaries and Message-IDs are reproducible in tests.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum MailFixtures {
    /// 2025-01-06 10:00:00 UTC, a Monday.
    static let monday = Date(timeIntervalSince1970: 1_736_157_600)

    static func report(
        subject: String = "SeatMeter weekly report",
        text: String = "Seats: 12\n",
        html: String? = "<p>Seats: <b>12</b></p>",
        attachments: [MailAttachment] = [.csv(filename: "people.csv", text: "address,role\r\na@example.com,agent\r\n")]
    ) -> OutgoingMessage {
        OutgoingMessage(
            from: Mailbox(name: "SeatMeter", address: "seatmeter@example.com"),
            to: [
                Mailbox(name: "", address: "it-admins@example.com"),
                Mailbox(name: "Jörg Müller", address: "jm@example.com"),
            ],
            subject: subject,
            date: monday,
            messageID: "<report-2025-w02@example.com>",
            text: text,
            html: html,
            attachments: attachments
        )
    }

    static func build(_ message: OutgoingMessage, seed: UInt64 = 1) throws -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return try MIMEBuilder.build(message, using: &generator)
    }

    /// The lines of `bytes` split at CRLF (the last, empty piece after a final CRLF dropped).
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 0x0D && bytes[index + 1] == 0x0A {
                result.append(bytes[start..<index])
                start = index + 2
                index += 2
            } else {
                index += 1
            }
        }
        if start < bytes.count { result.append(bytes[start...]) }
        return result
    }

    /// Offsets of CR or LF bytes that are not part of a CRLF pair.
    static func bareLineBreaks(_ bytes: [UInt8]) -> [Int] {
        bytes.indices.filter { index in
            (bytes[index] == 0x0D && (index + 1 == bytes.count || bytes[index + 1] != 0x0A))
                || (bytes[index] == 0x0A && (index == 0 || bytes[index - 1] != 0x0D))
        }
    }
}
