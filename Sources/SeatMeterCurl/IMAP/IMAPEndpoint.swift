/// Where and how to log in to one IMAP account.
///
/// Security rules, checked by ``validate()`` before any network activity:
/// - `imaps://host[:port]`: implicit TLS; the certificate is always verified.
/// - `imap://host[:port]`: STARTTLS is required (`CURLUSESSL_ALL`), with the same verification.
/// - `imap://` without any TLS only when ``allowInsecure`` is set **and** the host is loopback (127.0.0.0/8, ::1,
///   localhost). ``allowInsecure`` with any other host is rejected, whatever the scheme.
///
/// Credentials go to libcurl through `CURLOPT_USERNAME` and `CURLOPT_PASSWORD` or `CURLOPT_XOAUTH2_BEARER`, never
/// in the URL, and ``description`` never shows the password or token.
package struct IMAPEndpoint: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `imap://host[:port]` or `imaps://host[:port]`, with nothing else (no user info, path or query).
    package var url: String
    package var username: String
    /// A password, or an OAuth 2.0 access token with its SASL mechanism.
    package var credential: MailCredential
    /// A PEM file of CA certificates to trust instead of the system store (`CURLOPT_CAINFO`).
    package var caFile: String?
    /// libcurl's `CURLOPT_PINNEDPUBLICKEY`: `sha256//base64[;sha256//...]` or a PEM/DER public key file.
    package var pinnedPublicKey: String?
    /// Plain IMAP without TLS; only accepted for a loopback host.
    package var allowInsecure: Bool
    /// Limit for TCP connect, TLS handshake, greeting and login together.
    package var connectTimeout: Duration
    /// Longest silence tolerated while waiting for bytes from the server after login.
    package var idleTimeout: Duration

    package init(
        url: String, username: String, password: String, caFile: String? = nil, pinnedPublicKey: String? = nil,
        allowInsecure: Bool = false, connectTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60)
    ) {
        self.init(
            url: url, username: username, credential: .password(password), caFile: caFile,
            pinnedPublicKey: pinnedPublicKey, allowInsecure: allowInsecure, connectTimeout: connectTimeout,
            idleTimeout: idleTimeout)
    }

    package init(
        url: String, username: String, credential: MailCredential, caFile: String? = nil,
        pinnedPublicKey: String? = nil, allowInsecure: Bool = false, connectTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(60)
    ) {
        self.url = url
        self.username = username
        self.credential = credential
        self.caFile = caFile
        self.pinnedPublicKey = pinnedPublicKey
        self.allowInsecure = allowInsecure
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
    }

    /// Checks the endpoint against the security rules without touching the network.
    ///
    /// - Throws: ``IMAPError`` of kind ``IMAPError/Kind/insecureConfiguration`` naming the problem.
    package func validate() throws(IMAPError) {
        _ = try resolved()
    }

    package var description: String {
        "IMAPEndpoint(url: \(url), username: \(username), credential: \(credential), caFile: \(caFile ?? "nil"), "
            + "pinnedPublicKey: \(pinnedPublicKey ?? "nil"), allowInsecure: \(allowInsecure), "
            + "connectTimeout: \(connectTimeout), idleTimeout: \(idleTimeout))"
    }

    package var debugDescription: String { description }

    package var customMirror: Mirror {
        Mirror(
            self, children: ["url": url, "username": username, "credential": credential.description],
            displayStyle: .struct)
    }
}

// MARK: - Validation

extension IMAPEndpoint {
    /// How the connection is protected.
    typealias Security = TransportSecurity

    /// The endpoint after validation: what the session hands to libcurl.
    struct Resolved {
        /// `scheme://host:port/`, without credentials.
        var url: String
        /// The host as written (brackets stripped for IPv6), for messages.
        var host: String
        var security: Security
        var connectTimeoutMilliseconds: Int
        var idleTimeoutMilliseconds: Int
    }

    static let urlSyntax = ServerURL.Syntax(
        protocolName: "IMAP", scheme: "imap", implicitTLSScheme: "imaps", defaultPort: 143,
        implicitTLSDefaultPort: 993,
        pathReason: "a path (folder) does not belong in the URL")

    func resolved() throws(IMAPError) -> Resolved {
        let parsed: ServerURL
        do {
            parsed = try ServerURL.parse(url, syntax: Self.urlSyntax, allowInsecure: allowInsecure)
        } catch {
            throw IMAPError(.insecureConfiguration, error.message)
        }
        for (name, value) in [("username", username), (credential.kind, credential.secret)]
        where EndpointField.hasNULOrLineBreak(value) {
            throw IMAPError(.insecureConfiguration, "the \(name) contains a NUL or line-break character")
        }
        if username.isEmpty { throw IMAPError(.insecureConfiguration, "the username is empty") }
        if let caFile, caFile.isEmpty { throw IMAPError(.insecureConfiguration, "ca_file is empty") }
        if let pinnedPublicKey, pinnedPublicKey.isEmpty {
            throw IMAPError(.insecureConfiguration, "pinned_public_key is empty")
        }
        let connectMilliseconds = try IMAPEndpoint.milliseconds(connectTimeout, name: "connect timeout")
        let idleMilliseconds = try IMAPEndpoint.milliseconds(idleTimeout, name: "idle timeout")
        return Resolved(
            url: parsed.string(), host: parsed.host,
            security: parsed.security,
            connectTimeoutMilliseconds: connectMilliseconds, idleTimeoutMilliseconds: idleMilliseconds)
    }

    private static func milliseconds(_ duration: Duration, name: String) throws(IMAPError) -> Int {
        guard let milliseconds = EndpointField.milliseconds(duration, below: .seconds(86_400 * 365)) else {
            throw IMAPError(.insecureConfiguration, "the \(name) must be positive (got \(duration))")
        }
        return milliseconds
    }
}
