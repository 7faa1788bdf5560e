internal import CCurl

/// One SMTP transaction on its own ``CurlEasyHandle``: owns the handle (which owns the `MAIL_RCPT` `curl_slist`),
/// the message bytes being uploaded and the ``SMTPTranscript`` the debug callback fills.
///
/// Not `Sendable`: created, performed and dropped on one thread.
///
/// Callback context: `READDATA` and `DEBUGDATA` are `Unmanaged.passUnretained(self)`. That is safe because this
/// object owns the handle and nothing else holds it: libcurl calls the read callback only inside
/// `curl_easy_perform` (made from a method of this object, so `self` is alive), and the debug callback there too or
/// during `curl_easy_cleanup` — which is why ``CurlEasyHandle``'s `deinit`, run after this object's, switches
/// verbose mode and the debug callback off before the cleanup.
final class SMTPTransfer {
    private let handle: CurlEasyHandle
    private let message: [UInt8]
    /// How many bytes of `message` the read callback has handed to libcurl.
    private(set) var uploaded = 0
    private(set) var transcript: SMTPTranscript

    init(message: [UInt8], recipientCount: Int, file: String = #fileID, line: Int = #line) throws(CurlError) {
        handle = try CurlEasyHandle(file: file, line: line)
        self.message = message
        transcript = SMTPTranscript(recipientCount: recipientCount)
    }

    // MARK: - Options

    func setOption(_ option: CURLoption, _ value: Int, file: String = #fileID, line: Int = #line) throws(CurlError) {
        try handle.setOption(option, value, file: file, line: line)
    }

    func setOption(_ option: CURLoption, _ value: String, file: String = #fileID, line: Int = #line) throws(CurlError) {
        try handle.setOption(option, value, file: file, line: line)
    }

    func setTLS(
        _ security: TransportSecurity, caFile: String?, file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        try handle.setTLS(security, caFile: caFile, file: file, line: line)
    }

    /// `CURLOPT_USERNAME` and the password or bearer token (see ``MailCredential``).
    func setCredential(username: String, _ credential: MailCredential, file: String = #fileID, line: Int = #line)
        throws(CurlError)
    {
        try handle.setCredential(username: username, credential, file: file, line: line)
    }

    /// `CURLOPT_MAIL_RCPT`: one entry per recipient, in order (the transcript relies on that order).
    func setRecipients(_ recipients: [String], file: String = #fileID, line: Int = #line) throws(CurlError) {
        try handle.setOption(CURLOPT_MAIL_RCPT, recipients, file: file, line: line)
    }

    /// Upload from `message` (`UPLOAD`, `READFUNCTION`, `INFILESIZE_LARGE` so that the server's SIZE limit is
    /// checked at `MAIL FROM`) and follow the dialogue (`VERBOSE` + `DEBUGFUNCTION`; nothing is printed).
    func installCallbacks(file: String = #fileID, line: Int = #line) throws(CurlError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try handle.setOption(CURLOPT_UPLOAD, 1, file: file, line: line)
        try handle.setOption(CURLOPT_INFILESIZE_LARGE, large: curl_off_t(message.count), file: file, line: line)
        try handle.setCallback(CURLOPT_READFUNCTION, Self.readCallback, file: file, line: line)
        try handle.setOption(CURLOPT_READDATA, context, file: file, line: line)
        try handle.setDebugCallback(Self.debugCallback, file: file, line: line)
        try handle.setOption(CURLOPT_DEBUGDATA, context, file: file, line: line)
        try handle.setOption(CURLOPT_VERBOSE, 1, file: file, line: line)
    }

    // MARK: - Transfer

    /// `curl_easy_perform`: blocks for the whole dialogue.
    func perform(file: String = #fileID, line: Int = #line) throws(CurlError) {
        try handle.perform(file: file, line: line)
    }

    /// Whether every byte of the message was handed to libcurl.
    var messageFullyUploaded: Bool { uploaded == message.count }

    // MARK: - Callbacks (never throw, capture nothing, forward to the owner)

    private static func from(userData: UnsafeMutableRawPointer) -> SMTPTransfer {
        Unmanaged<SMTPTransfer>.fromOpaque(userData).takeUnretainedValue()
    }

    private static let readCallback: seatmeter_curl_data_callback = { buffer, size, count, userData in
        // Returning 0 would end the message early and libcurl would send it, truncated, as complete: abort instead.
        guard let buffer, let userData else { return Int(CURL_READFUNC_ABORT) }
        return SMTPTransfer.from(userData: userData).read(into: buffer, capacity: size * count)
    }

    private func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, message.count - uploaded)
        guard count > 0 else { return 0 }  // end of the message
        let copied = message.withUnsafeBytes { source -> Bool in
            guard let base = source.baseAddress else { return false }
            UnsafeMutableRawPointer(buffer).copyMemory(from: base + uploaded, byteCount: count)
            return true
        }
        guard copied else { return Int(CURL_READFUNC_ABORT) }
        uploaded += count
        return count
    }

    private static let debugCallback: curl_debug_callback = { _, type, data, size, userData in
        guard let data, let userData else { return 0 }
        SMTPTransfer.from(userData: userData).trace(type, UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }

    private func trace(_ type: curl_infotype, _ bytes: UnsafeRawBufferPointer) {
        switch type {
        case CURLINFO_HEADER_OUT: transcript.commandSent(bytes)
        case CURLINFO_HEADER_IN: transcript.replyReceived(bytes)
        default: break  // informational text, message bytes, TLS records: not needed
        }
    }
}

@available(*, unavailable)
extension SMTPTransfer: Sendable {}
