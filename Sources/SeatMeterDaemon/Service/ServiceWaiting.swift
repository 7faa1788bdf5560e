import Foundation
import ServiceLifecycle
import Synchronization

/// Why a service's pause ended.
enum PauseResult: Sendable, Equatable {
    /// The deadline passed.
    case elapsed
    /// The configuration was reloaded.
    case reloaded
    /// Graceful shutdown began or the task was cancelled: stop.
    case shutdown
}

/// Sleeps until `deadline` on `clock` (forever when nil), returning early when the configuration changes (a
/// `configuration` is given and its generation differs from `generation`) or the service group shuts down
/// (gracefully or by cancellation).
func pause<C: Clock>(
    until deadline: C.Instant?, clock: C, configuration: ConfigurationHolder?, generation: Int
) async -> PauseResult {
    if Task.isCancelled || Task.isShuttingDownGracefully { return .shutdown }
    return await withTaskGroup(of: PauseResult?.self) { group in
        if let deadline {
            group.addTask {
                do {
                    try await clock.sleep(until: deadline, tolerance: nil)
                    return .elapsed
                } catch {
                    return nil
                }
            }
        }
        if let configuration {
            group.addTask {
                await configuration.waitForChange(after: generation)
                return Task.isCancelled ? nil : .reloaded
            }
        }
        group.addTask {
            // Throws CancellationError when the group cancels this task first.
            do {
                try await gracefulShutdown()
                return .shutdown
            } catch {
                return nil
            }
        }
        let first = await group.next()
        group.cancelAll()
        // A nil from the first finisher means this whole task was cancelled.
        return (first ?? nil) ?? .shutdown
    }
}

/// Waits until graceful shutdown or cancellation, without throwing.
func waitForShutdown() async {
    do {
        try await gracefulShutdown()
    } catch {
        // Cancelled: shutting down all the same.
    }
}

/// Blocking work (libcurl, SQLite) on a dedicated thread that the awaiting task can stop waiting for.
enum AbandonableThread {
    /// Runs `body` on a new thread and returns its result, or nil as soon as the calling task is cancelled.
    ///
    /// A cancelled wait abandons the thread: it runs on to the end of `body` and its result is dropped. The daemon
    /// only cancels after the graceful-shutdown deadline, just before the process exits; a ledger transaction the
    /// thread has open then is rolled back by SQLite, never half-applied.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T? {
        let slot = ResultSlot<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                guard slot.install(continuation) else { return }
                let thread = Thread {
                    slot.finish(body())
                }
                thread.name = name
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onCancel: {
            slot.finish(nil)
        }
    }

    /// Hands one result to one continuation, whichever of the thread and the cancellation comes first.
    private final class ResultSlot<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T?, Never>?
            var finished = false
        }
        private let state = Mutex(State())

        /// Stores the continuation; false (and resumed with nil) when cancellation already came.
        func install(_ continuation: CheckedContinuation<T?, Never>) -> Bool {
            let cancelled = state.withLock { state -> Bool in
                if state.finished { return true }
                state.continuation = continuation
                return false
            }
            if cancelled { continuation.resume(returning: nil) }
            return !cancelled
        }

        func finish(_ value: T?) {
            let continuation = state.withLock { state -> CheckedContinuation<T?, Never>? in
                guard !state.finished else { return nil }
                state.finished = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(returning: value)
        }
    }
}
