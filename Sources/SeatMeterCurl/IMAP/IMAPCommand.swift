/// Encoders for the few IMAP commands this client sends: EXAMINE, UID FETCH and LOGOUT.
///
/// Deliberately no SELECT, STORE, EXPUNGE, MOVE or `BODY[` without `.PEEK`: the session is read-only and must never
/// change a flag (help desks act on unread mail).
///
/// - SeeAlso: [RFC 3501 §6](https://www.rfc-editor.org/rfc/rfc3501#section-6)
enum IMAPCommand {
    // MARK: - Commands

    // examine = "EXAMINE" SP mailbox
    static func examine(_ folder: String) -> [UInt8] {
        Array("EXAMINE ".utf8) + quoted(modifiedUTF7(folder))
    }

    // fetch = "UID FETCH" SP sequence-set SP "(" "UID" SP "BODY.PEEK[HEADER.FIELDS" SP header-list "])" ")"
    /// `UID FETCH lower:upper (UID BODY.PEEK[HEADER.FIELDS (...)])`; an upper bound of `UInt32.max` is sent as `*`.
    ///
    /// - Throws: ``IMAPError`` `.protocolError` when a field name is not a plain header name (it would need quoting).
    static func uidFetchHeaders(lower: UInt32, upper: UInt32, fields: [String]) throws(IMAPError) -> [UInt8] {
        guard !fields.isEmpty else { throw IMAPError(.protocolError, "no header fields to fetch") }
        let upperText = upper == UInt32.max ? "*" : String(upper)
        var command = Array("UID FETCH \(lower):\(upperText) (UID BODY.PEEK[HEADER.FIELDS (".utf8)
        for (index, field) in fields.enumerated() {
            guard isHeaderFieldName(field) else {
                throw IMAPError(.protocolError, "\"\(field)\" is not a header field name that can be fetched")
            }
            if index > 0 { command.append(UInt8(ascii: " ")) }
            command.append(contentsOf: field.utf8)
        }
        command.append(contentsOf: ")])".utf8)
        return command
    }

    static var logout: [UInt8] { Array("LOGOUT".utf8) }

    // MARK: - Encoding

    /// A header field name that is also an IMAP atom: printable ASCII without `:` and without atom-specials.
    ///
    /// - SeeAlso: [RFC 5322 §3.6.8 (ftext)](https://www.rfc-editor.org/rfc/rfc5322#section-3.6.8)
    static func isHeaderFieldName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && !":(){%*\"\\]".utf8.contains(byte)
            }
    }

    // quoted = DQUOTE *QUOTED-CHAR DQUOTE ; QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials
    /// A quoted string; the input is printable ASCII (the output of ``modifiedUTF7(_:)``), so no literal is needed.
    static func quoted(_ ascii: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        output.reserveCapacity(ascii.count + 2)
        for byte in ascii {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { output.append(UInt8(ascii: "\\")) }
            output.append(byte)
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    /// The modified UTF-7 form of a mailbox name: printable ASCII stays, `&` becomes `&-`, anything else becomes
    /// `&` + modified BASE64 (`,` for `/`, no padding) of its UTF-16BE + `-`.
    ///
    /// - SeeAlso: [RFC 3501 §5.1.3](https://www.rfc-editor.org/rfc/rfc3501#section-5.1.3)
    static func modifiedUTF7(_ name: String) -> [UInt8] {
        var output: [UInt8] = []
        var pending: [UInt8] = []  // UTF-16BE bytes of the current non-ASCII run
        func flush() {
            guard !pending.isEmpty else { return }
            output.append(UInt8(ascii: "&"))
            output.append(contentsOf: modifiedBase64(pending))
            output.append(UInt8(ascii: "-"))
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                output.append(UInt8(scalar.value))
                if scalar == "&" { output.append(UInt8(ascii: "-")) }
            } else {
                for unit in String(scalar).utf16 {
                    pending.append(UInt8(unit >> 8))
                    pending.append(UInt8(unit & 0xFF))
                }
            }
        }
        flush()
        return output
    }

    private static func modifiedBase64(_ bytes: [UInt8]) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            let produced = min(4, (bytes.count - index) * 8 / 6 + ((bytes.count - index) * 8 % 6 == 0 ? 0 : 1))
            for position in 0..<produced {
                output.append(alphabet[Int(group >> (18 - 6 * UInt32(position)) & 0x3F)])
            }
            index += 3
        }
        return output
    }
}
