@testable import SeatMeterCurl
import Testing

/// Feeds a scripted server reply to the reader in chunks of a fixed size.
final class ScriptedSource: IMAPByteSource {
    private let data: [UInt8]
    private let chunk: Int
    private var offset = 0

    init(_ text: String, chunk: Int) {
        self.data = Array(text.utf8)
        self.chunk = chunk
    }

    init(bytes: [UInt8], chunk: Int) {
        self.data = bytes
        self.chunk = chunk
    }

    func receive(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(IMAPError) -> Int {
        guard offset < data.count else { throw IMAPError(.connectionLost, "end of script") }
        let count = min(chunk, capacity, data.count - offset)
        data.withUnsafeBufferPointer { source in
            for index in 0..<count { buffer[index] = source[offset + index] }
        }
        offset += count
        return count
    }

    var consumedAll: Bool { offset == data.count }
}

/// The streaming response parser on scripted input, in chunk sizes from 1 byte (every token split) to 64 KiB.
@Suite
struct IMAPResponseReaderTests {
    static let chunks = [1, 3, 17, 65_536]
    static let tag = Array("S1".utf8)

    private func read(_ text: String, chunk: Int, maximumBodySize: Int = 1 << 26) throws
        -> ([IMAPResponse], [[UInt8]])
    {
        let source = ScriptedSource(text, chunk: chunk)
        let reader = IMAPResponseReader(source: source, maximumBodySize: maximumBodySize)
        var responses: [IMAPResponse] = []
        var bodies: [[UInt8]] = []
        while true {
            let response = try reader.next(tag: Self.tag)
            responses.append(response)
            if case .fetch(_, _, true) = response { bodies.append(reader.body) }
            if case .tagged = response { break }
        }
        #expect(source.consumedAll, "the reader consumed exactly the responses")
        return (responses, bodies)
    }

    @Test("Dovecot's EXAMINE reply", arguments: chunks)
    func examineReply(chunk: Int) throws {
        let text = """
            * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r
            * OK [PERMANENTFLAGS ()] Read-only mailbox.\r
            * 5 EXISTS\r
            * 0 RECENT\r
            * OK [UIDVALIDITY 1700000001] UIDs valid\r
            * OK [UIDNEXT 6] Predicted next UID\r
            S1 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\r

            """
        let (responses, _) = try read(text, chunk: chunk)
        #expect(responses == [
            .other,
            .status(.ok, .other("PERMANENTFLAGS"), text: "Read-only mailbox."),
            .exists(5),
            .other,
            .status(.ok, .uidValidity(1_700_000_001), text: "UIDs valid"),
            .status(.ok, .uidNext(6), text: "Predicted next UID"),
            .tagged(.ok, .readOnly, text: "Examine completed (0.001 + 0.000 secs)."),
        ])
    }

    @Test("FETCH bodies as literals, quoted strings and NIL, items in any order", arguments: chunks)
    func fetchResponses(chunk: Int) throws {
        let first = "From: a@example.org\r\nTo: (x) {3}\r\n b@example.org\r\n\r\n"
        let second = "Subject: ) ( \" \\\r\n\r\n"
        let text = "* 1 FETCH (UID 10 BODY[HEADER.FIELDS (FROM TO)] {\(first.utf8.count)}\r\n\(first))\r\n"
            + "* 2 FETCH (FLAGS (\\Seen $Label1) BODY[HEADER.FIELDS (\"SUBJECT\")]<0> {\(second.utf8.count)+}\r\n"
            + "\(second) RFC822.SIZE 1234 INTERNALDATE \"06-Jan-2025 10:00:00 +0000\" UID 11 MODSEQ (77))\r\n"
            + "* 3 FETCH (UID 12 BODY[HEADER.FIELDS (X)] \"a \\\"q\\\" \\\\ b\")\r\n"
            + "* 4 FETCH (BODY[HEADER.FIELDS (X)] NIL UID 13)\r\n"
            + "* 5 FETCH (FLAGS (\\Seen))\r\n"
            + "* 6 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" {5}\r\nab)cd NIL) \"mixed\") UID 14"
            + " BODY[HEADER.FIELDS (A)] ~{2}\r\nhi)\r\n"
            + "* 7 FETCH ()\r\n"
            + "* 8 FETCH (UID 15 BODY[HEADER.FIELDS (\"A]B\" \"C\\\"]\")]<0> NIL)\r\n"
            + "S1 OK Fetch completed.\r\n"
        let (responses, bodies) = try read(text, chunk: chunk)
        #expect(responses == [
            .fetch(sequence: 1, uid: 10, hasBody: true),
            .fetch(sequence: 2, uid: 11, hasBody: true),
            .fetch(sequence: 3, uid: 12, hasBody: true),
            .fetch(sequence: 4, uid: 13, hasBody: true),
            .fetch(sequence: 5, uid: nil, hasBody: false),
            .fetch(sequence: 6, uid: 14, hasBody: true),
            .fetch(sequence: 7, uid: nil, hasBody: false),
            .fetch(sequence: 8, uid: 15, hasBody: true),
            .tagged(.ok, nil, text: "Fetch completed."),
        ])
        #expect(bodies == [Array(first.utf8), Array(second.utf8), Array("a \"q\" \\ b".utf8), [], Array("hi".utf8), []])
    }

    @Test("a 300 KB literal streams through the 64 KiB buffer", arguments: [1_000, 65_536])
    func largeLiteral(chunk: Int) throws {
        var block: [UInt8] = Array("To: ".utf8)
        while block.count < 300_000 { block += Array("someone.\(block.count)@example.org,\r\n ".utf8) }
        block += Array("last@example.org\r\n\r\n".utf8)
        let bytes = Array("* 1 FETCH (UID 7 BODY[HEADER.FIELDS (TO)] {\(block.count)}\r\n".utf8) + block
            + Array(")\r\n* 2 FETCH (UID 8 BODY[HEADER.FIELDS (TO)] {4}\r\nab\r\n)\r\nS1 OK done\r\n".utf8)
        let source = ScriptedSource(bytes: bytes, chunk: chunk)
        let reader = IMAPResponseReader(source: source)
        #expect(try reader.next(tag: Self.tag) == .fetch(sequence: 1, uid: 7, hasBody: true))
        #expect(reader.body == block)
        // The reused body buffer holds only the next (shorter) message.
        #expect(try reader.next(tag: Self.tag) == .fetch(sequence: 2, uid: 8, hasBody: true))
        #expect(reader.body == Array("ab\r\n".utf8))
        #expect(try reader.next(tag: Self.tag) == .tagged(.ok, nil, text: "done"))
    }

    @Test("other untagged responses are skipped, literals included; continuation, BYE, bare LF", arguments: chunks)
    func otherResponses(chunk: Int) throws {
        let text = "* LIST () \".\" {5}\r\nIN)BX\r\n"
            + "* CAPABILITY IMAP4rev1 LITERAL+ ID\r\n"
            + "* 3 EXPUNGE\r\n"
            + "+ Ready for more\r\n"
            + "* BYE Shutting down\n"
            + "* NO [ALERT] Disk full\r\n"
            + "S1 NO [NONEXISTENT] Mailbox doesn't exist: Missing\r\n"
        let (responses, _) = try read(text, chunk: chunk)
        #expect(responses == [
            .other, .other, .other, .continuation,
            .status(.bye, nil, text: "Shutting down"),
            .status(.no, .other("ALERT"), text: "Disk full"),
            .tagged(.no, .nonexistent, text: "Mailbox doesn't exist: Missing"),
        ])
    }

    @Test("tagged responses without text, and NO [EXPUNGEISSUED]", arguments: chunks)
    func shortTagged(chunk: Int) throws {
        #expect(try read("S1 OK\r\n", chunk: chunk).0 == [.tagged(.ok, nil, text: "")])
        #expect(try read("S1 BAD [READ-ONLY]\r\n", chunk: chunk).0 == [.tagged(.bad, .readOnly, text: "")])
        #expect(try read("S1 NO [EXPUNGEISSUED] Some gone\r\n", chunk: chunk).0
            == [.tagged(.no, .expungeIssued, text: "Some gone")])
    }

    @Test("hostile or broken input is a protocol error, never a crash", arguments: [
        "S2 OK wrong tag\r\n",
        "S1 MAYBE\r\n",
        "* 99999999999 EXISTS\r\n",
        "* 1 FETCH UID 5\r\n",
        "* 1 FETCH (UID 4294967296)\r\n",
        "* 1 FETCH (UID 5 BODY[HEADER] {101}\r\n",
        "* 1 FETCH (UID 5 BODY[HEADER] {99999999999}\r\n",
        "* 1 FETCH (UID 5 BODY[HEADER] \"line\r\nbreak\")\r\n",
        "* 1 FETCH (UID 5 BODY[HEADER] XYZ)\r\n",
        "* 1 FETCH (UID 5 BODY[HEADER \r\n",
        "* 1 FETCH (UID 5 FLAGS (\\Seen\r\n",
        "* 1 FETCH (UID 5 BODY[HEADER] {3}\r\nabcUID 6)\r\n",
        "\r\n",
    ])
    func protocolErrors(text: String) throws {
        let reader = IMAPResponseReader(source: ScriptedSource(text + "S1 OK\r\n", chunk: 1), maximumBodySize: 100)
        let error = try #require(throws: IMAPError.self) {
            while true { if case .tagged = try reader.next(tag: Self.tag) { break } }
        }
        #expect(error.kind == .protocolError, "\(error)")
    }

    @Test("a stream that ends mid-literal reports the source's error")
    func truncated() throws {
        let source = ScriptedSource("* 1 FETCH (UID 5 BODY[HEADER] {50}\r\nFrom: a", chunk: 7)
        let reader = IMAPResponseReader(source: source)
        let error = try #require(throws: IMAPError.self) { _ = try reader.next(tag: Self.tag) }
        #expect(error.kind == .connectionLost)
    }
}
