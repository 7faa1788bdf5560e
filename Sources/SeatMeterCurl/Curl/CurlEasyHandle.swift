internal import CCurl

/// Owns one libcurl easy handle (`CURL*`), its error buffer and the `curl_slist`s set on it.
///
/// Not `Sendable`: a handle is used by one thread at a time and never shared (libcurl's threading rule). Every
/// `setopt`, `perform`, `getinfo`, `send` and `recv` goes through ``check(_:file:line:)``, which turns a `CURLcode`
/// into a ``CurlError`` carrying the error-buffer text. Signals are off (`CURLOPT_NOSIGNAL`) because libcurl's
/// SIGALRM-based resolver timeouts are unsafe in a multi-threaded process.
final class CurlEasyHandle {
    private let handle: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER` storage. libcurl keeps this pointer for the handle's whole life, so it is allocated
    /// here and freed in `deinit` only after `curl_easy_cleanup`.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The lists set with the `[String]` `setOption`, by option. libcurl keeps the pointer (it does not
    /// copy the list), so each is freed only when replaced or after `curl_easy_cleanup`.
    private var lists: [CURLoption.RawValue: UnsafeMutablePointer<curl_slist>] = [:]
    /// Whether a debug callback is set: `deinit` must then switch it off before `curl_easy_cleanup`.
    private var tracing = false

    init(file: String = #fileID, line: Int = #line) throws(CurlError) {
        try CurlGlobal.ensureInitialized(file: file, line: line)
        guard let handle = curl_easy_init() else {
            throw CurlError(code: .failedInit, detail: "curl_easy_init returned NULL", file: file, line: line)
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try check(seatmeter_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), file: file, line: line)
        try setOption(CURLOPT_NOSIGNAL, 1, file: file, line: line)
    }

    deinit {
        if tracing {
            // curl_easy_cleanup may still talk to the server (QUIT, LOGOUT) and would report that to the debug
            // callback, whose context is the owner of this handle, already being destroyed: switch tracing off.
            _ = seatmeter_curl_easy_setopt_long(handle, CURLOPT_VERBOSE, 0)
            _ = seatmeter_curl_easy_setopt_pointer(handle, CURLOPT_DEBUGFUNCTION, nil)
        }
        curl_easy_cleanup(handle)
        for list in lists.values { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    // MARK: - Options

    func setOption(_ option: CURLoption, _ value: Int, file: String = #fileID, line: Int = #line) throws(CurlError) {
        try check(seatmeter_curl_easy_setopt_long(handle, option, value), file: file, line: line)
    }

    func setOption(_ option: CURLoption, _ value: Bool, file: String = #fileID, line: Int = #line) throws(CurlError) {
        try setOption(option, value ? 1 : 0, file: file, line: line)
    }

    /// Sets a string option. libcurl copies string arguments (since 7.17), so the temporary C string may go away.
    func setOption(_ option: CURLoption, _ value: String, file: String = #fileID, line: Int = #line) throws(CurlError) {
        let code = value.withCString { seatmeter_curl_easy_setopt_string(handle, option, $0) }
        try check(code, file: file, line: line)
    }

    /// Sets a `curl_off_t` option (the `*_LARGE` sizes; `curl_off_t` is `Int` on 64-bit Linux, hence the label).
    func setOption(
        _ option: CURLoption, large value: curl_off_t, file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        try check(seatmeter_curl_easy_setopt_off_t(handle, option, value), file: file, line: line)
    }

    /// Sets a pointer option, such as a callback's user data. libcurl keeps the pointer without owning it: the
    /// caller keeps what it points to alive for as long as libcurl may use it.
    func setOption(
        _ option: CURLoption, _ value: UnsafeMutableRawPointer?, file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        try check(seatmeter_curl_easy_setopt_pointer(handle, option, value), file: file, line: line)
    }

    /// Sets a list option (`CURLOPT_MAIL_RCPT`, …) to `strings`, in order. The `curl_slist` belongs to this handle:
    /// libcurl does not copy it, so it lives until it is replaced or the handle is cleaned up.
    func setOption(
        _ option: CURLoption, _ strings: [String], file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for string in strings {
            let appended = string.withCString { curl_slist_append(list, $0) }
            guard let appended else {
                curl_slist_free_all(list)
                throw CurlError(code: .outOfMemory, detail: "curl_slist_append failed", file: file, line: line)
            }
            list = appended
        }
        do {
            try check(seatmeter_curl_easy_setopt_slist(handle, option, list), file: file, line: line)
        } catch {
            curl_slist_free_all(list)  // not taken: libcurl still points at the previous list, if any
            throw error
        }
        curl_slist_free_all(lists[option.rawValue])  // no longer referenced by libcurl
        lists[option.rawValue] = list
    }

    /// TLS as `security` asks (`CURLOPT_USE_SSL`), the peer's certificate and host name always verified;
    /// `caFile` (`CURLOPT_CAINFO`) replaces the system's CA store.
    func setTLS(
        _ security: TransportSecurity, caFile: String?, file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        switch security {
        case .implicitTLS: break  // imaps://, smtps:// are TLS from the first byte
        case .startTLS: try setOption(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue), file: file, line: line)
        case .plain: try setOption(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue), file: file, line: line)
        }
        // Verification is never turned off.
        try setOption(CURLOPT_SSL_VERIFYPEER, 1, file: file, line: line)
        try setOption(CURLOPT_SSL_VERIFYHOST, 2, file: file, line: line)
        if let caFile { try setOption(CURLOPT_CAINFO, caFile, file: file, line: line) }
    }

    /// Sets a read or write callback (`CURLOPT_READFUNCTION`, `CURLOPT_WRITEFUNCTION`); its user data is set apart
    /// with the pointer `setOption` (`CURLOPT_READDATA`, `CURLOPT_WRITEDATA`).
    func setCallback(
        _ option: CURLoption, _ callback: seatmeter_curl_data_callback, file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        try check(seatmeter_curl_easy_setopt_data_callback(handle, option, callback), file: file, line: line)
    }

    /// Sets `CURLOPT_DEBUGFUNCTION` (its user data is `CURLOPT_DEBUGDATA`); libcurl calls it only with
    /// `CURLOPT_VERBOSE` on. `deinit` switches it off before `curl_easy_cleanup`, so that the callback is never
    /// called once the handle's owner is being destroyed.
    func setDebugCallback(
        _ callback: curl_debug_callback, file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        try check(seatmeter_curl_easy_setopt_debug_callback(handle, callback), file: file, line: line)
        tracing = true
    }

    // MARK: - Transfer

    /// `curl_easy_perform`: blocks the calling thread for the whole transfer (with `CURLOPT_CONNECT_ONLY`, until
    /// the connection is set up and authenticated).
    func perform(file: String = #fileID, line: Int = #line) throws(CurlError) {
        try check(curl_easy_perform(handle), file: file, line: line)
    }

    /// The connection's socket after a connect-only `perform` (`CURLINFO_ACTIVESOCKET`).
    func activeSocket(file: String = #fileID, line: Int = #line) throws(CurlError) -> Int32 {
        var socket: curl_socket_t = CURL_SOCKET_BAD
        try check(seatmeter_curl_easy_getinfo_socket(handle, CURLINFO_ACTIVESOCKET, &socket), file: file, line: line)
        guard socket != CURL_SOCKET_BAD else {
            throw CurlError(code: .gotNothing, detail: "no active socket", file: file, line: line)
        }
        return socket
    }

    /// Outcome of a non-blocking `curl_easy_send`/`curl_easy_recv`.
    enum IOResult {
        /// Bytes moved; for a receive, 0 means the peer closed the connection.
        case transferred(Int)
        /// `CURLE_AGAIN`: nothing can move now; wait for the socket.
        case wouldBlock
    }

    /// `curl_easy_send` on a connect-only connection (through TLS when the connection has it).
    func send(
        _ bytes: UnsafeRawBufferPointer, file: String = #fileID, line: Int = #line
    ) throws(CurlError) -> IOResult {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return .transferred(0) }
        var sent = 0
        clearErrorBuffer()
        let code = curl_easy_send(handle, base, bytes.count, &sent)
        if code == CURLE_AGAIN { return .wouldBlock }
        try check(code, file: file, line: line)
        return .transferred(sent)
    }

    /// `curl_easy_recv` on a connect-only connection. Returns `.transferred(0)` when the peer closed it.
    func receive(
        into buffer: UnsafeMutableRawBufferPointer, file: String = #fileID, line: Int = #line
    ) throws(CurlError) -> IOResult {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .transferred(0) }
        var received = 0
        clearErrorBuffer()
        let code = curl_easy_recv(handle, base, buffer.count, &received)
        if code == CURLE_AGAIN { return .wouldBlock }
        try check(code, file: file, line: line)
        return .transferred(received)
    }

    /// A `long` transfer info after `perform` (`CURLINFO_RESPONSE_CODE`, ...).
    func info(_ info: CURLINFO, file: String = #fileID, line: Int = #line) throws(CurlError) -> Int {
        var value = 0
        try check(seatmeter_curl_easy_getinfo_long(handle, info, &value), file: file, line: line)
        return value
    }

    // MARK: - Errors

    /// Turns a `CURLcode` into a thrown ``CurlError`` with the error-buffer text and the OS errno.
    func check(_ code: CURLcode, file: String = #fileID, line: Int = #line) throws(CurlError) {
        guard code != CURLE_OK else { return }
        var osErrno = 0
        _ = seatmeter_curl_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
        let detail = String(cString: errorBuffer)
        clearErrorBuffer()
        throw CurlError(code: CurlError.Code(code), detail: detail, osErrno: Int32(truncatingIfNeeded: osErrno),
                        file: file, line: line)
    }

    private func clearErrorBuffer() { errorBuffer[0] = 0 }
}

@available(*, unavailable)
extension CurlEasyHandle: Sendable {}
