import Foundation
import Glibc

/// Building blocks for starting real servers (Dovecot, the SMTP sink, ...) on 127.0.0.1 from a private temporary
/// directory: tool lookup, free ports, waiting for a listener, child processes and one-shot commands.
///
/// Everything here works as root and as an ordinary user, and touches nothing outside its temporary directory.
package struct TestServerError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

// MARK: - Tools

package enum TestTools {
    /// The absolute path of `name`, searched in `PATH` and the sbin directories (Dovecot lives in /usr/sbin).
    ///
    /// - Throws: ``TestServerError`` naming the Debian package to install.
    package static func locate(_ name: String, package debianPackage: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"]
        for directory in directories {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestServerError(
            "\(name) is not installed: install the Debian package \(debianPackage) (`make test` does this)")
    }

    /// The result of ``run(_:_:input:)``.
    package struct Output {
        package var status: Int32
        package var standardOutput: String
        package var standardError: String
    }

    /// Runs a command to completion and captures its output (a temporary file for each stream, so a chatty
    /// command can never block on a full pipe).
    @discardableResult
    package static func run(_ executable: String, _ arguments: [String], check: Bool = true) throws -> Output {
        let directory = try TemporaryDirectory(prefix: "seatmeter-run")
        let outPath = directory.path + "/stdout"
        let errPath = directory.path + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        process.waitUntilExit()
        let output = Output(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        if check && output.status != 0 {
            throw TestServerError(
                "\(executable) \(arguments.joined(separator: " ")) exited with \(output.status): "
                    + output.standardError + output.standardOutput)
        }
        return output
    }
}

// MARK: - Temporary directory

/// A private directory under the system temp dir, removed when the last reference goes away.
package final class TemporaryDirectory {
    package let path: String

    /// - Parameter mode: permissions; 0o755 lets a server's unprivileged user (e.g. uid 65534) traverse it.
    package init(prefix: String, mode: UInt32 = 0o700) throws {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw TestServerError("mkdtemp failed: errno \(errno)")
        }
        path = URL(fileURLWithPath: String(cString: created)).standardizedFileURL.path
        chmod(path, mode_t(mode))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

// MARK: - Ports

package enum TestPorts {
    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
    package static func pickFree() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestServerError("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestServerError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
    package static func isAccepting(port: Int) -> Bool {
        guard let fd = try? LoopbackSocket.connect(port: port) else { return false }
        close(fd)
        return true
    }

    /// Polls until every port accepts connections, the process dies, or `timeout` passes.
    package static func waitUntilAccepting(
        ports: [Int], process: ManagedProcess?, timeout: Duration = .seconds(15), describe: () -> String
    ) throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if ports.allSatisfy(isAccepting(port:)) { return }
            if let process, !process.isRunning {
                throw TestServerError(
                    "the server exited (status \(process.exitStatus)) before listening: \(describe())")
            }
            guard clock.now < deadline else {
                throw TestServerError("the server did not listen on \(ports) within \(timeout): \(describe())")
            }
            usleep(20_000)
        }
    }

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

// MARK: - Child processes

/// A long-running child process (a server in the foreground) with its output in a log file.
///
/// Started with `posix_spawn` and reaped with `waitpid` here (Foundation's `Process` only notices an exit when a
/// run loop turns, which a blocking test thread never does).
package final class ManagedProcess {
    package let pid: Int32
    package let logPath: String
    private var status: Int32?

    /// Starts `executable` with stdin from /dev/null, stdout+stderr appended to `logPath`, default signal handling
    /// and no blocked signals.
    package init(executable: String, arguments: [String], logPath: String) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let result = argv.withUnsafeBufferPointer { argvPointer in
            guard let base = argvPointer.baseAddress else { return EINVAL }
            return posix_spawn(&child, executable, &actions, &attributes, base, environ)
        }
        guard result == 0 else { throw TestServerError("cannot start \(executable): error \(result)") }
        pid = child
    }

    deinit { stop() }

    package var isRunning: Bool {
        reap(blocking: false)
        return status == nil
    }

    /// The raw wait status once the process has exited; -1 while it runs.
    package var exitStatus: Int32 { isRunning ? -1 : status ?? -1 }

    /// SIGTERM, then waits up to `timeout` before SIGKILL; always reaps the child.
    package func stop(timeout: Duration = .seconds(10)) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while isRunning && clock.now < deadline { usleep(10_000) }
        if isRunning {
            kill(pid, SIGKILL)
            reap(blocking: true)
        }
    }

    private func reap(blocking: Bool) {
        guard status == nil else { return }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
        if result == pid {
            status = raw
        } else if result < 0 && errno == ECHILD {
            status = -1  // already reaped elsewhere
        }
    }

    /// The log so far (for failure messages).
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

// MARK: - Processes by title

package enum TestProcesses {
    /// Process ids whose command line (process title) satisfies `matches`.
    package static func find(_ matches: (String) -> Bool) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
            else { return nil }
            let title = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
                .trimmingCharacters(in: .whitespaces)
            return matches(title) ? pid : nil
        }
    }
}
