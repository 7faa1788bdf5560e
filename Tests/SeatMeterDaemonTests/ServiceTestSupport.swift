import Foundation
import Logging
import SeatMeterDaemon
import Synchronization
import Testing

/// A clock that only moves when a test says so, with a wall-clock `Date` that moves with it.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: Sleeper] = [:]
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())
    /// The wall-clock time at offset zero.
    let start: Date

    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.start = start
    }

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }

    /// The wall-clock time now.
    var date: Date { start.addingTimeInterval(now.offset.timeInterval) }

    /// Number of tasks sleeping on this clock.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Action { case resume, cancel, wait }
                let action = state.withLock { state -> Action in
                    if state.cancelled.remove(id) != nil { return .cancel }
                    if deadline <= state.now { return .resume }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return .wait
                }
                switch action {
                case .resume: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time to the wall-clock `date`.
    func advance(to date: Date) {
        advance(by: .seconds(date.timeIntervalSince(self.date)))
    }
}

extension Duration {
    var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes.
func eventually(
    timeout: Duration = .seconds(15), _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while !condition() {
        guard clock.now < deadline else {
            let suffix = comment.map { ": \($0.rawValue)" } ?? ""
            Issue.record("condition not met within \(timeout)\(suffix)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A value several tasks and threads update.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func update<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Configuration files for the service tests.
enum ServiceFixtures {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func yaml(
        accounts: [String], poll: String = "10s", schedule: String = "mon 07:00",
        timezone: String = "Europe/Berlin", ledger: String = "ledger.sqlite"
    ) -> String {
        var text = "ledger: \(ledger)\naccounts:\n"
        for name in accounts {
            text += """
                  - name: \(name)
                    url: imap://127.0.0.1:1
                    username: \(name)
                    password_env: SEATMETER_TEST_PASSWORD
                    allow_insecure: true
                    poll_interval: \(poll)

                """
        }
        text += """
            organization:
              helpdesk_addresses: [helpdesk@example.com]
              internal_domains: [example.com]
            report:
              schedule: "\(schedule)"
              timezone: \(timezone)

            """
        return text
    }

    static func settings(_ yaml: String) throws -> DaemonSettings {
        let configuration = try SeatMeterConfiguration.parse(
            yaml: yaml, file: "/nonexistent/seatmeter.yaml", environment: [:])
        return try DaemonSettings(configuration: configuration)
    }

    /// A holder whose reloads return what `next` holds (a settings value or an error).
    static func holder(_ settings: DaemonSettings, next: Locked<Result<DaemonSettings, ConfigurationError>?>)
        -> ConfigurationHolder
    {
        ConfigurationHolder(settings: settings) { () throws(ConfigurationError) in
            switch next.value {
            case .success(let settings)?: return settings
            case .failure(let error)?: throw error
            case nil: return settings
            }
        }
    }
}
