internal import CCurl
internal import SeatMeterCore

/// Submits one message per call over SMTP with libcurl: `MAIL FROM`, one `RCPT TO` per recipient, `DATA`.
///
/// TLS follows ``SMTPEndpoint``'s rules (implicit TLS, or STARTTLS that must succeed; plain only for loopback with
/// allowInsecure); certificates are always verified. AUTH happens when the endpoint has a username (libcurl picks
/// the strongest SASL mechanism both sides support; PLAIN and LOGIN only ever travel under TLS unless the endpoint
/// is an insecure loopback one).
///
/// Recipients the server refuses do not stop the others (`CURLOPT_MAIL_RCPT_ALLOWFAILS`); ``SMTPResult/rejected``
/// lists them with the server's reply, learnt from the SMTP dialogue (see ``SMTPTranscript``). If every recipient
/// is refused nothing is sent and ``SMTPError/Kind/allRecipientsRejected`` is thrown.
///
/// Blocking: a call holds its thread for the whole dialogue (bounded by the endpoint's timeout per step), so call
/// it from a dedicated thread, never the cooperative pool. Each call uses its own connection and easy handle, so
/// one sender may be used from several threads.
package struct SMTPSender: Sendable {
    package let endpoint: SMTPEndpoint
    private let resolved: SMTPEndpoint.Resolved

    /// - Throws: ``SMTPError`` `.insecureConfiguration` when the endpoint breaks the security rules.
    package init(endpoint: SMTPEndpoint) throws(SMTPError) {
        self.endpoint = endpoint
        resolved = try endpoint.resolved()
    }

    /// Sends `message` (complete RFC 5322 bytes with CRLF line ends, e.g. from ``MIMEBuilder``) from `from` to
    /// `recipients`. The envelope is independent of the message's own From/To header fields.
    ///
    /// - Returns: who was accepted and who was refused; at least one was accepted.
    /// - Throws: ``SMTPError``; ``SMTPError/isTransient`` says whether a later retry can help, and
    ///   ``SMTPError/possiblyDelivered`` whether the server may have queued the message despite the error.
    package func send(from: String, recipients: [String], message: [UInt8]) throws(SMTPError) -> SMTPResult {
        if let problem = MailAddressSyntax.problem(in: from) {
            throw SMTPError(.insecureConfiguration, "the sender address is not usable: \(problem)")
        }
        guard !recipients.isEmpty else { throw SMTPError(.insecureConfiguration, "no recipients") }
        for recipient in recipients {
            if let problem = MailAddressSyntax.problem(in: recipient) {
                throw SMTPError(.insecureConfiguration, "a recipient address is not usable: \(problem)")
            }
        }
        guard !message.isEmpty else { throw SMTPError(.insecureConfiguration, "the message is empty") }

        let transfer: SMTPTransfer
        do {
            transfer = try SMTPTransfer(message: message, recipientCount: recipients.count)
            try configure(transfer, from: from, recipients: recipients)
        } catch {
            throw SMTPError(
                .insecureConfiguration,
                "libcurl rejected the settings for \(resolved.host)",
                curlError: error
            )
        }
        do {
            try transfer.perform()
        } catch {
            throw Self.failure(error, transfer: transfer, host: resolved.host, from: from, recipients: recipients,
                               credentialKind: endpoint.credential?.kind)
        }
        let replies = transfer.transcript.recipientReplies
        var accepted: [String] = []
        var rejected: [SMTPRecipientRejection] = []
        for (index, recipient) in recipients.enumerated() {
            // libcurl completed the transaction, so an unseen reply (which the transcript rules out) was positive.
            if let reply = replies[index], !reply.isPositive {
                rejected.append(SMTPRecipientRejection(address: recipient, reply: reply))
            } else {
                accepted.append(recipient)
            }
        }
        return SMTPResult(accepted: accepted, rejected: rejected, finalReply: transfer.transcript.messageReply)
    }

    /// Connects, does TLS (or STARTTLS) with certificate verification and logs in, then disconnects without
    /// sending anything (`CURLOPT_CONNECT_ONLY`: libcurl's SMTP connect phase includes EHLO, STARTTLS and AUTH).
    /// For `seatmeter check-config --connect`.
    package func verifyConnection() throws(SMTPError) {
        let probe: SMTPTransfer
        do {
            probe = try SMTPTransfer(message: Array("\r\n".utf8), recipientCount: 1)
            try configure(probe, from: "postmaster@localhost", recipients: ["postmaster@localhost"])
            try probe.setOption(CURLOPT_CONNECT_ONLY, 1)
        } catch {
            throw SMTPError(
                .insecureConfiguration, "libcurl rejected the settings for \(resolved.host)", curlError: error)
        }
        do {
            try probe.perform()
        } catch {
            throw Self.failure(
                error, transfer: probe, host: resolved.host, from: "", recipients: [],
                credentialKind: endpoint.credential?.kind)
        }
    }

    // MARK: - libcurl settings

    /// `CURLOPT_MAIL_RCPT_ALLOWFAILS` (libcurl ≥ 8.2), spelled `CURLOPT_MAIL_RCPT_ALLLOWFAILS` from 7.69 to 8.1
    /// (Debian 12 has 7.88): the same option number, `CURLOPTTYPE_LONG + 290`, under either name.
    private static let mailRecipientAllowFails = CURLoption(rawValue: 290)

    private func configure(_ transfer: SMTPTransfer, from: String, recipients: [String]) throws(CurlError) {
        try transfer.setOption(CURLOPT_URL, resolved.url)
        try transfer.setOption(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        // Credentials through options, never in the URL (which could end up in a log).
        if let username = endpoint.username, let credential = endpoint.credential {
            try transfer.setCredential(username: username, credential)
        }
        try transfer.setOption(CURLOPT_MAIL_FROM, "<\(from)>")
        try transfer.setRecipients(recipients.map { "<\($0)>" })
        try transfer.setOption(Self.mailRecipientAllowFails, 1)
        let milliseconds = resolved.timeoutMilliseconds
        let seconds = max(1, (milliseconds + 999) / 1000)
        try transfer.setOption(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)  // TCP, TLS, greeting, EHLO, AUTH
        try transfer.setOption(CURLOPT_SERVER_RESPONSE_TIMEOUT, seconds)  // each reply after that
        try transfer.setOption(CURLOPT_LOW_SPEED_LIMIT, 1)  // an upload stalled for the timeout
        try transfer.setOption(CURLOPT_LOW_SPEED_TIME, seconds)
        try transfer.setOption(CURLOPT_FORBID_REUSE, 1)  // QUIT and close inside perform, not in cleanup
        try transfer.setTLS(resolved.security, caFile: endpoint.caFile)
        try transfer.installCallbacks()
    }

    // MARK: - Failures

    /// Turns a failed `perform` into an ``SMTPError``, using what the server said where libcurl's code is generic
    /// (libcurl reports most SMTP refusals as `CURLE_SEND_ERROR`, a refused message as `CURLE_WEIRD_SERVER_REPLY`).
    static func failure(
        _ error: CurlError,
        transfer: SMTPTransfer,
        host: String,
        from: String,
        recipients: [String],
        credentialKind: String? = nil
    ) -> SMTPError {
        let transcript = transfer.transcript
        // (libcurl QUITs after a failure, so the outstanding command is no guide here.)
        let possiblyDelivered = transcript.messageMayHaveBeenQueued(fullyUploaded: transfer.messageFullyUploaded)
        let rejected = zip(recipients, transcript.recipientReplies).compactMap { address, reply in
            reply.flatMap { $0.isPositive ? nil : SMTPRecipientRejection(address: address, reply: $0) }
        }
        let last = transcript.lastReply
        switch error.code {
        case .loginDenied:
            return SMTPError(
                .authenticationFailed,
                "the SMTP server at \(host) rejected the user name or \(credentialKind ?? "password")",
                reply: last?.command == .auth ? last?.reply : nil,
                curlError: error
            )
        case .couldntResolveHost:
            return SMTPError(.connectionFailed, "cannot resolve the host name \(host)", curlError: error)
        case .couldntConnect:
            return SMTPError(
                .connectionFailed,
                "cannot connect to \(host): nothing accepted the connection",
                curlError: error
            )
        case .operationTimedout:
            return SMTPError(
                .timeout,
                "the SMTP server at \(host) did not answer in time",
                possiblyDelivered: possiblyDelivered,
                curlError: error
            )
        case .peerFailedVerification:
            return SMTPError(
                .tlsFailed,
                "the TLS certificate of \(host) is not trusted or does not match the host name"
                    + " (set ca_file for a private CA)",
                curlError: error
            )
        case .sslConnectError:
            return SMTPError(
                .tlsFailed,
                "the TLS handshake with \(host) failed (is this an smtps:// URL pointing at a plain"
                    + " SMTP port?)",
                curlError: error
            )
        case .sslCertProblem, .sslCipher, .sslCACertBadFile, .sslIssuerError, .sslInvalidCertStatus,
            .sslPinnedPubKeyNotMatch:
            return SMTPError(.tlsFailed, "TLS with \(host) failed", curlError: error)
        case .useSSLFailed:
            return SMTPError(
                .tlsFailed,
                "\(host) does not offer STARTTLS; refusing to send without TLS (use smtps://, or"
                    + " allow_insecure for a loopback test server)",
                reply: last?.command == .startTLS ? last?.reply : nil,
                curlError: error
            )
        case .urlMalformat, .unsupportedProtocol:
            return SMTPError(.insecureConfiguration, "the SMTP URL for \(host) is not usable", curlError: error)
        default:
            break
        }
        if transcript.allRecipientsRefused {
            let list = rejected.map { "\($0.address) (\($0.reply))" }.joined(separator: ", ")
            return SMTPError(
                .allRecipientsRejected,
                "\(host) refused every recipient: \(list)",
                reply: rejected.last?.reply,
                rejected: rejected,
                curlError: error
            )
        }
        if let (command, reply) = last, reply.code >= 400 {
            if reply.code == 530 {
                if reply.text.uppercased().contains("STARTTLS") {
                    return SMTPError(
                        .tlsFailed,
                        "\(host) requires STARTTLS before mail: \(reply)",
                        reply: reply,
                        curlError: error
                    )
                }
                return SMTPError(
                    .authenticationFailed,
                    "\(host) requires authentication (set username and a password): \(reply)",
                    reply: reply,
                    curlError: error
                )
            }
            switch command {
            case .auth:
                return SMTPError(
                    .authenticationFailed,
                    "\(host) refused the login: \(reply)",
                    reply: reply,
                    curlError: error
                )
            case .startTLS:
                return SMTPError(.tlsFailed, "\(host) refused STARTTLS: \(reply)", reply: reply, curlError: error)
            case .mail:
                return SMTPError(
                    .protocolError,
                    "\(host) refused the sender \(from): \(reply)",
                    reply: reply,
                    curlError: error
                )
            case .data:
                return SMTPError(
                    .protocolError,
                    "\(host) refused to take the message (DATA): \(reply)",
                    reply: reply,
                    curlError: error
                )
            case .message:
                return SMTPError(
                    .protocolError,
                    "\(host) refused the message: \(reply)",
                    reply: reply,
                    curlError: error
                )
            case .greeting, .ehlo:
                return SMTPError(
                    .protocolError,
                    "\(host) refused the session: \(reply)",
                    reply: reply,
                    curlError: error
                )
            case .rcpt, .quit, .other:
                return SMTPError(.protocolError, "\(host) answered \(reply)", reply: reply, curlError: error)
            }
        }
        switch error.code {
        case .sendError, .recvError, .gotNothing:
            return SMTPError(
                .connectionFailed,
                "the connection to \(host) was lost",
                possiblyDelivered: possiblyDelivered,
                curlError: error
            )
        case .weirdServerReply:
            return SMTPError(
                .protocolError,
                "\(host) sent a reply that is not SMTP",
                possiblyDelivered: possiblyDelivered,
                curlError: error
            )
        default:
            return SMTPError(
                .protocolError,
                "sending through \(host) failed",
                possiblyDelivered: possiblyDelivered,
                curlError: error
            )
        }
    }
}
