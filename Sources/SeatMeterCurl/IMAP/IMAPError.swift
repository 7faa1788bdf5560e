/// Why an IMAP session failed, with a message meant for an administrator.
///
/// The lead adds the account and folder names; this type says what went wrong and whether retrying can help.
package struct IMAPError: Error, Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The server rejected the user name or password (libcurl 67).
        case authenticationFailed
        /// Nothing accepted the TCP connection, or the host name did not resolve (libcurl 6, 7).
        case connectionFailed
        /// TLS could not be set up: untrusted certificate, wrong host name, pin mismatch, handshake failure.
        case tlsFailed
        /// The server stayed silent longer than the connect or idle timeout (libcurl 28, or our receive timeout).
        case timeout
        /// `EXAMINE` was refused: the folder does not exist (or is not visible to this user).
        case folderNotFound
        /// The connection broke (closed, reset or `BYE`) after it was set up.
        case connectionLost
        /// The server said something this client does not understand, or refused a command.
        case protocolError
        /// The endpoint would send credentials or mail in clear text, or is otherwise unsafe or malformed.
        case insecureConfiguration
    }

    package let kind: Kind
    package let message: String
    /// The libcurl failure behind this error, when there was one.
    package let curlError: CurlError?

    package init(_ kind: Kind, _ message: String, curlError: CurlError? = nil) {
        self.kind = kind
        self.message = message
        self.curlError = curlError
    }

    /// Whether the same request can succeed later without a configuration change: connection problems and
    /// timeouts are transient; authentication, TLS, configuration, missing folders and protocol errors are not.
    package var isTransient: Bool {
        switch kind {
        case .connectionFailed, .timeout, .connectionLost: true
        case .authenticationFailed, .tlsFailed, .folderNotFound, .protocolError, .insecureConfiguration: false
        }
    }

    package var description: String {
        guard let curlError else { return message }
        return "\(message) (\(curlError))"
    }
}

// MARK: - libcurl codes

extension IMAPError {
    /// Maps a libcurl failure during connect/TLS/login (or a later send/receive) to an ``IMAPError``.
    ///
    /// - SeeAlso: LIBCURL-IMAP.md, "libcurl error codes seen".
    init(connecting error: CurlError, to host: String, credential: MailCredential? = nil) {
        switch error.code {
        case .loginDenied:
            self.init(.authenticationFailed, "the server at \(host) rejected the user name or \(credential?.kind ?? "password")",
                      curlError: error)
        case .couldntResolveHost:
            self.init(.connectionFailed, "cannot resolve the host name \(host)", curlError: error)
        case .couldntConnect:
            self.init(.connectionFailed, "cannot connect to \(host): nothing accepted the connection",
                      curlError: error)
        case .operationTimedout:
            self.init(.timeout, "\(host) did not complete the connection, greeting or login in time",
                      curlError: error)
        case .peerFailedVerification:
            self.init(.tlsFailed,
                      "the TLS certificate of \(host) is not trusted or does not match the host name"
                        + " (set ca_file for a private CA)",
                      curlError: error)
        case .sslPinnedPubKeyNotMatch:
            self.init(.tlsFailed, "the public key of \(host) does not match pinned_public_key", curlError: error)
        case .sslConnectError:
            self.init(.tlsFailed,
                      "the TLS handshake with \(host) failed (is this an imaps:// URL pointing at a plain IMAP port?)",
                      curlError: error)
        case .sslCertProblem, .sslCipher, .sslCACertBadFile, .sslIssuerError, .sslInvalidCertStatus:
            self.init(.tlsFailed, "TLS with \(host) failed", curlError: error)
        case .useSSLFailed:
            self.init(.insecureConfiguration,
                      "\(host) does not offer STARTTLS; refusing to log in without TLS"
                        + " (use imaps://, or allow_insecure for a loopback test server)",
                      curlError: error)
        case .sendError, .recvError, .gotNothing:
            self.init(.connectionLost, "the connection to \(host) was lost", curlError: error)
        case .urlMalformat, .unsupportedProtocol:
            self.init(.insecureConfiguration, "the URL for \(host) is not usable", curlError: error)
        case .weirdServerReply:
            self.init(.protocolError, "\(host) sent a reply that is not IMAP", curlError: error)
        default:
            self.init(.connectionFailed, "connecting to \(host) failed", curlError: error)
        }
    }
}
