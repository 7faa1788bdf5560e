/// A reply from the SMTP server: the three-digit code and its text (the lines of a multi-line reply joined with
/// a space, the codes and enhanced status code kept, e.g. `550 5.1.1 mailbox unavailable`).
///
/// - SeeAlso: [RFC 5321 §4.2](https://www.rfc-editor.org/rfc/rfc5321#section-4.2)
package struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    package var code: Int
    /// The text after the code, at most a few hundred characters, control characters removed.
    package var text: String

    package init(code: Int, text: String) {
        self.code = code
        self.text = text
    }

    /// 2xx.
    package var isPositive: Bool { (200..<300).contains(code) }
    /// 4xx: the same command may succeed later (RFC 5321 §4.2.1, "transient negative completion").
    package var isTransient: Bool { (400..<500).contains(code) }

    package var description: String { text.isEmpty ? "\(code)" : "\(code) \(text)" }
}

/// A recipient the server refused at `RCPT TO` while others were accepted.
package struct SMTPRecipientRejection: Sendable, Hashable, CustomStringConvertible {
    package var address: String
    package var reply: SMTPReply

    package init(address: String, reply: SMTPReply) {
        self.address = address
        self.reply = reply
    }

    /// A 4xx refusal (greylisting, a full mailbox): retrying later may deliver to this recipient.
    package var isTransient: Bool { reply.isTransient }

    package var description: String { "\(address): \(reply)" }
}

/// The outcome of a successful ``SMTPSender/send(from:recipients:message:)``: the server took responsibility for
/// the message for ``accepted`` (at least one) and refused ``rejected``.
package struct SMTPResult: Sendable, Hashable {
    /// The recipients the server accepted, in the order given.
    package var accepted: [String]
    /// The recipients the server refused, in the order given, with its reply to each.
    package var rejected: [SMTPRecipientRejection]
    /// The server's reply to the end of the message (often carries its queue id), when seen.
    package var finalReply: SMTPReply?

    package init(accepted: [String], rejected: [SMTPRecipientRejection], finalReply: SMTPReply? = nil) {
        self.accepted = accepted
        self.rejected = rejected
        self.finalReply = finalReply
    }
}
