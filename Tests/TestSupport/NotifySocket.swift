import Foundation
import Glibc
import Synchronization

/// A bound `AF_UNIX` `SOCK_DGRAM` socket standing in for systemd's notify socket.
///
/// A reader thread drains it continuously, as systemd does: a datagram queue holds only
/// `net.unix.max_dgram_qlen` (10) messages, and the notifier drops what does not fit.
package final class NotifySocket: @unchecked Sendable {
    // @unchecked: every stored property is an immutable `let`; `directory` (not Sendable) is only kept so that
    // the socket file's directory lives as long as the socket.
    package let path: String
    private let inbox: Inbox
    private let draining: Bool
    private let directory: TemporaryDirectory?

    /// Received datagrams; the reader thread owns the descriptor and closes it when told to stop.
    private final class Inbox: Sendable {
        let fd: Int32
        let state = Mutex<(messages: [String], stopped: Bool)>(([], false))

        init(fd: Int32) { self.fd = fd }

        func read() {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !state.withLock({ $0.stopped }) {
                var pollfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pollfd, 1, 20) == 1 else { continue }
                let count = recv(fd, &buffer, buffer.count, 0)
                if count >= 0 {
                    let message = String(decoding: buffer.prefix(count), as: UTF8.self)
                    state.withLock { $0.messages.append(message) }
                }
            }
            close(fd)
        }

        func pop() -> String? {
            state.withLock { $0.messages.isEmpty ? nil : $0.messages.removeFirst() }
        }
    }

    /// Binds a socket at `<temp dir>/notify`, or in the abstract namespace when `abstract` (path `@name`).
    /// Without `draining` nothing reads it (a stuck receiver).
    package init(abstract: Bool = false, draining: Bool = true) throws {
        self.draining = draining
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
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
        let inbox = Inbox(fd: fd)
        self.inbox = inbox
        if draining {
            let thread = Thread { inbox.read() }
            thread.name = "notify-socket"
            thread.start()
        }
    }

    deinit {
        if draining { inbox.state.withLock { $0.stopped = true } } else { close(inbox.fd) }
    }

    /// The next datagram, or nil when none arrives within `timeout` (blocking: for synchronous tests).
    package func receive(timeout: Duration = .seconds(30)) -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let message = inbox.pop() { return message }
            guard clock.now < deadline else { return nil }
            usleep(2000)
        }
    }

    /// The next datagram, or nil when none arrives within `timeout`, without blocking a thread of the
    /// cooperative pool (the services under test need those).
    package func next(timeout: Duration = .seconds(30)) async -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let message = inbox.pop() { return message }
            guard clock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Datagrams until one satisfies `stop` (included) or `timeout` passes in total.
    package func next(until stop: (String) -> Bool, timeout: Duration = .seconds(30)) async -> [String] {
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
