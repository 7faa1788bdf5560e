import Foundation
package import SeatMeterCurl

/// How an IMAP account (or the SMTP server) logs in: `auth: password` (the default) or `auth: oauth2`.
package enum MailAuthentication: Sendable, Hashable {
    case password(SecretSource)
    case oauth2(OAuth2Configuration)

    /// `password` or `oauth2 (xoauth2, client_credentials)`, for check-config and logs.
    package var summary: String {
        switch self {
        case .password: "password"
        case .oauth2(let oauth): "oauth2 (\(oauth.mechanism.rawValue.lowercased()), \(oauth.source.summary))"
        }
    }

    package var isOAuth2: Bool {
        if case .oauth2 = self { true } else { false }
    }

    /// The secrets this login reads, by key, for check-config (readable, not group/world readable).
    package var secrets: [(key: String, source: SecretSource)] {
        switch self {
        case .password(let source): [("password", source)]
        case .oauth2(let oauth):
            switch oauth.source {
            case .accessTokenFile(let path): [("access_token_file", .file(path))]
            case .endpoint(let endpoint):
                (endpoint.clientSecret.map { [("client_secret", $0)] } ?? [])
                    + (endpoint.refreshTokenFile.map { [("refresh_token_file", .file($0))] } ?? [])
            }
        }
    }
}

/// `auth: oauth2`: where the access token comes from and which SASL mechanism carries it.
package struct OAuth2Configuration: Sendable, Hashable {
    package enum Source: Sendable, Hashable {
        /// Fetched (and refreshed) from a token endpoint.
        case endpoint(TokenEndpointConfiguration)
        /// `access_token_file`: refreshed by something else, read again before each session.
        case accessTokenFile(String)

        var summary: String {
            switch self {
            case .endpoint(let endpoint): endpoint.grant.rawValue
            case .accessTokenFile: "access_token_file"
            }
        }
    }

    package var source: Source
    /// `mechanism`: xoauth2 (default) or oauthbearer.
    package var mechanism: BearerMechanism

    package init(source: Source, mechanism: BearerMechanism) {
        self.source = source
        self.mechanism = mechanism
    }
}

/// The token endpoint keys of `auth: oauth2`.
package struct TokenEndpointConfiguration: Sendable, Hashable {
    package enum Grant: String, Sendable, Hashable {
        case clientCredentials = "client_credentials"
        case refreshToken = "refresh_token"
    }

    package var tokenURL: String
    package var clientID: String
    /// `client_secret_file` / `client_secret_env`; nil for a public client (refresh_token grant only).
    package var clientSecret: SecretSource?
    package var scope: String?
    package var grant: Grant
    /// `refresh_token_file` (refresh_token grant): read at start, rewritten atomically when the server rotates it.
    package var refreshTokenFile: String?
    /// `token_ca_file`: CA certificates for the token endpoint.
    package var caFile: String?
    /// The account's `allow_insecure`: permits `http://` to a loopback token endpoint (tests).
    package var allowInsecure: Bool
    package var timeout: Duration

    package init(
        tokenURL: String, clientID: String, clientSecret: SecretSource?, scope: String?, grant: Grant,
        refreshTokenFile: String?, caFile: String?, allowInsecure: Bool, timeout: Duration
    ) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.grant = grant
        self.refreshTokenFile = refreshTokenFile
        self.caFile = caFile
        self.allowInsecure = allowInsecure
        self.timeout = timeout
    }
}

// MARK: - Parsing

extension SeatMeterConfiguration {
    static let oauthKeys = [
        "token_url", "client_id", "client_secret_file", "client_secret_env", "scope", "grant", "refresh_token_file",
        "access_token_file", "mechanism", "token_ca_file",
    ]
    static let passwordKeys = ["password_file", "password_env"]

    /// `auth` and the keys that go with it, in an account or `smtp:` mapping.
    ///
    /// - Parameters:
    ///   - required: whether a login is needed (accounts: always; SMTP: when `username` is set).
    ///   - state: where relative `refresh_token_file` names resolve (`$STATE_DIRECTORY`, else the file's directory).
    static func authentication(
        _ reader: inout YAMLReader, paths: PathResolver, required: Bool, allowInsecure: Bool, timeout: Duration
    ) throws(ConfigurationError) -> MailAuthentication? {
        let auth = try reader.string("auth") ?? "password"
        switch auth {
        case "password":
            for key in oauthKeys where reader.node(key) != nil {
                throw ConfigurationError(keyPath: reader.keyPath(key), message: "only used with auth: oauth2")
            }
            return try secret(&reader, paths: paths, required: required).map { .password($0) }
        case "oauth2":
            for key in passwordKeys + ["password"] where reader.node(key) != nil {
                throw ConfigurationError(
                    keyPath: reader.keyPath(key), message: "not used with auth: oauth2 (remove it)")
            }
            return .oauth2(try oauth2(&reader, paths: paths, allowInsecure: allowInsecure, timeout: timeout))
        default:
            throw ConfigurationError(keyPath: reader.keyPath("auth"), message: "expected password or oauth2")
        }
    }

    private static func oauth2(
        _ reader: inout YAMLReader, paths: PathResolver, allowInsecure: Bool, timeout: Duration
    ) throws(ConfigurationError) -> OAuth2Configuration {
        var mechanism = BearerMechanism.xoauth2
        if let name = try reader.string("mechanism") {
            guard let value = BearerMechanism(rawValue: name.uppercased()) else {
                throw ConfigurationError(keyPath: reader.keyPath("mechanism"), message: "expected xoauth2 or oauthbearer")
            }
            mechanism = value
        }
        if let file = try reader.string("access_token_file") {
            for key in oauthKeys where !["access_token_file", "mechanism"].contains(key) && reader.node(key) != nil {
                throw ConfigurationError(
                    keyPath: reader.keyPath(key),
                    message: "not used with access_token_file (the token is refreshed elsewhere)")
            }
            return OAuth2Configuration(source: .accessTokenFile(paths.secret(file)), mechanism: mechanism)
        }
        let tokenURL = try reader.requiredString("token_url")
        guard let components = URLComponents(string: tokenURL), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, scheme == "https" || scheme == "http"
        else {
            throw ConfigurationError(keyPath: reader.keyPath("token_url"), message: "expected an https:// URL")
        }
        if scheme == "http" && !(allowInsecure && Loopback.isLoopback(host: host)) {
            throw ConfigurationError(
                keyPath: reader.keyPath("token_url"),
                message: "must be https:// (http:// only to a loopback host with allow_insecure)")
        }
        let clientID = try reader.requiredString("client_id")
        let clientSecret = try secret(&reader, named: "client_secret", paths: paths, required: false)
        let scope = try reader.string("scope")
        let refreshFile = try reader.string("refresh_token_file").map { paths.state($0) }
        let grantName = try reader.string("grant") ?? (refreshFile == nil ? "client_credentials" : "refresh_token")
        guard let grant = TokenEndpointConfiguration.Grant(rawValue: grantName) else {
            throw ConfigurationError(
                keyPath: reader.keyPath("grant"), message: "expected client_credentials or refresh_token")
        }
        switch grant {
        case .clientCredentials:
            if refreshFile != nil {
                throw ConfigurationError(
                    keyPath: reader.keyPath("refresh_token_file"), message: "only used with grant: refresh_token")
            }
            if clientSecret == nil {
                throw ConfigurationError(
                    keyPath: reader.path, message: "grant: client_credentials needs client_secret_file or client_secret_env")
            }
        case .refreshToken:
            if refreshFile == nil {
                throw ConfigurationError(
                    keyPath: reader.keyPath("refresh_token_file"), message: "is required with grant: refresh_token")
            }
        }
        let caFile = try reader.string("token_ca_file").map { paths.file($0) }
        return OAuth2Configuration(
            source: .endpoint(TokenEndpointConfiguration(
                tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret, scope: scope, grant: grant,
                refreshTokenFile: refreshFile, caFile: caFile, allowInsecure: allowInsecure, timeout: timeout)),
            mechanism: mechanism)
    }
}
