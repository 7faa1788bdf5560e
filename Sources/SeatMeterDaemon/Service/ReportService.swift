package import Foundation
package import Logging
import ServiceLifecycle

/// Delivers the report due at `asOf` unless already delivered, blocking the calling thread
/// (``ReportDelivery/deliverIfDue(asOf:force:)`` in the daemon; a counting stub in tests).
package typealias ReportDeliverer =
    @Sendable (_ settings: DaemonSettings, _ asOf: Date, _ logger: Logger) throws -> ReportDeliveryOutcome

/// The report scheduler: at start and at every fire time of `report.schedule` (in `report.timezone`) it asks
/// the deliverer to send the report due at the most recent fire time.
///
/// - Catching up: the most recent fire time at or before now decides which period is due, so a machine that was
///   off at Monday 07:00 sends Monday's report when it starts, once; the delivery log in the ledger makes
///   repeated calls (restarts, reloads) send nothing twice.
/// - A failed delivery (SMTP down, ledger busy) is logged and retried with exponential backoff from
///   ``retryBase`` up to ``retryCap``, never past the next fire time; it never stops the group.
/// - Sleeps are at most ``maximumSleep`` long and the wall clock is read again after each, so a clock step
///   (NTP, suspend) delays a report by at most that much. A reload (new schedule or zone) wakes it at once.
package struct ReportService<C: Clock>: Service, CustomStringConvertible where C.Duration == Duration {
    package var configuration: ConfigurationHolder
    package var logger: Logger
    package var clock: C
    /// The wall clock.
    package var now: @Sendable () -> Date
    package var deliver: ReportDeliverer
    package var retryBase: Duration = .seconds(60)
    package var retryCap: Duration = .seconds(3600)
    package var maximumSleep: Duration = .seconds(900)
    /// Whether the ledger is fresh enough to report from: in the daemon, every account has finished its first sync
    /// cycle since the start, so a report caught up after downtime includes the mail that arrived meanwhile.
    package var isDataReady: @Sendable () -> Bool = { true }
    /// How long a due report waits for ``isDataReady`` before it is sent anyway (its data-quality section then
    /// shows the stale folders).
    package var dataWaitLimit: Duration = .seconds(600)

    /// The name the service group logs (not the whole struct).
    package var description: String { "ReportService" }

    package init(
        configuration: ConfigurationHolder, logger: Logger, clock: C, now: @escaping @Sendable () -> Date,
        deliver: @escaping ReportDeliverer
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.now = now
        self.deliver = deliver
    }

    package func run() async {
        var logger = self.logger
        logger[metadataKey: "service"] = "report"
        /// The fire time whose delivery succeeded (or needed nothing).
        var handled: Date?
        var failures = 0
        let waitUntil = clock.now.advanced(by: dataWaitLimit)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let (settings, generation) = configuration.current
            logger.logLevel = settings.logLevel
            let schedule = settings.schedule
            let zone = settings.timeZone
            let due = schedule.mostRecentFire(atOrBefore: now(), timeZone: zone)
            var retry: Duration?
            if handled != due && !isDataReady() && clock.now < waitUntil {
                // Wait for the first sync cycles before reporting.
                retry = .seconds(1)
            } else if handled != due {
                let deliver = self.deliver
                let cycleLogger = logger
                let result = await AbandonableThread.run(name: "report") {
                    Result { try deliver(settings, due, cycleLogger) }
                }
                switch result {
                case nil:
                    return
                case .success(let outcome)?:
                    handled = due
                    failures = 0
                    log(outcome, due: due, logger)
                case .failure(let error)?:
                    failures += 1
                    let delay = PollTiming.backoff(failures: failures, base: retryBase, cap: retryCap)
                    retry = delay
                    logger.error(
                        "report delivery failed",
                        metadata: [
                            "error": "\(error)", "report.due": "\(Self.format(due))",
                            "report.failures": "\(failures)", "retry.in": "\(delay)",
                        ])
                }
            }
            let current = now()
            let next = schedule.nextFire(after: current, timeZone: zone)
            var delay = Duration.seconds(max(next.timeIntervalSince(current), 0.01))
            if let retry { delay = min(delay, retry) }
            delay = min(delay, maximumSleep)
            let outcome = await pause(
                until: clock.now.advanced(by: delay), clock: clock, configuration: configuration,
                generation: generation)
            if outcome == .shutdown { return }
        }
    }

    private func log(_ outcome: ReportDeliveryOutcome, due: Date, _ logger: Logger) {
        switch outcome {
        case .delivered(let periodStart, let rejected):
            logger.notice(
                "report delivered",
                metadata: [
                    "report.due": "\(Self.format(due))", "report.period.start": "\(Self.format(periodStart))",
                    "report.rejected": "\(rejected.count)",
                ])
        case .alreadyDelivered(let periodStart):
            logger.debug(
                "report already delivered",
                metadata: [
                    "report.due": "\(Self.format(due))", "report.period.start": "\(Self.format(periodStart))",
                ])
        case .notConfigured(let reason):
            logger.info("report not sent", metadata: ["report.due": "\(Self.format(due))", "reason": "\(reason)"])
        }
    }

    static func format(_ date: Date) -> String { date.formatted(.iso8601) }
}

extension ReportService where C == ContinuousClock {
    /// The daemon's scheduler: ``ReportDelivery`` on the wall clock.
    package init(configuration: ConfigurationHolder, logger: Logger) {
        self.init(
            configuration: configuration, logger: logger, clock: ContinuousClock(), now: { Date() }
        ) { settings, asOf, logger in
            try ReportDelivery(configuration: settings.configuration, logger: logger).deliverIfDue(asOf: asOf)
        }
    }
}
