import Foundation
import Glibc
import SeatMeterStore
import TestSupport
import Testing

/// `seatmeter run` end to end: the built binary against a real Dovecot, with a test notify socket standing in for
/// systemd. Ingests new mail while running, serves concurrent CLI reads, survives a broken SIGHUP, reloads a good
/// one, stops on SIGTERM with status 0, and never logs the password or a subject.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DaemonTests {
    /// A configuration for `server` in a private directory.
    struct Setup {
        let directory: TemporaryDirectory
        let server: DovecotServer
        let organization: String
        /// Where the daemon connects: the server, or a proxy in front of it.
        let imapURL: String
        var configPath: String { directory.path + "/seatmeter.yaml" }
        var ledgerPath: String { directory.path + "/ledger/seatmeter.sqlite" }

        init(server: DovecotServer, organization: String, imapURL: String? = nil) throws {
            directory = try TemporaryDirectory(prefix: "seatmeter-daemon")
            self.server = server
            self.organization = organization
            self.imapURL = imapURL ?? server.plainURL
            try server.password.write(toFile: directory.path + "/imap-password", atomically: true, encoding: .utf8)
            chmod(directory.path + "/imap-password", 0o600)
            try write(poll: "1s")
        }

        /// `smtpKeys`: more keys of the `smtp:` mapping, e.g. `, username: u, password_file: f`.
        func yaml(poll: String, schedule: String = "mon 07:00", smtpURL: String? = nil, smtpKeys: String = "")
            -> String
        {
            let delivery = smtpURL.map {
                """
                  from: seatmeter@example.com
                  recipients: [admins@example.com]
                smtp: { url: "\($0)", allow_insecure: true\(smtpKeys) }
                """
            } ?? ""
            return """
            ledger: ledger/seatmeter.sqlite
            log_level: debug
            accounts:
              - name: helpdesk
                url: \(imapURL)
                username: \(server.user)
                password_file: imap-password
                allow_insecure: true
                timeout: 10s
                poll_interval: \(poll)
                folders: { incoming: [INBOX], outgoing: [Sent] }
            report:
              schedule: "\(schedule)"
              timezone: Europe/Berlin
            \(delivery)
            \(organization)
            """
        }

        func write(poll: String, schedule: String = "mon 07:00", smtpURL: String? = nil, smtpKeys: String = "")
            throws
        {
            try yaml(poll: poll, schedule: schedule, smtpURL: smtpURL, smtpKeys: smtpKeys)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
        }

        /// Starts `seatmeter run` with `NOTIFY_SOCKET` (and `JOURNAL_STREAM`, so lines carry `<N>` priorities).
        func start(notify: NotifySocket, journal: Bool = true, watchdog: Bool = false) throws -> ManagedProcess {
            let seatmeter = try PackageRoot.product("seatmeter")
            var environment = ["NOTIFY_SOCKET=\(notify.path)"]
            if journal { environment.append("JOURNAL_STREAM=8:12345") }
            if watchdog { environment.append("WATCHDOG_USEC=1000000") }
            // env(1) execs seatmeter in place: the pid we signal is seatmeter's.
            return try ManagedProcess(
                executable: "/usr/bin/env",
                arguments: environment + [seatmeter, "run", "--config", configPath],
                logPath: directory.path + "/daemon.log")
        }

        func messageCount() -> Int? {
            guard FileManager.default.fileExists(atPath: ledgerPath) else { return nil }
            return try? Ledger(readOnlyPath: ledgerPath).messageCount()
        }
    }

    /// Waits up to `timeout` for `condition`; false if it never held.
    static func waitFor(_ timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// Exit code of a raw wait status, nil if the process was killed by a signal.
    static func exitCode(_ status: Int32) -> Int32? {
        status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    /// The `Subject:` values of raw messages (unfolded, as written in the header).
    static func subjects(_ messages: [(rawBytes: [UInt8], flags: String)]) -> [String] {
        messages.compactMap { message in
            // "\r\n" is one Character in Swift: normalise line ends before splitting.
            let text = String(decoding: message.rawBytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            let header = text.components(separatedBy: "\n\n").first ?? text
            var lines: [String] = []
            for line in header.components(separatedBy: "\n") {
                if let first = line.first, first == " " || first == "\t", !lines.isEmpty {
                    lines[lines.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
                } else {
                    lines.append(line)
                }
            }
            return lines.first { $0.lowercased().hasPrefix("subject:") }
                .map { String($0.dropFirst("subject:".count)).trimmingCharacters(in: .whitespaces) }
        }
    }

    @Test func runsIngestsReloadsAndStopsCleanly() async throws {
        let mailbox = try GeneratedMailbox(messages: 400, seed: 21)
        let inbox = try mailbox.messages(folder: "INBOX")
        let sent = try mailbox.messages(folder: "Sent")
        let server = try DovecotServer(options: .init(tls: false))
        let firstPart = inbox.count / 2
        try server.deliver(Array(inbox.prefix(firstPart)), folder: "INBOX")
        try server.deliver(sent, folder: "Sent")
        let setup = try Setup(server: server, organization: mailbox.organizationYAML)
        // The report ("daily 00:00" is due at start) goes through an SMTP server with AUTH (plain on loopback,
        // allow_insecure); the password file is readable by others, which the daemon warns about.
        let smtpPassword = "smtp-Secret-4711"
        let sink = try SMTPSink(options: .init(user: "seatmeter", password: smtpPassword))
        try smtpPassword.write(toFile: setup.directory.path + "/smtp-password", atomically: true, encoding: .utf8)
        chmod(setup.directory.path + "/smtp-password", 0o644)
        try setup.write(
            poll: "1s", schedule: "daily 00:00", smtpURL: sink.url,
            smtpKeys: ", username: seatmeter, password_file: smtp-password")
        let notify = try NotifySocket()
        let daemon = try setup.start(notify: notify, watchdog: true)
        defer { daemon.stop() }

        // READY=1 once the ledger is open, then STATUS= after the first cycle.
        let startup = await notify.next(until: { $0.contains("STATUS=Last sync: helpdesk: ok") }, timeout: .seconds(60))
        #expect(startup.contains { $0.hasPrefix("READY=1") }, "\(startup)\n\(daemon.log)")
        let status = try #require(startup.last, "no STATUS after a sync: \(startup)\n\(daemon.log)")
        #expect(status.hasPrefix("STATUS=Last sync: helpdesk: ok at "))
        let watchdog = await notify.next(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(5))
        #expect(watchdog.last == "WATCHDOG=1", "no WATCHDOG=1 within 5 s with WATCHDOG_USEC=1 s: \(watchdog)")
        let firstCount = try #require(setup.messageCount())
        #expect(firstCount > 0)

        // New mail while it runs: ingested within a few 1 s polls.
        try server.deliver(Array(inbox.dropFirst(firstPart)), folder: "INBOX")
        let ingested = try await Self.waitFor(.seconds(15)) { setup.messageCount() == mailbox.truth.distinct_messages }
        #expect(
            ingested, "ledger has \(setup.messageCount() ?? -1) of \(mailbox.truth.distinct_messages)\n\(daemon.log)")

        // The report went out, logged in with the SMTP password.
        #expect(try await Self.waitFor(.seconds(30)) { (try? sink.messages().count) == 1 }, "\(daemon.log)")
        #expect(try sink.messages().first?.envelope.authLogin == "seatmeter")

        // CLI reads while the daemon keeps writing.
        let seatmeter = try PackageRoot.product("seatmeter")
        for _ in 0..<2 {
            let users = try TestTools.run(seatmeter, ["users", "--config", setup.configPath], check: false)
            #expect(users.status == 0, "users failed while the daemon ran: \(users.standardError)")
            #expect(!users.standardOutput.isEmpty)
        }
        #expect(daemon.isRunning)

        // SIGHUP with a broken file: reported, old configuration kept, still running and syncing.
        try "accounts: [\n  - name: [broken".write(toFile: setup.configPath, atomically: true, encoding: .utf8)
        _ = await notify.next(timeout: .milliseconds(10))  // drop pending STATUS lines
        kill(daemon.pid, SIGHUP)
        let rejected = try await Self.waitFor(.seconds(10)) {
            daemon.log.contains("configuration reload rejected")
        }
        #expect(rejected, "\(daemon.log)")
        let rejectedLine = daemon.log.split(separator: "\n").first { $0.contains("configuration reload rejected") }
        #expect(rejectedLine?.hasPrefix("<3>error") == true, "error priority under journald: \(rejectedLine ?? "")")
        let aroundBrokenReload = await notify.next(until: { $0.hasPrefix("READY=1") })
        #expect(aroundBrokenReload.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        #expect(aroundBrokenReload.last?.hasPrefix("READY=1") == true)
        try await Task.sleep(for: .seconds(2))
        #expect(daemon.isRunning, "a broken configuration stopped the daemon:\n\(daemon.log)")
        let cyclesBefore = daemon.log.components(separatedBy: "sync cycle finished").count
        let stillSyncing = try await Self.waitFor(.seconds(10)) {
            daemon.log.components(separatedBy: "sync cycle finished").count > cyclesBefore + 1
        }
        #expect(stillSyncing, "no sync after the rejected reload:\n\(daemon.log)")

        // SIGHUP with a valid file: applied.
        try setup.write(poll: "2s", schedule: "daily 06:30")
        kill(daemon.pid, SIGHUP)
        let reloaded = try await Self.waitFor(.seconds(10)) { daemon.log.contains("configuration reloaded") }
        #expect(reloaded, "\(daemon.log)")
        #expect(daemon.log.contains("config.generation=1"))
        #expect(daemon.log.contains("report.schedule=\"daily 06:30\""))

        // SIGTERM: exit status 0 within 10 s, STOPPING=1 sent.
        let clock = ContinuousClock()
        let stopStarted = clock.now
        kill(daemon.pid, SIGTERM)
        let exited = try await Self.waitFor(.seconds(10)) { !daemon.isRunning }
        #expect(exited, "still running 10 s after SIGTERM:\n\(daemon.log)")
        #expect(stopStarted.duration(to: clock.now) < .seconds(10))
        #expect(Self.exitCode(daemon.exitStatus) == 0, "wait status \(daemon.exitStatus):\n\(daemon.log)")
        let stopping = await notify.next(until: { $0.hasPrefix("STOPPING=1") }, timeout: .seconds(2))
        #expect(stopping.last?.hasPrefix("STOPPING=1") == true, "\(stopping)")

        // The whole run's log: journald priorities on every line, no password, no subject.
        let log = daemon.log
        let lines = log.split(separator: "\n")
        #expect(lines.count > 10)
        #expect(lines.allSatisfy { $0.range(of: #"^<[0-7]>"#, options: .regularExpression) != nil }, "\(log)")
        #expect(lines.contains { $0.hasPrefix("<5>notice seatmeter started") && $0.contains("version=0.3.0") })
        #expect(lines.contains { $0.hasPrefix("<6>info sync cycle finished") && $0.contains("account=helpdesk") })
        #expect(!log.contains(server.password), "the IMAP password is in the log")
        #expect(!log.contains(smtpPassword), "the SMTP password is in the log")
        let permissionWarning = lines.first { $0.contains("secret file readable by group or others") }
        #expect(permissionWarning?.hasPrefix("<4>warning") == true, "\(log)")
        #expect(permissionWarning?.contains("key=smtp.password_file") == true, "\(permissionWarning ?? "")")
        #expect(lines.filter { $0.contains("readable by group or others") }.count == 1, "only the SMTP file is 0644")
        let subjects = Set(Self.subjects(inbox) + Self.subjects(sent)).filter { $0.count >= 8 }
        #expect(subjects.count > 50, "the generated mail should have subjects to look for")
        let leaked = subjects.filter { log.contains($0) }
        #expect(leaked.isEmpty, "subjects in the log: \(leaked.prefix(5))")
    }

    @Test func theDueReportIsMailedOnceAlsoAfterARestart() async throws {
        let mailbox = try GeneratedMailbox(messages: 300, seed: 21)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let sink = try SMTPSink()
        let setup = try Setup(server: server, organization: mailbox.organizationYAML)
        // "daily 00:00" has always fired already today: the last full week's report is due at start.
        try setup.write(poll: "1s", schedule: "daily 00:00", smtpURL: sink.url)
        for round in 1...2 {
            let notify = try NotifySocket()
            let daemon = try setup.start(notify: notify)
            #expect(try await Self.waitFor(.seconds(30)) { (try? sink.messages().count) == 1 }, "round \(round)")
            // Give a second delivery (which must not happen) time to show up.
            try await Task.sleep(for: .seconds(2))
            daemon.stop()
            #expect(Self.exitCode(daemon.exitStatus) == 0, "\(daemon.log)")
        }
        let messages = try sink.messages()
        #expect(messages.count == 1, "the report for one period was sent \(messages.count) times")
        #expect(messages.first?.envelope.rcptTos == ["admins@example.com"])
    }

    @Test func anInvalidConfigurationStopsTheStartBeforeReady() async throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-daemon")
        let path = directory.path + "/seatmeter.yaml"
        try """
        accounts:
          - name: helpdesk
            url: imap://127.0.0.1:1
            username: helpdesk
            password_env: SEATMETER_TEST_UNSET
            allow_insecure: true
        organization: { internal_domains: [example.com] }
        report: { schedule: "someday 07:00" }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let notify = try NotifySocket()
        let seatmeter = try PackageRoot.product("seatmeter")
        let result = try TestTools.run(
            "/usr/bin/env", ["NOTIFY_SOCKET=\(notify.path)", seatmeter, "run", "--config", path], check: false)
        #expect(result.status != 0)
        #expect(result.standardError.contains("report.schedule"), "\(result.standardError)")
        #expect(await notify.next(timeout: .milliseconds(200)) == nil, "READY sent for an invalid configuration")
    }

    @Test func sigtermDuringALongFirstSyncExitsZeroAndLosesNothing() async throws {
        // Three or more UID ranges (8,000 UIDs each) in the INBOX alone, so that ranges are left when the first commits.
        let mailbox = try GeneratedMailbox(messages: 24_000, seed: 22)
        let server = try DovecotServer(options: .init(tls: false))
        try server.deliver(mailbox)
        // The server's answers reach the daemon at a fixed rate, so the first sync lasts seconds on any machine
        // (about 4 s per 8,000-message UID range) and the SIGTERM lands in its middle.
        let proxy = try ThrottlingProxy(targetPort: server.imapPort, bytesPerSecond: 1_600_000)
        defer { proxy.stop() }
        let setup = try Setup(server: server, organization: mailbox.organizationYAML, imapURL: proxy.plainURL)
        let notify = try NotifySocket()
        let daemon = try setup.start(notify: notify, journal: false)
        defer { daemon.stop() }
        let ready = await notify.next(until: { $0.hasPrefix("READY=1") }, timeout: .seconds(30))
        #expect(ready.last?.hasPrefix("READY=1") == true, "\(daemon.log)")
        // Some ranges are committed, the sync is still going.
        let started = try await Self.waitFor(.seconds(30)) { (setup.messageCount() ?? 0) > 0 }
        #expect(started, "\(daemon.log)")
        let midway = setup.messageCount() ?? 0

        let clock = ContinuousClock()
        let stopStarted = clock.now
        kill(daemon.pid, SIGTERM)
        let exited = try await Self.waitFor(.seconds(10)) { !daemon.isRunning }
        #expect(exited, "still running 10 s after SIGTERM:\n\(daemon.log)")
        #expect(stopStarted.duration(to: clock.now) < .seconds(10))
        #expect(Self.exitCode(daemon.exitStatus) == 0, "wait status \(daemon.exitStatus):\n\(daemon.log)")
        #expect(midway < mailbox.truth.distinct_messages, "the first sync finished before SIGTERM")
        // The sync stopped after its current UID range: neither run to its end nor abandoned at the deadline.
        #expect(!daemon.log.contains("shutdown deadline reached"), "\(daemon.log)")
        let afterStop = setup.messageCount() ?? 0
        #expect(afterStop < mailbox.truth.distinct_messages, "the sync ran on to its end after SIGTERM")

        // Whatever was committed is consistent: a later sync completes the ledger to the exact truth.
        let seatmeter = try PackageRoot.product("seatmeter")
        let sync = try TestTools.run(
            seatmeter, ["sync", "--config", setup.configPath, "--log-level", "error"], check: false)
        #expect(sync.status == 0, "\(sync.standardError)")
        #expect(setup.messageCount() == mailbox.truth.distinct_messages)
    }
}
