import Foundation
import Glibc
import Synchronization

/// A TCP proxy on 127.0.0.1 that passes a client's bytes to a real server at full speed and the server's answers
/// back at a fixed rate, so a long transfer takes a known wall-clock time on a fast or a slow machine alike.
///
/// A test that must act *during* a sync (a SIGTERM mid-fetch) points the client at ``port`` instead of the server.
package final class ThrottlingProxy: Sendable {
    package let port: Int
    private let listener: Int32
    private let targetPort: Int
    private let bytesPerSecond: Int
    /// Every open socket, so ``stop()`` can wake the pump threads blocked on them.
    private let sockets = Mutex<Set<Int32>?>([])

    /// - Parameters:
    ///   - targetPort: the server's port on 127.0.0.1.
    ///   - bytesPerSecond: the rate of the server-to-client direction.
    package init(targetPort: Int, bytesPerSecond: Int) throws {
        precondition(bytesPerSecond >= 100, "a rate below 100 bytes/s is not a useful test")
        (listener, port) = try LoopbackSocket.listen()
        self.targetPort = targetPort
        self.bytesPerSecond = bytesPerSecond
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    package var plainURL: String { "imap://127.0.0.1:\(port)" }

    /// Closes the listener and every connection.
    package func stop() {
        let open = sockets.withLock { sockets -> Set<Int32>? in
            defer { sockets = nil }
            return sockets
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Registers `fd` unless the proxy is stopping; false means the caller must close it.
    private func track(_ fd: Int32) -> Bool {
        sockets.withLock { sockets in
            guard sockets != nil else { return false }
            sockets?.insert(fd)
            return true
        }
    }

    private func untrackAndClose(_ fd: Int32) {
        sockets.withLock { _ = $0?.remove(fd) }
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            guard track(client) else {
                close(client)
                return
            }
            guard let server = try? LoopbackSocket.connect(port: targetPort), track(server) else {
                untrackAndClose(client)
                continue
            }
            let done = Atomic<Int>(0)
            let finish: @Sendable () -> Void = { [self] in
                // Either direction ending ends the connection; the second pump to stop closes both sockets.
                shutdown(client, Int32(SHUT_RDWR))
                shutdown(server, Int32(SHUT_RDWR))
                if done.add(1, ordering: .sequentiallyConsistent).newValue == 2 {
                    untrackAndClose(client)
                    untrackAndClose(server)
                }
            }
            Thread { [self] in
                pump(from: client, to: server, rate: nil)
                finish()
            }.start()
            Thread { [self] in
                pump(from: server, to: client, rate: bytesPerSecond)
                finish()
            }.start()
        }
    }

    /// Copies bytes until end of stream or an error; with a rate, sends in 20 slices a second and sleeps so the
    /// total never runs ahead of `rate` bytes per second since the first byte.
    private func pump(from source: Int32, to destination: Int32, rate: Int?) {
        let sliceSize = rate.map { max(1, $0 / 20) } ?? 65_536
        var buffer = [UInt8](repeating: 0, count: sliceSize)
        let clock = ContinuousClock()
        var start: ContinuousClock.Instant?
        var sent = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, sliceSize) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            guard writeAll(buffer, count: count, to: destination) else { return }
            guard let rate else { continue }
            let began = start ?? clock.now
            start = began
            sent += count
            let due = began.advanced(by: .milliseconds(sent * 1000 / rate))
            let wait = clock.now.duration(to: due)
            if wait > .zero { usleep(UInt32(wait / .microseconds(1))) }
        }
    }

    private func writeAll(_ buffer: [UInt8], count: Int, to destination: Int32) -> Bool {
        var offset = 0
        while offset < count {
            let written = buffer.withUnsafeBytes {
                send(destination, $0.baseAddress?.advanced(by: offset), count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
