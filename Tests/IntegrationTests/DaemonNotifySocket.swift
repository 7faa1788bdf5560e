import Foundation
import Glibc
import TestSupport

/// A bound `AF_UNIX` `SOCK_DGRAM` socket standing in for systemd's notify socket (same as the unit tests' copy).
final class NotifySocket: @unchecked Sendable {
    // @unchecked: `fd` is immutable after init; recv on one fd from one test task at a time.
    let path: String
    let fd: Int32
    private let directory: TemporaryDirectory?

    /// Binds a socket at `<temp dir>/notify`, or in the abstract namespace when `abstract` (path `@name`).
    init(abstract: Bool = false) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestServerError("socket() failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes: [UInt8]
        if abstract {
            directory = nil
            let name = "seatmeter-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            path = "@" + name
            bytes = [0] + Array(name.utf8)
        } else {
            let directory = try TemporaryDirectory(prefix: "seatmeter-notify")
            self.directory = directory
            path = directory.path + "/notify"
            bytes = Array(path.utf8) + [0]
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2) + socklen_t(bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            close(fd)
            throw TestServerError("bind(\(path)) failed: errno \(errno)")
        }
        if !abstract { chmod(path, 0o777) }
    }

    deinit { close(fd) }

    /// The next datagram, or nil when none arrives within `timeout`.
    func receive(timeout: Duration = .seconds(5)) -> String? {
        var pollfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let total = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let milliseconds = Int32(clamping: max(total, 0))
        guard poll(&pollfd, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    /// The next datagram, or nil when none arrives within `timeout`, without blocking a thread of the
    /// cooperative pool (the services under test need those).
    func next(timeout: Duration = .seconds(5)) async -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let message = receive(timeout: .zero) { return message }
            guard clock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Datagrams until one satisfies `stop` (included) or `timeout` passes in total.
    func next(until stop: (String) -> Bool, timeout: Duration = .seconds(10)) async -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var messages: [String] = []
        while clock.now < deadline, let message = await next(timeout: clock.now.duration(to: deadline)) {
            messages.append(message)
            if stop(message) { break }
        }
        return messages
    }
}
