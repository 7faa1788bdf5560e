import Foundation
import TestSupport
import Testing

/// The command-line contracts admins' scripts rely on: `users` JSON keys and filters, `explain` exit codes,
/// `inspect` output, run on the built `seatmeter` binary.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CommandLineTests {
    static let userKeys: Set<String> = [
        "address", "name", "role", "agent", "first_seen", "last_seen", "sent", "received",
    ]

    /// A ledger filled by `seatmeter import` from a generated mailbox, and its configuration.
    struct Setup {
        let directory: TemporaryDirectory
        let mailbox: GeneratedMailbox
        var config: String { directory.path + "/seatmeter.yaml" }

        init() throws {
            directory = try TemporaryDirectory(prefix: "seatmeter-cli")
            mailbox = try GeneratedMailbox(messages: 400, seed: 31)
            // Dates on the command line (--since/--until) are days in the report's time zone.
            try "ledger: seatmeter.sqlite\nreport:\n  timezone: UTC\n\(mailbox.organizationYAML)\n"
                .write(toFile: directory.path + "/seatmeter.yaml", atomically: true, encoding: .utf8)
            let imported = try Setup.seatmeter(["import", "--config", config, "--outgoing", "Sent", mailbox.maildir])
            #expect(imported.status == 0, "\(imported.standardError)")
        }

        static func seatmeter(_ arguments: [String]) throws -> TestTools.Output {
            // `inspect` reads no configuration and has no log level.
            let quiet = arguments.first == "inspect" ? [] : ["--log-level", "error"]
            return try TestTools.run(try PackageRoot.product("seatmeter"), arguments + quiet, check: false)
        }

        func json(_ arguments: [String]) throws -> [[String: Any]] {
            let output = try Setup.seatmeter(arguments)
            #expect(output.status == 0, "\(output.standardError)")
            let parsed = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8))
            return try #require(parsed as? [[String: Any]])
        }
    }

    @Test func usersJSONHasExactlyTheContractKeys() throws {
        let setup = try Setup()
        let people = try setup.json(["users", "--config", setup.config, "--window", "3650d", "--format", "json"])
        #expect(people.count == setup.mailbox.truth.people.count)
        for person in people { #expect(Set(person.keys) == Self.userKeys, "\(person.keys)") }
        let agents = people.filter { $0["role"] as? String == "agent" }
        #expect(!agents.isEmpty)
        for agent in agents {
            let status = try #require(agent["agent"] as? [String: Any])
            #expect(status["confirmed"] is Bool)
            #expect(!((status["reasons"] as? [Any]) ?? []).isEmpty)
        }

        let onlyAgents = try setup.json([
            "users", "--config", setup.config, "--window", "3650d", "--format", "json", "--role", "agent",
        ])
        #expect(onlyAgents.count == agents.count)

        let all = try setup.json(["users", "--config", setup.config, "--window", "3650d", "--format", "json", "--all"])
        let excluded = all.filter { $0["role"] as? String == "excluded" }
        #expect(!excluded.isEmpty)
        #expect(all.count == people.count + excluded.count)
        for entry in excluded { #expect(!((entry["reasons"] as? [Any]) ?? []).isEmpty) }
        for entry in excluded { #expect(Set(entry.keys) == Self.userKeys.union(["reasons"]), "\(entry.keys)") }

        let csv = try Setup.seatmeter(["users", "--config", setup.config, "--window", "3650d", "--format", "csv"])
        #expect(csv.standardOutput.split(separator: "\r\n").count == people.count + 1)
    }

    @Test func explainSaysWhyAndFailsForUnknownAddresses() throws {
        let setup = try Setup()
        let people = try setup.json(["users", "--config", setup.config, "--window", "3650d", "--format", "json"])
        let agent = try #require(people.first { $0["role"] as? String == "agent" }?["address"] as? String)
        let known = try Setup.seatmeter(["explain", agent, "--config", setup.config, "--window", "3650d"])
        #expect(known.status == 0, "\(known.standardError)")
        #expect(known.standardOutput.contains(agent))
        #expect(known.standardOutput.contains("agent"))
        let unknown = try Setup.seatmeter(["explain", "nobody@nowhere.example", "--config", setup.config])
        #expect(unknown.status == 1)
        #expect(unknown.standardOutput.contains("does not appear"))
    }

    /// `--all` rows say when and how often an excluded address appeared; `--role` filters them too.
    @Test func excludedRowsCarryTheirActivityAndFilterByRole() throws {
        let setup = try Setup()
        let base = ["users", "--config", setup.config, "--window", "3650d", "--format", "json"]
        let all = try setup.json(base + ["--all"])
        let excluded = all.filter { $0["role"] as? String == "excluded" }
        #expect(!excluded.isEmpty)
        var active = 0
        for entry in excluded {
            let address = entry["address"] as? String ?? "?"
            let first = try #require(entry["first_seen"] as? String, "\(address)")
            let last = try #require(entry["last_seen"] as? String, "\(address)")
            #expect(first <= last, "\(address)")
            let sent = try #require(entry["sent"] as? Int, "\(address)")
            let received = try #require(entry["received"] as? Int, "\(address)")
            let kinds = ((entry["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
            if kinds != ["reply-to-only"] {
                #expect(sent + received > 0, "\(address) \(kinds)")
                active += 1
            }
        }
        #expect(active > 0)
        // The help desk address itself is excluded, and it both sent and received.
        let desk = try #require(
            excluded.first { (($0["reasons"] as? [[String: Any]]) ?? []).contains { $0["kind"] as? String == "helpdesk" } })
        #expect((desk["sent"] as? Int ?? 0) > 0 && (desk["received"] as? Int ?? 0) > 0, "\(desk)")

        let addresses = { (rows: [[String: Any]]) in rows.compactMap { $0["address"] as? String } }
        let onlyExcluded = try setup.json(base + ["--role", "excluded", "--all"])
        #expect(addresses(onlyExcluded) == addresses(excluded))
        #expect(addresses(try setup.json(base + ["--role", "excluded"])) == addresses(excluded))
        let agentsAll = try setup.json(base + ["--role", "agent", "--all"])
        #expect(!agentsAll.isEmpty)
        #expect(agentsAll.allSatisfy { $0["role"] as? String == "agent" })
        #expect(agentsAll.count == all.count { $0["role"] as? String == "agent" })
    }

    /// `--since`/`--until` (whole days, inclusive) give the people active in those days, and their first and last
    /// seen dates fall inside them.
    @Test func sinceAndUntilBoundTheWindow() throws {
        let setup = try Setup()
        let base = ["users", "--config", setup.config, "--format", "json"]
        let everyone = try setup.json(base + ["--window", "3650d"])
        let inside = try setup.json(base + ["--since", "2026-07-01", "--until", "2026-08-31"])
        let start = "2026-07-01T00:00:00Z"
        let end = "2026-09-01T00:00:00Z"
        #expect(!inside.isEmpty)
        #expect(inside.count < everyone.count)
        let seen = { (row: [String: Any]) -> (String, String) in
            (row["first_seen"] as? String ?? "", row["last_seen"] as? String ?? "")
        }
        for row in inside {
            let (first, last) = seen(row)
            #expect(first >= start && last < end, "\(row["address"] ?? "") \(first) \(last)")
        }
        let insideAddresses = Set(inside.compactMap { $0["address"] as? String })
        for row in everyone {
            let address = row["address"] as? String ?? ""
            let (first, last) = seen(row)
            if first >= start && last < end { #expect(insideAddresses.contains(address), "\(address) missing") }
            if last < start || first >= end { #expect(!insideAddresses.contains(address), "\(address) outside") }
        }
        #expect(insideAddresses.isSubset(of: Set(everyone.compactMap { $0["address"] as? String })))

        // --since alone runs to now; --until alone from the beginning.
        #expect(try setup.json(base + ["--since", "2000-01-01"]).count == everyone.count)
        let untilEnd = try setup.json(base + ["--until", "2026-08-31"])
        #expect(untilEnd.allSatisfy { seen($0).1 < end })
        let bad = try Setup.seatmeter(base + ["--since", "2026-02-30"])
        #expect(bad.status != 0)
        #expect(bad.standardError.contains("--since"), "\(bad.standardError)")
    }

    @Test func tableFormatListsEveryoneWithASummary() throws {
        let setup = try Setup()
        let people = try setup.json(["users", "--config", setup.config, "--window", "3650d", "--format", "json"])
        let table = try Setup.seatmeter(["users", "--config", setup.config, "--window", "3650d", "--format", "table"])
        #expect(table.status == 0, "\(table.standardError)")
        let lines = table.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.first)
        for column in ["ADDRESS", "NAME", "ROLE", "AGENT", "FIRST SEEN", "LAST SEEN", "SENT", "RECEIVED"] {
            #expect(header.contains(column), "\(header)")
        }
        // Under the header a rule of dashes, then one row per person, a blank line and the summary.
        #expect(lines.dropFirst().first?.allSatisfy { $0 == "-" || $0 == " " } == true)
        let rows = lines.dropFirst(2).prefix { !$0.isEmpty }
        #expect(rows.count == people.count)
        for (row, person) in zip(rows, people) {
            let address = person["address"] as? String ?? "?"
            #expect(row.hasPrefix(address + " "), "\(row)")
            let fields = row.split(separator: " ").map(String.init)
            #expect(fields.suffix(2) == ["\(person["sent"] as? Int ?? -1)", "\(person["received"] as? Int ?? -1)"], "\(row)")
        }
        let agents = people.count { $0["role"] as? String == "agent" }
        #expect(table.standardOutput.contains("\n\(people.count) user(s), \(agents) agent(s), "), "\(table.standardOutput)")
    }

    /// `users` and `explain` open the ledger read-only: a mistyped path is an error naming it, and no file appears.
    @Test(arguments: [["users"], ["explain", "alice@example.com"]])
    func aMissingLedgerIsAClearErrorAndIsNotCreated(_ command: [String]) throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-noledger")
        let config = directory.path + "/seatmeter.yaml"
        try "ledger: typo/seatmeter.sqlite\norganization:\n  internal_domains: [example.com]\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let output = try Setup.seatmeter(command + ["--config", config])
        #expect(output.status != 0)
        let ledger = directory.path + "/typo/seatmeter.sqlite"
        #expect(output.standardError.contains(ledger), "\(output.standardError)")
        #expect(output.standardError.contains("seatmeter sync"), "\(output.standardError)")
        #expect(!FileManager.default.fileExists(atPath: ledger))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/typo"))
    }

    /// `report` writes each format to standard output ending in exactly one line break (the CSV's own CRLF, no stray
    /// LF after it), and `--output` writes the same bytes without the added break.
    @Test func reportOutputEndsInOneLineBreakAndMatchesTheOutputFile() throws {
        let setup = try Setup()
        let asOf = ["--as-of", "2026-09-01"]
        for format in ["text", "markdown", "html", "csv", "json"] {
            let output = try Setup.seatmeter(["report", "--config", setup.config, "--format", format] + asOf)
            #expect(output.status == 0, "\(output.standardError)")
            let file = setup.directory.path + "/report.\(format)"
            let written = try Setup.seatmeter(
                ["report", "--config", setup.config, "--format", format, "--output", file] + asOf)
            #expect(written.status == 0 && written.standardOutput.isEmpty, "\(written.standardError)")
            let bytes = Array(output.standardOutput.utf8)
            let fileBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(bytes.last == UInt8(ascii: "\n"))
            #expect(!bytes.reversed().starts(with: Array("\n\n".utf8)), "\(format) ends in a blank line")
            #expect(bytes == fileBytes || bytes == fileBytes + [UInt8(ascii: "\n")], "\(format)")
            switch format {
            case "csv":
                #expect(bytes.reversed().starts(with: Array("\n\r".utf8)) && bytes.dropLast().last == 13)
                #expect(!bytes.reversed().starts(with: Array("\n\n\r".utf8)))
                #expect(output.standardOutput.split(separator: "\r\n").count > 1)
            case "json":
                let report = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
                #expect(report?["schema"] as? String == "seatmeter-report/1")
            default:
                break
            }
        }
    }

    @Test func inspectPrintsTheContractAndNeverCrashes() throws {
        let directory = try TemporaryDirectory(prefix: "seatmeter-inspect")
        let message = directory.path + "/m.eml"
        try """
            From: =?utf-8?q?J=C3=BCrgen?= <Juergen@Example.COM>\r
            To: helpdesk@example.com, undisclosed-recipients:;\r
            Cc: "Smith, Ann" <ann@example.com> (Finance)\r
            Subject: =?iso-8859-1?q?Dr=FCcker?= kaputt\r
            Message-ID: <abc@example.com>\r
            Date: Mon, 30 Nov 2026 09:15:00 +0100\r
            Auto-Submitted: auto-replied\r
            \r
            body\r

            """.write(toFile: message, atomically: true, encoding: .utf8)
        let output = try Setup.seatmeter(["inspect", message])
        #expect(output.status == 0, "\(output.standardError)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        #expect(Set(object.keys).isSuperset(of: ["addresses", "subject", "message_id", "date", "automated", "defects"]))
        let addresses = try #require(object["addresses"] as? [String: [[String: String]]])
        #expect(addresses["from"]?.first?["address"] == "juergen@example.com")
        #expect(addresses["from"]?.first?["name"] == "Jürgen")
        #expect(addresses["to"]?.map { $0["address"] } == ["helpdesk@example.com"])
        #expect(addresses["cc"]?.first?["name"] == "Smith, Ann")
        #expect(object["subject"] as? String == "Drücker kaputt")
        #expect(object["message_id"] as? String == "abc@example.com")
        #expect(object["date"] as? String == "2026-11-30T08:15:00Z")
        #expect((object["automated"] as? [String: Any])?["is_automated"] as? Bool == true)

        // Two files: an array. Not mail: an object with defects. Missing: exit 1.
        let junk = directory.path + "/junk.bin"
        try Data([0, 1, 2, 0xFF, 0xFE, 10, 10]).write(to: URL(fileURLWithPath: junk))
        let both = try Setup.seatmeter(["inspect", message, junk])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(both.standardOutput.utf8)) as? [[String: Any]])
        #expect(array.count == 2)
        #expect(!((array[1]["defects"] as? [Any]) ?? []).isEmpty)
        let missing = try Setup.seatmeter(["inspect", directory.path + "/missing.eml"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("missing.eml"))
    }
}
