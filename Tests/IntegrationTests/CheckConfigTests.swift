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
        let directory = try TemporaryDirectory(prefix: "seatmeter-check")
        try "pw".write(toFile: directory.path + "/pw", atomically: true, encoding: .utf8)
        chmod(directory.path + "/pw", 0o644)
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
}
