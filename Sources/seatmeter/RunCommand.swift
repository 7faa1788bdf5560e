import ArgumentParser
import Foundation
import Logging
import SeatMeterDaemon

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run as a service: sync every account every poll_interval and mail the report on schedule.",
        discussion: """
            Logs one line per event to standard output (with journald priorities under systemd). Speaks the \
            systemd notify protocol when NOTIFY_SOCKET is set (READY, STATUS, WATCHDOG, STOPPING). SIGHUP reloads \
            the configuration (an invalid file is reported and the running one kept); SIGTERM or SIGINT stop \
            after the current sync cycle, within 10 seconds, with exit status 0.
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        var override: Logger.Level?
        if let logLevel = options.logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw CLIError("--log-level: expected trace, debug, info, notice, warning, error or critical")
            }
            override = level
        }
        let daemonOptions = Daemon.Options(configurationPath: options.config, logLevelOverride: override)
        let settings: DaemonSettings
        do {
            settings = try DaemonSettings.load(
                path: options.config, environment: daemonOptions.environment, logLevelOverride: override)
        } catch {
            throw CLIError("\(options.config): \(error)")
        }
        LoggingBootstrap.once(stream: .standardOutput, level: settings.logLevel)
        var logger = Logger(label: "seatmeter")
        logger.logLevel = settings.logLevel
        let daemon: Daemon
        do {
            daemon = try Daemon(settings: settings, options: daemonOptions, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        do {
            try await daemon.run()
        } catch {
            logger.critical("stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
