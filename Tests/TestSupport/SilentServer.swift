import Glibc

/// A TCP listener on 127.0.0.1 that never accepts and never says anything: the kernel completes the handshake,
/// so a client connects and then waits for a greeting that never comes (the timeout test).
package final class SilentServer {
    package let port: Int
    private var descriptor: Int32

    package init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError("socket() failed: errno \(errno)") }
        var address = TestPorts.loopbackAddress(port: 0)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        var nameLength = length
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &nameLength) }
        }
        guard bound == 0, named == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestServerError("cannot listen on 127.0.0.1: errno \(errno)")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
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
