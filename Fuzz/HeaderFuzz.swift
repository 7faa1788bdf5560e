// libFuzzer entry point for the header core. Built by scripts/fuzz.sh together with Sources/SeatMeterCore as one
// module; not part of the Swift package.
//
// Besides "no crash, no sanitizer report", it checks invariants the parser promises:
// - every mailbox address has an '@' and is never `<>`;
// - addresses are canonical: re-normalizing gives the same string, and the counting identity is idempotent;
// - parsing is deterministic.

@_cdecl("LLVMFuzzerTestOneInput")
public func headerFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let facts = HeaderParser.parse(bytes)
    let canonicalizer = AddressCanonicalizer()
    let plusFolding = AddressCanonicalizer(foldLocalPartCase: false, foldPlusTags: true)
    for appearance in facts.appearances {
        let address = appearance.mailbox.address
        guard address.utf8.contains(UInt8(ascii: "@")), address != "<>" else {
            fatalError("not a mailbox: \(address)")
        }
        guard CanonicalAddress.normalize(address) == address else {
            fatalError("address not canonical: \(address) -> \(CanonicalAddress.normalize(address))")
        }
        let identity = canonicalizer.identity(address)
        guard canonicalizer.identity(identity) == identity else {
            fatalError("identity not idempotent: \(address) -> \(identity)")
        }
        let folded = plusFolding.identity(address)
        guard plusFolding.identity(folded) == folded else {
            fatalError("plus-tag identity not idempotent: \(address) -> \(folded)")
        }
    }
    // The same bytes as one address-list value, a date and a message id.
    let list = HeaderParser.parseAddressList(bytes, label: "to")
    for mailbox in list.mailboxes where !mailbox.address.utf8.contains(UInt8(ascii: "@")) {
        fatalError("not a mailbox: \(mailbox.address)")
    }
    _ = MailDateParser.parse(bytes)
    _ = MessageIDParser.parse(bytes)
    if size <= 4096, HeaderParser.parse(bytes) != facts {
        fatalError("parse is not deterministic")
    }
    return 0
}
