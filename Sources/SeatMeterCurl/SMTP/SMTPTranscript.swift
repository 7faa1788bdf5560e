/// Follows the SMTP dialogue libcurl has with the server, from libcurl's debug callback, to learn the reply to each
/// `RCPT TO` (and to the other commands) — libcurl itself only reports success or one error code.
///
/// Why this is reliable: libcurl's SMTP state machine never pipelines. It sends one command
/// (`CURLINFO_HEADER_OUT`), waits for the complete reply (`CURLINFO_HEADER_IN`, one call per line), and only then
/// sends the next. It sends one `RCPT TO` per `CURLOPT_MAIL_RCPT` entry, in list order, stopping at the first
/// refusal unless `CURLOPT_MAIL_RCPT_ALLOWFAILS` is set (it is). So the n-th `RCPT TO` line out is recipient n, and
/// the next complete reply in is its answer — no address matching, which would break on libcurl's own rewriting
/// (IDN conversion, added angle brackets).
///
/// What is kept: only which command is outstanding and the server's replies. Outgoing lines are classified by their
/// first word and then dropped, so the AUTH exchange (which carries the password, base64-encoded) is never stored.
struct SMTPTranscript {
    enum Command: Equatable {
        case greeting
        case ehlo
        case startTLS
        case auth
        case mail
        case rcpt(Int)
        case data
        /// The message itself, after `354`; its reply is the final `250` (or a refusal).
        case message
        case quit
        case other
    }

    private(set) var outstanding: Command = .greeting
    /// The reply to each recipient's `RCPT TO`, by position; nil when none was seen.
    private(set) var recipientReplies: [SMTPReply?]
    private(set) var mailReply: SMTPReply?
    private(set) var dataReply: SMTPReply?
    private(set) var messageReply: SMTPReply?
    /// The server said `354`: the message went (or is going) out.
    private(set) var messageStarted = false
    /// The last complete reply (QUIT's aside) and the command it answered.
    private(set) var lastReply: (command: Command, reply: SMTPReply)?
    private var recipientsSent = 0
    /// The outstanding command has not had its (one) reply yet; a further reply line is stray and ignored.
    private var awaitingReply = true
    /// The last command bytes sent did not end a line.
    private var outgoingLineOpen = false
    /// Lines of a multi-line reply so far.
    private var replyLines: [String] = []
    /// Bytes of an incoming line not yet terminated (libcurl passes whole lines, but nothing promises it).
    private var partialLine: [UInt8] = []

    static let maximumReplyText = 400

    init(recipientCount: Int) {
        recipientReplies = Array(repeating: nil, count: recipientCount)
    }

    // MARK: - Events

    /// A command line libcurl sent (`CURLINFO_HEADER_OUT`). Only its first word is looked at.
    mutating func commandSent(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        // The rest of a command whose first part went out in an earlier call (a short write): same command.
        let continuesLine = outgoingLineOpen
        outgoingLineOpen = bytes.last != 0x0A
        if continuesLine { return }
        let head = String(decoding: bytes.prefix(12), as: UTF8.self).uppercased()
        func starts(_ word: String) -> Bool { head.hasPrefix(word) }
        let command: Command
        if starts("RCPT TO:") {
            command = .rcpt(recipientsSent)
            recipientsSent += 1
        } else if starts("MAIL FROM:") {
            command = .mail
        } else if starts("EHLO") || starts("HELO") {
            command = .ehlo
        } else if starts("STARTTLS") {
            command = .startTLS
        } else if starts("AUTH") {
            command = .auth
        } else if starts("DATA") && (bytes.count == 4 || bytes.count >= 5 && (bytes[4] == 0x0D || bytes[4] == 0x0A)) {
            command = .data
        } else if starts("QUIT") {
            command = .quit
        } else if outstanding == .auth {
            command = .auth  // an AUTH continuation line (credentials): stays classified as AUTH, never stored
        } else {
            command = .other
        }
        outstanding = command
        awaitingReply = true
        replyLines = []
        partialLine = []
    }

    /// Reply bytes libcurl received (`CURLINFO_HEADER_IN`): one or more lines, possibly a partial one.
    mutating func replyReceived(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if byte == 0x0A {
                if partialLine.last == 0x0D { partialLine.removeLast() }
                lineReceived(partialLine)
                partialLine = []
            } else if partialLine.count < 2048 {
                partialLine.append(byte)
            }
        }
    }

    private mutating func lineReceived(_ line: [UInt8]) {
        guard line.count >= 3, line.prefix(3).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let code = Int(String(decoding: line.prefix(3), as: UTF8.self))
        else { return }  // not a reply line
        let isFinal = line.count == 3 || line[3] == 0x20
        let text = String(decoding: line.dropFirst(4).filter { $0 >= 0x20 && $0 != 0x7F }, as: UTF8.self)
        replyLines.append(text)
        guard isFinal else { return }
        var joined = replyLines.joined(separator: " ").trimmingCharacters()
        if joined.count > Self.maximumReplyText { joined = String(joined.prefix(Self.maximumReplyText)) + "…" }
        replyLines = []
        complete(SMTPReply(code: code, text: joined))
    }

    private mutating func complete(_ reply: SMTPReply) {
        // One reply per command (RFC 5321 §4.2): anything more is stray.
        guard awaitingReply else { return }
        awaitingReply = false
        // libcurl says QUIT after a failure too (inside perform, with CURLOPT_FORBID_REUSE); its 221 must not hide
        // the reply that explains the failure.
        guard outstanding != .quit else { return }
        lastReply = (outstanding, reply)
        switch outstanding {
        case .rcpt(let index) where index < recipientReplies.count: recipientReplies[index] = reply
        case .mail: mailReply = reply
        case .data:
            dataReply = reply
            // libcurl sends the message and its end-of-data sequence without a `HEADER_OUT` line, so the next
            // reply after `354` is the message's.
            if reply.code == 354 {
                messageStarted = true
                outstanding = .message
                awaitingReply = true
                return
            }
        case .message: messageReply = reply
        default: break
        }
    }

    // MARK: - Conclusions

    /// The whole message went out (`354` seen, all bytes uploaded) but no reply to it arrived: the server may have
    /// queued it.
    func messageMayHaveBeenQueued(fullyUploaded: Bool) -> Bool {
        messageStarted && messageReply == nil && fullyUploaded
    }

    /// Every recipient was answered and none positively.
    var allRecipientsRefused: Bool {
        !recipientReplies.isEmpty && recipientReplies.allSatisfy { $0.map { !$0.isPositive } ?? false }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " }), let last = scalars.lastIndex(where: { $0 != " " })
        else { return "" }
        return String(scalars[first...last])
    }
}
