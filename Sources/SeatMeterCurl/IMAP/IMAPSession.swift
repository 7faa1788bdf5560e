internal import CCurl

/// What `EXAMINE` reports about a folder.
package struct FolderStatus: Sendable, Hashable {
    package var uidValidity: UInt32
    /// The UID the next message will get; the messages present have UIDs below it.
    package var uidNext: UInt32
    /// The number of messages in the folder.
    package var exists: Int

    package init(uidValidity: UInt32, uidNext: UInt32, exists: Int) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.exists = exists
    }
}

/// One message's selected header fields, exactly as the server sent them (`BODY[HEADER.FIELDS (...)]`).
package struct FetchedHeader: Sendable, Hashable {
    package var uid: UInt32
    package var bytes: [UInt8]

    package init(uid: UInt32, bytes: [UInt8]) {
        self.uid = uid
        self.bytes = bytes
    }
}

/// A read-only IMAP session over one libcurl connection.
///
/// libcurl connects, sets up TLS (implicit or STARTTLS), verifies the certificate and logs in
/// (`CURLOPT_CONNECT_ONLY`); the session then speaks IMAP itself over `curl_easy_send`/`curl_easy_recv`, with a
/// streaming response parser, because libcurl's own IMAP requests either cap responses at 300 KB, truncate long
/// lines silently, or mark messages `\Seen` (see LIBCURL-IMAP.md).
///
/// It only ever sends `EXAMINE`, `UID FETCH ... BODY.PEEK[HEADER.FIELDS (...)]` and `LOGOUT`: no flag on the server
/// changes.
///
/// Blocking and not `Sendable`: use it on one dedicated thread at a time (never the cooperative pool). It may move to
/// another thread between two uses, through a lock or a semaphore that orders the two (as libcurl allows for its
/// handles: `EarlyLogins` logs in on one thread and syncs on another). After a connection-level failure (timeout, lost
/// connection, protocol error) the session is unusable and every call throws; make a new one.
package final class IMAPSession {
    private let connection: CurlConnection
    private let reader: IMAPResponseReader<CurlConnection>
    private let host: String
    private var tagNumber = 0
    /// The folder of the last successful `EXAMINE`.
    private var examinedFolder: String?
    /// Set when a command's response was left half read (or the connection failed): the stream is out of step.
    private var failure: IMAPError?

    /// Connects, sets up TLS and logs in.
    ///
    /// - Throws: ``IMAPError``: `.insecureConfiguration` (before any network activity) when the endpoint breaks the
    ///   security rules; `.connectionFailed`, `.timeout`, `.tlsFailed` or `.authenticationFailed` from the
    ///   connection.
    package init(endpoint: IMAPEndpoint) throws(IMAPError) {
        let resolved = try endpoint.resolved()
        host = resolved.host
        let handle: CurlEasyHandle
        do {
            handle = try CurlEasyHandle()
            try Self.configure(handle, endpoint: endpoint, resolved: resolved)
        } catch {
            throw IMAPError(.insecureConfiguration, "libcurl rejected the settings for \(resolved.host)",
                            curlError: error)
        }
        let socket: Int32
        do {
            try handle.perform()
            socket = try handle.activeSocket()
        } catch {
            throw IMAPError(connecting: error, to: resolved.host, credential: endpoint.credential)
        }
        connection = CurlConnection(handle: handle, socket: socket,
                                    idleTimeoutMilliseconds: resolved.idleTimeoutMilliseconds, host: resolved.host)
        reader = IMAPResponseReader(source: connection)
    }

    deinit { connection.close() }

    private static func configure(
        _ handle: CurlEasyHandle, endpoint: IMAPEndpoint, resolved: IMAPEndpoint.Resolved
    ) throws(CurlError) {
        try handle.setOption(CURLOPT_URL, resolved.url)
        try handle.setOption(CURLOPT_PROTOCOLS_STR, "imap,imaps")
        // Credentials through options, never in the URL (which could end up in a log).
        try handle.setCredential(username: endpoint.username, endpoint.credential)
        try handle.setOption(CURLOPT_CONNECT_ONLY, 1)
        try handle.setOption(CURLOPT_CONNECTTIMEOUT_MS, resolved.connectTimeoutMilliseconds)
        // Bounds each server reply libcurl itself waits for (login; the LOGOUT it may try in curl_easy_cleanup).
        try handle.setOption(CURLOPT_SERVER_RESPONSE_TIMEOUT, max(1, (resolved.idleTimeoutMilliseconds + 999) / 1000))
        try handle.setOption(CURLOPT_TCP_KEEPALIVE, true)
        // curl_easy_recv reads at most this much per call (default 16 KB): as much as the reader's buffer takes, a
        // quarter of the system calls on a large fetch.
        try handle.setOption(CURLOPT_BUFFERSIZE, IMAPResponseReader<CurlConnection>.bufferSize)
        try handle.setTLS(resolved.security, caFile: endpoint.caFile)
        if let pin = endpoint.pinnedPublicKey { try handle.setOption(CURLOPT_PINNEDPUBLICKEY, pin) }
    }

    // MARK: - Commands

    /// Opens `folder` read-only (`EXAMINE`) and returns its UIDVALIDITY, UIDNEXT and message count.
    ///
    /// - Parameter folder: the mailbox name as the user sees it (non-ASCII names are sent in modified UTF-7).
    /// - Throws: ``IMAPError`` `.folderNotFound` when the server refuses the folder; connection-level kinds.
    package func examine(_ folder: String) throws(IMAPError) -> FolderStatus {
        examinedFolder = nil  // a failed EXAMINE leaves no folder selected (RFC 3501 §6.3.2)
        let tag = try send(IMAPCommand.examine(folder))
        var uidValidity: UInt32?
        var uidNext: UInt32?
        var exists: UInt32?
        while true {
            switch try receive(tag: tag) {
            case .status(.ok, .uidValidity(let value)?, _): uidValidity = value
            case .status(.ok, .uidNext(let value)?, _): uidNext = value
            case .exists(let count): exists = count
            case .tagged(.ok, _, _):
                guard let uidValidity, let uidNext else {
                    throw IMAPError(.protocolError, "\(host) did not report UIDVALIDITY and UIDNEXT for \"\(folder)\"")
                }
                examinedFolder = folder
                return FolderStatus(uidValidity: uidValidity, uidNext: uidNext, exists: Int(exists ?? 0))
            case .tagged(.no, let code, let text):
                switch code {
                case .other(let name)? where ["UNAVAILABLE", "SERVERBUG", "INUSE", "LIMIT"].contains(name.uppercased()):
                    throw IMAPError(.protocolError, "\(host) could not open the folder \"\(folder)\": \(text)")
                default:
                    throw IMAPError(.folderNotFound, "the folder \"\(folder)\" does not exist on \(host): \(text)")
                }
            case .tagged(_, _, let text):
                throw IMAPError(.protocolError, "\(host) refused EXAMINE \"\(folder)\": \(text)")
            default:
                continue
            }
        }
    }

    /// Fetches the given header fields of every message with a UID in `uids`, calling `body` for each as it
    /// arrives (nothing is buffered beyond the message at hand).
    ///
    /// Sends `UID FETCH a:b (UID BODY.PEEK[HEADER.FIELDS (...)])` (`b` = `*` when `uids.upperBound` is
    /// `UInt32.max`). Messages whose UID lies outside `uids` are dropped: `n:*` with `n` above the highest UID
    /// returns the highest message (RFC 3501 §6.4.8).
    ///
    /// If `body` throws, the rest of the response is read and discarded without calling `body` again (so the
    /// session stays usable), then that error is rethrown. `body` must not call back into this session.
    /// `header.bytes` shares storage with the parser's buffer until the next message; keeping it is fine (copy on
    /// write), but a consumer that only parses it lets the buffer be reused without any allocation.
    ///
    /// - Parameters:
    ///   - uids: the UID range; the caller chooses its size (each response streams, so any size works).
    ///   - fields: header field names, e.g. `HeaderParser.fetchedFieldNames`.
    ///   - body: called once per message, in server order, with the header bytes exactly as sent.
    /// - Throws: ``IMAPError`` (no folder examined, connection-level kinds, a server refusal), or `body`'s error.
    package func fetchHeaders(
        uids: ClosedRange<UInt32>, fields: [String], _ body: (FetchedHeader) throws -> Void
    ) throws {
        guard let folder = examinedFolder else {
            throw IMAPError(.protocolError, "fetchHeaders called without a successful examine")
        }
        let lower = max(1, uids.lowerBound)
        guard lower <= uids.upperBound else { return }
        let command = try IMAPCommand.uidFetchHeaders(lower: lower, upper: uids.upperBound, fields: fields)
        let tag = try send(command)
        var bodyError: (any Error)?
        while true {
            switch try receive(tag: tag) {
            case .fetch(_, let uid?, true) where bodyError == nil && uid >= lower && uid <= uids.upperBound:
                // `reader.body` is reused: once `header` is gone (unless `body` kept it), the next message's bytes
                // go into the same storage.
                let header = FetchedHeader(uid: uid, bytes: reader.body)
                do {
                    try body(header)
                } catch {
                    bodyError = error
                }
            case .tagged(let status, let code, let text):
                if let bodyError { throw bodyError }
                // NO [EXPUNGEISSUED]: some messages vanished meanwhile; the ones that exist were delivered.
                if status == .ok || (status == .no && code == .expungeIssued) { return }
                throw IMAPError(.protocolError, "\(host) refused UID FETCH in \"\(folder)\": \(text)")
            default:
                continue
            }
        }
    }

    /// Ends the session politely (`LOGOUT`) and closes the connection. Errors are ignored; calling it twice, or
    /// after a failure, only closes.
    package func logout() {
        defer { connection.close() }
        guard failure == nil, connection.isOpen else { return }
        do {
            let tag = try send(IMAPCommand.logout)
            while true {
                if case .tagged = try receive(tag: tag) { break }
            }
        } catch {
            // The server may close before the tagged OK; nothing to do either way.
        }
        failure = IMAPError(.connectionLost, "the session with \(host) has logged out")
    }

    // MARK: - Wire

    /// Writes `tag SP command CRLF`; returns the tag.
    private func send(_ command: [UInt8]) throws(IMAPError) -> [UInt8] {
        if let failure { throw failure }
        tagNumber += 1
        let tag = Array("S\(tagNumber)".utf8)
        var line = tag
        line.reserveCapacity(tag.count + command.count + 3)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: command)
        line.append(contentsOf: [0x0D, 0x0A])
        do {
            try connection.send(line)
        } catch {
            fail(error)
            throw error
        }
        return tag
    }

    /// Reads the next response; any failure (or a `BYE`) leaves the session unusable.
    private func receive(tag: [UInt8]) throws(IMAPError) -> IMAPResponse {
        do throws(IMAPError) {
            let response = try reader.next(tag: tag)
            if case .status(.bye, _, let text) = response {
                throw IMAPError(.connectionLost, "\(host) is closing the connection: \(text)")
            }
            return response
        } catch {
            fail(error)
            throw error
        }
    }

    private func fail(_ error: IMAPError) {
        guard failure == nil else { return }
        failure = IMAPError(error.kind == .timeout ? .timeout : .connectionLost,
                            "the session with \(host) is unusable after an earlier failure: \(error.message)",
                            curlError: error.curlError)
        connection.close()
    }
}

@available(*, unavailable)
extension IMAPSession: Sendable {}
