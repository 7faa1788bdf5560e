package import Logging
import ServiceLifecycle

/// SIGHUP: re-reads and validates the configuration file. A valid file is applied to the next cycles of every
/// service; an invalid one is logged as an error (naming the key) and the running configuration stays.
/// systemd sees `RELOADING=1` then `READY=1` around it.
package struct ReloadService<Hangups: AsyncSequence & Sendable>: Service, CustomStringConvertible
where Hangups.Element: Sendable {
    package var configuration: ConfigurationHolder
    package var notifier: SystemdNotifier
    package var status: SyncStatusBoard
    package var logger: Logger
    /// One element per SIGHUP (`UnixSignalsSequence(trapping: .sighup)` in the daemon).
    package var hangups: Hangups

    /// The name the service group logs (not the whole struct).
    package var description: String { "ReloadService" }

    package init(
        configuration: ConfigurationHolder, notifier: SystemdNotifier, status: SyncStatusBoard, logger: Logger,
        hangups: Hangups
    ) {
        self.configuration = configuration
        self.notifier = notifier
        self.status = status
        self.logger = logger
        self.hangups = hangups
    }

    package func run() async {
        do {
            for try await _ in hangups.cancelOnGracefulShutdown() {
                var logger = logger
                logger.logLevel = configuration.settings.logLevel
                logger.info("SIGHUP received, reloading the configuration")
                notifier.reloading()
                configuration.reload(logger: logger)
                notifier.ready(status: status.summary)
            }
        } catch {
            logger.error(
                "the reload signal stream failed; SIGHUP is ignored from now on", metadata: ["error": "\(error)"])
        }
        // Returning before shutdown would stop the whole group.
        await waitForShutdown()
    }
}
