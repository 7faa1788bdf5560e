import Foundation
import Glibc
import Logging
import SeatMeterCore
import ServiceLifecycle
import ServiceLifecycleTestKit
import TestSupport
import Testing

@testable import SeatMeterDaemon

@Suite struct NotifierTests {
    @Test func sendsEachStateAsOneDatagram() throws {
        let socket = try NotifySocket()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        #expect(notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)

        #expect(notifier.ready(status: "Last sync: helpdesk ok"))
        #expect(socket.receive() == "READY=1\nSTATUS=Last sync: helpdesk ok")
        #expect(notifier.status("two\nlines"))
        #expect(socket.receive() == "STATUS=two lines")
        #expect(notifier.watchdog())
        #expect(socket.receive() == "WATCHDOG=1")
        #expect(notifier.reloading())
        let reloading = try #require(socket.receive())
        let lines = reloading.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        let monotonic = try #require(lines.last.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
        #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
        #expect(monotonic > 0 && monotonic <= SystemdNotifier.monotonicMicroseconds())
        #expect(notifier.stopping())
        #expect(socket.receive() == "STOPPING=1\nSTATUS=Stopping")
    }

    @Test func abstractNamespaceSocket() throws {
        let socket = try NotifySocket(abstract: true)
        #expect(socket.path.hasPrefix("@"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        #expect(notifier.ready())
        #expect(socket.receive() == "READY=1")
    }

    @Test func noSocketMeansNoOp() {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000"])
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        #expect(!notifier.ready())
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]).isEnabled)
    }

    @Test func unreachableSocketFailsQuietly() throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-notify")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": directory.path + "/nobody-listens"])
        #expect(!notifier.ready())
        let long = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)])
        #expect(!long.ready())
    }

    /// A receiver that stops reading fills its queue (10 datagrams): further sends fail at once, never block.
    @Test func aStuckReceiverNeverBlocksTheSender() throws {
        let socket = try NotifySocket(draining: false)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        let clock = ContinuousClock()
        let started = clock.now
        let sent = (0..<200).map { _ in notifier.watchdog() }
        #expect(started.duration(to: clock.now) < .seconds(2))
        #expect(sent.first == true)
        #expect(sent.last == false)
    }

    @Test func watchdogIntervalIsHalfTheTimeoutForThisProcess() {
        let pid = getpid()
        let socket = ["NOTIFY_SOCKET": "/run/systemd/notify"]
        #expect(
            SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "30000000"]) { $1 }).watchdogInterval
                == .seconds(15))
        #expect(
            SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "\(pid)"]) { $1 })
                .watchdogInterval == .seconds(2))
        #expect(
            SystemdNotifier(
                environment: socket.merging(["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "\(pid + 1)"]) { $1 }
            )
            .watchdogInterval == nil)
        #expect(SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "0"]) { $1 }).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "x"]) { $1 }).watchdogInterval == nil)
    }

    /// The lifecycle service: READY=1 at start, WATCHDOG=1 on its interval, STOPPING=1 on graceful shutdown.
    @Test func systemdServiceSendsReadyWatchdogAndStopping() async throws {
        let socket = try NotifySocket()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000"])
        #expect(notifier.watchdogInterval == .milliseconds(100))
        let service = SystemdService(notifier: notifier, status: SyncStatusBoard(), logger: ServiceFixtures.quiet)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                #expect(await socket.next() == "READY=1\nSTATUS=Starting")
                for _ in 0..<3 {
                    #expect(await socket.next(timeout: .seconds(10)) == "WATCHDOG=1")
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let rest = await socket.next(until: { $0.hasPrefix("STOPPING=1") }, timeout: .seconds(10))
        #expect(rest.last == "STOPPING=1\nSTATUS=Stopping")
        #expect(rest.dropLast().allSatisfy { $0 == "WATCHDOG=1" })
    }

    @Test func statusBoardSummarisesEachAccount() {
        let board = SyncStatusBoard()
        #expect(board.summary == "Starting")
        var folder = FolderSyncSummary(account: "helpdesk", folder: "INBOX", role: .incoming)
        folder.newMessages = 12
        folder.total = 3456
        board.record(AccountSyncResult(account: "helpdesk", folders: [folder]), at: Date(timeIntervalSince1970: 0))
        board.record(
            AccountSyncResult(account: "support", folders: [], error: "account support: login failed"),
            at: Date(timeIntervalSince1970: 60))
        let expected =
            "Last sync: helpdesk: ok at 1970-01-01T00:00:00Z, 12 new, 3456 messages; "
            + "support: FAILED at 1970-01-01T00:01:00Z: account support: login failed"
        #expect(board.summary == expected)
        board.retain(accounts: ["support"])
        #expect(board.summary.hasPrefix("Last sync: support: FAILED"))
    }
}
