package import Logging
import ServiceLifecycle

/// Tells systemd the daemon's life: `READY=1` when the group starts (the configuration was validated and the
/// ledger opened before), `WATCHDOG=1` every `WATCHDOG_USEC / 2` while running, `STOPPING=1` as soon as
/// shutdown begins. Put it last in the group: services shut down in reverse order, so it hears first.
package struct SystemdService<C: Clock>: Service, CustomStringConvertible where C.Duration == Duration {
    package var notifier: SystemdNotifier
    package var status: SyncStatusBoard
    package var logger: Logger
    package var clock: C

    /// The name the service group logs (not the whole struct).
    package var description: String { "SystemdService" }

    package init(notifier: SystemdNotifier, status: SyncStatusBoard, logger: Logger, clock: C) {
        self.notifier = notifier
        self.status = status
        self.logger = logger
        self.clock = clock
    }

    package func run() async {
        if notifier.isEnabled && !notifier.ready(status: status.summary) {
            logger.warning("could not notify systemd (NOTIFY_SOCKET)")
        }
        if let interval = notifier.watchdogInterval {
            logger.debug("systemd watchdog enabled", metadata: ["watchdog.interval": "\(interval)"])
            var deadline = clock.now
            while true {
                notifier.watchdog()
                deadline = deadline.advanced(by: interval)
                if clock.now > deadline { deadline = clock.now }
                let outcome = await pause(until: deadline, clock: clock, configuration: nil, generation: 0)
                if outcome == .shutdown { break }
            }
        } else {
            await waitForShutdown()
        }
        logger.notice("shutting down")
        notifier.stopping()
    }
}

extension SystemdService where C == ContinuousClock {
    package init(notifier: SystemdNotifier, status: SyncStatusBoard, logger: Logger) {
        self.init(notifier: notifier, status: status, logger: logger, clock: ContinuousClock())
    }
}
