internal import CCurl

/// The SASL mechanism that carries an OAuth 2.0 bearer token to an IMAP or SMTP server.
package enum BearerMechanism: String, Sendable, Hashable, CaseIterable {
    /// Google's and Microsoft's `XOAUTH2`.
    case xoauth2 = "XOAUTH2"
    /// RFC 7628 `OAUTHBEARER`.
    case oauthbearer = "OAUTHBEARER"
}

/// What a mail endpoint logs in with: a password, or an OAuth 2.0 access token. Neither is ever shown by
/// ``description`` (nor by the endpoints' descriptions and mirrors).
package enum MailCredential: Sendable, Hashable, CustomStringConvertible {
    case password(String)
    case bearer(token: String, mechanism: BearerMechanism)

    /// The secret itself (password or token), for validation only.
    var secret: String {
        switch self {
        case .password(let password): password
        case .bearer(let token, _): token
        }
    }

    /// "password" or "token", for messages.
    package var kind: String {
        switch self {
        case .password: "password"
        case .bearer: "access token"
        }
    }

    package var description: String {
        switch self {
        case .password: "password(<redacted>)"
        case .bearer(_, let mechanism): "bearer(<redacted>, \(mechanism.rawValue))"
        }
    }
}

extension CurlEasyHandle {
    /// Sets the login: `CURLOPT_USERNAME` and either `CURLOPT_PASSWORD`, or `CURLOPT_XOAUTH2_BEARER` with
    /// `CURLOPT_LOGIN_OPTIONS` `AUTH=<mechanism>`, which restricts libcurl's SASL choice to that one mechanism (it
    /// would otherwise prefer OAUTHBEARER whenever the server offers both). Never in the URL.
    func setCredential(
        username: String, _ credential: MailCredential, file: String = #fileID, line: Int = #line
    ) throws(CurlError) {
        try setOption(CURLOPT_USERNAME, username, file: file, line: line)
        switch credential {
        case .password(let password):
            try setOption(CURLOPT_PASSWORD, password, file: file, line: line)
        case .bearer(let token, let mechanism):
            try setOption(CURLOPT_XOAUTH2_BEARER, token, file: file, line: line)
            try setOption(CURLOPT_LOGIN_OPTIONS, "AUTH=\(mechanism.rawValue)", file: file, line: line)
        }
    }
}
