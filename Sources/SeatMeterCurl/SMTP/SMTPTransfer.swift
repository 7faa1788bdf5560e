internal import CCurl

/// One SMTP transaction on its own libcurl easy handle: owns the `CURL*`, its error buffer, the `MAIL_RCPT`
/// `curl_slist`, the message bytes being uploaded and the ``SMTPTranscript`` the debug callback fills.
///
/// Not `Sendable`: created, performed and dropped on one thread.
///
/// Callback context: `READDATA` and `DEBUGDATA` are `Unmanaged.passUnretained(self)`. That is safe because this
/// object owns the handle: libcurl calls the callbacks only inside `curl_easy_perform` (made from a method of this
/// object, so `self` is alive) and, for `DEBUGFUNCTION`, possibly during `curl_easy_cleanup` — which is why
/// `deinit` switches verbose mode and the debug callback off before the cleanup.
///
/// (This duplicates a little of ``CurlEasyHandle``: that class does not expose pointer, list or callback options
/// yet. Once it does, this class can own a `CurlEasyHandle` instead of a raw handle.)
final class SMTPTransfer {
    private let handle: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER` storage: kept by libcurl for the handle's life, freed after `curl_easy_cleanup`.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// `CURLOPT_MAIL_RCPT`: libcurl keeps the pointer (does not copy the list); freed after `curl_easy_cleanup`.
    private var recipientList: UnsafeMutablePointer<curl_slist>?
    private let message: [UInt8]
    /// How many bytes of `message` the read callback has handed to libcurl.
    private(set) var uploaded = 0
    private(set) var transcript: SMTPTranscript

    init(message: [UInt8], recipientCount: Int, file: String = #fileID, line: Int = #line) throws(CurlError) {
        try CurlGlobal.ensureInitialized(file: file, line: line)
        guard let handle = curl_easy_init() else {
            throw CurlError(code: .failedInit, detail: "curl_easy_init returned NULL", file: file, line: line)
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        self.message = message
        transcript = SMTPTranscript(recipientCount: recipientCount)
        try check(seatmeter_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), file: file, line: line)
        try setOption(CURLOPT_NOSIGNAL, 1, file: file, line: line)
    }

    deinit {
        // curl_easy_cleanup may still talk to the server (QUIT) and would report that to the debug callback while
        // this object is being destroyed: switch tracing off first.
        _ = seatmeter_curl_easy_setopt_long(handle, CURLOPT_VERBOSE, 0)
        _ = seatmeter_curl_easy_setopt_pointer(handle, CURLOPT_DEBUGFUNCTION, nil)
        curl_easy_cleanup(handle)
        curl_slist_free_all(recipientList)
        errorBuffer.deallocate()
    }

    // MARK: - Options

    func setOption(_ option: CURLoption, _ value: Int, file: String = #fileID, line: Int = #line) throws(CurlError) {
        try check(seatmeter_curl_easy_setopt_long(handle, option, value), file: file, line: line)
    }

    /// libcurl copies string arguments, so the temporary C string may go away.
    func setOption(_ option: CURLoption, _ value: String, file: String = #fileID, line: Int = #line) throws(CurlError) {
        let code = value.withCString { seatmeter_curl_easy_setopt_string(handle, option, $0) }
        try check(code, file: file, line: line)
    }

    /// `CURLOPT_MAIL_RCPT`: one entry per recipient, in order (the transcript relies on that order).
    func setRecipients(_ recipients: [String], file: String = #fileID, line: Int = #line) throws(CurlError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients {
            let appended = recipient.withCString { curl_slist_append(list, $0) }
            guard let appended else {
                curl_slist_free_all(list)
                throw CurlError(code: .outOfMemory, detail: "curl_slist_append failed", file: file, line: line)
            }
            list = appended
        }
        do {
            try check(seatmeter_curl_easy_setopt_slist(handle, CURLOPT_MAIL_RCPT, list), file: file, line: line)
        } catch {
            curl_slist_free_all(list)  // not taken: libcurl still points at the previous list, if any
            throw error
        }
        curl_slist_free_all(recipientList)
        recipientList = list
    }

    /// Upload from `message` (`UPLOAD`, `READFUNCTION`, `INFILESIZE_LARGE` so that the server's SIZE limit is
    /// checked at `MAIL FROM`) and follow the dialogue (`VERBOSE` + `DEBUGFUNCTION`; nothing is printed).
    func installCallbacks(file: String = #fileID, line: Int = #line) throws(CurlError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try setOption(CURLOPT_UPLOAD, 1, file: file, line: line)
        try check(
            seatmeter_curl_easy_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count)),
            file: file,
            line: line
        )
        try check(
            seatmeter_curl_easy_setopt_data_callback(handle, CURLOPT_READFUNCTION, Self.readCallback),
            file: file,
            line: line
        )
        try check(seatmeter_curl_easy_setopt_pointer(handle, CURLOPT_READDATA, context), file: file, line: line)
        try check(seatmeter_curl_easy_setopt_debug_callback(handle, Self.debugCallback), file: file, line: line)
        try check(seatmeter_curl_easy_setopt_pointer(handle, CURLOPT_DEBUGDATA, context), file: file, line: line)
        try setOption(CURLOPT_VERBOSE, 1, file: file, line: line)
    }

    // MARK: - Transfer

    /// `curl_easy_perform`: blocks for the whole dialogue.
    func perform(file: String = #fileID, line: Int = #line) throws(CurlError) {
        try check(curl_easy_perform(handle), file: file, line: line)
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

    // MARK: - Errors

    func check(_ code: CURLcode, file: String = #fileID, line: Int = #line) throws(CurlError) {
        guard code != CURLE_OK else { return }
        var osErrno = 0
        _ = seatmeter_curl_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
        let detail = String(cString: errorBuffer)
        errorBuffer[0] = 0
        throw CurlError(
            code: CurlError.Code(code),
            detail: detail,
            osErrno: Int32(truncatingIfNeeded: osErrno),
            file: file,
            line: line
        )
    }
}

@available(*, unavailable)
extension SMTPTransfer: Sendable {}
