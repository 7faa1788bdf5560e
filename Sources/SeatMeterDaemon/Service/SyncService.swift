import Foundation
import Synchronization
package import Logging
package import SeatMeterStore
import ServiceLifecycle

/// Syncs one account once, blocking the calling thread (``SyncEngine/syncAccount(_:)`` in the daemon; a stub in
/// tests). Never throws: failures are in the result.
package typealias AccountSyncer =
    @Sendable (_ settings: DaemonSettings, _ account: AccountConfiguration, _ logger: Logger) -> AccountSyncResult

/// The sync loops: one per configured account, each syncing every `poll_interval` ± 10%, on its own thread.
///
/// - A failed cycle is logged (`account=…`, the error, when the retry comes) and retried with exponential
///   backoff from ``retryBase``, capped at the poll interval; one failing account never holds up the others.
/// - After every cycle `STATUS=` tells systemd the last sync of each account.
/// - Shutdown happens between cycles: a graceful shutdown lets the running cycle finish (every UID range commits
///   or rolls back as one ledger transaction) and then stops the loop. If the group's shutdown deadline passes
///   first, the wait is abandoned (see ``AbandonableThread``).
/// - SIGHUP: each loop reads its account from the ``ConfigurationHolder`` at the start of every cycle and when it
///   is woken by a reload, so a changed interval applies at once; loops for added accounts start, loops for
///   removed accounts end.
package struct SyncService<C: Clock>: Service, CustomStringConvertible where C.Duration == Duration {
    package var configuration: ConfigurationHolder
    package var status: SyncStatusBoard
    package var notifier: SystemdNotifier
    package var logger: Logger
    package var clock: C
    package var sync: AccountSyncer
    /// First retry delay after a failed cycle (doubling, capped at the account's poll interval).
    package var retryBase: Duration = .seconds(5)
    /// Poll interval jitter: ± this fraction.
    package var jitter = 0.1
    /// Set when a graceful shutdown begins, so that a running sync stops after its current UID range.
    package var stopping = StopFlag()

    /// The name the service group logs (not the whole struct).
    package var description: String { "SyncService" }

    package init(
        configuration: ConfigurationHolder, status: SyncStatusBoard, notifier: SystemdNotifier, logger: Logger,
        clock: C, sync: @escaping AccountSyncer
    ) {
        self.configuration = configuration
        self.status = status
        self.notifier = notifier
        self.logger = logger
        self.clock = clock
        self.sync = sync
    }

    private enum Event: Sendable {
        case accountStopped(String)
        case reloaded
        case shutdown
    }

    package func run() async {
        await withTaskGroup(of: Event.self) { group in
            var running: Set<String> = []
            var watching = false
            var stopping = false
            while true {
                if !stopping && !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let (settings, generation) = configuration.current
                    let names = settings.configuration.accounts.map(\.name)
                    for name in names where !running.contains(name) {
                        running.insert(name)
                        group.addTask {
                            await runAccount(name)
                            return .accountStopped(name)
                        }
                    }
                    status.retain(accounts: names)
                    if !watching {
                        watching = true
                        group.addTask {
                            let result = await pause(
                                until: nil, clock: clock, configuration: configuration, generation: generation)
                            return result == .reloaded ? .reloaded : .shutdown
                        }
                    }
                }
                guard let event = await group.next() else { return }
                switch event {
                case .accountStopped(let name): running.remove(name)
                case .reloaded: watching = false
                case .shutdown:
                    watching = false
                    stopping = true
                    self.stopping.set()
                }
            }
        }
    }

    /// One account's loop, until shutdown or until the account leaves the configuration.
    private func runAccount(_ name: String) async {
        var logger = self.logger
        logger[metadataKey: "account"] = "\(name)"
        var failures = 0
        var generator = SystemRandomNumberGenerator()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let settings = configuration.settings
            guard let account = settings.account(named: name) else {
                logger.notice("account removed from the configuration, its sync loop stops")
                return
            }
            logger.logLevel = settings.logLevel
            let cycleLogger = logger
            let started = clock.now
            let syncer = sync
            guard
                let result = await AbandonableThread.run(
                    name: "sync-\(name)", { syncer(settings, account, cycleLogger) })
            else {
                logger.warning("shutdown deadline reached during a sync; the open ledger transaction is rolled back")
                return
            }
            let finished = clock.now
            status.record(result)
            notifier.status(status.summary)
            failures = result.succeeded ? 0 : failures + 1
            let factor = PollTiming.jitterFactor(fraction: jitter, using: &generator)

            // Sleep until the next cycle, re-reading the interval when a reload wakes us.
            var logged = false
            while true {
                let (current, generation) = configuration.current
                guard let account = current.account(named: name) else {
                    logger.notice("account removed from the configuration, its sync loop stops")
                    return
                }
                let delay =
                    failures == 0
                    ? account.pollInterval * factor
                    : PollTiming.backoff(failures: failures, base: retryBase, cap: account.pollInterval)
                if !logged {
                    logged = true
                    log(
                        result, failures: failures, seconds: started.duration(to: finished).timeInterval, delay: delay,
                        logger)
                }
                let outcome = await pause(
                    until: finished.advanced(by: delay), clock: clock, configuration: configuration,
                    generation: generation)
                if outcome == .shutdown { return }
                if outcome == .elapsed { break }
            }
        }
    }

    private func log(_ result: AccountSyncResult, failures: Int, seconds: Double, delay: Duration, _ logger: Logger) {
        let newMessages = result.folders.reduce(0) { $0 + $1.newMessages }
        let total = result.folders.reduce(0) { $0 + $1.total }
        let next = String(format: "%.1fs", delay.timeInterval)
        if result.succeeded {
            logger.info(
                "sync cycle finished",
                metadata: [
                    "sync.new": "\(newMessages)", "sync.total": "\(total)",
                    "sync.seconds": "\(String(format: "%.2f", seconds))", "next.in": "\(next)",
                ])
        } else {
            let error = result.error ?? result.folders.compactMap(\.error).first ?? "unknown error"
            logger.error(
                "sync cycle failed",
                metadata: [
                    "error": "\(error)", "sync.failures": "\(failures)", "sync.new": "\(newMessages)",
                    "retry.in": "\(next)",
                ])
        }
    }
}

extension SyncService where C == ContinuousClock {
    /// The daemon's sync loops: ``SyncEngine`` on the daemon's ledger.
    package init(
        configuration: ConfigurationHolder, ledger: Ledger, status: SyncStatusBoard, notifier: SystemdNotifier,
        logger: Logger
    ) {
        let stop = StopFlag()
        self.init(
            configuration: configuration, status: status, notifier: notifier, logger: logger,
            clock: ContinuousClock()
        ) { settings, account, logger in
            var engine = SyncEngine(configuration: settings.configuration, ledger: ledger, logger: logger)
            // A stop waits for the current UID range: the service keeps them short (a cold sync's speed matters
            // less here than in a one-shot `seatmeter sync`).
            engine.batchSize = SyncEngine.serviceBatchSize
            engine.shouldContinue = { !stop.isSet }
            return engine.syncAccount(account)
        }
        stopping = stop
    }
}

/// A one-way flag set from the service's task and read from sync threads.
package final class StopFlag: Sendable {
    private let flag = Mutex(false)

    package init() {}

    package func set() { flag.withLock { $0 = true } }

    package var isSet: Bool { flag.withLock { $0 } }
}
