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
            try "ledger: seatmeter.sqlite\n\(mailbox.organizationYAML)\n"
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
