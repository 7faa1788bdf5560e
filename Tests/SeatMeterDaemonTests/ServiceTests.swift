import Foundation
import Logging
import SeatMeterCore
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import TestSupport
import Testing

@testable import SeatMeterDaemon

// MARK: - Timing

@Suite struct ServiceTimingTests {
    @Test(arguments: [Duration.seconds(1), .seconds(300), .milliseconds(1500), .seconds(86_400)])
    func jitterStaysWithinTenPercent(interval: Duration) {
        var generator = SystemRandomNumberGenerator()
        var seen: [Double] = []
        for _ in 0..<2000 {
            let delay = PollTiming.jittered(interval, using: &generator)
            let ratio = delay / interval
            #expect(ratio >= 0.9 && ratio <= 1.1, "\(delay) for \(interval)")
            seen.append(ratio)
        }
        // Spread, not a constant: both halves of the band are used.
        #expect(seen.contains { $0 < 0.97 } && seen.contains { $0 > 1.03 })
    }

    @Test func jitterFractionIsHonoured() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let factor = PollTiming.jitterFactor(fraction: 0.25, using: &generator)
            #expect(factor >= 0.75 && factor <= 1.25)
        }
        #expect(PollTiming.jitterFactor(fraction: 0, using: &generator) == 1)
        #expect(PollTiming.jittered(.zero, using: &generator) == .zero)
    }

    @Test func backoffDoublesUpToTheCap() {
        let delays = (1...8).map { PollTiming.backoff(failures: $0, base: .seconds(5), cap: .seconds(300)) }
        #expect(delays == [5, 10, 20, 40, 80, 160, 300, 300].map { Duration.seconds($0) })
        #expect(PollTiming.backoff(failures: 0, base: .seconds(5), cap: .seconds(300)) == .zero)
        #expect(PollTiming.backoff(failures: 1000, base: .seconds(5), cap: .seconds(300)) == .seconds(300))
        #expect(PollTiming.backoff(failures: 3, base: .seconds(5), cap: .seconds(1)) == .seconds(1))
    }
}

// MARK: - Reload

@Suite struct ServiceReloadTests {
    /// A configuration file in a temp dir, rewritten between reloads.
    struct ConfigFile {
        let directory: TemporaryDirectory
        var path: String { directory.path + "/seatmeter.yaml" }
        init() throws { directory = try TemporaryDirectory(prefix: "seatmeter-reload") }
        func write(_ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    }

    @Test func invalidConfigurationKeepsTheOldOne() throws {
        let file = try ConfigFile()
        try file.write(ServiceFixtures.yaml(accounts: ["helpdesk"], poll: "5m"))
        let settings = try DaemonSettings.load(path: file.path, environment: [:])
        let holder = ConfigurationHolder(
            settings: settings, path: file.path, environment: [:], logLevelOverride: nil)
        let logs = RecordedLogs()

        for broken in [
            ServiceFixtures.yaml(accounts: ["helpdesk"], schedule: "someday 07:00"),
            ServiceFixtures.yaml(accounts: ["helpdesk"], timezone: "Mars/Olympus"),
            ServiceFixtures.yaml(accounts: ["helpdesk"]) + "unknown_key: 1\n",
            ServiceFixtures.yaml(accounts: []),
            "accounts: [",
        ] {
            try file.write(broken)
            let outcome = holder.reload(logger: logs.logger)
            guard case .rejected = outcome else {
                Issue.record("accepted a broken configuration: \(broken)")
                continue
            }
            #expect(holder.current.generation == 0)
            #expect(holder.settings.configuration.accounts.map(\.name) == ["helpdesk"])
            #expect(holder.settings.configuration.accounts[0].pollInterval == .seconds(300))
        }
        #expect(logs.lines.filter { $0.hasPrefix("error configuration reload rejected") }.count == 5)
        #expect(logs.lines.contains { $0.contains("config.key=report.schedule") })
        try FileManager.default.removeItem(atPath: file.path)
        #expect(holder.reload(logger: logs.logger) != .applied(generation: 1))

        try file.write(ServiceFixtures.yaml(accounts: ["helpdesk", "support"], poll: "1m", schedule: "daily 06:30"))
        #expect(holder.reload(logger: logs.logger) == .applied(generation: 1))
        #expect(holder.current.generation == 1)
        #expect(holder.settings.configuration.accounts.map(\.name) == ["helpdesk", "support"])
        #expect(holder.settings.configuration.accounts[0].pollInterval == .seconds(60))
        #expect(holder.settings.schedule == ReportSchedule(days: .daily, hour: 6, minute: 30))
    }

    @Test func aChangedLedgerPathWaitsForARestart() throws {
        let file = try ConfigFile()
        try file.write(ServiceFixtures.yaml(accounts: ["helpdesk"], ledger: "one.sqlite"))
        let settings = try DaemonSettings.load(path: file.path, environment: [:])
        let holder = ConfigurationHolder(settings: settings, path: file.path, environment: [:], logLevelOverride: nil)
        try file.write(ServiceFixtures.yaml(accounts: ["helpdesk"], poll: "1m", ledger: "two.sqlite"))
        let logs = RecordedLogs()
        #expect(holder.reload(logger: logs.logger) == .applied(generation: 1))
        #expect(holder.settings.configuration.ledgerPath == file.directory.path + "/one.sqlite")
        #expect(holder.settings.configuration.accounts[0].pollInterval == .seconds(60))
        #expect(logs.lines.contains { $0.hasPrefix("warning the ledger path changed") })
    }

    @Test func aReloadWarnsAboutSecretsReadableByOthers() throws {
        let file = try ConfigFile()
        try file.write(ServiceFixtures.yaml(accounts: ["helpdesk"]))
        let settings = try DaemonSettings.load(path: file.path, environment: [:])
        let holder = ConfigurationHolder(settings: settings, path: file.path, environment: [:], logLevelOverride: nil)
        try "pw".write(toFile: file.directory.path + "/smtp-password", atomically: true, encoding: .utf8)
        chmod(file.directory.path + "/smtp-password", 0o640)
        try file.write(
            ServiceFixtures.yaml(accounts: ["helpdesk"])
                + "smtp: { url: \"smtp://127.0.0.1:1\", allow_insecure: true, username: u, password_file: smtp-password }\n")
        let logs = RecordedLogs()
        #expect(holder.reload(logger: logs.logger) == .applied(generation: 1))
        let warning = logs.lines.first { $0.hasPrefix("warning secret file readable by group or others") }
        #expect(warning?.contains("key=smtp.password_file") == true, "\(logs.lines)")
        #expect(warning?.contains("mode 640") == true, "\(logs.lines)")

        chmod(file.directory.path + "/smtp-password", 0o600)
        let quiet = RecordedLogs()
        #expect(holder.reload(logger: quiet.logger) == .applied(generation: 2))
        #expect(!quiet.lines.contains { $0.contains("readable by group or others") }, "\(quiet.lines)")
    }

    @Test func logLevelOverrideSurvivesAReload() throws {
        let file = try ConfigFile()
        try file.write(ServiceFixtures.yaml(accounts: ["helpdesk"]) + "log_level: warning\n")
        let settings = try DaemonSettings.load(path: file.path, environment: [:], logLevelOverride: .debug)
        #expect(settings.logLevel == .debug)
        let holder = ConfigurationHolder(
            settings: settings, path: file.path, environment: [:], logLevelOverride: .debug)
        _ = holder.reload(logger: ServiceFixtures.quiet)
        #expect(holder.settings.logLevel == .debug)
        let plain = ConfigurationHolder(settings: settings, path: file.path, environment: [:], logLevelOverride: nil)
        _ = plain.reload(logger: ServiceFixtures.quiet)
        #expect(plain.settings.logLevel == .warning)
    }

    @Test func waitersWakeOnReloadAndOnCancellation() async throws {
        let settings = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"]))
        let holder = ConfigurationHolder(settings: settings) { () throws(ConfigurationError) in settings }
        let woke = Locked(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await holder.waitForChange(after: 0)
                    woke.update { $0 += 1 }
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(woke.value == 0)
            holder.reload(logger: ServiceFixtures.quiet)
            try await group.waitForAll()
            #expect(woke.value == 3)
        }
        // Already changed: returns at once.
        await holder.waitForChange(after: 0)
        // Cancelled: returns.
        let waiter = Task { await holder.waitForChange(after: 1) }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await waiter.value
    }

    @Test func reloadServiceReloadsOnEachHangup() async throws {
        let first = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"]))
        let second = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a", "b"]))
        let next = Locked<Result<DaemonSettings, ConfigurationError>?>(nil)
        let holder = ServiceFixtures.holder(first, next: next)
        let socket = try NotifySocket()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        let (hangups, send) = AsyncStream<Void>.makeStream()
        let service = ReloadService(
            configuration: holder, notifier: notifier, status: SyncStatusBoard(), logger: ServiceFixtures.quiet,
            hangups: hangups)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                next.update { $0 = .failure(ConfigurationError(keyPath: "report.schedule", message: "bad")) }
                send.yield()
                #expect(await socket.next()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
                #expect(await socket.next() == "READY=1\nSTATUS=Starting")
                #expect(holder.current.generation == 0)
                next.update { $0 = .success(second) }
                send.yield()
                #expect(await socket.next()?.hasPrefix("RELOADING=1") == true)
                #expect(await socket.next()?.hasPrefix("READY=1") == true)
                #expect(holder.current.generation == 1)
                #expect(holder.settings.configuration.accounts.count == 2)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}

// MARK: - Sync loops

@Suite(.timeLimit(.minutes(1))) struct ServiceSyncTests {
    /// Counts syncs per account; accounts in `failing` fail; a sync blocks while `gate` is closed.
    final class StubSyncer: Sendable {
        let calls = Locked<[String: Int]>([:])
        let failing = Locked<Set<String>>([])
        let gate = Locked(true)
        let inside = Locked(0)

        var syncer: AccountSyncer {
            { [self] _, account, _ in
                calls.update { $0[account.name, default: 0] += 1 }
                inside.update { $0 += 1 }
                while !gate.value { usleep(1000) }
                inside.update { $0 -= 1 }
                if failing.value.contains(account.name) {
                    return AccountSyncResult(account: account.name, folders: [], error: "account \(account.name): down")
                }
                var folder = FolderSyncSummary(account: account.name, folder: "INBOX", role: .incoming)
                folder.newMessages = 1
                folder.total = calls.value[account.name] ?? 0
                return AccountSyncResult(account: account.name, folders: [folder])
            }
        }

        func count(_ name: String) -> Int { calls.value[name] ?? 0 }
    }

    func service(
        _ holder: ConfigurationHolder, _ stub: StubSyncer, clock: ManualClock,
        notifier: SystemdNotifier = .silent, logger: Logger = ServiceFixtures.quiet
    ) -> SyncService<ManualClock> {
        var service = SyncService(
            configuration: holder, status: SyncStatusBoard(), notifier: notifier, logger: logger, clock: clock,
            sync: stub.syncer)
        service.retryBase = .seconds(1)
        return service
    }

    @Test func pollsEachAccountAndBacksOffAFailingOne() async throws {
        let settings = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["ok", "down"], poll: "10s"))
        let holder = ConfigurationHolder(settings: settings) { () throws(ConfigurationError) in settings }
        let stub = StubSyncer()
        stub.failing.update { $0 = ["down"] }
        let clock = ManualClock()
        let socket = try NotifySocket()
        let logs = RecordedLogs()
        let service = service(
            holder, stub, clock: clock, notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path]),
            logger: logs.logger)

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                // Both sync at once, then sleep.
                try await eventually { clock.sleeperCount == 2 }
                #expect(stub.count("ok") == 1 && stub.count("down") == 1)
                let statuses = [await socket.next(), await socket.next()].compactMap { $0 }
                #expect(statuses.count == 2 && statuses.allSatisfy { $0.hasPrefix("STATUS=Last sync: ") })
                #expect(statuses.contains { $0.contains("ok: ok at") && $0.contains("down: FAILED") })

                // Backoff 1 s, 2 s, 4 s for the failing account; the healthy one waits 9–11 s.
                var downSyncs = 1
                for step in [1, 2, 4] {
                    clock.advance(by: .seconds(step))
                    downSyncs += 1
                    try await eventually { stub.count("down") == downSyncs && clock.sleeperCount == 2 }
                    #expect(stub.count("ok") == 1)
                }
                // 7 s elapsed; by 11 s the healthy account has synced again.
                clock.advance(by: .seconds(4))
                try await eventually { stub.count("ok") == 2 && clock.sleeperCount == 2 }

                // Recovery resets the backoff to the poll interval.
                stub.failing.update { $0 = [] }
                clock.advance(by: .seconds(8))
                try await eventually { stub.count("down") == downSyncs + 1 && clock.sleeperCount == 2 }
                let recovered = stub.count("down")
                clock.advance(by: .seconds(8))
                try await Task.sleep(for: .milliseconds(50))
                #expect(stub.count("down") == recovered)

                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let failures = logs.lines.filter { $0.hasPrefix("error sync cycle failed") }
        #expect(failures.count == 4)
        #expect(failures.allSatisfy { $0.contains("account=down") && $0.contains("retry.in=") })
        #expect(failures.first?.contains("retry.in=1.0s") == true)
        #expect(logs.lines.contains { $0.hasPrefix("info sync cycle finished") && $0.contains("account=ok") })
    }

    @Test func gracefulShutdownLetsTheRunningCycleFinish() async throws {
        let settings = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"], poll: "10s"))
        let holder = ConfigurationHolder(settings: settings) { () throws(ConfigurationError) in settings }
        let stub = StubSyncer()
        stub.gate.update { $0 = false }
        let clock = ManualClock()
        let service = service(holder, stub, clock: clock)
        let finished = Locked(false)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await service.run()
                    finished.update { $0 = true }
                }
                try await eventually { stub.inside.value == 1 }
                trigger.triggerGracefulShutdown()
                try await Task.sleep(for: .milliseconds(100))
                #expect(!finished.value, "stopped in the middle of a cycle")
                stub.gate.update { $0 = true }
                try await group.waitForAll()
            }
        }
        #expect(finished.value)
        #expect(stub.count("a") == 1)
        #expect(stub.inside.value == 0)
    }

    @Test func cancellationAbandonsABlockedCycle() async throws {
        let settings = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"], poll: "10s"))
        let holder = ConfigurationHolder(settings: settings) { () throws(ConfigurationError) in settings }
        let stub = StubSyncer()
        stub.gate.update { $0 = false }
        let service = service(holder, stub, clock: ManualClock())
        let task = Task { await service.run() }
        try await eventually { stub.inside.value == 1 }
        let clock = ContinuousClock()
        let started = clock.now
        task.cancel()
        await task.value
        #expect(started.duration(to: clock.now) < .seconds(5), "returned only once the work was done?")
        #expect(stub.inside.value == 1, "the stub is still blocked: the wait was abandoned, not the work")
        stub.gate.update { $0 = true }
        try await eventually { stub.inside.value == 0 }
    }

    @Test func reloadStartsAddedAccountsStopsRemovedOnesAndAppliesIntervals() async throws {
        let first = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a", "b"], poll: "1h"))
        let next = Locked<Result<DaemonSettings, ConfigurationError>?>(nil)
        let holder = ServiceFixtures.holder(first, next: next)
        let stub = StubSyncer()
        let clock = ManualClock()
        let service = service(holder, stub, clock: clock)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                try await eventually { clock.sleeperCount == 2 }
                #expect(stub.count("a") == 1 && stub.count("b") == 1)

                // An invalid file changes nothing.
                next.update { $0 = .failure(ConfigurationError(keyPath: "accounts", message: "broken")) }
                holder.reload(logger: ServiceFixtures.quiet)
                try await Task.sleep(for: .milliseconds(50))
                #expect(clock.sleeperCount == 2)

                // b removed, c added, a polls every 10 s from now on.
                let second = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a", "c"], poll: "10s"))
                next.update { $0 = .success(second) }
                holder.reload(logger: ServiceFixtures.quiet)
                try await eventually { stub.count("c") == 1 && clock.sleeperCount == 2 }
                clock.advance(by: .seconds(11))
                try await eventually { stub.count("a") == 2 && stub.count("c") == 2 && clock.sleeperCount == 2 }
                #expect(stub.count("b") == 1)

                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}

// MARK: - Report scheduler

@Suite(.timeLimit(.minutes(1))) struct ServiceReportTests {
    /// A delivery log: each period (here: each fire time) is delivered once; `failures` calls throw first.
    final class StubDelivery: Sendable {
        struct Failure: Error {}
        let calls = Locked<[Date]>([])
        let delivered = Locked<[Date]>([])
        let failures = Locked(0)

        var deliverer: ReportDeliverer {
            { [self] _, asOf, _ in
                calls.update { $0.append(asOf) }
                if failures.update({ count -> Bool in
                    guard count > 0 else { return false }
                    count -= 1
                    return true
                }) {
                    throw Failure()
                }
                if delivered.value.contains(asOf) { return .alreadyDelivered(periodStart: asOf) }
                delivered.update { $0.append(asOf) }
                return .delivered(periodStart: asOf, rejectedRecipients: [])
            }
        }
    }

    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    func service(_ holder: ConfigurationHolder, _ stub: StubDelivery, clock: ManualClock) -> ReportService<ManualClock>
    {
        var service = ReportService(
            configuration: holder, logger: ServiceFixtures.quiet, clock: clock, now: { clock.date },
            deliver: stub.deliverer)
        service.retryBase = .seconds(60)
        service.maximumSleep = .seconds(30 * 86_400)
        return service
    }

    func date(_ text: String) -> Date { (try? Date(text, strategy: .iso8601)) ?? .distantPast }

    @Test func catchesUpAtStartThenFiresOncePerPeriod() async throws {
        let settings = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"], schedule: "mon 07:00"))
        let holder = ConfigurationHolder(settings: settings) { () throws(ConfigurationError) in settings }
        let stub = StubDelivery()
        // Tuesday 2026-12-01 10:00 Berlin: Monday's 07:00 fire was missed (machine off).
        let clock = ManualClock(start: date("2026-12-01T09:00:00Z"))
        let monday = date("2026-11-30T06:00:00Z")
        let nextMonday = date("2026-12-07T06:00:00Z")

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service(holder, stub, clock: clock).run() }
                try await eventually { clock.sleeperCount == 1 }
                #expect(stub.calls.value == [monday])
                // Just before the next fire: nothing.
                clock.advance(to: nextMonday.addingTimeInterval(-1))
                try await Task.sleep(for: .milliseconds(50))
                #expect(stub.calls.value == [monday])
                clock.advance(to: nextMonday.addingTimeInterval(1))
                try await eventually { stub.calls.value.count == 2 && clock.sleeperCount == 1 }
                #expect(stub.calls.value == [monday, nextMonday])
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        // A restart the same week asks again; the delivery log answers "already delivered".
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service(holder, stub, clock: clock).run() }
                try await eventually { stub.calls.value.count == 3 && clock.sleeperCount == 1 }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(stub.calls.value == [monday, nextMonday, nextMonday])
        #expect(stub.delivered.value == [monday, nextMonday])
    }

    @Test func failuresAreRetriedWithBackoff() async throws {
        let settings = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"], schedule: "mon 07:00"))
        let holder = ConfigurationHolder(settings: settings) { () throws(ConfigurationError) in settings }
        let stub = StubDelivery()
        stub.failures.update { $0 = 3 }
        let clock = ManualClock(start: date("2026-11-30T06:00:00Z"))
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service(holder, stub, clock: clock).run() }
                try await eventually { stub.calls.value.count == 1 && clock.sleeperCount == 1 }
                for (seconds, calls) in [(60, 2), (120, 3), (240, 4)] {
                    clock.advance(by: .seconds(seconds - 1))
                    try await Task.sleep(for: .milliseconds(30))
                    #expect(stub.calls.value.count == calls - 1, "retried early")
                    clock.advance(by: .seconds(1))
                    try await eventually { stub.calls.value.count == calls && clock.sleeperCount == 1 }
                }
                #expect(stub.delivered.value == [date("2026-11-30T06:00:00Z")])
                // Delivered: no more calls until the next fire.
                clock.advance(by: .seconds(3600))
                try await Task.sleep(for: .milliseconds(30))
                #expect(stub.calls.value.count == 4)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test func aReloadedScheduleAppliesAtOnce() async throws {
        let first = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"], schedule: "mon 07:00"))
        let next = Locked<Result<DaemonSettings, ConfigurationError>?>(nil)
        let holder = ServiceFixtures.holder(first, next: next)
        let stub = StubDelivery()
        // Wednesday 2026-12-02 12:00 Berlin.
        let clock = ManualClock(start: date("2026-12-02T11:00:00Z"))
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service(holder, stub, clock: clock).run() }
                try await eventually { stub.calls.value.count == 1 && clock.sleeperCount == 1 }
                #expect(stub.calls.value == [date("2026-11-30T06:00:00Z")])
                let second = try ServiceFixtures.settings(ServiceFixtures.yaml(accounts: ["a"], schedule: "wed 08:00"))
                next.update { $0 = .success(second) }
                holder.reload(logger: ServiceFixtures.quiet)
                try await eventually { stub.calls.value.count == 2 && clock.sleeperCount == 1 }
                #expect(stub.calls.value.last == date("2026-12-02T07:00:00Z"))
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}

// MARK: - The whole group

@Suite(.timeLimit(.minutes(1))) struct ServiceGroupTests {
    @Test func buildServicesRunsAndStopsCleanly() async throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-group")
        let path = directory.path + "/seatmeter.yaml"
        try ServiceFixtures.yaml(accounts: ["a", "b"], poll: "1h").write(
            toFile: path, atomically: true, encoding: .utf8)
        let socket = try NotifySocket()
        var options = Daemon.Options(configurationPath: path, environment: ["NOTIFY_SOCKET": socket.path])
        options.maximumGracefulShutdownDuration = .seconds(2)
        let daemon = try Daemon(options: options, logger: ServiceFixtures.quiet)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/ledger.sqlite"), "the ledger is opened first")

        let syncs = Locked(0)
        let deliveries = Locked(0)
        let (hangups, _) = AsyncStream<Void>.makeStream()
        let services = daemon.buildServices(
            hangups: hangups,
            sync: { _, account, _ in
                syncs.update { $0 += 1 }
                return AccountSyncResult(account: account.name, folders: [])
            },
            deliver: { _, asOf, _ in
                deliveries.update { $0 += 1 }
                return .notConfigured(reason: "test")
            })
        #expect(services.count == 4)
        let group = daemon.makeServiceGroup(services: services)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await socket.next()?.hasPrefix("READY=1") == true)
            try await eventually { syncs.value == 2 && deliveries.value == 1 }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let rest = await socket.next(until: { $0.hasPrefix("STOPPING=1") })
        #expect(rest.last?.hasPrefix("STOPPING=1") == true)
    }

    /// A sync stuck past the shutdown deadline (a stalled server, a 60 s timeout) does not hold the daemon up:
    /// the group cancels at the deadline, the wait is abandoned and `run()` still returns normally (exit 0).
    @Test func aHungSyncIsAbandonedAtTheShutdownDeadline() async throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-group")
        let path = directory.path + "/seatmeter.yaml"
        try ServiceFixtures.yaml(accounts: ["stuck"], poll: "1h").write(toFile: path, atomically: true, encoding: .utf8)
        var options = Daemon.Options(configurationPath: path, environment: [:])
        options.maximumGracefulShutdownDuration = .milliseconds(300)
        let daemon = try Daemon(options: options, logger: ServiceFixtures.quiet)
        let release = Locked(false)
        let inside = Locked(false)
        let (hangups, _) = AsyncStream<Void>.makeStream()
        let services = daemon.buildServices(
            hangups: hangups,
            sync: { _, account, _ in
                inside.update { $0 = true }
                while !release.value { usleep(1000) }
                return AccountSyncResult(account: account.name, folders: [])
            },
            deliver: { _, _, _ in .notConfigured(reason: "test") })
        let group = daemon.makeServiceGroup(services: services)
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually { inside.value }
            let started = clock.now
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            let took = started.duration(to: clock.now)
            // The sync never returns by itself (it waits for `release`), so returning at all shows it was abandoned;
            // not before the deadline shows the group waited for it. The upper bound is loose: this test shares the
            // cooperative thread pool (2 threads on a 2-core machine) with tests that block on generating mailboxes
            // and running servers, and under that load resuming here took more than 8 s in 2 of 10 full runs
            // (2026-11-29).
            #expect(took >= .milliseconds(300) && took < .seconds(60), "\(took)")
        }
        release.update { $0 = true }
    }
}

/// Log lines captured in memory (no bootstrap): `level message key=value ...`.
final class RecordedLogs: Sendable {
    private let storage = Locked<[String]>([])
    var lines: [String] { storage.value }

    var logger: Logger {
        var logger = Logger(label: "test") { [storage] _ in RecordingHandler(storage: storage) }
        logger.logLevel = .trace
        return logger
    }

    struct RecordingHandler: LogHandler {
        let storage: Locked<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let extra = event.metadata { merged.merge(extra) { $1 } }
            let line = LineLogHandler.format(
                level: event.level, message: "\(event.message)", metadata: merged, journal: false, timestamp: nil)
            storage.update { $0.append(line) }
        }
    }
}
