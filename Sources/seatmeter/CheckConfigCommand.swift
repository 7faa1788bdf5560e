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
        var problems: [String] = []
        var warnings: [String] = []
        for (index, account) in configuration.accounts.enumerated() {
            for secret in account.authentication.secrets {
                SecretCheck.check(secret.source, keyPath: "accounts[\(index)]", problems: &problems, warnings: &warnings)
            }
            if let ca = account.caFile, !FileManager.default.isReadableFile(atPath: ca) {
                problems.append("accounts[\(index)].ca_file: cannot read \(ca)")
            }
        }
        for secret in configuration.smtp?.authentication?.secrets ?? [] {
            SecretCheck.check(secret.source, keyPath: "smtp", problems: &problems, warnings: &warnings)
        }
        for file in [configuration.organization.agentsFile, configuration.organization.aliasesFile].compactMap({ $0 })
        where !FileManager.default.isReadableFile(atPath: file) {
            problems.append("organization: cannot read \(file)")
        }
        if !configuration.accounts.isEmpty {
            // Everything `seatmeter run` checks: the schedule, the time zone, poll intervals, the rules.
            do {
                _ = try DaemonSettings(configuration: configuration)
            } catch {
                problems.append("\(error)")
            }
        }
        for warning in warnings { print("warning: \(warning)") }
        for problem in problems { print("error: \(problem)") }
        if !problems.isEmpty { throw ExitCode(1) }
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

enum SecretCheck {
    static func check(_ secret: SecretSource, keyPath: String, problems: inout [String], warnings: inout [String]) {
        do {
            _ = try secret.read()
        } catch {
            problems.append("\(keyPath): \(error.message)")
            return
        }
        if case .file(let path) = secret,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0
        {
            warnings.append("\(keyPath): \(path) is readable by group or others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
    }
}
