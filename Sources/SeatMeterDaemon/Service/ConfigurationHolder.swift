import Foundation
package import Logging
import Synchronization

/// The daemon's current configuration, shared by its services and replaced as a whole on SIGHUP.
///
/// Services read ``current`` at the start of every cycle, so a reloaded configuration applies from the next cycle
/// on; a cycle already running finishes with the configuration it started with. Sleeping services wait in
/// ``waitForChange(after:)`` as well, so that a changed poll interval or schedule applies at once and the sync
/// supervisor starts loops for added accounts.
///
/// The ledger is opened once for the daemon's life, so a changed `ledger` path is not applied (a warning says
/// a restart is needed); everything else is.
package final class ConfigurationHolder: Sendable {
    /// What ``reload(logger:)`` did.
    package enum ReloadOutcome: Sendable, Equatable {
        /// The new configuration is in force from the next cycles.
        case applied(generation: Int)
        /// The file is invalid; the previous configuration stays in force.
        case rejected(ConfigurationError)
    }

    private struct State {
        var settings: DaemonSettings
        var generation = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<Int> = []
        var nextWaiter = 0
    }

    /// Reads and validates the configuration again (the file named at start, the same environment).
    package typealias Loader = @Sendable () throws(ConfigurationError) -> DaemonSettings

    private let state: Mutex<State>
    private let loader: Loader

    package init(settings: DaemonSettings, loader: @escaping Loader) {
        state = Mutex(State(settings: settings))
        self.loader = loader
    }

    /// The holder for a configuration file: reloading reads `path` again.
    package convenience init(
        settings: DaemonSettings, path: String, environment: [String: String], logLevelOverride: Logger.Level?
    ) {
        self.init(settings: settings) { () throws(ConfigurationError) in
            try DaemonSettings.load(path: path, environment: environment, logLevelOverride: logLevelOverride)
        }
    }

    /// The configuration in force and its generation (0 at start, +1 per applied reload).
    package var current: (settings: DaemonSettings, generation: Int) {
        state.withLock { ($0.settings, $0.generation) }
    }

    package var settings: DaemonSettings { state.withLock { $0.settings } }

    // MARK: - Reloading

    /// Re-reads and validates the configuration. A valid one replaces the current one (keeping the ledger path)
    /// and wakes every waiter; an invalid one is logged as an error and changes nothing.
    @discardableResult
    package func reload(logger: Logger) -> ReloadOutcome {
        let loaded: DaemonSettings
        do {
            loaded = try loader()
        } catch {
            logger.error(
                "configuration reload rejected, keeping the running configuration",
                metadata: ["error": "\(error)", "config.key": "\(error.keyPath)"])
            return .rejected(error)
        }
        var next = loaded
        let (generation, waiters, oldLedger) = state.withLock { state in
            let oldLedger = state.settings.configuration.ledgerPath
            next.configuration.ledgerPath = oldLedger
            state.settings = next
            state.generation += 1
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return (state.generation, waiters, oldLedger)
        }
        for waiter in waiters { waiter.resume() }
        if loaded.configuration.ledgerPath != oldLedger {
            logger.warning(
                "the ledger path changed; it takes effect after a restart",
                metadata: ["ledger": "\(oldLedger)", "ledger.new": "\(loaded.configuration.ledgerPath)"])
        }
        ConfigurationAudit.logPermissionWarnings(loaded.configuration, logger: logger)
        logger.notice(
            "configuration reloaded",
            metadata: [
                "config.generation": "\(generation)", "accounts": "\(loaded.configuration.accounts.count)",
                "report.schedule": "\(loaded.schedule)",
            ])
        return .applied(generation: generation)
    }

    /// Returns once the generation differs from `generation` (at once if it already does), or when the task is
    /// cancelled.
    package func waitForChange(after generation: Int) async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.generation != generation || state.cancelledWaiters.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelledWaiters.insert(id)
                return nil
            }
            waiter?.resume()
        }
        // A cancellation that arrived after the continuation was resumed leaves its id behind.
        state.withLock { _ = $0.cancelledWaiters.remove(id) }
    }
}
