package import Foundation

/// A machine-generated mail to build with ``MIMEBuilder``: the report to the administrators.
///
/// Everything that varies between runs is an input (``date``, ``messageID``), so the same value builds the same
/// headers; only the MIME boundaries (and a generated Message-ID when none is given) come from the random source.
package struct OutgoingMessage: Sendable, Hashable {
    /// `From`; the address must be ASCII (SMTPUTF8 is not used). The name may be anything.
    package var from: Mailbox
    /// `To`: every recipient, in order. At least one.
    package var to: [Mailbox]
    /// Unstructured text; RFC 2047-encoded when it is not plain ASCII.
    package var subject: String
    /// `Date`, written in ``timeZone``'s offset at that instant.
    package var date: Date
    package var timeZone: TimeZone
    /// `Message-ID`, with or without the angle brackets (`id@host`). nil: a random one at the From domain. Pass one
    /// (``MIMEBuilder/makeMessageID(domain:using:)``) when it must be known before sending, e.g. for a delivery log.
    package var messageID: String?
    /// The text/plain alternative. Line ends may be LF, CRLF or CR; they are sent as CRLF.
    package var text: String
    /// The text/html alternative; nil sends text/plain alone.
    package var html: String?
    package var attachments: [MailAttachment]

    package init(
        from: Mailbox,
        to: [Mailbox],
        subject: String,
        date: Date,
        timeZone: TimeZone = .gmt,
        messageID: String? = nil,
        text: String,
        html: String? = nil,
        attachments: [MailAttachment] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.timeZone = timeZone
        self.messageID = messageID
        self.text = text
        self.html = html
        self.attachments = attachments
    }
}

/// A file attached to an ``OutgoingMessage``: always sent base64-encoded, byte for byte.
package struct MailAttachment: Sendable, Hashable {
    /// The name the recipient sees; non-ASCII names are sent in RFC 2231 form (`filename*=utf-8''...`).
    package var filename: String
    /// `type/subtype`, e.g. `text/csv`.
    package var mediaType: String
    /// The `charset` parameter for text types, e.g. `utf-8`; nil for none.
    package var charset: String?
    package var content: [UInt8]

    package init(filename: String, mediaType: String, charset: String? = nil, content: [UInt8]) {
        self.filename = filename
        self.mediaType = mediaType
        self.charset = charset
        self.content = content
    }

    /// A UTF-8 CSV file (`text/csv; charset=utf-8`, RFC 7111), its text as given.
    package static func csv(filename: String, text: String) -> MailAttachment {
        MailAttachment(filename: filename, mediaType: "text/csv", charset: "utf-8", content: Array(text.utf8))
    }
}

/// Why a message could not be built: an input that cannot be written into a header safely.
package struct MIMEBuildError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Kind: String, Sendable, Hashable {
        case invalidAddress
        case noRecipients
        case invalidMessageID
        case invalidAttachment
    }

    package let kind: Kind
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
