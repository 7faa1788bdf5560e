import Foundation

/// The `organization:` settings that decide who is what (see DESIGN.md "Who is what").
///
/// Plain data: the daemon fills it from the YAML file (the roster file's addresses go into ``agentAddresses``);
/// ``Classifier`` compiles it once. Everything here is evaluated at classification time, so changing a value
/// re-classifies all history with no refetch.
///
/// Matching conventions:
/// - addresses (help desk, roster, alias keys and values) are compared as identities (``IdentityResolver``), so
///   case, plus-tags (when folded) and aliases are handled the same way everywhere;
/// - domains (``internalDomains``, ``agentDomains``) match the domain itself **and its subdomains**
///   (`example.com` covers `eu.example.com`), see ``DomainPattern``;
/// - ``ignore`` entries are case-insensitive globs (`*`, `?`) over the whole address, see ``AddressPattern``;
/// - ``systemLocalParts`` are case-insensitive globs over the local part only.
package struct ClassificationRules: Sendable, Hashable {
    /// The help desk's own addresses (`organization.helpdesk_addresses`): never users, nor are their aliases.
    package var helpdeskAddresses: [String]
    /// `organization.internal_domains`: the organisation's people; subdomains included.
    package var internalDomains: [String]
    /// `organization.count_external`: when false (default) only internal people count; confirmed agents (roster)
    /// count wherever their domain is.
    package var countExternal: Bool
    /// Roster addresses: `organization.agents.addresses` plus the addresses of `organization.agents.file`.
    package var agentAddresses: [String]
    /// Roster domains (`organization.agents.domains`): everyone at the domain or a subdomain is a confirmed agent.
    package var agentDomains: [String]
    /// Where the roster addresses came from, for explanations ("listed as agent in agents.csv"); nil means
    /// `organization.agents.addresses`.
    package var agentRosterSource: String?
    /// `organization.aliases` (and `aliases_file`): alias → address. Chains are followed; cycles are errors.
    package var aliases: [String: String]
    /// `organization.ignore`: addresses or globs (`*`, `?`), case-insensitive, matched against the identity and
    /// against the address as written (so ignoring an alias ignores mail written to/from that alias only).
    package var ignore: [String]
    /// `organization.fold_plus_tags` (default false): `alice+x@example.com` counts as `alice@example.com`.
    package var foldPlusTags: Bool
    /// `organization.fold_local_part_case` (default true): `Alice@example.com` counts as `alice@example.com`.
    package var foldLocalPartCase: Bool
    /// `organization.ownership_rules`: subject patterns naming the owner of a ticket.
    package var ownershipRules: [OwnershipRule]
    /// Local-part globs of machine senders (never users). Defaults to ``defaultSystemLocalParts``.
    package var systemLocalParts: [String]

    /// Mail system and list-manager local parts: bounces, daemons, "do not reply" senders, Mailman/LISTSERV
    /// administrative addresses.
    package static let defaultSystemLocalParts: [String] = [
        "mailer-daemon", "postmaster", "no-reply", "noreply", "no_reply", "do-not-reply", "donotreply",
        "do_not_reply", "bounce*", "*-bounces", "*-bounces+*", "*-request", "*-owner", "owner-*", "listserv",
        "majordomo",
    ]

    package init(
        helpdeskAddresses: [String] = [],
        internalDomains: [String] = [],
        countExternal: Bool = false,
        agentAddresses: [String] = [],
        agentDomains: [String] = [],
        agentRosterSource: String? = nil,
        aliases: [String: String] = [:],
        ignore: [String] = [],
        foldPlusTags: Bool = false,
        foldLocalPartCase: Bool = true,
        ownershipRules: [OwnershipRule] = [],
        systemLocalParts: [String] = ClassificationRules.defaultSystemLocalParts
    ) {
        self.helpdeskAddresses = helpdeskAddresses
        self.internalDomains = internalDomains
        self.countExternal = countExternal
        self.agentAddresses = agentAddresses
        self.agentDomains = agentDomains
        self.agentRosterSource = agentRosterSource
        self.aliases = aliases
        self.ignore = ignore
        self.foldPlusTags = foldPlusTags
        self.foldLocalPartCase = foldLocalPartCase
        self.ownershipRules = ownershipRules
        self.systemLocalParts = systemLocalParts
    }

    /// Checks everything ``Classifier/init(rules:)`` checks, without building a classifier. Errors name the key:
    /// - `organization.internal_domains`: empty while `count_external` is false (nobody could count);
    /// - `organization.helpdesk_addresses` / `organization.agents.addresses`: an entry without `@`;
    /// - `organization.agents.domains`, `organization.internal_domains`: an empty entry;
    /// - `organization.aliases.<key>`: not an address, two targets, or a cycle;
    /// - `organization.ignore`: an empty pattern;
    /// - `organization.ownership_rules[<i>].subject_pattern`: a regular expression that does not compile.
    package func validate() throws(ClassificationRulesError) {
        _ = try CompiledRules(self)
    }
}

/// `organization.ownership_rules[]`: a subject pattern that names who took a ticket, e.g. the help desk's
/// "Ticket #123 assigned to bob@example.com" notification.
///
/// `subjectPattern` is an ICU regular expression (`NSRegularExpression`), case-sensitive unless it starts with
/// `(?i)`, searched anywhere in the decoded subject. With a named group `(?<owner>...)` the captured text is the
/// owner's address (angle brackets and surrounding spaces are dropped; a capture without `@` is ignored). Without
/// an `owner` group the `From` address of the matching message is the owner. Rules are applied to every message in
/// the window, automated ones included (ownership notifications are usually automated); an owner that is excluded
/// (help desk, system, ignored, external) stays excluded.
package struct OwnershipRule: Sendable, Hashable {
    package var name: String
    package var subjectPattern: String

    package init(name: String, subjectPattern: String) {
        self.name = name
        self.subjectPattern = subjectPattern
    }
}

/// The rules compiled once: identities resolved, patterns built, regular expressions compiled.
struct CompiledRules: Sendable {
    struct Ownership: Sendable {
        var name: String
        var regex: NSRegularExpression
        var capturesOwner: Bool
        /// Text every match contains, checked before the regular expression runs.
        var prefilter: RequiredLiteral?
    }

    let rules: ClassificationRules
    let resolver: IdentityResolver
    /// Help desk identity → the configured address it came from.
    let helpdesk: [String: String]
    let internalDomains: [DomainPattern]
    let rosterAddresses: Set<String>
    let rosterDomains: [DomainPattern]
    let ignore: [AddressPattern]
    let system: [AddressPattern]
    let ownership: [Ownership]

    init(_ rules: ClassificationRules) throws(ClassificationRulesError) {
        self.rules = rules
        let resolver = try IdentityResolver(
            foldLocalPartCase: rules.foldLocalPartCase, foldPlusTags: rules.foldPlusTags, aliases: rules.aliases)
        self.resolver = resolver

        if !rules.countExternal, !rules.internalDomains.contains(where: { !DomainPattern($0).domain.isEmpty }) {
            throw ClassificationRulesError(
                key: "organization.internal_domains",
                message: "no internal domain while count_external is false: nobody could be counted")
        }
        var helpdesk: [String: String] = [:]
        for address in rules.helpdeskAddresses {
            guard address.contains("@") else {
                throw ClassificationRulesError(
                    key: "organization.helpdesk_addresses", message: "\"\(address)\" is not an address")
            }
            helpdesk[resolver.identity(address)] = address
        }
        self.helpdesk = helpdesk
        self.internalDomains = try Self.domains(rules.internalDomains, key: "organization.internal_domains")
        var roster = Set<String>()
        for address in rules.agentAddresses {
            guard address.contains("@") else {
                throw ClassificationRulesError(
                    key: rules.agentRosterSource ?? "organization.agents.addresses",
                    message: "\"\(address)\" is not an address")
            }
            roster.insert(resolver.identity(address))
        }
        self.rosterAddresses = roster
        self.rosterDomains = try Self.domains(rules.agentDomains, key: "organization.agents.domains")
        self.ignore = try rules.ignore.map { (pattern: String) throws(ClassificationRulesError) -> AddressPattern in
            let trimmed = pattern.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else {
                throw ClassificationRulesError(key: "organization.ignore", message: "empty pattern")
            }
            return AddressPattern(trimmed)
        }
        self.system = rules.systemLocalParts.map { AddressPattern($0.trimmingCharacters(in: .whitespaces)) }
        var ownership: [Ownership] = []
        for (index, rule) in rules.ownershipRules.enumerated() {
            let regex: NSRegularExpression
            do {
                regex = try NSRegularExpression(pattern: rule.subjectPattern)
            } catch {
                throw ClassificationRulesError(
                    key: "organization.ownership_rules[\(index)].subject_pattern",
                    message: "rule \"\(rule.name)\": not a valid regular expression: \(rule.subjectPattern)")
            }
            ownership.append(
                Ownership(
                    name: rule.name.isEmpty ? "#\(index + 1)" : rule.name, regex: regex,
                    capturesOwner: rule.subjectPattern.contains("(?<owner>"),
                    prefilter: RequiredLiteral(pattern: rule.subjectPattern)))
        }
        self.ownership = ownership
    }

    private static func domains(_ values: [String], key: String) throws(ClassificationRulesError) -> [DomainPattern] {
        try values.map { (value: String) throws(ClassificationRulesError) -> DomainPattern in
            let pattern = DomainPattern(value)
            guard !pattern.domain.isEmpty, !pattern.domain.contains("@") else {
                throw ClassificationRulesError(key: key, message: "\"\(value)\" is not a domain")
            }
            return pattern
        }
    }
}
