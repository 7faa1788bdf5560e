/// A classification setting that cannot be used, named by its configuration key path
/// (`organization.aliases.jsmith@example.com`, `organization.ownership_rules[0].subject`).
package struct ClassificationRulesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration key path of the offending setting.
    package var key: String
    package var message: String

    package init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    package var description: String { "\(key): \(message)" }
}
