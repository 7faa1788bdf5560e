import Foundation
import TestSupport
import Testing

/// `seatmeter report` on the built binary: it reads the ledger without creating or changing it.
@Suite(.timeLimit(.minutes(2)))
struct ReportCommandTests {
    @Test func versionIsPrinted() throws {
        let output = try TestTools.run(try PackageRoot.product("seatmeter"), ["--version"], check: false)
        #expect(output.status == 0)
        #expect(output.standardOutput == "0.3.0\n")
    }

    @Test func aMissingLedgerIsAnErrorNamingItAndIsNotCreated() throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-report")
        let ledger = directory.path + "/typo/seatmeter.sqlite"
        let config = directory.path + "/seatmeter.yaml"
        try """
            ledger: \(ledger)
            accounts:
              - { name: helpdesk, url: "imap://127.0.0.1:1", username: helpdesk, password_env: SEATMETER_UNUSED,
                  allow_insecure: true }
            organization: { helpdesk_addresses: [helpdesk@example.com], internal_domains: [example.com] }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let seatmeter = try PackageRoot.product("seatmeter")
        for format in ["text", "json"] {
            let output = try TestTools.run(
                seatmeter, ["report", "--config", config, "--format", format, "--log-level", "error"], check: false)
            #expect(output.status != 0)
            #expect(output.standardError.contains("ledger \(ledger) does not exist"), "\(output.standardError)")
            #expect(output.standardError.contains("seatmeter sync"))
            #expect(output.standardOutput.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: ledger))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/typo"))
    }
}
