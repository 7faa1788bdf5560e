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
}
