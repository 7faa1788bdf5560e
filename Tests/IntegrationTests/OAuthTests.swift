import Foundation
import Glibc
import Logging
import SeatMeterCore
import SeatMeterCurl
import SeatMeterDaemon
import SeatMeterStore
import TestSupport
import Testing

/// OAuth2 logins against real servers: `scripts/oauth_server.py` (token endpoint over HTTPS, introspection) and
/// Dovecot's oauth2 passdb (XOAUTH2, OAUTHBEARER), the aiosmtpd sink taking bearer tokens.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct OAuthTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// An OAuth server, a Dovecot that asks it about tokens, and a directory with the client secret.
    struct Setup {
        let oauth: OAuthServer
        let server: DovecotServer
        let directory: TemporaryDirectory
        var refreshTokenPath: String { directory.path + "/state/refresh-token" }

        init(oauth options: OAuthServer.Options = OAuthServer.Options()) throws {
            oauth = try OAuthServer(options: options)
            server = try DovecotServer(options: .init(tls: true, oauth2IntrospectionURL: oauth.introspectionURL))
            directory = try TemporaryDirectory(prefix: "seatmeter-oauth-config")
            try oauth.options.clientSecret.write(
                toFile: directory.path + "/client-secret", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: directory.path + "/state", withIntermediateDirectories: true)
            if let refresh = options.refreshToken {
                try (refresh + "\n").write(toFile: refreshTokenPath, atomically: true, encoding: .utf8)
            }
        }

        /// The account keys for `grant`.
        func accountYAML(grant: String = "client_credentials", mechanism: String = "xoauth2") -> String {
            """
                url: \(server.tlsURL ?? "")
                ca_file: \(server.caFile ?? "")
                username: \(server.user)
                auth: oauth2
                token_url: \(oauth.tokenURL)
                token_ca_file: \(oauth.caFile)
                client_id: \(oauth.options.clientID)
                client_secret_file: client-secret
                scope: https://outlook.office365.com/.default
                grant: \(grant)
                mechanism: \(mechanism)
                timeout: 10s
            \(grant == "refresh_token" ? "    refresh_token_file: state/refresh-token" : "")
            """
        }

        /// The `smtp:` section for `sink` with OAuth2 client credentials (indented as a top-level key).
        func smtpYAML(_ sink: SMTPSink, scope: String? = nil) -> String {
            """
            smtp:
              url: \(sink.url)
              allow_insecure: true
              username: reporter@example.com
              auth: oauth2
              token_url: \(oauth.tokenURL)
              token_ca_file: \(oauth.caFile)
              client_id: \(oauth.options.clientID)
              client_secret_file: client-secret
            \(scope.map { "  scope: \($0)" } ?? "")
            """
        }

        func configuration(grant: String = "client_credentials", mechanism: String = "xoauth2") throws
            -> SeatMeterConfiguration
        {
            let yaml = """
                ledger: ledger.sqlite
                accounts:
                  - name: helpdesk
                \(accountYAML(grant: grant, mechanism: mechanism))
                """
            return try SeatMeterConfiguration.parse(
                yaml: yaml, file: directory.path + "/seatmeter.yaml", environment: [:])
        }
    }

    @Test("client_credentials: IMAP login with each SASL mechanism", arguments: ["xoauth2", "oauthbearer"])
    func clientCredentialsLogin(mechanism: String) throws {
        let setup = try Setup()
        let account = try #require(try setup.configuration(mechanism: mechanism).accounts.first)
        let session = try account.openSession(alarms: nil, logger: Self.quiet)
        let status = try session.examine("INBOX")
        session.logout()
        #expect(status.exists == 0)
        let stats = try setup.oauth.stats()
        #expect(stats.grants == ["client_credentials": 1])
        #expect(stats.activeIntrospections >= 1, "Dovecot never asked about the token: \(setup.server.log)")
        #expect(setup.server.log.contains("method=\(mechanism.uppercased())"), "\(setup.server.log)")
    }

    @Test("refresh_token: the rotated token is saved (0600) before use and serves the next process")
    func refreshTokenRotation() throws {
        var options = OAuthServer.Options()
        options.rotate = true
        let setup = try Setup(oauth: options)
        let configuration = try setup.configuration(grant: "refresh_token", mechanism: "oauthbearer")
        let account = try #require(configuration.accounts.first)
        let session = try account.openSession(alarms: nil, logger: Self.quiet)
        session.logout()

        let stats = try setup.oauth.stats()
        #expect(stats.grants == ["refresh_token": 1])
        let rotated = try #require(stats.refreshToken)
        #expect(rotated != options.refreshToken)
        let saved = try String(contentsOfFile: setup.refreshTokenPath, encoding: .utf8)
        #expect(saved == rotated + "\n")
        let mode = try FileManager.default.attributesOfItem(atPath: setup.refreshTokenPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: setup.directory.path + "/state")
        #expect(leftovers == ["refresh-token"])

        // A new process (a fresh provider) refreshes with the saved token; the initial one is dead by now.
        guard case .oauth2(let oauth) = account.authentication else { throw TestServerError("not oauth2") }
        let restarted = TokenProvider(configuration: oauth)
        let endpoint = IMAPEndpoint(
            url: setup.server.tlsURL ?? "", username: setup.server.user, credential: try restarted.credential(),
            caFile: setup.server.caFile)
        try IMAPSession(endpoint: endpoint).logout()
        #expect(try setup.oauth.stats().grants == ["refresh_token": 2])
        #expect(try String(contentsOfFile: setup.refreshTokenPath, encoding: .utf8) == (try setup.oauth.stats().refreshToken ?? "") + "\n")
    }

    @Test("a token the server rejects is replaced once; the cached one is reused until then")
    func rejectedTokenIsReplacedOnce() throws {
        let setup = try Setup()
        let account = try #require(try setup.configuration().accounts.first)
        try account.openSession(alarms: nil, logger: Self.quiet).logout()
        try account.openSession(alarms: nil, logger: Self.quiet).logout()
        #expect(try setup.oauth.stats().tokenRequests == 1, "the cached token was not reused")

        try setup.oauth.control(revokeIssued: true)
        try account.openSession(alarms: nil, logger: Self.quiet).logout()
        let stats = try setup.oauth.stats()
        #expect(stats.tokenRequests == 2)
        #expect(stats.accessTokens.count == 2)
    }

    @Test("token endpoint failures are classified; nothing secret in the messages")
    func tokenFailuresAreClassified() throws {
        let oauth = try OAuthServer()
        func request(secret: String? = nil, caFile: String? = oauth.caFile, url: String? = nil) -> OAuthTokenRequest {
            OAuthTokenRequest(
                tokenURL: url ?? oauth.tokenURL, clientID: oauth.options.clientID,
                clientSecret: secret ?? oauth.options.clientSecret, scope: "s", grant: .clientCredentials,
                caFile: caFile, timeout: .seconds(10))
        }
        let token = try OAuthTokenClient.fetch(request())
        #expect(token.expiresIn == .seconds(3600))
        #expect(!"\(token)".contains(token.accessToken))

        var error = try #require(throws: OAuthError.self) { try OAuthTokenClient.fetch(request(secret: "wrong")) }
        #expect(error.kind == .permanent && error.code == "invalid_client")
        #expect(!error.description.contains("wrong"))

        error = try #require(throws: OAuthError.self) { try OAuthTokenClient.fetch(request(caFile: nil)) }
        #expect(error.kind == .transient && error.description.contains("token_ca_file"))

        error = try #require(throws: OAuthError.self) {
            try OAuthTokenClient.fetch(request(url: "http://login.example.com/token"))
        }
        #expect(error.kind == .configuration)

        try oauth.control(status: 503, retryAfter: 7)
        error = try #require(throws: OAuthError.self) { try OAuthTokenClient.fetch(request()) }
        #expect(error.kind == .transient && error.retryAfter == .seconds(7))

        try oauth.control(status: 429)
        error = try #require(throws: OAuthError.self) { try OAuthTokenClient.fetch(request()) }
        #expect(error.kind == .transient && error.retryAfter == nil)

        try oauth.control(fail: "invalid_grant")
        error = try #require(throws: OAuthError.self) { try OAuthTokenClient.fetch(request()) }
        #expect(error.kind == .permanent && error.code == "invalid_grant")
        #expect(!error.description.contains(oauth.options.clientSecret))
    }

    @Test("SMTP with XOAUTH2: the report server takes the bearer token")
    func smtpXOAUTH2() throws {
        let setup = try Setup()
        let sink = try SMTPSink(options: .init(user: "reporter@example.com", introspectionURL: setup.oauth.introspectionURL))
        let yaml = setup.smtpYAML(sink)
        let configuration = try SeatMeterConfiguration.parse(
            yaml: yaml, file: setup.directory.path + "/seatmeter.yaml", environment: [:])
        let smtp = try #require(configuration.smtp)
        let message = Array("From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\n\r\nhello\r\n".utf8)
        let result = try smtp.withEndpoint(alarms: nil, logger: Self.quiet) { endpoint in
            try SMTPSender(endpoint: endpoint).send(from: "a@example.com", recipients: ["b@example.com"], message: message)
        }
        #expect(result.accepted.count == 1)
        #expect(try sink.messages().map(\.envelope.authLogin) == ["reporter@example.com"])

        let lines = ConnectionCheck(configuration: configuration, logger: Self.quiet).run()
        #expect(lines.map(\.ok) == [true])
        #expect(lines.first?.text.contains("auth oauth2 (xoauth2, client_credentials)") == true)
        #expect(lines.first?.text.contains("token obtained and accepted") == true)
    }

    @Test("access_token_file: read before every session; check-config --connect says what worked")
    func accessTokenFileAndCheck() throws {
        let setup = try Setup()
        let token = try OAuthTokenClient.fetch(OAuthTokenRequest(
            tokenURL: setup.oauth.tokenURL, clientID: setup.oauth.options.clientID,
            clientSecret: setup.oauth.options.clientSecret, scope: nil, grant: .clientCredentials,
            caFile: setup.oauth.caFile))
        try (token.accessToken + "\n").write(
            toFile: setup.directory.path + "/access-token", atomically: true, encoding: .utf8)
        let yaml = """
            accounts:
              - name: external
                url: \(setup.server.tlsURL ?? "")
                ca_file: \(setup.server.caFile ?? "")
                username: \(setup.server.user)
                auth: oauth2
                access_token_file: access-token
              - name: refused
            \(setup.accountYAML().replacingOccurrences(of: "client-secret", with: "missing-secret"))
            """
        let configuration = try SeatMeterConfiguration.parse(
            yaml: yaml, file: setup.directory.path + "/seatmeter.yaml", environment: [:])
        var lines = ConnectionCheck(configuration: configuration, logger: Self.quiet).run()
        #expect(lines.map(\.ok) == [true, false])
        #expect(lines[0].text.contains("auth oauth2 (xoauth2, access_token_file)"))
        #expect(lines[0].text.contains("token obtained and accepted; logged in"))
        #expect(lines[1].text.contains("no OAuth2 access token") && lines[1].text.contains("missing-secret"))

        try "at-not-a-live-token\n".write(
            toFile: setup.directory.path + "/access-token", atomically: true, encoding: .utf8)
        lines = ConnectionCheck(configuration: configuration, logger: Self.quiet).run()
        #expect(lines[0].ok == false)
        #expect(lines[0].text.contains("rejected"))
        #expect(!lines[0].text.contains("at-not-a-live-token"))
    }

    @Test("transient token failures raise no alarm; invalid_client opens one incident per login, SMTP included")
    func alarmsOnlyForPermanentRefusals() throws {
        let setup = try Setup()
        let sink = try SMTPSink(options: .init(user: "reporter@example.com", introspectionURL: setup.oauth.introspectionURL))
        let yaml = """
            ledger: ledger.sqlite
            accounts:
              - name: helpdesk
            \(setup.accountYAML())
            report: { from: seatmeter@example.com, recipients: [admins@example.com] }
            \(setup.smtpYAML(sink, scope: "smtp"))
            organization: { internal_domains: [example.com] }
            """
        let configuration = try SeatMeterConfiguration.parse(
            yaml: yaml, file: setup.directory.path + "/seatmeter.yaml", environment: [:])
        let ledger = try Ledger(path: configuration.ledgerPath)
        var engine = SyncEngine(configuration: configuration, ledger: ledger, logger: Self.quiet)
        engine.backoff = .milliseconds(10)
        let account = try #require(configuration.accounts.first)

        try setup.oauth.control(status: 503)
        #expect(engine.syncAccount(account).error?.contains("HTTP 503") == true)
        #expect(try ledger.authAlarms().isEmpty)
        #expect(try setup.oauth.stats().tokenRequests == 3, "a transient failure is retried within the cycle")

        // The alarm mail cannot go out either (the SMTP token is refused too): it stays pending.
        try setup.oauth.control(fail: "invalid_client")
        #expect(engine.syncAccount(account).error?.contains("invalid_client") == true)
        #expect(engine.syncAccount(account).error?.contains("invalid_client") == true)
        var alarms = try ledger.authAlarms()
        #expect(alarms.map(\.subject) == ["account:helpdesk"])
        #expect(alarms.first?.needsAlert == true)
        #expect(try sink.messages().isEmpty)

        let delivery = ReportDelivery(configuration: configuration, logger: Self.quiet)
        #expect(throws: ReportDeliveryError.self) { try delivery.deliverIfDue(asOf: Date()) }
        #expect(try ledger.authAlarms().map(\.subject) == ["account:helpdesk", "smtp"])

        // Tokens again. The account's incident closes before its alert could go out: no mail for it. The SMTP
        // incident's alert goes out as soon as SMTP works (its token still unknown to be good), then the report, then
        // the SMTP recovery: each once.
        try setup.oauth.control()
        #expect(engine.syncAccount(account).succeeded)
        guard case .delivered = try delivery.deliverIfDue(asOf: Date()) else {
            Issue.record("the report was not delivered")
            return
        }
        alarms = try ledger.authAlarms()
        #expect(alarms.allSatisfy { !$0.isOpen && !$0.needsAlert && !$0.needsRecovery }, "\(alarms)")
        let subjects = try sink.messages().map { message in
            String(decoding: message.eml, as: UTF8.self).components(separatedBy: "\r\n")
                .first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst("Subject: ".count)) } ?? ""
        }
        #expect(subjects.filter { $0.hasPrefix("SeatMeter alarm: the SMTP server") }.count == 1, "\(subjects)")
        #expect(subjects.filter { $0.hasPrefix("SeatMeter recovered: the SMTP server") }.count == 1, "\(subjects)")
        #expect(!subjects.contains { $0.contains("account helpdesk") }, "\(subjects)")
        #expect(subjects.count == 3, "\(subjects)")
    }

    // MARK: - The daemon

    static func waitFor(_ timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
        try await DaemonTests.waitFor(timeout, condition)
    }

    /// Messages in the sink whose raw text contains `marker` (a subject).
    static func mails(_ sink: SMTPSink, containing marker: String) -> Int {
        ((try? sink.messages()) ?? []).filter { String(decoding: $0.eml, as: UTF8.self).contains(marker) }.count
    }

    @Test("seatmeter run: refreshes mid-run, persists rotation across a restart, alarms once, recovers once")
    func daemonRefreshRotationAlarmAndRecovery() async throws {
        var options = OAuthServer.Options()
        options.rotate = true
        options.lifetime = 3
        let setup = try Setup(oauth: options)
        let mailbox = try GeneratedMailbox(messages: 120, seed: 31)
        let inbox = try mailbox.messages(folder: "INBOX")
        try setup.server.deliver(Array(inbox.prefix(inbox.count / 2)), folder: "INBOX")
        try setup.server.deliver(try mailbox.messages(folder: "Sent"), folder: "Sent")
        let sink = try SMTPSink()
        let configPath = setup.directory.path + "/seatmeter.yaml"
        let ledgerPath = setup.directory.path + "/ledger.sqlite"
        try """
            ledger: ledger.sqlite
            log_level: debug
            accounts:
              - name: helpdesk
            \(setup.accountYAML(grant: "refresh_token"))
                poll_interval: 1s
                folders: { incoming: [INBOX], outgoing: [Sent] }
            report:
              schedule: "mon 07:00"
              timezone: Europe/Berlin
              from: seatmeter@example.com
              recipients: [admins@example.com]
            smtp: { url: "\(sink.url)", allow_insecure: true }
            \(mailbox.organizationYAML)
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let seatmeter = try PackageRoot.product("seatmeter")
        func start() throws -> ManagedProcess {
            try ManagedProcess(
                executable: "/usr/bin/env",
                arguments: ["JOURNAL_STREAM=8:1", seatmeter, "run", "--config", configPath],
                logPath: setup.directory.path + "/daemon-\(UUID().uuidString.prefix(6)).log")
        }
        func messageCount() -> Int { (try? Ledger(readOnlyPath: ledgerPath).messageCount()) ?? 0 }
        var logs = ""

        // 1. Runs on refresh tokens: the access token expires every 3 s and is refreshed (and rotated) mid-run.
        var daemon = try start()
        #expect(try await Self.waitFor(.seconds(30)) { messageCount() > 0 }, "\(daemon.log)")
        try await Task.sleep(for: .seconds(4))
        try setup.server.deliver(Array(inbox.dropFirst(inbox.count / 2)), folder: "INBOX")
        let complete = try await Self.waitFor(.seconds(20)) { messageCount() == mailbox.truth.distinct_messages }
        #expect(complete, "ledger has \(messageCount()) of \(mailbox.truth.distinct_messages)\n\(daemon.log)")
        var stats = try setup.oauth.stats()
        #expect((stats.grants["refresh_token"] ?? 0) >= 2, "no refresh mid-run: \(stats.grants)")
        #expect(try String(contentsOfFile: setup.refreshTokenPath, encoding: .utf8) == (stats.refreshToken ?? "") + "\n")

        // 2. The grant is revoked: one alarm mail, however many cycles fail, also across a restart.
        try setup.oauth.control(fail: "invalid_grant")
        #expect(
            try await Self.waitFor(.seconds(20)) { Self.mails(sink, containing: "SeatMeter alarm:") == 1 },
            "no alarm mail:\n\(daemon.log)")
        try await Task.sleep(for: .seconds(3))
        daemon.stop()
        logs += daemon.log
        #expect(logs.contains("<3>error OAuth2 token refused: authentication alarm"), "\(logs)")
        let report = try TestTools.run(seatmeter, ["report", "--config", configPath, "--format", "json"], check: false)
        #expect(report.standardOutput.contains("Authentication alarm since"), "\(report.standardOutput)")
        #expect(report.standardOutput.contains("invalid_grant"))
        daemon = try start()
        try await Task.sleep(for: .seconds(4))
        #expect(Self.mails(sink, containing: "SeatMeter alarm:") == 1)
        #expect(Self.mails(sink, containing: "SeatMeter recovered:") == 0)

        // 3. Renewed: the refresh token saved before the restart works, one recovery mail goes out.
        try setup.oauth.control()
        #expect(
            try await Self.waitFor(.seconds(20)) { Self.mails(sink, containing: "SeatMeter recovered:") == 1 },
            "no recovery mail:\n\(daemon.log)")
        try await Task.sleep(for: .seconds(3))
        daemon.stop()
        logs += daemon.log
        #expect(Self.mails(sink, containing: "SeatMeter alarm:") == 1)
        #expect(Self.mails(sink, containing: "SeatMeter recovered:") == 1)
        let alarm = try #require(
            try sink.messages().first { String(decoding: $0.eml, as: UTF8.self).contains("SeatMeter alarm:") })
        #expect(alarm.envelope.rcptTos == ["admins@example.com"])
        let report2 = try TestTools.run(seatmeter, ["report", "--config", configPath, "--format", "text"], check: false)
        #expect(!report2.standardOutput.contains("Authentication alarm"), "\(report2.standardOutput)")

        // No token or secret in the logs or the ledger.
        stats = try setup.oauth.stats()
        #expect(stats.accessTokens.count >= 3)
        let ledgerBytes = String(decoding: try Data(contentsOf: URL(fileURLWithPath: ledgerPath)), as: UTF8.self)
            + String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: ledgerPath + "-wal"))) ?? Data(), as: UTF8.self)
        let secrets = stats.accessTokens + [options.refreshToken ?? "", stats.refreshToken ?? "", options.clientSecret]
        for secret in secrets where !secret.isEmpty {
            #expect(!logs.contains(secret), "a token or secret is in the daemon's log")
            #expect(!ledgerBytes.contains(secret), "a token or secret is in the ledger")
        }
    }
}
