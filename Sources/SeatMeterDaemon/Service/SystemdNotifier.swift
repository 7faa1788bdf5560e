import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The systemd notification protocol (sd_notify(3)) without libsystemd: one datagram per state change to the
/// `AF_UNIX` `SOCK_DGRAM` socket named by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
///
/// Everything is a no-op when `NOTIFY_SOCKET` is unset (not started by systemd with `Type=notify`).
package struct SystemdNotifier: Sendable {
    /// Where datagrams go; nil when not running under systemd's notify protocol.
    package let socketPath: String?
    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, when it is set for this process
    /// (`WATCHDOG_PID` absent or equal to our pid).
    package let watchdogInterval: Duration?

    /// - Parameters:
    ///   - environment: where `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` are read.
    ///   - pid: this process's id, compared with `WATCHDOG_PID`.
    package init(
        environment: [String: String] = ProcessInfo.processInfo.environment, pid: Int32 = getpid()
    ) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if path != nil, let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0,
            environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true
        {
            watchdogInterval = .microseconds(Int64(clamping: microseconds / 2))
        } else {
            watchdogInterval = nil
        }
    }

    /// A notifier that sends nothing.
    package static let silent = SystemdNotifier(environment: [:])

    package var isEnabled: Bool { socketPath != nil }

    // MARK: - States

    /// `READY=1`, with a status line.
    @discardableResult
    package func ready(status: String? = nil) -> Bool {
        send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `STATUS=…`: shown by `systemctl status`.
    @discardableResult
    package func status(_ text: String) -> Bool { send(["STATUS=" + Self.oneLine(text)]) }

    /// `RELOADING=1` with `MONOTONIC_USEC` (systemd ≥ 253 requires it for `Type=notify-reload`).
    @discardableResult
    package func reloading() -> Bool {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"])
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    package func stopping() -> Bool { send(["STOPPING=1", "STATUS=Stopping"]) }

    /// `WATCHDOG=1`: still alive.
    @discardableResult
    package func watchdog() -> Bool { send(["WATCHDOG=1"]) }

    // MARK: - Sending

    /// Sends `assignments` (each `KEY=value`, no newlines) as one datagram.
    ///
    /// - Returns: false when not enabled or when the datagram could not be sent (systemd gone, its queue full; the
    ///   send never blocks): the protocol is best-effort, so callers carry on either way.
    @discardableResult
    package func send(_ assignments: [String]) -> Bool {
        guard let socketPath else { return false }
        return Self.sendDatagram(assignments.joined(separator: "\n"), to: socketPath) == 0
    }

    /// Sends `message` to the socket at `path` (`@` = abstract namespace).
    ///
    /// - Returns: 0, or the `errno` of the failing call.
    static func sendDatagram(_ message: String, to path: String) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A filesystem path needs room for its terminating NUL; an abstract name does not have one.
        guard !pathBytes.isEmpty, pathBytes.count + (abstract ? 0 : 1) <= capacity else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length =
            socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2)
            + socklen_t(pathBytes.count + (abstract ? 0 : 1))

        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    // Never block: a receiver that does not read (a full queue) costs a notification, not the
                    // daemon's threads.
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), $0, length)
                }
            }
        }
        if sent < 0 { return errno }
        return sent == bytes.count ? 0 : EMSGSIZE
    }

    /// `CLOCK_MONOTONIC` in microseconds, as systemd compares it.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// Status values are one line each.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}
