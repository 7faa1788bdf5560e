/// Why a message was not sent, with a message meant for an administrator. Never contains the password.
package struct SMTPError: Error, Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The server rejected the user name or password, or demands AUTH that was not configured.
        case authenticationFailed
        /// Nothing accepted the TCP connection, the host name did not resolve, or the connection broke.
        case connectionFailed
        /// TLS could not be set up: untrusted certificate, wrong host name, handshake failure, or a server that
        /// does not offer (or insists on) STARTTLS.
        case tlsFailed
        /// The server stayed silent longer than the timeout.
        case timeout
        /// Every recipient was refused at `RCPT TO`: nothing was sent. ``SMTPError/rejected`` has the replies.
        case allRecipientsRejected
        /// The endpoint or the envelope is unsafe or malformed; nothing was sent.
        case insecureConfiguration
        /// The server refused the sender or the message, or said something this client does not understand.
        case protocolError
    }

    package let kind: Kind
    package let message: String
    /// The server reply behind the failure, when there was one.
    package let reply: SMTPReply?
    /// For ``Kind/allRecipientsRejected``: each recipient with the server's reply.
    package let rejected: [SMTPRecipientRejection]
    /// The whole message had been handed over and the connection failed before the server's final reply, so the
    /// server may have queued it anyway. Whoever retries may cause a duplicate; whoever does not may lose it.
    package let possiblyDelivered: Bool
    /// The libcurl failure behind this error, when there was one.
    package let curlError: CurlError?

    package init(
        _ kind: Kind,
        _ message: String,
        reply: SMTPReply? = nil,
        rejected: [SMTPRecipientRejection] = [],
        possiblyDelivered: Bool = false,
        curlError: CurlError? = nil
    ) {
        self.kind = kind
        self.message = message
        self.reply = reply
        self.rejected = rejected
        self.possiblyDelivered = possiblyDelivered
        self.curlError = curlError
    }

    /// Whether the same send can succeed later without a configuration change: connection problems, timeouts and
    /// any 4xx server reply (RFC 5321 §4.2.1: "transient negative completion") are transient; authentication, TLS,
    /// configuration and 5xx refusals are not.
    package var isTransient: Bool {
        switch kind {
        case .connectionFailed, .timeout: true
        case .allRecipientsRejected: !rejected.isEmpty && rejected.allSatisfy(\.isTransient)
        case .protocolError: reply?.isTransient ?? false
        case .authenticationFailed, .tlsFailed, .insecureConfiguration: reply?.isTransient ?? false
        }
    }

    package var description: String {
        guard let curlError else { return message }
        return "\(message) (\(curlError))"
    }
}
