/// Turns a stored address (``Mailbox/address``) into the identity SeatMeter counts people by.
///
/// The stored form is already canonical (see ``CanonicalAddress``) except for local-part case. The identity
/// applies the counting options on top:
/// - `foldLocalPartCase` (default on, as real mail systems do): `John.Doe@x` and `john.doe@x` are one person.
///   Folding uses Unicode lowercase mapping, so non-ASCII local parts (RFC 6532) fold too.
/// - `foldPlusTags` (default off): `john+billing@x` counts as `john@x`. Only unquoted local parts are cut, at the
///   first `+` that is not the first character.
///
/// `identity(_:)` also accepts near-canonical input (a quoted local part that needs no quotes, an upper-case or
/// `xn--` domain), so addresses from configuration files compare equal to parsed ones.
package struct AddressCanonicalizer: Sendable, Hashable {
    package var foldLocalPartCase: Bool
    package var foldPlusTags: Bool

    package init(foldLocalPartCase: Bool = true, foldPlusTags: Bool = false) {
        self.foldLocalPartCase = foldLocalPartCase
        self.foldPlusTags = foldPlusTags
    }

    /// The counting identity of `address`.
    package func identity(_ address: String) -> String {
        var (local, wasQuoted, domain) = CanonicalAddress.components(of: address)
        guard let domain else {
            return foldLocalPartCase ? address.lowercased() : address
        }
        if foldPlusTags, !wasQuoted || CanonicalAddress.isDotAtom(local),
            let plus = local.firstIndex(of: UInt8(ascii: "+")), plus > 0
        {
            local.removeSubrange(plus...)
        }
        if foldLocalPartCase {
            if local.allSatisfy({ $0 < 0x80 }) {
                for index in local.indices where local[index] >= UInt8(ascii: "A") && local[index] <= UInt8(ascii: "Z") {
                    local[index] |= 0x20
                }
            } else {
                local = Array(String(decoding: local, as: UTF8.self).lowercased().utf8)
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(local.count + domain.utf8.count + 3)
        CanonicalAddress.appendLocalPart(content: local, to: &output)
        output.append(UInt8(ascii: "@"))
        output.append(contentsOf: domain.utf8)
        return String(decoding: output, as: UTF8.self)
    }
}
