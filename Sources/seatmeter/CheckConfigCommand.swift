import ArgumentParser
import Foundation
import SeatMeterDaemon

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file: unknown keys, wrong types, missing files and secrets.",
        discussion: "With --connect, also log in to every IMAP account and the SMTP server (read-only)."
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Log in to each IMAP account (examining its folders) and the SMTP server.")
    var connect = false

    func run() throws {
        let (configuration, _) = try options.load()
        let audit = ConfigurationAudit(configuration: configuration)
        for warning in audit.warnings { print("warning: \(warning.keyPath): \(warning.message)") }
        for problem in audit.errors { print("error: \(problem.keyPath): \(problem.message)") }
        if !audit.errors.isEmpty { throw ExitCode(1) }
        if connect {
            var failed = false
            for line in ConnectionCheck(configuration: configuration).run() {
                print((line.ok ? "ok: " : "error: ") + line.text)
                failed = failed || !line.ok
            }
            if failed { throw ExitCode(1) }
        }
        print("\(configuration.file): OK (\(configuration.accounts.count) account(s), ledger \(configuration.ledgerPath))")
    }
}
