import Foundation
import TestSupport
import Testing

/// `seatmeter check-config --connect` against a real Dovecot (STARTTLS) and SMTP sink (STARTTLS + AUTH).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CheckConfigTests {
    func run(_ yaml: String, in directory: TemporaryDirectory, connect: Bool = true) throws -> TestTools.Output {
        try yaml.write(toFile: directory.path + "/seatmeter.yaml", atomically: true, encoding: .utf8)
        var arguments = ["check-config", "--config", directory.path + "/seatmeter.yaml"]
        if connect { arguments.append("--connect") }
        return try TestTools.run(try PackageRoot.product("seatmeter"), arguments, check: false)
    }

    /// A fresh directory holding a secret file `pw` with `mode`.
    func directory(secretMode mode: mode_t) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "seatmeter-check")
        try "pw".write(toFile: directory.path + "/pw", atomically: true, encoding: .utf8)
        chmod(directory.path + "/pw", mode)
        return directory
    }

    @Test func connectLogsInToEveryServerAndNamesWhatFails() throws {
        let server = try DovecotServer()
        let sink = try SMTPSink(options: .init(tls: true, user: "seatmeter", password: "smtp secret"))
        let directory = try TemporaryDirectory(prefix: "seatmeter-check")
        try server.password.write(toFile: directory.path + "/imap-password", atomically: true, encoding: .utf8)
        try "smtp secret".write(toFile: directory.path + "/smtp-password", atomically: true, encoding: .utf8)
        try "wrong".write(toFile: directory.path + "/wrong-password", atomically: true, encoding: .utf8)
        chmod(directory.path + "/imap-password", 0o600)
        chmod(directory.path + "/smtp-password", 0o600)
        chmod(directory.path + "/wrong-password", 0o600)
        let ca = try #require(server.caFile)
        let smtpCA = try #require(sink.caFile)
        func yaml(folders: String = "[INBOX]", smtpPassword: String = "smtp-password") -> String {
            """
            accounts:
              - name: helpdesk
                url: \(server.plainURL)
                username: \(server.user)
                password_file: imap-password
                ca_file: \(ca)
                folders: { incoming: \(folders) }
            organization: { internal_domains: [example.com] }
            report: { from: seatmeter@example.com, recipients: [admins@example.com] }
            smtp:
              url: "\(sink.localhostURL)"
              username: seatmeter
              password_file: \(smtpPassword)
              ca_file: \(smtpCA)
            """
        }

        let good = try run(yaml(), in: directory)
        #expect(good.status == 0, "\(good.standardOutput)\(good.standardError)")
        #expect(good.standardOutput.contains("ok: IMAP account helpdesk"), "\(good.standardOutput)")
        #expect(good.standardOutput.contains("INBOX: 0 messages"), "\(good.standardOutput)")
        #expect(good.standardOutput.contains("ok: SMTP server"), "\(good.standardOutput)")
        #expect(try sink.messages().isEmpty, "a connection check must not send mail")

        let missingFolder = try run(yaml(folders: "[INBOX, Archive]"), in: directory)
        #expect(missingFolder.status == 1)
        #expect(missingFolder.standardOutput.contains("folder Archive"), "\(missingFolder.standardOutput)")

        let badSMTP = try run(yaml(smtpPassword: "wrong-password"), in: directory)
        #expect(badSMTP.status == 1)
        #expect(badSMTP.standardOutput.contains("error: SMTP server"), "\(badSMTP.standardOutput)")
        #expect(badSMTP.standardOutput.contains("rejected the user name or password"), "\(badSMTP.standardOutput)")
        #expect(!badSMTP.standardOutput.contains("wrong"), "the password must not be printed")
    }

    @Test func withoutConnectTheScheduleAndTimeZoneAreValidated() throws {
        let directory = try directory(secretMode: 0o644)
        let yaml = """
            accounts:
              - { name: a, url: "imaps://mail.example.com", username: u, password_file: pw }
            organization: { internal_domains: [example.com] }
            report: { schedule: "someday 07:00" }
            """
        let result = try run(yaml, in: directory, connect: false)
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("report.schedule"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("warning: accounts[0]"), "group/world-readable secret: \(result.standardOutput)")
    }

    /// `password_file: imap-password` is a systemd credential: from a shell it is looked for beside the
    /// configuration, and the error says how to point check-config at the credentials directory.
    @Test func aMissingRelativeSecretNamesCredentialsDirectory() throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-check")
        let credentials = directory.path + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try "pw".write(toFile: credentials + "/imap-password", atomically: true, encoding: .utf8)
        chmod(credentials + "/imap-password", 0o600)
        let path = directory.path + "/seatmeter.yaml"
        try """
        accounts:
          - { name: a, url: "imaps://mail.example.com", username: u, password_file: imap-password }
        organization: { internal_domains: [example.com] }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let seatmeter = try PackageRoot.product("seatmeter")

        let shell = try TestTools.run(
            "/usr/bin/env", ["-u", "CREDENTIALS_DIRECTORY", seatmeter, "check-config", "--config", path], check: false)
        #expect(shell.status == 1)
        let line = shell.standardOutput.split(separator: "\n").first { $0.hasPrefix("error: accounts[0].password_file") }
        #expect(line?.contains("$CREDENTIALS_DIRECTORY") == true, "\(shell.standardOutput)")
        #expect(line?.contains(directory.path + "/imap-password") == true, "\(shell.standardOutput)")

        let documented = try TestTools.run(
            "/usr/bin/env", ["CREDENTIALS_DIRECTORY=\(credentials)", seatmeter, "check-config", "--config", path],
            check: false)
        #expect(documented.status == 0, "\(documented.standardOutput)")

        // An absolute name that is missing is just missing: no credentials hint.
        try """
        accounts:
          - { name: a, url: "imaps://mail.example.com", username: u, password_file: \(directory.path)/nope }
        organization: { internal_domains: [example.com] }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let absolute = try TestTools.run(
            "/usr/bin/env", ["-u", "CREDENTIALS_DIRECTORY", seatmeter, "check-config", "--config", path], check: false)
        #expect(absolute.status == 1)
        #expect(absolute.standardOutput.contains("error: accounts[0].password_file"), "\(absolute.standardOutput)")
        #expect(!absolute.standardOutput.contains("CREDENTIALS_DIRECTORY"), "\(absolute.standardOutput)")
    }

    /// Every problem is reported, each with its full key, not only the first.
    @Test func everyProblemIsReportedWithItsKey() throws {
        let directory = try directory(secretMode: 0o600)
        let yaml = """
            accounts:
              - { name: a, url: "imaps://mail.example.com", username: u, password_file: pw }
              - { name: b, url: "imaps://mail.example.com", username: u, password_env: SEATMETER_TEST_UNSET_PW }
            organization:
              internal_domains: [example.com]
              agents: { file: missing-agents.csv }
              aliases_file: missing-aliases.txt
            report: { schedule: "someday 07:00", timezone: Europe/Berlin }
            smtp: { url: "smtp://127.0.0.1:25", allow_insecure: true, username: u, password_file: missing-smtp }
            """
        let result = try run(yaml, in: directory, connect: false)
        #expect(result.status == 1)
        let errors = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        for key in [
            "accounts[1].password_env", "smtp.password_file", "organization.agents.file", "organization.aliases_file",
            "report.schedule",
        ] {
            #expect(errors.contains { $0.hasPrefix("error: \(key): ") }, "\(key) missing in:\n\(result.standardOutput)")
        }
        #expect(errors.count == 5, "each problem once:\n\(result.standardOutput)")
        #expect(errors.contains { $0.contains("missing-agents.csv") })
    }
}
