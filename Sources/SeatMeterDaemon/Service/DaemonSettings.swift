package import Foundation
package import Logging

/// A configuration the daemon has validated as a whole, with what it derived from it: the parsed report schedule,
/// the report's time zone and the effective log level.
package struct DaemonSettings: Sendable {
    package var configuration: SeatMeterConfiguration
    package var schedule: ReportSchedule
    /// `report.timezone`, or the system's zone.
    package var timeZone: TimeZone
    /// `--log-level` when given, else `log_level`.
    package var logLevel: Logger.Level

    /// Validates what the daemon needs beyond the file's own checks: the schedule, the time zone and the
    /// classification rules (roster and alias files read in), and at least one account to sync.
    ///
    /// - Throws: ``ConfigurationError`` naming the key.
    package init(
        configuration: SeatMeterConfiguration, logLevelOverride: Logger.Level? = nil,
        systemTimeZone: TimeZone = .current
    ) throws(ConfigurationError) {
        if let first = Self.problems(configuration).first { throw first }
        schedule = try ReportSchedule(parsing: configuration.report.schedule)
        timeZone = configuration.report.timezone.flatMap(TimeZone.init(identifier:)) ?? systemTimeZone
        logLevel = logLevelOverride ?? Logger.Level(rawValue: configuration.logLevel) ?? .info
        self.configuration = configuration
    }

    /// Every problem ``init(configuration:logLevelOverride:systemTimeZone:)`` would throw the first of, in order.
    package static func problems(_ configuration: SeatMeterConfiguration) -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        if configuration.accounts.isEmpty {
            problems.append(ConfigurationError(keyPath: "accounts", message: "no account to read: add at least one"))
        }
        for (index, account) in configuration.accounts.enumerated() where account.pollInterval < .seconds(1) {
            problems.append(ConfigurationError(keyPath: "accounts[\(index)].poll_interval", message: "must be at least 1s"))
        }
        do {
            _ = try ReportSchedule(parsing: configuration.report.schedule)
        } catch {
            problems.append(error)
        }
        if let zone = configuration.report.timezone, TimeZone(identifier: zone) == nil {
            problems.append(ConfigurationError(keyPath: "report.timezone", message: "unknown time zone \"\(zone)\""))
        }
        do {
            _ = try configuration.organization.classificationRules()
        } catch {
            problems.append(error)
        }
        return problems
    }

    /// Loads the file at `path` and validates it.
    package static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        logLevelOverride: Logger.Level? = nil
    ) throws(ConfigurationError) -> DaemonSettings {
        let configuration = try SeatMeterConfiguration.load(path: path, environment: environment)
        return try DaemonSettings(configuration: configuration, logLevelOverride: logLevelOverride)
    }

    /// The account named `name`, if the configuration still has it.
    package func account(named name: String) -> AccountConfiguration? {
        configuration.accounts.first { $0.name == name }
    }
}
