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
    /// Where the roster addresses came from, for explanations ("listed as agent in agents.csv"), unless
    /// ``agentAddressSources`` names the address's own source; nil means `organization.agents.addresses`.
    package var agentRosterSource: String?
    /// Per roster address (as listed in ``agentAddresses``): where it came from, e.g. the path of
    /// `organization.agents.file`. An address listed under several sources keeps its first; an address missing
    /// here comes from ``agentRosterSource``.
    package var agentAddressSources: [String: String]
    /// `organization.aliases` (and `aliases_file`): alias → address. Chains are followed; cycles are errors.
    package var aliases: [String: String]
    /// `organization.ignore`: addresses or globs (`*`, `?`), case-insensitive, matched against the identity and
    /// against the address as written (so ignoring an alias ignores mail written to/from that alias only).
    package var ignore: [String]
    /// `organization.fold_plus_tags` (default false): `alice+x@example.com` counts as `alice@example.com`.
    package var foldPlusTags: Bool
    /// `organization.fold_local_part_case` (default true): `Alice@example.com` counts as `alice@example.com`.
    package var foldLocalPartCase: Bool
    /// `organization.ownership_rules`: notifications (subject and/or sender patterns) naming the owner of a ticket.
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
        agentAddressSources: [String: String] = [:],
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
        self.agentAddressSources = agentAddressSources
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
    /// - `organization.ownership_rules[<i>]`: neither a subject nor a from pattern;
    /// - `organization.ownership_rules[<i>].subject`: a regular expression that does not compile;
    /// - `organization.ownership_rules[<i>].from`: an empty pattern or one with spaces;
    /// - `organization.ownership_rules[<i>].owner`: `capture` without an `(?<owner>...)` group.
    package func validate() throws(ClassificationRulesError) {
        _ = try CompiledRules(self)
    }
}

/// `organization.ownership_rules[]`: a notification that names who took a ticket, e.g. the help desk's
/// "Ticket #123 assigned to bob@example.com" or an "Issue #12 assigned to you" notice sent To the assignee.
///
/// A message matches when it matches every condition given (at least one is required):
/// - ``subjectPattern``: an ICU regular expression (`NSRegularExpression`), case-sensitive unless it starts with
///   `(?i)`, searched anywhere in the decoded subject;
/// - ``fromPattern``: an address or a glob (`*`, `?`, case-insensitive) matched on the `From` address (as written
///   or its identity), e.g. `notifications@tracker.example.com` or `*@tracker.example.com`.
///
/// The owner of a matching message is given by ``owner`` (see ``Owner``); the default is ``Owner/capture`` when
/// the subject pattern has a named group `(?<owner>...)`, otherwise ``Owner/from``. Rules are applied to every
/// message in the window, automated ones included (ownership notifications are usually automated); an owner that
/// is excluded (help desk, system, ignored, external) stays excluded.
package struct OwnershipRule: Sendable, Hashable {
    /// Who a matching message names as the owner.
    package enum Owner: String, Sendable, Hashable, CaseIterable {
        /// The text of the subject's `(?<owner>...)` group (angle brackets and surrounding spaces dropped; a
        /// capture without `@` names nobody).
        case capture
        /// The message's `From`.
        case from
        /// Each person in the message's `To`.
        case to
        /// Each person in the message's `Cc`.
        case cc
    }

    package var name: String
    package var subjectPattern: String?
    package var fromPattern: String?
    /// Nil: the default (see ``effectiveOwner``).
    package var owner: Owner?

    package init(name: String, subjectPattern: String? = nil, fromPattern: String? = nil, owner: Owner? = nil) {
        self.name = name
        self.subjectPattern = subjectPattern
        self.fromPattern = fromPattern
        self.owner = owner
    }

    /// Whether the subject pattern has an `(?<owner>...)` group.
    package var capturesOwner: Bool { subjectPattern?.contains("(?<owner>") ?? false }

    /// ``owner``, or its default: ``Owner/capture`` with an owner group, ``Owner/from`` without.
    package var effectiveOwner: Owner { owner ?? (capturesOwner ? .capture : .from) }
}

/// The rules compiled once: identities resolved, patterns built, regular expressions compiled.
struct CompiledRules: Sendable {
    struct Ownership: Sendable {
        var name: String
        /// Searched in the subject; nil: any subject.
        var regex: NSRegularExpression?
        /// Matched on the From address; nil: any sender.
        var from: AddressPattern?
        var owner: OwnershipRule.Owner
        /// Text every subject match contains, checked before the regular expression runs.
        var prefilter: RequiredLiteral?
    }

    let rules: ClassificationRules
    let resolver: IdentityResolver
    /// Help desk identity → the configured address it came from.
    let helpdesk: [String: String]
    let internalDomains: [DomainPattern]
    /// Roster identity → where it is listed (`organization.agents.addresses`, a roster file's path).
    let rosterAddresses: [String: String]
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
        var roster: [String: String] = [:]
        let defaultSource = rules.agentRosterSource ?? "organization.agents.addresses"
        for address in rules.agentAddresses {
            let source = rules.agentAddressSources[address] ?? defaultSource
            guard address.contains("@") else {
                throw ClassificationRulesError(key: source, message: "\"\(address)\" is not an address")
            }
            let identity = resolver.identity(address)
            if roster[identity] == nil { roster[identity] = source }
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
        self.ownership = try rules.ownershipRules.enumerated().map {
            (index: Int, rule: OwnershipRule) throws(ClassificationRulesError) -> Ownership in
            try Self.ownership(rule, index: index)
        }
    }

    private static func ownership(_ rule: OwnershipRule, index: Int) throws(ClassificationRulesError) -> Ownership {
        let key = "organization.ownership_rules[\(index)]"
        let name = rule.name.isEmpty ? "#\(index + 1)" : rule.name
        guard rule.subjectPattern != nil || rule.fromPattern != nil else {
            throw ClassificationRulesError(key: key, message: "rule \"\(name)\": needs subject or from (or both)")
        }
        var regex: NSRegularExpression?
        if let pattern = rule.subjectPattern {
            do {
                regex = try NSRegularExpression(pattern: pattern)
            } catch {
                throw ClassificationRulesError(
                    key: key + ".subject", message: "rule \"\(name)\": not a valid regular expression: \(pattern)")
            }
        }
        var from: AddressPattern?
        if let pattern = rule.fromPattern {
            let trimmed = pattern.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.contains(where: \.isWhitespace) else {
                throw ClassificationRulesError(
                    key: key + ".from", message: "rule \"\(name)\": expected an address or a glob, got \"\(pattern)\"")
            }
            from = AddressPattern(trimmed)
        }
        if rule.effectiveOwner == .capture, !rule.capturesOwner {
            throw ClassificationRulesError(
                key: key + ".owner", message: "rule \"\(name)\": capture needs a subject with an (?<owner>...) group")
        }
        return Ownership(
            name: name, regex: regex, from: from, owner: rule.effectiveOwner,
            prefilter: rule.subjectPattern.flatMap { RequiredLiteral(pattern: $0) })
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
