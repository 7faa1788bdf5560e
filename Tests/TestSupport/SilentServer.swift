import Glibc

/// A TCP listener on 127.0.0.1 that never accepts and never says anything: the kernel completes the handshake,
/// so a client connects and then waits for a greeting that never comes (the timeout test).
package final class SilentServer {
    package let port: Int
    private var descriptor: Int32

    package init() throws {
        (descriptor, port) = try LoopbackSocket.listen()
    }

    deinit { stop() }

    package var plainURL: String { "imap://127.0.0.1:\(port)" }
    package var tlsURL: String { "imaps://127.0.0.1:\(port)" }

    package func stop() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
