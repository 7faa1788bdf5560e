package import Foundation

/// The checks beyond parsing, each problem naming its key: every secret readable and not readable by group or
/// others, the CA and organization files readable, and what the daemon validates (``DaemonSettings``).
/// `check-config` prints them all (not only the first); `seatmeter run` logs the permission warnings.
package struct ConfigurationAudit: Sendable {
    /// What makes the configuration unusable: check-config fails.
    package var errors: [ConfigurationError] = []
    /// Secret files readable by group or others.
    package var warnings: [ConfigurationError] = []

    package init(
        configuration: SeatMeterConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        for secret in Self.secrets(configuration) {
            do {
                _ = try secret.source.read(environment: environment)
            } catch {
                errors.append(Self.unreadable(secret, error: error, configuration: configuration))
                continue
            }
            warnings += Self.permissionWarning(secret).map { [$0] } ?? []
        }
        let organization = configuration.organization
        var files = configuration.accounts.enumerated().map { ("accounts[\($0.offset)].ca_file", $0.element.caFile) }
        files += [
            ("smtp.ca_file", configuration.smtp?.caFile), ("organization.agents.file", organization.agentsFile),
            ("organization.aliases_file", organization.aliasesFile),
        ]
        for case (let key, let path?) in files where !FileManager.default.isReadableFile(atPath: path) {
            errors.append(ConfigurationError(keyPath: key, message: "cannot read \(path)"))
        }
        if !configuration.accounts.isEmpty {
            // What `seatmeter run` checks: the schedule, the time zone, poll intervals, the rules. The files
            // reported above are not reported again.
            let reported = Set(errors.map(\.keyPath))
            errors += DaemonSettings.problems(configuration).filter { !reported.contains($0.keyPath) }
        }
    }

    /// Secret files readable by group or others, by key: `seatmeter run` logs them as warnings.
    package static func permissionWarnings(_ configuration: SeatMeterConfiguration) -> [ConfigurationError] {
        secrets(configuration).compactMap(permissionWarning)
    }

    /// Every secret the configuration names, with its full key (`accounts[0].password_file`, `smtp.password_env`).
    static func secrets(_ configuration: SeatMeterConfiguration) -> [(key: String, source: SecretSource)] {
        func keyed(_ prefix: String, _ authentication: MailAuthentication?) -> [(key: String, source: SecretSource)] {
            (authentication?.secrets ?? []).map { secret in
                let key: String
                switch secret.source {
                case .file: key = secret.key.hasSuffix("_file") ? secret.key : secret.key + "_file"
                case .environment: key = secret.key + "_env"
                }
                return ("\(prefix).\(key)", secret.source)
            }
        }
        return configuration.accounts.enumerated().flatMap { keyed("accounts[\($0.offset)]", $0.element.authentication) }
            + keyed("smtp", configuration.smtp?.authentication)
    }

    private static func unreadable(
        _ secret: (key: String, source: SecretSource), error: ConfigurationError, configuration: SeatMeterConfiguration
    ) -> ConfigurationError {
        var message = error.message
        if case .file(let path) = secret.source, configuration.relativeSecretFiles.contains(path) {
            message += " (a relative name is looked up in $CREDENTIALS_DIRECTORY, which is not set, so it was read "
                + "beside the configuration; systemd sets it for the service; from a shell, run "
                + "CREDENTIALS_DIRECTORY=/etc/seatmeter/credentials seatmeter check-config ...)"
        }
        return ConfigurationError(keyPath: secret.key, message: message)
    }

    private static func permissionWarning(_ secret: (key: String, source: SecretSource)) -> ConfigurationError? {
        guard case .file(let path) = secret.source,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0
        else { return nil }
        return ConfigurationError(
            keyPath: secret.key,
            message: "\(path) is readable by group or others (mode \(String(mode, radix: 8))); chmod 600 it")
    }
}
