internal import CCurl
internal import Glibc

/// The byte stream of a connect-only libcurl connection: `curl_easy_send`/`curl_easy_recv` (through TLS when the
/// connection has it), waiting for the socket with `poll()` and giving up after the idle timeout.
///
/// Owns the ``CurlEasyHandle``; ``close()`` shuts the socket down and frees the handle. Not `Sendable`: one session,
/// one thread.
final class CurlConnection: IMAPByteSource {
    private var handle: CurlEasyHandle?
    private let socket: Int32
    private let idleTimeoutMilliseconds: Int
    /// The host, for messages.
    let host: String

    init(handle: CurlEasyHandle, socket: Int32, idleTimeoutMilliseconds: Int, host: String) {
        self.handle = handle
        self.socket = socket
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.host = host
    }

    deinit { close() }

    /// Shuts the socket down (so that libcurl's own LOGOUT attempt in `curl_easy_cleanup` fails at once instead of
    /// waiting for a server that may be stuck) and frees the handle, which closes the socket.
    func close() {
        guard handle != nil else { return }
        _ = Glibc.shutdown(socket, Int32(SHUT_RDWR))
        handle = nil
    }

    var isOpen: Bool { handle != nil }

    // MARK: - Sending

    /// Sends all of `bytes`, waiting for the socket to become writable as needed.
    func send(_ bytes: [UInt8]) throws(IMAPError) {
        guard let handle else { throw closedError }
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(CurlError) in try handle.send(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch result {
            case .success(.transferred(let count)): offset += count
            case .success(.wouldBlock): try wait(for: Int16(POLLOUT), activity: "while a command was being sent")
            case .failure(let error):
                throw IMAPError(.connectionLost, "the connection to \(host) was lost while sending", curlError: error)
            }
        }
    }

    // MARK: - Receiving

    func receive(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(IMAPError) -> Int {
        guard let handle else { throw closedError }
        while true {
            let result: CurlEasyHandle.IOResult
            do {
                // libcurl is asked first and the socket polled only on CURLE_AGAIN: TLS may hold decrypted bytes
                // that poll() cannot see.
                result = try handle.receive(into: UnsafeMutableRawBufferPointer(start: buffer, count: capacity))
            } catch {
                throw IMAPError(.connectionLost, "the connection to \(host) was lost", curlError: error)
            }
            switch result {
            case .transferred(0): throw IMAPError(.connectionLost, "\(host) closed the connection")
            case .transferred(let count): return count
            case .wouldBlock: try wait(for: Int16(POLLIN), activity: "while a response was expected")
            }
        }
    }

    /// Waits until the socket is ready for `events`, at most the idle timeout.
    private func wait(for events: Int16, activity: String) throws(IMAPError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(idleTimeoutMilliseconds))
        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { throw timeoutError(activity) }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }  // readable, writable, or an error/hang-up that the next curl call reports
            if ready == 0 { throw timeoutError(activity) }
            let code = errno
            guard code == EINTR else {
                throw IMAPError(.connectionLost, "poll() on the connection to \(host) failed (errno \(code))")
            }
        }
    }

    private func timeoutError(_ activity: String) -> IMAPError {
        IMAPError(.timeout, "\(host) was silent for \(Double(idleTimeoutMilliseconds) / 1000) s \(activity)")
    }

    private var closedError: IMAPError { IMAPError(.connectionLost, "the connection to \(host) is closed") }
}
