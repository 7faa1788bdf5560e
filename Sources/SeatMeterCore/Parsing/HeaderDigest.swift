/// The de-duplication digest of a message without a usable Message-ID.
///
/// The same message must give the same digest whichever way it reached the ledger: the IMAP server returns only
/// the fields SeatMeter asks for (``HeaderParser/fetchedFieldNames``), a Maildir file has all of them with CRLF, an
/// mbox export has LF line ends. So the digest covers only those fields, in header order, each as the lowercase
/// field name, a colon and the value with line ends removed and runs of white space folded to one space, trimmed;
/// one field per `\n`-terminated line. A digest of the raw block would count such a message once per source.
enum HeaderDigest {
    /// Lowercase names of the fields the digest covers.
    static let coveredNames: Set<[UInt8]> = Set(HeaderParser.fetchedFieldNames.map { Array($0.lowercased().utf8) })

    static func hexDigest(block: UnsafeBufferPointer<UInt8>, fields: [RawHeaderField]) -> String {
        var canonical: [UInt8] = []
        canonical.reserveCapacity(block.count)
        var name: [UInt8] = []
        for field in fields {
            name.removeAll(keepingCapacity: true)
            for index in field.nameStart..<field.nameEnd {
                let byte = block[index]
                if byte == 0x20 || byte == 0x09 { continue }
                name.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
            guard coveredNames.contains(name) else { continue }
            canonical.append(contentsOf: name)
            canonical.append(UInt8(ascii: ":"))
            var pendingSpace = false
            var wroteValue = false
            for index in field.valueStart..<field.valueEnd {
                let byte = block[index]
                switch byte {
                case 0x0D, 0x0A: continue
                case 0x20, 0x09: pendingSpace = wroteValue
                default:
                    if pendingSpace { canonical.append(0x20) }
                    pendingSpace = false
                    wroteValue = true
                    canonical.append(byte)
                }
            }
            canonical.append(0x0A)
        }
        return SHA256.hexDigest(of: canonical)
    }
}
