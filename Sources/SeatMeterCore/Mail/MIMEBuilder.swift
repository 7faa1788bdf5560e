/// Builds a complete RFC 5322 message with MIME (RFC 2045–2049) from an ``OutgoingMessage``: the bytes to hand to
/// SMTP as they are.
///
/// Structure, from the inputs present:
/// ```
/// multipart/mixed                      (only with attachments)
/// ├── multipart/alternative            (only with HTML)
/// │   ├── text/plain; charset=utf-8
/// │   └── text/html; charset=utf-8
/// └── <attachment>, base64, Content-Disposition: attachment; filename=...
/// ```
/// Guarantees: CRLF line ends only; no line longer than 998 octets (headers fold at 76, encoded bodies at 76,
/// 7bit text only when every line is ≤ 998); non-ASCII header text in RFC 2047 encoded words; boundaries random
/// and absent from the content; `Auto-Submitted: auto-generated` (RFC 3834: a machine's report, which well-behaved
/// responders do not answer).
package enum MIMEBuilder {
    /// Builds the message with boundaries (and, if needed, a Message-ID) from the system's random source.
    package static func build(_ message: OutgoingMessage) throws(MIMEBuildError) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return try build(message, using: &generator)
    }

    /// Builds the message; `generator` supplies the boundaries (and a Message-ID when the message has none).
    package static func build(
        _ message: OutgoingMessage,
        using generator: inout some RandomNumberGenerator
    ) throws(MIMEBuildError) -> [UInt8] {
        if let problem = MailAddressSyntax.problem(in: message.from.address) {
            throw MIMEBuildError(.invalidAddress, "From: \(problem)")
        }
        guard !message.to.isEmpty else { throw MIMEBuildError(.noRecipients, "the message has no recipients") }
        for recipient in message.to {
            if let problem = MailAddressSyntax.problem(in: recipient.address) {
                throw MIMEBuildError(.invalidAddress, "To: \(problem)")
            }
        }
        let messageID: String
        if let given = message.messageID {
            messageID = try normalizedMessageID(given)
        } else {
            messageID = makeMessageID(
                domain: MailAddressSyntax.domain(of: message.from.address) ?? "",
                using: &generator
            )
        }

        var header: [UInt8] = []
        header += field("Date", RFC5322Date.string(message.date, timeZone: message.timeZone))
        var from = HeaderFieldWriter(name: "From")
        from.append(mailbox: message.from, more: false)
        header += from.field
        var to = HeaderFieldWriter(name: "To")
        for (index, recipient) in message.to.enumerated() {
            to.append(mailbox: recipient, more: index < message.to.count - 1)
        }
        header += to.field
        var subject = HeaderFieldWriter(name: "Subject")
        subject.append(unstructured: message.subject)
        header += subject.field
        header += field("Message-ID", messageID)
        header += field("MIME-Version", "1.0")
        header += field("Auto-Submitted", "auto-generated")

        var body = textPart(message.text, subtype: "plain")
        if let html = message.html {
            body = try multipart("alternative", [body, textPart(html, subtype: "html")], using: &generator)
        }
        if !message.attachments.isEmpty {
            var parts = [body]
            for attachment in message.attachments { parts.append(try attachmentPart(attachment)) }
            body = try multipart("mixed", parts, using: &generator)
        }
        return header + body.bytes
    }

    /// A fresh `<random@domain>` (160 random bits), e.g. to store in a delivery log before sending.
    /// An empty or unusable domain becomes `seatmeter.localdomain`.
    package static func makeMessageID(domain: String, using generator: inout some RandomNumberGenerator) -> String {
        let usable = !domain.isEmpty && MailAddressSyntax.problem(in: "x@\(domain)") == nil
        return
            "<\(randomToken(length: 32, using: &generator))@\(usable ? domain.lowercased() : "seatmeter.localdomain")>"
    }

    // MARK: - Parts

    /// A body part (or the message's own body): its MIME header fields, a blank line and the content, which ends
    /// without a line break of its own (the CRLF before a boundary belongs to the boundary).
    struct Part {
        var bytes: [UInt8]
        /// Content that a boundary must not occur in (7bit text; quoted-printable and base64 cannot contain `=_`).
        var mayContainBoundary: Bool
    }

    private static func textPart(_ text: String, subtype: String) -> Part {
        let crlf = LineEnds.crlf(text)
        let encoding = TransferEncoding.forText(crlf)
        var bytes = field("Content-Type", "text/\(subtype); charset=utf-8")
        bytes += field("Content-Transfer-Encoding", encoding.rawValue)
        bytes += [0x0D, 0x0A]
        bytes += encoding.encode(crlf)
        return Part(bytes: bytes, mayContainBoundary: encoding == .sevenBit)
    }

    private static func attachmentPart(_ attachment: MailAttachment) throws(MIMEBuildError) -> Part {
        let media = attachment.mediaType.lowercased()
        let pieces = media.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isToken(_:)) }) else {
            throw MIMEBuildError(.invalidAttachment, "the media type \"\(attachment.mediaType)\" is not type/subtype")
        }
        var contentType = media
        if let charset = attachment.charset {
            guard !charset.isEmpty, charset.utf8.allSatisfy(isToken(_:)) else {
                throw MIMEBuildError(.invalidAttachment, "the charset \"\(charset)\" is not a MIME token")
            }
            contentType += "; charset=\(charset.lowercased())"
        }
        let filename = try filenameParameter(attachment.filename)
        var bytes = field("Content-Type", contentType + "; " + filename.name)
        bytes += field("Content-Disposition", "attachment; " + filename.filename)
        bytes += field("Content-Transfer-Encoding", "base64")
        bytes += [0x0D, 0x0A]
        var encoded = Base64.encode(attachment.content, lineLength: 76)
        if encoded.count >= 2 { encoded.removeLast(2) }  // the boundary's CRLF ends the last line
        bytes += encoded
        return Part(bytes: bytes, mayContainBoundary: false)
    }

    /// `filename="x.csv"` (and `name="x.csv"` for Content-Type, which older clients read) for a printable-ASCII
    /// name; RFC 2231 `filename*=utf-8''...` otherwise.
    private static func filenameParameter(_ filename: String) throws(MIMEBuildError) -> (filename: String, name: String)
    {
        let utf8 = Array(filename.utf8)
        guard !utf8.isEmpty, utf8.count <= 200,
            !utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") })
        else {
            throw MIMEBuildError(
                .invalidAttachment,
                "the attachment file name must be 1–200 bytes without control characters or slashes"
            )
        }
        if utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "\"") }) {
            return ("filename=\"\(filename)\"", "name=\"\(filename)\"")
        }
        var encoded = "utf-8''"
        for byte in utf8 {
            if byte < 0x80 && isToken(byte) && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "'")
                && byte != UInt8(ascii: "*")
            {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return ("filename*=\(encoded)", "name*=\(encoded)")
    }

    /// A multipart body with a fresh boundary that occurs in none of the parts.
    private static func multipart(
        _ subtype: String,
        _ parts: [Part],
        using generator: inout some RandomNumberGenerator
    ) throws(MIMEBuildError) -> Part {
        var boundary = ""
        for _ in 0..<8 {
            let candidate = "=_SeatMeter_" + randomToken(length: 28, using: &generator)
            let delimiter = Array("--\(candidate)".utf8)
            if !parts.contains(where: { $0.mayContainBoundary && contains($0.bytes, delimiter) }) {
                boundary = candidate
                break
            }
        }
        guard !boundary.isEmpty else {
            // 8 collisions of 166 random bits: the generator is broken, not the content.
            throw MIMEBuildError(.invalidAttachment, "no MIME boundary absent from the content could be found")
        }
        var bytes = field("Content-Type", "multipart/\(subtype);")
        bytes.removeLast(2)
        bytes += Array("\r\n boundary=\"\(boundary)\"\r\n\r\n".utf8)
        for part in parts {
            bytes += Array("--\(boundary)\r\n".utf8)
            bytes += part.bytes
            bytes += [0x0D, 0x0A]
        }
        bytes += Array("--\(boundary)--\r\n".utf8)
        // Nested parts may contain this part's inner boundaries, never its own delimiter in plain text.
        return Part(bytes: bytes, mayContainBoundary: parts.contains(where: \.mayContainBoundary))
    }

    // MARK: - Helpers

    private static func field(_ name: String, _ value: String) -> [UInt8] {
        Array("\(name): \(value)\r\n".utf8)
    }

    /// RFC 2045 `token` characters.
    private static func isToken(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && !Array("()<>@,;:\\\"/[]?=".utf8).contains(byte)
    }

    static func normalizedMessageID(_ given: String) throws(MIMEBuildError) -> String {
        var inner = Substring(given)
        if inner.hasPrefix("<") && inner.hasSuffix(">") && inner.count >= 2 { inner = inner.dropFirst().dropLast() }
        let parts = inner.split(separator: "@", omittingEmptySubsequences: false)
        let valid =
            parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { MailAddressSyntax.isAtomText($0) }
                    && !part.hasPrefix(".") && !part.hasSuffix(".") && !part.contains("..")
            }
        guard valid, inner.utf8.count <= 250 else {
            throw MIMEBuildError(.invalidMessageID, "the Message-ID \"\(given)\" is not <dot-atom@dot-atom>")
        }
        return "<\(inner)>"
    }

    private static let tokenAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    static func randomToken(length: Int, using generator: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            bytes.append(tokenAlphabet[Int.random(in: 0..<tokenAlphabet.count, using: &generator)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<index + needle.count].elementsEqual(needle) {
                return true
            }
            index += 1
        }
        return false
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
