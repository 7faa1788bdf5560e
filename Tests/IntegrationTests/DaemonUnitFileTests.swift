import Foundation
import TestSupport
import Testing

/// `systemd/seatmeter.service` passes `systemd-analyze verify` and rates ≤ 2.0 in `systemd-analyze security`.
/// The analyzer ships in Debian's `systemd` package (PID 1 is not needed); without it these tests fail, saying so.
@Suite(.timeLimit(.minutes(2)))
struct DaemonUnitFileTests {
    static var unitPath: String { PackageRoot.path + "/systemd/seatmeter.service" }

    static func analyzer() throws -> String {
        try TestTools.locate("systemd-analyze", package: "systemd (for systemd-analyze only; PID 1 is not needed)")
    }

    static func unit() throws -> String { try String(contentsOfFile: unitPath, encoding: .utf8) }

    /// `key=value` lines of the unit.
    static func values(_ key: String) throws -> [String] {
        try unit().split(separator: "\n").compactMap { line in
            line.hasPrefix(key + "=") ? String(line.dropFirst(key.count + 1)) : nil
        }
    }

    @Test func verifyPasses() throws {
        let analyzer = try Self.analyzer()
        // verify checks that ExecStart's binary exists: point it at the one just built, change nothing else.
        let seatmeter = try PackageRoot.product("seatmeter")
        let directory = try TemporaryDirectory(prefix: "seatmeter-unit")
        let unit = try Self.unit()
        #expect(unit.contains("ExecStart=/usr/local/bin/seatmeter run --config /etc/seatmeter/seatmeter.yaml"))
        let copy = directory.path + "/seatmeter.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/seatmeter", with: seatmeter)
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let result = try TestTools.run(analyzer, ["verify", "--man=no", copy], check: false)
        #expect(result.status == 0, "\(result.standardError)\(result.standardOutput)")
        // Warnings (unknown keys, bad values) still exit 0: any output is a failure.
        #expect(result.standardError.isEmpty && result.standardOutput.isEmpty, "\(result.standardError)")
    }

    @Test func securityExposureIsAtMostTwo() throws {
        let analyzer = try Self.analyzer()
        // --threshold is on a 0–100 scale (the printed level × 10).
        let result = try TestTools.run(
            analyzer, ["security", "--offline=true", "--threshold=20", Self.unitPath], check: false)
        let output = result.standardOutput + result.standardError
        #expect(result.status == 0, "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let number = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
        let level = try #require(number, "\(line)")
        #expect(level <= 2.0, "\(line)")
    }

    @Test func serviceSettingsMatchTheDaemon() throws {
        #expect(try Self.values("Type") == ["notify"])
        #expect(try Self.values("NotifyAccess") == ["main"])
        #expect(try Self.values("ExecReload") == ["/bin/kill -HUP $MAINPID"])
        #expect(try Self.values("KillSignal") == ["SIGTERM"])
        #expect(try Self.values("Restart") == ["on-failure"])
        #expect(try !Self.values("WatchdogSec").isEmpty)
        #expect(try Self.values("StateDirectory") == ["seatmeter"])
        // The daemon stops within 10 s (9 s graceful + cancellation); systemd must wait longer before SIGKILL.
        let timeout = try #require(try Self.values("TimeoutStopSec").first.flatMap { Int($0) })
        #expect(timeout > 10)
    }

    /// `make install PREFIX=... DESTDIR=...` installs the unit through `scripts/install-unit.sh` (run here as the
    /// Makefile runs it: `make install` builds a release binary first, too slow for a test): ExecStart= names the
    /// binary under PREFIX, Documentation= a README that is installed there, and the result still verifies.
    @Test func installUnitFollowsThePrefix() throws {
        let analyzer = try Self.analyzer()
        let prefix = try TemporaryDirectory(prefix: "seatmeter-prefix")
        let destdir = try TemporaryDirectory(prefix: "seatmeter-destdir")
        try FileManager.default.createDirectory(atPath: prefix.path + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: prefix.path + "/bin/seatmeter", withDestinationPath: try PackageRoot.product("seatmeter"))
        let script = PackageRoot.path + "/scripts/install-unit.sh"
        let makefile = try String(contentsOfFile: PackageRoot.path + "/Makefile", encoding: .utf8)
        #expect(makefile.contains("\tscripts/install-unit.sh \"$(PREFIX)\" \"$(DESTDIR)\"\n"), "make install calls it")

        let installed = try TestTools.run(script, [prefix.path, destdir.path], check: false)
        #expect(installed.status == 0, "\(installed.standardError)")
        let unitPath = destdir.path + "/etc/systemd/system/seatmeter.service"
        let unit = try String(contentsOfFile: unitPath, encoding: .utf8)
        let lines = unit.split(separator: "\n").map(String.init)
        #expect(lines.contains("ExecStart=\(prefix.path)/bin/seatmeter run --config /etc/seatmeter/seatmeter.yaml"))
        let documentation = try #require(lines.first { $0.hasPrefix("Documentation=file://") })
        let readme = String(documentation.dropFirst("Documentation=file://".count))
        #expect(readme == prefix.path + "/share/doc/seatmeter/README.md")
        #expect(FileManager.default.fileExists(atPath: destdir.path + readme), "the README is installed")
        // Nothing else changed.
        let original = try Self.unit().split(separator: "\n").map(String.init)
        #expect(original.count == lines.count)
        #expect(zip(original, lines).filter { $0 != $1 }.count == 2)
        let verify = try TestTools.run(analyzer, ["verify", "--man=no", unitPath], check: false)
        #expect(verify.status == 0 && verify.standardError.isEmpty, "\(verify.standardError)")

        // The default prefix installs the unit as it is in the repository.
        let defaultDestdir = try TemporaryDirectory(prefix: "seatmeter-destdir")
        let plain = try TestTools.run(script, ["/usr/local", defaultDestdir.path], check: false)
        #expect(plain.status == 0, "\(plain.standardError)")
        #expect(
            try String(contentsOfFile: defaultDestdir.path + "/etc/systemd/system/seatmeter.service", encoding: .utf8)
                == Self.unit())
        #expect(FileManager.default.fileExists(atPath: defaultDestdir.path + "/usr/local/share/doc/seatmeter/README.md"))
    }
}
