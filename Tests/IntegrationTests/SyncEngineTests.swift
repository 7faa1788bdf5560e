import Foundation
import Logging
import SeatMeterCore
@testable import SeatMeterDaemon
import SeatMeterStore
import TestSupport
import Synchronization
import Testing

/// `seatmeter sync` against a real Dovecot: ground truth, incremental sync, UIDVALIDITY reset, dropped
/// connections, kill -9 at any instant, failing accounts and folders, and backfill imports.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct SyncEngineTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A private directory with a password file, a ledger path and a configuration for `server`.
    struct Setup {
        let directory: TemporaryDirectory
        let configuration: SeatMeterConfiguration
        var ledgerPath: String { configuration.ledgerPath }
        var configPath: String { directory.path + "/seatmeter.yaml" }

        init(
            server: DovecotServer, organization: String, extraAccounts: String = "", folders: String? = nil,
            transport: String? = nil
        ) throws {
            directory = try TemporaryDirectory(prefix: "seatmeter-sync")
            try server.password.write(toFile: directory.path + "/imap-password", atomically: true, encoding: .utf8)
            let yaml = """
                ledger: ledger/seatmeter.sqlite
                accounts:
                  - name: helpdesk
                    \(transport ?? "url: \(server.plainURL)\n    allow_insecure: true")
                    username: \(server.user)
                    password_file: imap-password
                    timeout: 10s
                    folders: \(folders ?? "{ incoming: [INBOX], outgoing: [Sent] }")
                \(extraAccounts)
                \(organization)
                """
            try yaml.write(toFile: directory.path + "/seatmeter.yaml", atomically: true, encoding: .utf8)
            configuration = try SeatMeterConfiguration.load(path: directory.path + "/seatmeter.yaml")
        }

        func engine(batchSize: UInt32 = 2000) throws -> SyncEngine {
            var engine = SyncEngine(
                configuration: configuration, ledger: try Ledger(path: ledgerPath), logger: SyncEngineTests.quiet)
            engine.batchSize = batchSize
            engine.backoff = .milliseconds(100)
            return engine
        }
    }

    /// Two accounts whose login fails: `unreachable` (nothing listens on `closedPort`) and `bad-login` (an unknown
    /// user), as `extraAccounts` YAML.
    static func loginFailures(server: DovecotServer, closedPort: Int) -> String {
        """
          - name: unreachable
            url: imap://127.0.0.1:\(closedPort)
            username: \(server.user)
            password_file: imap-password
            allow_insecure: true
            timeout: 5s
          - name: bad-login
            url: \(server.plainURL)
            username: nobody
            password_file: imap-password
            allow_insecure: true
        """
    }

    static func sortedObservations(_ ledger: Ledger) throws -> [MessageObservation] {
        try ledger.observations().map { observation in
            var sorted = observation
            sorted.locations.sort { ($0.account, $0.folder) < ($1.account, $1.folder) }
            return sorted
        }.sorted { $0.key < $1.key }
    }

    @Test func groundTruthPersonByPerson() async throws {
        let mailbox = try GeneratedMailbox(messages: 1500, seed: 7)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let flagsBefore = (try server.flags(folder: "INBOX"), try server.flags(folder: "Sent"))
        let setup = try Setup(server: server, organization: mailbox.organizationYAML)

        let results = try await setup.engine(batchSize: 300).syncAll()
        #expect(results.allSatisfy { $0.succeeded }, "\(results)")
        let ledger = try Ledger(path: setup.ledgerPath)
        #expect(try ledger.messageCount() == mailbox.truth.distinct_messages)

        // Read-only: every flag on the server is as it was (unread stays unread).
        #expect(try server.flags(folder: "INBOX") == flagsBefore.0)
        #expect(try server.flags(folder: "Sent") == flagsBefore.1)
        let unread = flagsBefore.0.values.filter { !$0.contains("\\Seen") }.count
        #expect(unread > 0, "the mailbox should contain unread mail")

        let classification = try PeopleQuery(configuration: setup.configuration).classify(window: nil)
        var ours: [String: GeneratedMailbox.Person] = [:]
        for person in classification.people {
            ours[person.address] = GeneratedMailbox.Person(
                address: person.address, role: person.role.rawValue,
                confirmed: person.agent?.confirmed ?? false, name: person.name)
        }
        let truth = Dictionary(uniqueKeysWithValues: mailbox.truth.people.map { ($0.address, $0) })
        #expect(Set(ours.keys) == Set(truth.keys))
        for (address, expected) in truth {
            let actual = try #require(ours[address], "missing \(address)")
            #expect(actual.role == expected.role, "\(address)")
            #expect(actual.confirmed == expected.confirmed, "\(address)")
            #expect(actual.name == expected.name, "\(address)")
        }
    }

    @Test(arguments: ["starttls", "imaps"])
    func syncOverTLSVerifiesTheServer(transport: String) async throws {
        let mailbox = try GeneratedMailbox(messages: 150, seed: 12)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let ca = try #require(server.caFile)
        let url = transport == "imaps" ? try #require(server.tlsURL) : server.plainURL
        let setup = try Setup(
            server: server, organization: mailbox.organizationYAML,
            transport: "url: \(url)\n    ca_file: \(ca)")
        let results = try await setup.engine().syncAll()
        #expect(results.allSatisfy { $0.succeeded }, "\(results)")
        #expect(try setup.engine().ledger.messageCount() == mailbox.truth.distinct_messages)

        // Without the CA the server's certificate is not trusted: a clear, non-transient failure.
        let untrusted = try Setup(
            server: server, organization: mailbox.organizationYAML, transport: "url: \(url)")
        var engine = try untrusted.engine()
        engine.maxAttempts = 1
        let failed = await engine.syncAll()
        let error = try #require(failed.first?.error)
        #expect(error.contains("account helpdesk"), "\(error)")
        #expect(error.lowercased().contains("certificate"), "\(error)")
    }

    @Test func incrementalSyncFetchesOnlyNewMail() async throws {
        let mailbox = try GeneratedMailbox(messages: 600, seed: 3)
        let inbox = try mailbox.messages(folder: "INBOX")
        let server = try DovecotServer()
        try server.deliver(Array(inbox.prefix(200)), folder: "INBOX")
        let setup = try Setup(server: server, organization: mailbox.organizationYAML, folders: "{ incoming: [INBOX] }")
        let engine = try setup.engine(batchSize: 64)

        let first = await engine.syncAll()
        #expect(first[0].folders[0].newMessages == 200)
        let again = await engine.syncAll()
        #expect(again[0].folders[0].newMessages == 0)
        #expect(again[0].folders[0].duplicates == 0)

        try server.deliver(Array(inbox.dropFirst(200)), folder: "INBOX")
        let second = await engine.syncAll()
        #expect(second[0].succeeded)
        #expect(second[0].folders[0].newMessages + second[0].folders[0].duplicates == inbox.count - 200)
        let checkpoint = try #require(try engine.ledger.checkpoint(account: "helpdesk", folder: "INBOX"))
        #expect(checkpoint.lastUID == UInt32(inbox.count))
    }

    /// Progress comes every 1,000 messages within a range, not only once per range (a range of a slow server can
    /// take minutes), and ends at the folder's total.
    @Test func progressIsReportedWithinARange() async throws {
        let mailbox = try GeneratedMailbox(messages: 3000, seed: 13)
        let inbox = try mailbox.messages(folder: "INBOX").count
        #expect(inbox > 2 * SyncEngine.progressInterval)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let setup = try Setup(server: server, organization: mailbox.organizationYAML, folders: "{ incoming: [INBOX] }")
        var engine = try setup.engine(batchSize: 100_000)
        let reports = Mutex<[Int]>([])
        engine.progress = { progress in
            #expect(progress.total == inbox)
            reports.withLock { $0.append(progress.done) }
        }
        let results = await engine.syncAll()
        #expect(results[0].succeeded)
        let steps = Array(stride(from: SyncEngine.progressInterval, to: inbox, by: SyncEngine.progressInterval))
        #expect(reports.withLock { $0 } == steps + [inbox])
    }

    @Test func uidValidityResetRescansWithoutCountingTwice() async throws {
        let mailbox = try GeneratedMailbox(messages: 400, seed: 4)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let setup = try Setup(server: server, organization: mailbox.organizationYAML)
        let engine = try setup.engine()
        _ = await engine.syncAll()
        let before = try Self.sortedObservations(engine.ledger)
        let oldValidity = try #require(try engine.ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.uidValidity)

        server.killIMAPSessions()
        try server.resetUIDValidity(folder: "INBOX")
        let results = await engine.syncAll()
        let inbox = try #require(results.first?.folders.first)
        #expect(inbox.uidValidityChanged)
        #expect(inbox.newMessages == 0)
        #expect(inbox.duplicates > 0)
        let newValidity = try #require(try engine.ledger.checkpoint(account: "helpdesk", folder: "INBOX")?.uidValidity)
        #expect(newValidity != oldValidity)
        let after = try Self.sortedObservations(engine.ledger)
        let same = after == before
        #expect(same, "the rescan changed the ledger's messages")
    }

    @Test func droppedConnectionMidSyncIsRetriedAndCompletes() async throws {
        let mailbox = try GeneratedMailbox(messages: 1200, seed: 5)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let setup = try Setup(server: server, organization: mailbox.organizationYAML)
        var engine = try setup.engine(batchSize: 100)
        let killed = KillOnce(server: server)
        engine.progress = { progress in
            if progress.done >= 300 { killed.fire() }
        }
        let results = await engine.syncAll()
        #expect(killed.count > 0, "the IMAP session should have been killed mid-sync")
        #expect(results.allSatisfy { $0.succeeded }, "\(results)")
        #expect(try engine.ledger.messageCount() == mailbox.truth.distinct_messages)
    }

    @Test func killNineAtAnyInstantLosesNothingAndCountsNothingTwice() async throws {
        let mailbox = try GeneratedMailbox(messages: 3000, seed: 6)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let reference = try Setup(server: server, organization: mailbox.organizationYAML)
        _ = try await reference.engine(batchSize: 50).syncAll()
        let expected = try Self.sortedObservations(try Ledger(path: reference.ledgerPath))
        #expect(expected.count == mailbox.truth.distinct_messages)

        // Through a rate-limited proxy, the sync lasts seconds on any machine, so each kill lands mid-sync.
        let proxy = try ThrottlingProxy(targetPort: server.imapPort, bytesPerSecond: 300_000)
        defer { proxy.stop() }
        let interrupted = try Setup(
            server: server, organization: mailbox.organizationYAML,
            transport: "url: \(proxy.plainURL)\n    allow_insecure: true")
        let seatmeter = try PackageRoot.product("seatmeter")
        var kills = 0
        var logs = ""
        // Kill at five instants spread over the sync: each time once the ledger holds a little more than before.
        for step in 1...5 {
            let process = try ManagedProcess(
                executable: seatmeter,
                arguments: ["sync", "--config", interrupted.configPath, "--batch-size", "50", "--log-level", "error"],
                logPath: interrupted.directory.path + "/sync.log")
            let target = step * expected.count / 7
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(60))
            while process.isRunning && clock.now < deadline {
                let count = (try? Ledger(readOnlyPath: interrupted.ledgerPath).messageCount()) ?? 0
                if count >= target { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            if process.isRunning {
                kill(process.pid, SIGKILL)
                kills += 1
            }
            process.stop()
            logs = process.log
        }
        #expect(kills >= 3, "seatmeter sync was interrupted only \(kills) times: \(logs)")
        let final = try ManagedProcess(
            executable: seatmeter, arguments: ["sync", "--config", interrupted.configPath, "--log-level", "error"],
            logPath: interrupted.directory.path + "/final.log")
        while final.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(final.exitStatus == 0, "\(final.log)")
        let actual = try Self.sortedObservations(try Ledger(path: interrupted.ledgerPath))
        #expect(actual.count == expected.count)
        let same = actual == expected
        #expect(same, "the interrupted ledger differs from the uninterrupted one")
    }

    @Test func oneFailingAccountNeverStopsTheOthers() async throws {
        let mailbox = try GeneratedMailbox(messages: 200, seed: 8)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let closedPort = try TestPorts.pickFree()
        let extra = """
              - name: wrong-password
                url: \(server.plainURL)
                username: \(server.user)
                password_env: SEATMETER_TEST_NO_SUCH_VARIABLE_\(closedPort)
                allow_insecure: true
            \(Self.loginFailures(server: server, closedPort: closedPort))
              - name: missing-folder
                url: \(server.plainURL)
                username: \(server.user)
                password_file: imap-password
                allow_insecure: true
                folders: { incoming: [Archive/2019, INBOX] }
            """
        let setup = try Setup(server: server, organization: mailbox.organizationYAML, extraAccounts: extra)
        var engine = try setup.engine()
        engine.maxAttempts = 2
        let results = await engine.syncAll()
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.account, $0) })
        #expect(byName["helpdesk"]?.succeeded == true)
        #expect(byName["wrong-password"]?.error?.contains("SEATMETER_TEST_NO_SUCH_VARIABLE") == true)
        let unreachable = try #require(byName["unreachable"]?.error)
        #expect(unreachable.contains("account unreachable"), "\(unreachable)")
        let badLogin = try #require(byName["bad-login"]?.error)
        #expect(badLogin.contains("account bad-login"), "\(badLogin)")
        #expect(badLogin.contains("rejected the user name or password"), "\(badLogin)")
        let missing = try #require(byName["missing-folder"])
        #expect(!missing.succeeded)
        let archive = try #require(missing.folders.first { $0.folder == "Archive/2019" })
        #expect(archive.error?.contains("folder Archive/2019") == true, "\(archive)")
        // The folder after the missing one is still synced.
        #expect(missing.folders.first { $0.folder == "INBOX" }?.error == nil)
        let inbox = try #require(missing.folders.first { $0.folder == "INBOX" })
        #expect(inbox.newMessages + inbox.duplicates == mailbox.truth.folders["INBOX"])
    }

    @Test func theSyncUsesTheSessionLoggedInAhead() async throws {
        let mailbox = try GeneratedMailbox(messages: 200, seed: 9)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let setup = try Setup(server: server, organization: mailbox.organizationYAML)
        let early = EarlyLogins(accounts: setup.configuration.accounts, logger: Self.quiet)
        var engine = try setup.engine()
        engine.earlyLogins = early

        let results = await engine.syncAll()
        #expect(results.allSatisfy { $0.succeeded }, "\(results)")
        #expect(try Ledger(path: setup.ledgerPath).messageCount() == mailbox.truth.distinct_messages)
        // One session logged in, the early one, and the sync ran on it; it was handed out once.
        #expect(try server.loggedInSessions() == 1)
        #expect(try server.clientCommands().contains { $0.contains(" UID FETCH ") })
        #expect(early.take("helpdesk") == nil)
    }

    @Test func aLoginThatFailedAheadFailsTheAccountAsALoginAtSyncTimeWould() async throws {
        let mailbox = try GeneratedMailbox(messages: 20, seed: 10)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let closedPort = try TestPorts.pickFree()
        let extra = Self.loginFailures(server: server, closedPort: closedPort)
        let setup = try Setup(server: server, organization: mailbox.organizationYAML, extraAccounts: extra)
        func errors(early: Bool) async throws -> [String: String] {
            var engine = try setup.engine()
            engine.maxAttempts = 2
            if early { engine.earlyLogins = EarlyLogins(accounts: setup.configuration.accounts, logger: Self.quiet) }
            let results = await engine.syncAll()
            #expect(results.first { $0.account == "helpdesk" }?.succeeded == true, "\(results)")
            return Dictionary(uniqueKeysWithValues: results.compactMap { result in result.error.map { (result.account, $0) } })
        }
        let atSyncTime = try await errors(early: false)
        #expect(atSyncTime.keys.sorted() == ["bad-login", "unreachable"])
        #expect(try await errors(early: true) == atSyncTime)
    }

    @Test func importBackfillsAndNeverCountsTwice() async throws {
        let mailbox = try GeneratedMailbox(messages: 500, seed: 9)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let setup = try Setup(server: server, organization: mailbox.organizationYAML)
        let ledger = try Ledger(path: setup.ledgerPath)
        let importer = ImportEngine(ledger: ledger, outgoingFolders: ["Sent"])

        let first = try importer.importMessages(at: mailbox.maildir)
        #expect(first.map(\.role) == [.incoming, .outgoing])
        #expect(first.reduce(0) { $0 + $1.newMessages } == mailbox.truth.distinct_messages)
        let again = try importer.importMessages(at: mailbox.maildir)
        #expect(again.reduce(0) { $0 + $1.newMessages } == 0)
        #expect(again.reduce(0) { $0 + $1.duplicates } == mailbox.truth.messages)

        // The same mail synced over IMAP afterwards is known already.
        let results = try await setup.engine().syncAll()
        #expect(results[0].folders.reduce(0) { $0 + $1.newMessages } == 0)
        #expect(try ledger.messageCount() == mailbox.truth.distinct_messages)

        // Imports classify like syncs: same people and roles.
        let imported = try PeopleQuery(configuration: setup.configuration).classify(window: nil)
        #expect(imported.people.count == mailbox.truth.people.count)
    }

    @Test func mboxImport() throws {
        let mailbox = try GeneratedMailbox(messages: 120, seed: 10)
        let directory = try TemporaryDirectory(prefix: "seatmeter-mbox")
        var mbox: [UInt8] = []
        let inbox = try mailbox.messages(folder: "INBOX")
        for message in inbox {
            mbox += Array("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n".utf8)
            mbox += message.rawBytes.filter { $0 != 13 }
            mbox += Array("\n".utf8)
        }
        let path = directory.path + "/helpdesk.mbox"
        try Data(mbox).write(to: URL(fileURLWithPath: path))
        let ledger = try Ledger.inMemory()
        let summaries = try ImportEngine(ledger: ledger, outgoingFolders: []).importMessages(at: path)
        #expect(summaries.count == 1)
        #expect(summaries[0].folder.hasSuffix("#helpdesk"))
        #expect(summaries[0].total == inbox.count)
        // Maildir and mbox copies of the same messages are the same messages.
        let maildirLedger = try Ledger.inMemory()
        _ = try ImportEngine(ledger: maildirLedger, outgoingFolders: []).importMessages(at: mailbox.maildir)
        let mboxKeys = Set(try ledger.observations().map(\.key))
        let maildirKeys = Set(try maildirLedger.observations().map(\.key))
        #expect(mboxKeys.subtracting(maildirKeys).isEmpty)
        #expect(mboxKeys.count == summaries[0].newMessages)
    }

    /// A file that cannot be read half-way through a folder: the import fails naming it, stores nothing of the
    /// batch it was filling (whose first chunks the writer had already stored, uncommitted), and leaves the ledger
    /// writable; the import after the file is fixed stores everything.
    @Test(.timeLimit(.minutes(1))) func anImportThatFailsHalfWayStoresNothingOfItsOpenBatch() throws {
        let mailbox = try GeneratedMailbox(messages: 1600, seed: 12)
        let inbox = try mailbox.messages(folder: "INBOX").count
        let broken = mailbox.maildir + "/cur/zzz-unreadable"
        try FileManager.default.createSymbolicLink(atPath: broken, withDestinationPath: "/nonexistent/seatmeter-message")
        let directory = try TemporaryDirectory(prefix: "seatmeter-import")
        let ledger = try Ledger(path: directory.path + "/ledger.sqlite")
        var importer = ImportEngine(ledger: ledger, outgoingFolders: ["Sent"])
        importer.batchSize = 4000
        #expect(inbox > 2 * BatchWriter.chunkSize(batchSize: importer.batchSize))
        let error = try #require(throws: MailFileReader.ReadError.self) { try importer.importMessages(at: mailbox.maildir) }
        #expect(error.description.contains("zzz-unreadable"))
        #expect(try ledger.messageCount() == 0)
        // The ledger's writer is free: another connection can write (a held writer makes it fail after the busy
        // timeout, rather than hang like this connection would).
        try Ledger(path: directory.path + "/ledger.sqlite").recordSyncRun(
            account: "import", folder: nil, startedAt: Date(), finishedAt: Date(), newMessages: 0, error: "\(error)")

        #expect(unlink(broken) == 0)
        let summaries = try importer.importMessages(at: mailbox.maildir)
        #expect(summaries.reduce(0) { $0 + $1.newMessages } == mailbox.truth.distinct_messages)
        #expect(try ledger.messageCount() == mailbox.truth.distinct_messages)
    }

    @Test func importOfMissingPathIsAClearError() {
        let ledger = try? Ledger.inMemory()
        #expect(throws: MailFileReader.ReadError.self) {
            _ = try ImportEngine(ledger: try #require(ledger), outgoingFolders: []).importMessages(at: "/nonexistent/x")
        }
    }
}

/// Kills the server's IMAP sessions the first time it fires.
final class KillOnce: @unchecked Sendable {
    // @unchecked: `count` is only touched under `lock`; fired from the sync thread.
    private let lock = NSLock()
    private let server: DovecotServer
    private(set) var count = 0

    init(server: DovecotServer) { self.server = server }

    func fire() {
        lock.lock()
        defer { lock.unlock() }
        guard count == 0 else { return }
        count = server.killIMAPSessions()
    }
}
