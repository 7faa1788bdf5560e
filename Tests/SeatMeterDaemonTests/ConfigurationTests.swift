import Foundation
import Testing

@testable import SeatMeterDaemon

@Suite struct ConfigurationTests {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return "."
    }()

    func parse(_ yaml: String, env: [String: String] = [:]) throws -> SeatMeterConfiguration {
        try SeatMeterConfiguration.parse(yaml: yaml, file: "/etc/seatmeter/seatmeter.yaml", environment: env)
    }

    func failure(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try SeatMeterConfiguration.parse(yaml: yaml, file: "/etc/seatmeter/seatmeter.yaml", environment: [:])
            return nil
        } catch {
            return error
        }
    }

    @Test func exampleConfigurationLoads() throws {
        let config = try SeatMeterConfiguration.load(path: Self.packageRoot + "/config/seatmeter.example.yaml")
        #expect(config.accounts.count == 1)
        let account = try #require(config.accounts.first)
        #expect(account.name == "helpdesk")
        #expect(account.incomingFolders == ["INBOX"])
        #expect(account.outgoingFolders == ["Sent"])
        #expect(account.pollInterval == .seconds(300))
        #expect(account.password == .file(Self.packageRoot + "/config/imap-password"))
        #expect(config.organization.helpdeskAddresses == ["helpdesk@example.com", "support@example.com"])
        #expect(config.organization.onBehalfThreshold == 0.10)
        #expect(config.licensing.window == .seconds(90 * 86_400))
        #expect(config.licensing.teamPricePerUser == nil)
        #expect(config.report.timezone == "Europe/Berlin")
        #expect(config.smtp?.url == "smtp://mail.example.com:587")
    }

    @Test func minimalConfigurationHasDefaults() throws {
        let config = try parse("accounts: []\n")
        #expect(config.ledgerPath == "/etc/seatmeter/seatmeter.sqlite")
        #expect(config.organization.foldLocalPartCase)
        #expect(!config.organization.foldPlusTags)
        #expect(config.licensing.billing == .monthly)
        #expect(config.report.schedule == "mon 07:00")
        #expect(config.smtp == nil)
    }

    @Test func stateDirectoryIsTheDefaultLedgerLocation() throws {
        let config = try parse("log_level: debug\n", env: ["STATE_DIRECTORY": "/var/lib/seatmeter"])
        #expect(config.ledgerPath == "/var/lib/seatmeter/seatmeter.sqlite")
    }

    @Test func relativeSecretsResolveAgainstCredentialsDirectory() throws {
        let yaml = """
            accounts:
              - { name: a, url: "imaps://mail.example.com", username: u, password_file: imap-password }
            """
        let plain = try parse(yaml)
        #expect(plain.accounts[0].password == .file("/etc/seatmeter/imap-password"))
        let systemd = try parse(yaml, env: ["CREDENTIALS_DIRECTORY": "/run/credentials/seatmeter.service"])
        #expect(systemd.accounts[0].password == .file("/run/credentials/seatmeter.service/imap-password"))
    }

    @Test(arguments: [
        ("colour: blue\n", "colour", "unknown key"),
        ("accounts:\n  - { name: a, url: \"imaps://h\", username: u, password_env: P, folderz: {} }\n", "accounts[0].folderz", "unknown key"),
        ("accounts:\n  - { name: a, url: \"imaps://h\", username: u, password: secret }\n", "accounts[0].password", "never written"),
        ("accounts:\n  - { name: a, url: \"imaps://h\", username: u }\n", "accounts[0]", "password_file or password_env"),
        ("accounts:\n  - { name: a, url: \"http://h\", username: u, password_env: P }\n", "accounts[0].url", "imaps://"),
        ("accounts:\n  - { name: a, url: \"imap://mail.example.com\", username: u, password_env: P, allow_insecure: true }\n", "accounts[0].allow_insecure", "loopback"),
        ("accounts:\n  - { name: a, url: \"imap://h\", username: u, password_env: P, allow_insecure: maybe }\n", "accounts[0].allow_insecure", "true or false"),
        ("accounts:\n  - { name: a, url: \"imap://h\", username: u, password_env: P, poll_interval: soon }\n", "accounts[0].poll_interval", "duration"),
        ("accounts:\n  - { name: a, url: \"imaps://h\", username: u, password_env: P }\n  - { name: a, url: \"imaps://h\", username: u, password_env: P }\n", "accounts[1].name", "twice"),
        ("organization: { internal_domains: { a: b } }\n", "organization.internal_domains", "list of strings"),
        ("organization: { on_behalf_threshold: 150% }\n", "organization.on_behalf_threshold", "share"),
        ("organization: { agents: { adresses: [] } }\n", "organization.agents.adresses", "unknown key"),
        ("organization: { ownership_rules: [ { subject: \"([\" } ] }\n", "organization.ownership_rules[0].subject", "regular expression"),
        ("licensing: { billing: weekly }\n", "licensing.billing", "monthly or annual"),
        ("licensing: { team_price_per_user: cheap }\n", "licensing.team_price_per_user", "number"),
        ("report: { timezone: Mars/Olympus }\n", "report.timezone", "unknown time zone"),
        ("report: { formats: [pdf] }\n", "report.formats[0]", "unknown format"),
        ("smtp: { url: \"smtp://mail.example.com\", allow_insecure: true }\n", "smtp.allow_insecure", "loopback"),
        ("log_level: loud\n", "log_level", "expected one of"),
        ("- just\n- a list\n", "", "mapping"),
        ("accounts: [\n", "", "not valid YAML"),
    ])
    func badConfigurationNamesTheKey(yaml: String, keyPath: String, message: String) throws {
        let error = try #require(failure(yaml))
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func unknownKeyErrorGivesTheLine() throws {
        let error = try #require(failure("log_level: info\nledger: x.sqlite\ncolour: blue\n"))
        #expect(error.line == 3)
        #expect(error.description == "configuration error at colour (line 3): unknown key")
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: ConfigurationError.self) {
            try SeatMeterConfiguration.load(path: "/nonexistent/seatmeter.yaml")
        }
    }

    @Test(arguments: [("90s", 90), ("5m", 300), ("12h", 43_200), ("90d", 7_776_000), ("2w", 1_209_600), ("30", 30)])
    func durations(text: String, seconds: Int64) {
        #expect(ConfigDuration.parse(text) == .seconds(seconds))
    }

    @Test func badDurations() {
        for text in ["", "m", "5x", "-5m", "abc"] { #expect(ConfigDuration.parse(text) == nil, "\(text)") }
    }

    @Test func loopbackHosts() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] { #expect(Loopback.isLoopback(host: host)) }
        for host in ["10.0.0.1", "mail.example.com", "127.0.0", "128.0.0.1", "localhost.example.com"] {
            #expect(!Loopback.isLoopback(host: host))
        }
    }

    @Test func secretsAreReadWithoutTrailingNewline() throws {
        let path = NSTemporaryDirectory() + "seatmeter-secret-\(UUID().uuidString)"
        try "s3cret\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SecretSource.file(path).read() == "s3cret")
        #expect(try SecretSource.environment("X_PW").read(environment: ["X_PW": "pw"]) == "pw")
        #expect(throws: ConfigurationError.self) { try SecretSource.environment("X_PW").read(environment: [:]) }
    }
}
