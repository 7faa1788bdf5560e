/// One request to an OAuth 2.0 token endpoint (RFC 6749 §4.4 client credentials or §6 refresh).
///
/// ``description`` shows neither the client secret nor the refresh token.
package struct OAuthTokenRequest: Sendable, Hashable, CustomStringConvertible {
    package enum Grant: Sendable, Hashable, CustomStringConvertible {
        /// App-only access (Microsoft 365 `IMAP.AccessAsApp`).
        case clientCredentials
        /// Delegated access with a long-lived refresh token (Google).
        case refreshToken(String)

        package var description: String {
            switch self {
            case .clientCredentials: "client_credentials"
            case .refreshToken: "refresh_token"
            }
        }
    }

    /// `https://...`; `http://` only to a loopback host with ``allowInsecure``.
    package var tokenURL: String
    package var clientID: String
    /// Sent in the form body (`client_secret_post`); nil for public clients.
    package var clientSecret: String?
    package var scope: String?
    package var grant: Grant
    /// A PEM file of CA certificates to trust for the token endpoint instead of the system store.
    package var caFile: String?
    package var allowInsecure: Bool
    /// Limit for the whole request (connect, TLS, answer).
    package var timeout: Duration

    package init(
        tokenURL: String, clientID: String, clientSecret: String?, scope: String?, grant: Grant,
        caFile: String? = nil, allowInsecure: Bool = false, timeout: Duration = .seconds(30)
    ) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.grant = grant
        self.caFile = caFile
        self.allowInsecure = allowInsecure
        self.timeout = timeout
    }

    package var description: String {
        "OAuthTokenRequest(tokenURL: \(tokenURL), clientID: \(clientID), clientSecret: "
            + "\(clientSecret == nil ? "nil" : "<redacted>"), scope: \(scope ?? "nil"), grant: \(grant))"
    }

    /// The `application/x-www-form-urlencoded` body.
    var formBody: String {
        var fields = [("grant_type", grant.description)]
        if case .refreshToken(let token) = grant { fields.append(("refresh_token", token)) }
        fields.append(("client_id", clientID))
        if let clientSecret { fields.append(("client_secret", clientSecret)) }
        if let scope, !scope.isEmpty { fields.append(("scope", scope)) }
        return fields.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
    }

    /// Form encoding (WHATWG `application/x-www-form-urlencoded`): unreserved bytes as is, space as `+`, the rest
    /// percent-encoded UTF-8.
    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

/// What the token endpoint granted. ``description`` shows neither token.
package struct OAuthToken: Sendable, Hashable, CustomStringConvertible {
    package var accessToken: String
    /// `expires_in`; nil when the server did not say.
    package var expiresIn: Duration?
    /// A new refresh token (rotation), when the server sent one.
    package var refreshToken: String?

    package init(accessToken: String, expiresIn: Duration?, refreshToken: String?) {
        self.accessToken = accessToken
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
    }

    package var description: String {
        "OAuthToken(accessToken: <redacted>, expiresIn: \(expiresIn.map { "\($0)" } ?? "nil"), refreshToken: "
            + "\(refreshToken == nil ? "nil" : "<redacted>"))"
    }
}

/// Why no token was obtained. Never contains a secret or token.
package struct OAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Kind: String, Sendable, Hashable {
        /// The authorization server refused for good (`invalid_grant`, `invalid_client`, revoked consent, a wrong
        /// token URL): retrying will not help until an admin acts. An alarm.
        case permanent
        /// Network trouble, a timeout, 5xx, 429: back off and retry.
        case transient
        /// The request breaks the security rules (plain http to a non-loopback host, ...); nothing was sent.
        case configuration
    }

    package var kind: Kind
    package var message: String
    /// The OAuth `error` code, when the server sent one.
    package var code: String?
    /// The server's `Retry-After`, when it sent one (429, 503).
    package var retryAfter: Duration?

    package init(_ kind: Kind, _ message: String, code: String? = nil, retryAfter: Duration? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
        self.retryAfter = retryAfter
    }

    package var isPermanent: Bool { kind != .transient }
    package var description: String { message }
}
