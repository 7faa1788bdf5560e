import Foundation
import SeatMeterCurl

/// The whole configuration file (see `config/seatmeter.example.yaml` and DESIGN.md § Configuration).
package struct SeatMeterConfiguration: Sendable {
    /// Absolute path of the file this was loaded from.
    package var file: String
    package var ledgerPath: String
    package var accounts: [AccountConfiguration]
    package var organization: OrganizationConfiguration
    package var licensing: LicensingConfiguration
    package var report: ReportConfiguration
    package var smtp: SMTPConfiguration?
    /// `log_level`: trace, debug, info, notice, warning, error, critical.
    package var logLevel: String
    /// Secret files named relatively while `$CREDENTIALS_DIRECTORY` was unset, so resolved against the
    /// configuration's directory (under systemd they would have been credentials): named in check-config's errors.
    package var relativeSecretFiles: Set<String> = []

    package var directory: String { (file as NSString).deletingLastPathComponent }

    /// The accounts a sync covers: all of them, or the one named (none when no account has that name).
    package func accounts(named name: String?) -> [AccountConfiguration] {
        accounts.filter { name == nil || $0.name == name }
    }
}

/// Where a secret comes from: a file (systemd credentials) or an environment variable. Never inline.
package enum SecretSource: Sendable, Hashable {
    case file(String)
    case environment(String)

    /// Reads the secret, without its trailing newline.
    package func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError)
        -> String
    {
        switch self {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(keyPath: "", message: "cannot read the secret file \(path)")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw ConfigurationError(keyPath: "", message: "the environment variable \(name) is not set")
            }
            return value
        }
    }

    package var displayName: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        }
    }
}

/// One IMAP mailbox to read (`accounts[]`).
package struct AccountConfiguration: Sendable {
    package var name: String
    package var url: String
    package var username: String
    /// `auth` with its keys: a password, or OAuth 2.0.
    package var authentication: MailAuthentication
    package var caFile: String?
    package var pinnedPublicKey: String?
    package var allowInsecure: Bool
    package var incomingFolders: [String]
    package var outgoingFolders: [String]
    package var pollInterval: Duration
    package var timeout: Duration

    package var host: String { URLComponents(string: url)?.host ?? "" }

    /// The password source with `auth: password`.
    package var password: SecretSource? {
        if case .password(let source) = authentication { source } else { nil }
    }
}

/// `organization:`: who is who.
package struct OrganizationConfiguration: Sendable {
    package var helpdeskAddresses: [String] = []
    package var internalDomains: [String] = []
    package var countExternal = false
    package var agentAddresses: [String] = []
    package var agentDomains: [String] = []
    /// `agents.file`, resolved: one address per line, or a CSV with an email column.
    package var agentsFile: String?
    package var aliases: [String: String] = [:]
    package var aliasesFile: String?
    package var ignore: [String] = []
    package var foldPlusTags = false
    package var foldLocalPartCase = true
    package var ownershipRules: [OwnershipRuleConfiguration] = []
    /// Fraction of users (0...1) below which on-behalf submitting counts as "only a few".
    package var onBehalfThreshold = 0.10
}

/// `organization.ownership_rules[]`: a notification naming an issue's owner (see `OwnershipRule` in
/// SeatMeterCore): `subject` (regex) and/or `from` (address or glob), and `owner` (`capture`, `from`, `to`, `cc`;
/// nil for the default).
package struct OwnershipRuleConfiguration: Sendable {
    package var name: String
    package var subjectPattern: String?
    package var fromPattern: String?
    package var owner: String?
}

/// `licensing:`.
package struct LicensingConfiguration: Sendable {
    package enum Billing: String, Sendable { case monthly, annual }
    package var window: Duration = .seconds(90 * 86_400)
    package var currency = "USD"
    package var teamPricePerUser: Double?
    package var supportPricePerAgent: Double?
    package var billing: Billing = .monthly
}

/// `report:`.
package struct ReportConfiguration: Sendable {
    package var schedule = "mon 07:00"
    package var timezone: String?
    package var from: String?
    package var recipients: [String] = []
    package var formats: [String] = ["html", "csv"]
}

/// `smtp:`.
package struct SMTPConfiguration: Sendable {
    package var url: String
    package var username: String?
    /// nil: no AUTH.
    package var authentication: MailAuthentication?
    package var caFile: String?
    package var allowInsecure: Bool

    /// The password source with `auth: password`.
    package var password: SecretSource? {
        if case .password(let source)? = authentication { source } else { nil }
    }
}

// MARK: - Loading

extension SeatMeterConfiguration {
    /// Loads and validates a configuration file. Relative paths resolve against the file's directory;
    /// relative `password_file` names against `$CREDENTIALS_DIRECTORY` when systemd sets it.
    package static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> SeatMeterConfiguration {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let data = FileManager.default.contents(atPath: absolute) else {
            let exists = FileManager.default.fileExists(atPath: absolute)
            throw ConfigurationError(
                keyPath: "", message: exists ? "cannot read \(absolute)" : "no configuration file at \(absolute)")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), file: absolute, environment: environment)
    }

    package static func parse(
        yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> SeatMeterConfiguration {
        var root = try YAMLReader.document(yaml)
        let directory = (file as NSString).deletingLastPathComponent
        let stateDirectory = environment["STATE_DIRECTORY"].map { $0.split(separator: ":").first.map(String.init) ?? $0 }
        let paths = PathResolver(
            directory: directory, credentialsDirectory: environment["CREDENTIALS_DIRECTORY"],
            stateDirectory: stateDirectory)
        let defaultLedger = stateDirectory.map { $0 + "/seatmeter.sqlite" } ?? directory + "/seatmeter.sqlite"
        let ledger = try root.string("ledger").map { paths.file($0) } ?? defaultLedger
        let logLevel = try root.string("log_level") ?? "info"
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(logLevel) else {
            throw ConfigurationError(keyPath: "log_level", message: "expected one of \(levels.joined(separator: ", "))")
        }

        var accounts: [AccountConfiguration] = []
        for var reader in try root.sections("accounts") ?? [] {
            accounts.append(try parseAccount(&reader, paths: paths))
        }
        var names: Set<String> = []
        for (index, account) in accounts.enumerated() where !names.insert(account.name).inserted {
            throw ConfigurationError(keyPath: "accounts[\(index)].name", message: "\"\(account.name)\" is used twice")
        }

        var organization = OrganizationConfiguration()
        if var reader = try root.section("organization") {
            organization = try parseOrganization(&reader, paths: paths)
        }
        var licensing = LicensingConfiguration()
        if var reader = try root.section("licensing") {
            licensing = try parseLicensing(&reader)
        }
        var report = ReportConfiguration()
        if var reader = try root.section("report") {
            report = try parseReport(&reader)
        }
        var smtp: SMTPConfiguration?
        if var reader = try root.section("smtp") {
            smtp = try parseSMTP(&reader, paths: paths)
        }
        try root.rejectUnknownKeys()
        return SeatMeterConfiguration(
            file: file, ledgerPath: ledger, accounts: accounts, organization: organization, licensing: licensing,
            report: report, smtp: smtp, logLevel: logLevel, relativeSecretFiles: paths.relativeSecrets)
    }

    private static func parseAccount(_ reader: inout YAMLReader, paths: PathResolver) throws(ConfigurationError)
        -> AccountConfiguration
    {
        let name = try reader.requiredString("name")
        let url = try reader.requiredString("url")
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "imap" || scheme == "imaps", let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(
                keyPath: reader.keyPath("url"), message: "expected imaps://host[:port] or imap://host[:port], got \"\(url)\"")
        }
        if !components.path.isEmpty && components.path != "/" {
            throw ConfigurationError(
                keyPath: reader.keyPath("url"), message: "give the folders under folders:, not in the URL")
        }
        let username = try reader.requiredString("username")
        let caFile = try reader.string("ca_file").map { paths.file($0) }
        let pinned = try reader.string("pinned_public_key")
        if let pinned, !pinned.hasPrefix("sha256//") {
            throw ConfigurationError(keyPath: reader.keyPath("pinned_public_key"), message: "expected sha256//BASE64")
        }
        let allowInsecure = try reader.bool("allow_insecure") ?? false
        if allowInsecure && !Loopback.isLoopback(host: host) {
            throw ConfigurationError(
                keyPath: reader.keyPath("allow_insecure"),
                message: "plain IMAP without TLS is only allowed to loopback hosts, not \(host)")
        }
        var incoming = ["INBOX"]
        var outgoing: [String] = []
        if var folders = try reader.section("folders") {
            incoming = try folders.strings("incoming") ?? incoming
            outgoing = try folders.strings("outgoing") ?? []
            try folders.rejectUnknownKeys()
        }
        if incoming.isEmpty && outgoing.isEmpty {
            throw ConfigurationError(keyPath: reader.keyPath("folders"), message: "names no folder to read")
        }
        let poll = try reader.duration("poll_interval") ?? .seconds(300)
        let timeout = try reader.duration("timeout") ?? .seconds(60)
        guard timeout > .zero else {
            throw ConfigurationError(keyPath: reader.keyPath("timeout"), message: "must be greater than 0")
        }
        let authentication = try authentication(
            &reader, paths: paths, required: true, allowInsecure: allowInsecure, timeout: timeout)
        try reader.rejectUnknownKeys()
        guard let authentication else { throw ConfigurationError(keyPath: reader.path, message: "unreachable") }
        return AccountConfiguration(
            name: name, url: url, username: username, authentication: authentication, caFile: caFile, pinnedPublicKey: pinned,
            allowInsecure: allowInsecure, incomingFolders: incoming, outgoingFolders: outgoing, pollInterval: poll,
            timeout: timeout)
    }

    /// `password_file` / `password_env`.
    static func secret(_ reader: inout YAMLReader, paths: PathResolver, required: Bool)
        throws(ConfigurationError) -> SecretSource?
    {
        try secret(&reader, named: "password", paths: paths, required: required)
    }

    /// `<name>_file` / `<name>_env` (one of them; never `<name>` itself).
    static func secret(_ reader: inout YAMLReader, named name: String, paths: PathResolver, required: Bool)
        throws(ConfigurationError) -> SecretSource?
    {
        let file = try reader.string("\(name)_file")
        let env = try reader.string("\(name)_env")
        if reader.node(name) != nil {
            throw ConfigurationError(
                keyPath: reader.keyPath(name),
                message: "\(name == "password" ? "passwords" : "secrets") are never written in the configuration; "
                    + "use \(name)_file or \(name)_env")
        }
        switch (file, env) {
        case (let file?, nil): return .file(paths.secret(file))
        case (nil, let env?): return .environment(env)
        case (nil, nil):
            if required {
                throw ConfigurationError(keyPath: reader.path, message: "needs \(name)_file or \(name)_env")
            }
            return nil
        case (_?, _?):
            throw ConfigurationError(keyPath: reader.path, message: "give \(name)_file or \(name)_env, not both")
        }
    }

    private static func parseOrganization(_ reader: inout YAMLReader, paths: PathResolver) throws(ConfigurationError)
        -> OrganizationConfiguration
    {
        var org = OrganizationConfiguration()
        org.helpdeskAddresses = try reader.strings("helpdesk_addresses") ?? []
        org.internalDomains = try reader.strings("internal_domains") ?? []
        org.countExternal = try reader.bool("count_external") ?? false
        if var agents = try reader.section("agents") {
            org.agentAddresses = try agents.strings("addresses") ?? []
            org.agentDomains = try agents.strings("domains") ?? []
            org.agentsFile = try agents.string("file").map { paths.file($0) }
            try agents.rejectUnknownKeys()
        }
        org.aliases = try reader.stringMap("aliases") ?? [:]
        org.aliasesFile = try reader.string("aliases_file").map { paths.file($0) }
        org.ignore = try reader.strings("ignore") ?? []
        org.foldPlusTags = try reader.bool("fold_plus_tags") ?? false
        org.foldLocalPartCase = try reader.bool("fold_local_part_case") ?? true
        for var rule in try reader.sections("ownership_rules") ?? [] {
            let name = try rule.string("name") ?? "rule \(org.ownershipRules.count + 1)"
            let subject = try rule.string("subject")
            let from = try rule.string("from")
            let owner = try rule.string("owner")
            guard subject != nil || from != nil else {
                throw ConfigurationError(keyPath: rule.path, message: "needs subject or from (or both)")
            }
            if let subject {
                do {
                    _ = try NSRegularExpression(pattern: subject)
                } catch {
                    throw ConfigurationError(keyPath: rule.keyPath("subject"), message: "not a valid regular expression")
                }
            }
            if let from, from.isEmpty || from.contains(where: \.isWhitespace) {
                throw ConfigurationError(keyPath: rule.keyPath("from"), message: "expected an address or a glob pattern")
            }
            if let owner, !["capture", "from", "to", "cc"].contains(owner) {
                throw ConfigurationError(
                    keyPath: rule.keyPath("owner"), message: "expected capture, from, to or cc, got \"\(owner)\"")
            }
            if owner == "capture", !(subject?.contains("(?<owner>") ?? false) {
                throw ConfigurationError(
                    keyPath: rule.keyPath("owner"), message: "capture needs a subject with an (?<owner>...) group")
            }
            try rule.rejectUnknownKeys()
            org.ownershipRules.append(
                OwnershipRuleConfiguration(name: name, subjectPattern: subject, fromPattern: from, owner: owner))
        }
        if let text = try reader.string("on_behalf_threshold") {
            guard let value = Fraction.parse(text) else {
                throw ConfigurationError(
                    keyPath: reader.keyPath("on_behalf_threshold"), message: "expected a share like 10% or 0.1")
            }
            org.onBehalfThreshold = value
        }
        try reader.rejectUnknownKeys()
        return org
    }

    private static func parseLicensing(_ reader: inout YAMLReader) throws(ConfigurationError) -> LicensingConfiguration {
        var licensing = LicensingConfiguration()
        licensing.window = try reader.duration("window") ?? licensing.window
        if licensing.window < .seconds(86_400) {
            throw ConfigurationError(keyPath: reader.keyPath("window"), message: "must be at least 1d")
        }
        licensing.currency = try reader.string("currency") ?? licensing.currency
        for key in ["team_price_per_user", "support_price_per_agent"] {
            let value = try reader.number(key)
            if let value, value < 0 {
                throw ConfigurationError(keyPath: reader.keyPath(key), message: "must not be negative")
            }
            let price = (value ?? 0) > 0 ? value : nil
            if key == "team_price_per_user" { licensing.teamPricePerUser = price } else { licensing.supportPricePerAgent = price }
        }
        if let billing = try reader.string("billing") {
            guard let value = LicensingConfiguration.Billing(rawValue: billing) else {
                throw ConfigurationError(keyPath: reader.keyPath("billing"), message: "expected monthly or annual")
            }
            licensing.billing = value
        }
        try reader.rejectUnknownKeys()
        return licensing
    }

    private static func parseReport(_ reader: inout YAMLReader) throws(ConfigurationError) -> ReportConfiguration {
        var report = ReportConfiguration()
        report.schedule = try reader.string("schedule") ?? report.schedule
        report.timezone = try reader.string("timezone")
        if let zone = report.timezone, TimeZone(identifier: zone) == nil {
            throw ConfigurationError(keyPath: reader.keyPath("timezone"), message: "unknown time zone \"\(zone)\"")
        }
        report.from = try reader.string("from")
        report.recipients = try reader.strings("recipients") ?? []
        report.formats = try reader.strings("formats") ?? report.formats
        let known = ["text", "markdown", "html", "csv", "json"]
        for (index, format) in report.formats.enumerated() where !known.contains(format) {
            throw ConfigurationError(
                keyPath: reader.keyPath("formats") + "[\(index)]",
                message: "unknown format \"\(format)\" (expected \(known.joined(separator: ", ")))")
        }
        try reader.rejectUnknownKeys()
        return report
    }

    private static func parseSMTP(_ reader: inout YAMLReader, paths: PathResolver) throws(ConfigurationError)
        -> SMTPConfiguration
    {
        let url = try reader.requiredString("url")
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "smtp" || scheme == "smtps", let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(
                keyPath: reader.keyPath("url"), message: "expected smtps://host[:port] or smtp://host[:port]")
        }
        let username = try reader.string("username")
        let caFile = try reader.string("ca_file").map { paths.file($0) }
        let allowInsecure = try reader.bool("allow_insecure") ?? false
        if allowInsecure && !Loopback.isLoopback(host: host) {
            throw ConfigurationError(
                keyPath: reader.keyPath("allow_insecure"),
                message: "plain SMTP without TLS is only allowed to loopback hosts, not \(host)")
        }
        let authentication = try authentication(
            &reader, paths: paths, required: username != nil, allowInsecure: allowInsecure, timeout: .seconds(30))
        if username == nil, case .oauth2? = authentication {
            throw ConfigurationError(keyPath: reader.keyPath("username"), message: "is required with auth: oauth2")
        }
        try reader.rejectUnknownKeys()
        return SMTPConfiguration(
            url: url, username: username, authentication: authentication, caFile: caFile, allowInsecure: allowInsecure)
    }
}

/// Resolves relative paths in the configuration.
final class PathResolver {
    let directory: String
    let credentialsDirectory: String?
    let stateDirectory: String?
    /// Secret files resolved against ``directory`` because `$CREDENTIALS_DIRECTORY` was unset.
    private(set) var relativeSecrets: Set<String> = []

    init(directory: String, credentialsDirectory: String?, stateDirectory: String?) {
        self.directory = directory
        self.credentialsDirectory = credentialsDirectory
        self.stateDirectory = stateDirectory
    }

    func file(_ path: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    /// Secret files: relative names are systemd credentials when `$CREDENTIALS_DIRECTORY` is set.
    func secret(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if let credentialsDirectory, !credentialsDirectory.isEmpty {
            return (credentialsDirectory as NSString).appendingPathComponent(path)
        }
        let resolved = file(path)
        relativeSecrets.insert(resolved)
        return resolved
    }

    /// Files SeatMeter writes (a rotated refresh token): relative names resolve against `$STATE_DIRECTORY` when
    /// systemd sets it (credentials directories are read-only), else against the configuration's directory.
    func state(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if let stateDirectory, !stateDirectory.isEmpty {
            return (stateDirectory as NSString).appendingPathComponent(path)
        }
        return file(path)
    }
}

/// Shares written as `10%` or `0.1`.
package enum Fraction {
    package static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let value: Double?
        if trimmed.hasSuffix("%") {
            value = Double(trimmed.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 / 100 }
        } else {
            value = Double(trimmed)
        }
        guard let value, value >= 0, value <= 1 else { return nil }
        return value
    }
}

/// Loopback hosts: the only ones plain (unencrypted) connections may go to. The check is SeatMeterCurl's, the one
/// the IMAP and SMTP endpoints apply again before connecting, so the configuration cannot accept a host they reject.
package enum Loopback {
    /// 127.0.0.0/8, ::1 (also in brackets or spelled out in full) and `localhost`.
    package static func isLoopback(host: String) -> Bool { ServerURL.isLoopback(host: host) }
}
