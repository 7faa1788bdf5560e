import Foundation

/// Turns a canonical address into the identity SeatMeter counts: one string per person.
///
/// Steps, in order:
/// 1. the domain (after the last `@`) is lowercased, always;
/// 2. the local part is lowercased when `foldLocalPartCase` is on (the default: real mail systems fold it);
/// 3. a `+tag` is removed from the local part when `foldPlusTags` is on (`alice+vpn@x` → `alice@x`); a local part
///    that *starts* with `+` is kept whole, so no identity has an empty local part;
/// 4. aliases are applied. Alias keys and values go through steps 1–3 too, chains are followed to their end
///    (`a → b → c` makes `a` and `b` resolve to `c`), and a cycle is a configuration error naming a key on it.
///
/// Input addresses (``Mailbox/address``) are already canonical except for local-part case; this type does not parse.
/// Pure and `Sendable`; build it once per rule set.
package struct IdentityResolver: Sendable, Hashable {
    package let foldLocalPartCase: Bool
    package let foldPlusTags: Bool
    /// Normalized alias → final identity (chains already resolved).
    package let aliases: [String: String]

    package init(
        foldLocalPartCase: Bool = true,
        foldPlusTags: Bool = false,
        aliases: [String: String] = [:]
    ) throws(ClassificationRulesError) {
        self.foldLocalPartCase = foldLocalPartCase
        self.foldPlusTags = foldPlusTags
        var direct: [String: String] = [:]
        var configuredKey: [String: String] = [:]
        for (key, value) in aliases.sorted(by: { $0.key < $1.key }) {
            let from = Self.normalize(key, foldLocalPartCase: foldLocalPartCase, foldPlusTags: foldPlusTags)
            let to = Self.normalize(value, foldLocalPartCase: foldLocalPartCase, foldPlusTags: foldPlusTags)
            guard from.contains("@"), to.contains("@") else {
                throw ClassificationRulesError(
                    key: "organization.aliases.\(key)", message: "alias \"\(key)\" → \"\(value)\" is not an address")
            }
            if from == to { continue }  // a no-op alias (e.g. differs only in case when folding)
            if let existing = direct[from], existing != to {
                throw ClassificationRulesError(
                    key: "organization.aliases.\(key)",
                    message: "\(from) is an alias of both \(existing) and \(to)")
            }
            direct[from] = to
            configuredKey[from] = key
        }
        var resolved: [String: String] = [:]
        resolved.reserveCapacity(direct.count)
        for start in direct.keys.sorted() {
            var seen: [String] = [start]
            var current = start
            while let next = direct[current] {
                if let known = resolved[next] {
                    current = known
                    break
                }
                if seen.contains(next) {
                    throw ClassificationRulesError(
                        key: "organization.aliases.\(configuredKey[start] ?? start)",
                        message: "alias cycle: " + (seen + [next]).joined(separator: " → "))
                }
                seen.append(next)
                current = next
            }
            resolved[start] = current
        }
        self.aliases = resolved
    }

    /// Steps 1–3 (no aliases).
    package func normalize(_ address: String) -> String {
        Self.normalize(address, foldLocalPartCase: foldLocalPartCase, foldPlusTags: foldPlusTags)
    }

    /// Steps 1–4: the identity a person is counted under.
    package func identity(_ address: String) -> String {
        let normalized = normalize(address)
        return aliases[normalized] ?? normalized
    }

    package static func normalize(_ address: String, foldLocalPartCase: Bool, foldPlusTags: Bool) -> String {
        let trimmed = trimmingWhitespace(address)
        guard let at = trimmed.lastIndex(of: "@") else {
            return foldLocalPartCase ? trimmed.lowercased() : trimmed
        }
        var local = trimmed[..<at]
        let domain = trimmed[trimmed.index(after: at)...]
        if foldPlusTags, let plus = local.firstIndex(of: "+"), plus != local.startIndex {
            local = local[..<plus]
        }
        let localPart = foldLocalPartCase ? local.lowercased() : String(local)
        return localPart + "@" + domain.lowercased()
    }

    /// `text` without leading and trailing `CharacterSet.whitespaces`; the common case (an ASCII, non-blank first
    /// and last byte) returns it as is without Foundation's trimming, which is slow.
    static func trimmingWhitespace(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, first < 0x80, last < 0x80, first != 0x20,
            first != 0x09, last != 0x20, last != 0x09
        {
            return text
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The domain of a normalized address (after the last `@`), or `""`.
    package static func domain(of address: String) -> Substring {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...]
    }

    /// The local part of an address (before the last `@`), or the whole string.
    package static func localPart(of address: String) -> Substring {
        guard let at = address.lastIndex(of: "@") else { return address[...] }
        return address[..<at]
    }
}
