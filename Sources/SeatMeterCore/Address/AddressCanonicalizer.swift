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
        if let fast = address.utf8.withContiguousStorageIfAvailable({ asciiIdentity($0, of: address) }),
            let fast
        {
            return fast
        }
        return generalIdentity(address)
    }

    /// The fast path of ``identity(_:)`` for the common shape, an ASCII dot-atom local part and an ASCII domain
    /// that is neither a domain literal nor internationalized (`xn--`) nor written with a trailing dot; nil for
    /// anything else (``generalIdentity(_:)`` handles it). It gives exactly what the general path gives, and
    /// allocates only when a byte has to change (returning `address` itself when none does).
    func asciiIdentity(_ bytes: UnsafeBufferPointer<UInt8>, of address: String) -> String? {
        let count = bytes.count
        // Local part, up to the first '@': a dot-atom of ASCII atext (no '@' can be in it).
        var index = 0
        var localUpper = false
        var previousWasDot = true
        var firstPlus = -1
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "@") { break }
            if byte == UInt8(ascii: ".") {
                if previousWasDot { return nil }
                previousWasDot = true
            } else {
                guard byte < 0x80, CanonicalAddress.isAtext(byte) else { return nil }
                previousWasDot = false
                if byte &- UInt8(ascii: "A") < 26 { localUpper = true }
                if byte == UInt8(ascii: "+"), firstPlus < 0 { firstPlus = index }
            }
            index += 1
        }
        let at = index
        guard at > 0, at < count - 1, !previousWasDot else { return nil }
        var localEnd = at
        if foldPlusTags, firstPlus > 0 {
            // Cut at the first '+' (not the first character); the rest must still be a dot-atom, else the general
            // path quotes it.
            if bytes[firstPlus - 1] == UInt8(ascii: ".") { return nil }
            localEnd = firstPlus
            localUpper = false
            for offset in 0..<localEnd where bytes[offset] &- UInt8(ascii: "A") < 26 { localUpper = true }
        }
        // Domain: ASCII, no second '@', no literal, no trailing dot, no ACE label; upper case is lowered.
        guard bytes[at + 1] != UInt8(ascii: "["), bytes[count - 1] != UInt8(ascii: ".") else { return nil }
        var domainUpper = false
        var labelStart = at + 1
        index = at + 1
        while index < count {
            let byte = bytes[index]
            guard byte < 0x80, byte != UInt8(ascii: "@") else { return nil }
            if byte &- UInt8(ascii: "A") < 26 {
                domainUpper = true
            } else if byte == UInt8(ascii: ".") {
                labelStart = index + 1
            } else if byte == UInt8(ascii: "-"), index == labelStart + 3, bytes[index - 1] == UInt8(ascii: "-"),
                bytes[index - 2] | 0x20 == UInt8(ascii: "n"), bytes[index - 3] | 0x20 == UInt8(ascii: "x")
            {
                return nil
            }
            index += 1
        }
        let lowerLocal = foldLocalPartCase && localUpper
        if !lowerLocal, !domainUpper, localEnd == at { return address }
        let length = localEnd + (count - at)
        return String(unsafeUninitializedCapacity: length) { output in
            var written = 0
            for index in 0..<localEnd {
                let byte = bytes[index]
                output[written] = lowerLocal && byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
                written += 1
            }
            for index in at..<count {
                let byte = bytes[index]
                output[written] = byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
                written += 1
            }
            return written
        }
    }

    /// ``identity(_:)`` for any input: quoted local parts, non-ASCII, IDNA, domain literals, strings without `@`.
    func generalIdentity(_ address: String) -> String {
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
