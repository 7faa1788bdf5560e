/// The mailboxes of one address-list field value (`From`, `To`, `Cc`, ...), with what went wrong on the way.
package struct AddressList: Sendable, Hashable {
    /// Every mailbox in order; groups are flattened and their names dropped.
    package var mailboxes: [Mailbox]
    /// Problems found; each dropped element has one.
    package var defects: [String]
    /// Whether the value held a group (even an empty one such as `undisclosed-recipients:;`).
    package var containsGroup: Bool

    package init(mailboxes: [Mailbox] = [], defects: [String] = [], containsGroup: Bool = false) {
        self.mailboxes = mailboxes
        self.defects = defects
        self.containsGroup = containsGroup
    }
}

extension HeaderParser {
    /// Parses an address-list field value (the bytes after the colon; folded or not).
    ///
    /// Defects are prefixed with `label` (e.g. `"to"`).
    package static func parseAddressList(_ value: some Collection<UInt8>, label: String = "address") -> AddressList {
        var parser = AddressListParser()
        var appearances: [AddressAppearance] = []
        var defects: [String] = []
        var containsGroup = false
        let run: (UnsafeBufferPointer<UInt8>) -> Void = { buffer in
            containsGroup = parser.parse(
                unfoldingIfNeeded: buffer, label: label, field: .to, into: &appearances, defects: &defects)
        }
        if value.withContiguousStorageIfAvailable(run) == nil {
            Array(value).withUnsafeBufferPointer(run)
        }
        let result = AddressList(mailboxes: appearances.map(\.mailbox), defects: defects, containsGroup: containsGroup)
        return result
    }
}
