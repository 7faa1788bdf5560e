import Foundation

/// The package root (the directory holding Package.swift), found from this file's path.
package enum PackageRoot {
    package static let path: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// A built product of this package (`seatmeter`), beside the test bundle.
    package static func product(_ name: String) throws -> String {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name).path,
            Bundle.main.bundleURL.appendingPathComponent(name).path,
            path + "/.build/debug/" + name,
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestServerError("the \(name) executable is not built (run `swift build --build-tests` first)")
        }
        return found
    }
}

/// A help-desk mailbox written by `scripts/gen_helpdesk.py`, with the ground truth it computed.
package struct GeneratedMailbox {
    package struct Person: Decodable, Hashable {
        package var address: String
        package var role: String
        package var confirmed: Bool
        package var name: String
        /// Evidence codes: `roster`, `outgoing-author`, `on-behalf`, `resent` (agents), `submitted`
        /// (free submitters), `received` (free recipients).
        package var reasons: [String]

        package init(address: String, role: String, confirmed: Bool, name: String, reasons: [String] = []) {
            self.address = address
            self.role = role
            self.confirmed = confirmed
            self.name = name
            self.reasons = reasons
        }
    }

    package struct Truth: Decodable {
        package var people: [Person]
        package var messages: Int
        package var distinct_messages: Int
        package var folders: [String: Int]
    }

    package let directory: TemporaryDirectory
    package var maildir: String { directory.path + "/out/Maildir" }
    /// The `organization:` section the truth assumes.
    package let organizationYAML: String
    package let truth: Truth

    /// Generates `messages` message files (INBOX and Sent) deterministically from `seed`.
    package init(messages: Int, seed: Int = 1, weeks: Int = 26, start: String = "2026-05-04") throws {
        directory = try TemporaryDirectory(prefix: "seatmeter-mailbox", mode: 0o755)
        let python = try TestTools.locate("python3", package: "python3")
        let out = directory.path + "/out"
        _ = try TestTools.run(python, [
            PackageRoot.path + "/scripts/gen_helpdesk.py", "--out", out, "--messages", "\(messages)",
            "--seed", "\(seed)", "--weeks", "\(weeks)", "--start", start,
        ])
        organizationYAML = try String(contentsOfFile: out + "/seatmeter-org.yaml", encoding: .utf8)
        truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/truth.json")))
    }

    /// The messages of one folder (`INBOX` or `Sent`) in file-name order (= the generator's time order), with
    /// the Maildir flags of each file.
    package func messages(folder: String) throws -> [(rawBytes: [UInt8], flags: String)] {
        let dir = (folder == "INBOX" ? maildir : maildir + "/." + folder) + "/cur"
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { name in
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            let flags = name.range(of: ":2,").map { String(name[$0.upperBound...]) } ?? ""
            return (bytes, flags)
        }
    }
}

extension DovecotServer {
    /// Delivers a generated mailbox's INBOX and Sent folders.
    package func deliver(_ mailbox: GeneratedMailbox) throws {
        try deliver(try mailbox.messages(folder: "INBOX"), folder: "INBOX")
        try deliver(try mailbox.messages(folder: "Sent"), folder: "Sent")
    }
}
