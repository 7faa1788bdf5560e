import Foundation

extension MessageFacts {
    /// The `seatmeter inspect` object: addresses by lowercased header name (identity form), decoded subject,
    /// Message-ID, ISO 8601 date (UTC), automation verdict and defects.
    package func inspectJSON(canonicalizer: AddressCanonicalizer = AddressCanonicalizer()) -> JSONValue {
        var byField: [(AddressField, [JSONValue])] = []
        for appearance in appearances {
            let entry = JSONValue.object([
                ("name", .string(appearance.mailbox.name)),
                ("address", .string(canonicalizer.identity(appearance.mailbox.address))),
            ])
            if let index = byField.firstIndex(where: { $0.0 == appearance.field }) {
                byField[index].1.append(entry)
            } else {
                byField.append((appearance.field, [entry]))
            }
        }
        byField.sort { $0.0 < $1.0 }
        return .object([
            ("addresses", .object(byField.map { ($0.0.rawValue, .array($0.1)) })),
            ("subject", .optional(subject)),
            ("message_id", .optional(messageID)),
            ("date", .optional(date.map(ISO8601.string))),
            ("automated", .object([
                ("is_automated", .bool(automation.isAutomated)),
                ("reasons", .array(automation.reasons.map { .string($0) })),
            ])),
            ("defects", .array(defects.map { .string($0) })),
        ])
    }
}

