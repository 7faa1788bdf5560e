import Foundation
import SeatMeterStore
import TestSupport
import Testing

/// The built `seatmeter` end to end against a real Dovecot: `sync` a generated help-desk mailbox, then
/// `users --format json` must equal the generator's truth person by person; `users` and `explain` read the ledger
/// while a `sync` writes it.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct GroundTruthTests {
    static func seatmeter(_ arguments: [String]) throws -> TestTools.Output {
        try TestTools.run(try PackageRoot.product("seatmeter"), arguments + ["--log-level", "error"], check: false)
    }

    static func people(_ output: TestTools.Output) throws -> [[String: Any]] {
        #expect(output.status == 0, "\(output.standardError)")
        let parsed = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8))
        return try #require(parsed as? [[String: Any]])
    }

    @Test func usersJSONAfterSyncEqualsTheTruthPersonByPerson() throws {
        let mailbox = try GeneratedMailbox(messages: 1500, seed: 7)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        let setup = try SyncEngineTests.Setup(server: server, organization: mailbox.organizationYAML)

        let sync = try Self.seatmeter(["sync", "--config", setup.configPath])
        #expect(sync.status == 0, "\(sync.standardError)\(sync.standardOutput)")
        #expect(try Ledger(readOnlyPath: setup.ledgerPath).messageCount() == mailbox.truth.distinct_messages)

        let users = try Self.people(
            try Self.seatmeter(["users", "--config", setup.configPath, "--window", "3650d", "--format", "json"]))
        var actual: [String: [String: Any]] = [:]
        for person in users {
            let address = try #require(person["address"] as? String)
            #expect(actual[address] == nil, "\(address) listed twice")
            actual[address] = person
        }
        let truth = Dictionary(uniqueKeysWithValues: mailbox.truth.people.map { ($0.address, $0) })
        let extra = Set(actual.keys).subtracting(truth.keys).sorted()
        let missing = Set(truth.keys).subtracting(actual.keys).sorted()
        #expect(extra.isEmpty, "not in the truth: \(extra)")
        #expect(missing.isEmpty, "missing: \(missing)")
        #expect(users.count == truth.count)
        var compared = 0
        for (address, expected) in truth.sorted(by: { $0.key < $1.key }) {
            guard let person = actual[address] else { continue }
            compared += 1
            #expect(person["role"] as? String == expected.role, "\(address)")
            #expect(person["name"] as? String == expected.name, "\(address)")
            if expected.role == "agent" {
                let agent = try #require(person["agent"] as? [String: Any], "\(address)")
                #expect(agent["confirmed"] as? Bool == expected.confirmed, "\(address)")
                // The truth's evidence codes; writing as the help desk (a Sender of desk mail) is on-behalf there.
                let kinds = ((agent["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
                let mapped = Set(kinds.map { $0 == "sent-as-helpdesk" ? "on-behalf" : $0 })
                #expect(mapped == Set(expected.reasons), "\(address): \(kinds) vs \(expected.reasons)")
            } else {
                #expect(person["agent"] is NSNull, "\(address): \(person["agent"] ?? "")")
                #expect(!expected.confirmed, "\(address)")
            }
            // What the truth's evidence implies about the counts and dates.
            let sent = try #require(person["sent"] as? Int, "\(address)")
            let received = try #require(person["received"] as? Int, "\(address)")
            let first = try #require(person["first_seen"] as? String, "\(address)")
            let last = try #require(person["last_seen"] as? String, "\(address)")
            #expect(first <= last, "\(address)")
            #expect(sent + received > 0, "\(address)")
            if !Set(expected.reasons).isDisjoint(with: ["submitted", "outgoing-author", "on-behalf", "resent"]) {
                #expect(sent > 0, "\(address): \(expected.reasons)")
            }
            if expected.role == "free-recipient" {
                #expect(sent == 0 && received > 0, "\(address)")
            }
        }
        #expect(compared == truth.count)
        // The truth has every role, confirmed and inferred agents: the comparison covers each rule.
        let roles = Set(mailbox.truth.people.map(\.role))
        #expect(roles == ["agent", "free-submitter", "free-recipient"])
        #expect(mailbox.truth.people.contains { $0.role == "agent" && !$0.confirmed })
        #expect(mailbox.truth.people.contains { $0.role == "agent" && $0.confirmed })
    }

    @Test func usersAndExplainReadWhileASyncWrites() async throws {
        let mailbox = try GeneratedMailbox(messages: 3000, seed: 9)
        let server = try DovecotServer()
        try server.deliver(mailbox)
        // Through a rate-limited proxy the sync lasts seconds on any machine.
        let proxy = try ThrottlingProxy(targetPort: server.imapPort, bytesPerSecond: 200_000)
        defer { proxy.stop() }
        let setup = try SyncEngineTests.Setup(
            server: server, organization: mailbox.organizationYAML,
            transport: "url: \(proxy.plainURL)\n    allow_insecure: true")
        let sync = try ManagedProcess(
            executable: try PackageRoot.product("seatmeter"),
            arguments: ["sync", "--config", setup.configPath, "--batch-size", "50", "--log-level", "error"],
            logPath: setup.directory.path + "/sync.log")
        defer { sync.stop() }

        // Wait for the first committed batch.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(120))
        while sync.isRunning && clock.now < deadline {
            if ((try? Ledger(readOnlyPath: setup.ledgerPath).messageCount()) ?? 0) > 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(sync.isRunning, "the sync ended before the readers started: \(sync.log)")

        var overlapped = 0
        var counts: [Int] = []
        var known: String?
        while sync.isRunning && overlapped < 6 {
            let users = try Self.seatmeter(["users", "--config", setup.configPath, "--window", "3650d", "--format", "json"])
            #expect(users.status == 0, "\(users.standardError)")
            #expect(!users.standardError.lowercased().contains("lock"), "\(users.standardError)")
            #expect(!users.standardError.lowercased().contains("busy"), "\(users.standardError)")
            let people = (try? JSONSerialization.jsonObject(with: Data(users.standardOutput.utf8))) as? [[String: Any]]
            counts.append(people?.count ?? -1)
            known = known ?? people?.first?["address"] as? String
            if let known {
                let explain = try Self.seatmeter(["explain", known, "--config", setup.configPath, "--window", "3650d"])
                #expect(explain.status == 0, "\(explain.standardError)\(explain.standardOutput)")
                #expect(!explain.standardError.lowercased().contains("lock"), "\(explain.standardError)")
                #expect(explain.standardOutput.contains(known))
            }
            if sync.isRunning { overlapped += 1 }
        }
        #expect(overlapped >= 2, "only \(overlapped) reads overlapped the sync")
        #expect(!counts.contains(-1), "unparsable users output")
        #expect(counts == counts.sorted(), "the people seen only grow as the sync goes: \(counts)")

        while sync.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(sync.exitStatus == 0, "\(sync.log)")
        #expect(try Ledger(readOnlyPath: setup.ledgerPath).messageCount() == mailbox.truth.distinct_messages)
    }
}
