import Foundation
package import Logging
package import SeatMeterStore
package import ServiceLifecycle
import UnixSignals

/// `seatmeter run`: the long-running service. Build it from a validated configuration (which opens the ledger),
/// then ``run()`` its service group until SIGTERM or SIGINT.
///
/// The group, in start order (shutdown goes in reverse):
/// 1. ``ReportService``: the weekly report at `report.schedule`, exactly once per period;
/// 2. ``SyncService``: one sync loop per account every `poll_interval`;
/// 3. ``ReloadService``: SIGHUP re-reads the configuration;
/// 4. ``SystemdService``: `READY=1`, `WATCHDOG=1`, `STOPPING=1` (first to hear of shutdown).
///
/// SIGTERM and SIGINT shut down gracefully: each sync loop finishes its cycle, then ``run()`` returns (exit
/// status 0). Past ``Options/maximumGracefulShutdownDuration`` (≤ 10 s, below systemd's `TimeoutStopSec`) the
/// group is cancelled and still returns normally.
package struct Daemon: Sendable {
    /// What the command line and tests choose.
    package struct Options: Sendable {
        /// The configuration file (read again on SIGHUP).
        package var configurationPath: String
        /// `--log-level`, which wins over the file's `log_level`, also after a reload.
        package var logLevelOverride: Logger.Level?
        /// Where `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `CREDENTIALS_DIRECTORY`, ... are read.
        package var environment: [String: String]
        package var maximumGracefulShutdownDuration: Duration = .seconds(9)
        /// First retry delay after a failed sync cycle.
        package var syncRetryBase: Duration = .seconds(5)
        /// First retry delay after a failed report delivery.
        package var reportRetryBase: Duration = .seconds(60)

        package init(
            configurationPath: String, logLevelOverride: Logger.Level? = nil,
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) {
            self.configurationPath = configurationPath
            self.logLevelOverride = logLevelOverride
            self.environment = environment
        }
    }

    package let options: Options
    package let configuration: ConfigurationHolder
    package let ledger: Ledger
    package let notifier: SystemdNotifier
    package let status: SyncStatusBoard
    package let logger: Logger

    /// Opens (and migrates) the ledger for `settings`, already loaded and validated from
    /// `options.configurationPath`.
    ///
    /// - Throws: ``DaemonError`` when the ledger cannot be opened.
    package init(settings: DaemonSettings, options: Options, logger: Logger) throws(DaemonError) {
        self.options = options
        self.logger = logger
        configuration = ConfigurationHolder(
            settings: settings, path: settings.configuration.file, environment: options.environment,
            logLevelOverride: options.logLevelOverride)
        do {
            ledger = try Ledger(path: settings.configuration.ledgerPath)
        } catch {
            throw DaemonError("cannot open the ledger \(settings.configuration.ledgerPath): \(error)")
        }
        notifier = SystemdNotifier(environment: options.environment)
        status = SyncStatusBoard()
    }

    /// Loads and validates the configuration file, then opens the ledger.
    ///
    /// - Throws: ``ConfigurationError`` (naming the key) or ``DaemonError``.
    package init(options: Options, logger: Logger) throws {
        let settings = try DaemonSettings.load(
            path: options.configurationPath, environment: options.environment,
            logLevelOverride: options.logLevelOverride)
        try self.init(settings: settings, options: options, logger: logger)
    }

    // MARK: - Services

    /// The services, in start order. Tests replace the syncer and the deliverer.
    ///
    /// - Parameters:
    ///   - hangups: one element per SIGHUP.
    ///   - sync: one account's sync (default: ``SyncEngine`` on ``ledger``).
    ///   - deliver: the report delivery (default: ``ReportDelivery``).
    package func buildServices<Hangups: AsyncSequence & Sendable>(
        hangups: Hangups, sync: AccountSyncer? = nil, deliver: ReportDeliverer? = nil
    ) -> [any Service] where Hangups.Element: Sendable {
        var report = ReportService(configuration: configuration, logger: logger)
        if let deliver { report.deliver = deliver }
        let status = self.status
        let configuration = self.configuration
        report.isDataReady = {
            configuration.current.0.configuration.accounts.allSatisfy { status.entry(for: $0.name) != nil }
        }
        report.retryBase = options.reportRetryBase
        var syncService = SyncService(
            configuration: configuration, ledger: ledger, status: status, notifier: notifier, logger: logger)
        if let sync { syncService.sync = sync }
        syncService.retryBase = options.syncRetryBase
        let reload = ReloadService(
            configuration: configuration, notifier: notifier, status: status, logger: logger, hangups: hangups)
        let systemd = SystemdService(notifier: notifier, status: status, logger: logger)
        return [report, syncService, reload, systemd]
    }

    /// The group: graceful shutdown on SIGTERM and SIGINT within ``Options/maximumGracefulShutdownDuration``.
    package func makeServiceGroup(services: [any Service]) -> ServiceGroup {
        var groupLogger = logger
        groupLogger.logLevel = configuration.settings.logLevel
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: groupLogger)
        configuration.maximumGracefulShutdownDuration = options.maximumGracefulShutdownDuration
        return ServiceGroup(configuration: configuration)
    }

    /// Runs until SIGTERM or SIGINT. SIGHUP is trapped before any service starts, so an early reload request
    /// never kills the process.
    ///
    /// - Throws: only when a service fails in a way the group cannot absorb (none of ours do).
    package func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let settings = configuration.settings
        var logger = logger
        logger.logLevel = settings.logLevel
        logger.notice(
            "seatmeter started",
            metadata: [
                "version": "\(SeatMeterVersion.current)",
                "config": "\(options.configurationPath)", "ledger": "\(settings.configuration.ledgerPath)",
                "accounts": "\(settings.configuration.accounts.map(\.name).joined(separator: ","))",
                "report.schedule": "\(settings.schedule)", "report.timezone": "\(settings.timeZone.identifier)",
                "systemd.notify": "\(notifier.isEnabled)",
            ])
        ConfigurationAudit.logPermissionWarnings(settings.configuration, logger: logger)
        let group = makeServiceGroup(services: buildServices(hangups: hangups))
        try await group.run()
        logger.notice("seatmeter stopped")
    }
}

extension ConfigurationAudit {
    /// Logs a warning per secret file readable by group or others, naming its key (at start and on reload).
    static func logPermissionWarnings(_ configuration: SeatMeterConfiguration, logger: Logger) {
        for warning in permissionWarnings(configuration) {
            logger.warning(
                "secret file readable by group or others",
                metadata: ["key": "\(warning.keyPath)", "problem": "\(warning.message)"])
        }
    }
}

/// The daemon could not start; the message is for the admin.
package struct DaemonError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}
