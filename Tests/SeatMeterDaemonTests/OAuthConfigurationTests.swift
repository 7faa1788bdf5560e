import Foundation
import Synchronization
import SeatMeterCurl
import SeatMeterDaemon
import Testing

/// `auth: oauth2` in the configuration: the keys, their defaults, where relative files resolve, and errors that
/// name the key.
@Suite struct OAuthConfigurationTests {
    static let account = "accounts:\n  - { name: a, url: \"imaps://mail.example.com\", username: u, "
    static let oauth = "auth: oauth2, token_url: \"https://login.example.com/t/token\", client_id: c, "

    func parse(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError)
        -> SeatMeterConfiguration
    {
        try SeatMeterConfiguration.parse(yaml: yaml, file: "/etc/seatmeter/seatmeter.yaml", environment: environment)
    }

    func failure(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func clientCredentialsDefaults() throws {
        let configuration = try parse(
            Self.account + Self.oauth + "client_secret_file: secret, scope: \"https://outlook.office365.com/.default\" }\n",
            environment: ["CREDENTIALS_DIRECTORY": "/run/credentials/seatmeter.service"])
        let account = try #require(configuration.accounts.first)
        #expect(account.password == nil)
        guard case .oauth2(let oauth) = account.authentication, case .endpoint(let endpoint) = oauth.source else {
            Issue.record("not an oauth2 endpoint configuration")
            return
        }
        #expect(oauth.mechanism == .xoauth2)
        #expect(endpoint.grant == .clientCredentials)
        #expect(endpoint.clientSecret == .file("/run/credentials/seatmeter.service/secret"))
        #expect(endpoint.scope == "https://outlook.office365.com/.default")
        #expect(endpoint.refreshTokenFile == nil)
        #expect(account.authentication.summary == "oauth2 (xoauth2, client_credentials)")
    }

    @Test func refreshTokenFileResolvesInTheStateDirectory() throws {
        let yaml = Self.account + Self.oauth
            + "client_secret_env: S, mechanism: oauthbearer, refresh_token_file: google-refresh, token_ca_file: ca.pem }\n"
        let plain = try parse(yaml)
        let systemd = try parse(yaml, environment: ["STATE_DIRECTORY": "/var/lib/seatmeter", "CREDENTIALS_DIRECTORY": "/run/c"])
        for (configuration, directory) in [(plain, "/etc/seatmeter"), (systemd, "/var/lib/seatmeter")] {
            guard case .oauth2(let oauth)? = configuration.accounts.first?.authentication,
                case .endpoint(let endpoint) = oauth.source
            else {
                Issue.record("not an oauth2 endpoint configuration")
                continue
            }
            #expect(oauth.mechanism == .oauthbearer)
            #expect(endpoint.grant == .refreshToken)  // implied by refresh_token_file
            #expect(endpoint.refreshTokenFile == directory + "/google-refresh")
            #expect(endpoint.clientSecret == .environment("S"))
            #expect(endpoint.caFile == "/etc/seatmeter/ca.pem")
        }
    }

    @Test func accessTokenFileAlone() throws {
        let configuration = try parse(Self.account + "auth: oauth2, access_token_file: token }\n")
        guard case .oauth2(let oauth)? = configuration.accounts.first?.authentication else {
            Issue.record("not oauth2")
            return
        }
        #expect(oauth.source == .accessTokenFile("/etc/seatmeter/token"))
    }

    @Test func smtpTakesTheSameKeys() throws {
        let configuration = try parse(
            "smtp: { url: \"smtp://mail.example.com:587\", username: r@example.com, " + Self.oauth
                + "client_secret_file: s }\n")
        #expect(configuration.smtp?.authentication?.summary == "oauth2 (xoauth2, client_credentials)")
    }

    @Test(arguments: [
        (Self.account + "auth: oauth2, password_file: p, access_token_file: t }\n", "accounts[0].password_file", "not used with auth: oauth2"),
        (Self.account + "password_file: p, token_url: \"https://x/t\" }\n", "accounts[0].token_url", "only used with auth: oauth2"),
        (Self.account + "auth: oauth3, password_file: p }\n", "accounts[0].auth", "password or oauth2"),
        (Self.account + "auth: oauth2, client_id: c, client_secret_file: s }\n", "accounts[0].token_url", "is required"),
        (Self.account + "auth: oauth2, token_url: \"ftp://x/t\", client_id: c, client_secret_file: s }\n", "accounts[0].token_url", "https://"),
        (Self.account + "auth: oauth2, token_url: \"http://login.example.com/t\", client_id: c, client_secret_file: s }\n", "accounts[0].token_url", "loopback"),
        (Self.account + Self.oauth + "client_secret: hunter2 }\n", "accounts[0].client_secret", "never written"),
        (Self.account + Self.oauth + "client_secret_file: s, client_secret_env: S }\n", "accounts[0]", "not both"),
        (Self.account + Self.oauth + "scope: x }\n", "accounts[0]", "client_secret_file or client_secret_env"),
        (Self.account + Self.oauth + "client_secret_file: s, grant: password }\n", "accounts[0].grant", "client_credentials or refresh_token"),
        (Self.account + Self.oauth + "client_secret_file: s, grant: refresh_token }\n", "accounts[0].refresh_token_file", "is required"),
        (Self.account + Self.oauth + "client_secret_file: s, grant: client_credentials, refresh_token_file: r }\n", "accounts[0].refresh_token_file", "only used with grant: refresh_token"),
        (Self.account + Self.oauth + "client_secret_file: s, mechanism: plain }\n", "accounts[0].mechanism", "xoauth2 or oauthbearer"),
        (Self.account + "auth: oauth2, access_token_file: t, client_id: c }\n", "accounts[0].client_id", "not used with access_token_file"),
        (Self.account + "auth: oauth2, client_id: c, token_url: \"https://x/t\", client_secret_file: s, tokn_url: y }\n", "accounts[0].tokn_url", "unknown key"),
        ("smtp: { url: \"smtp://mail.example.com\", " + Self.oauth + "client_secret_file: s }\n", "smtp.username", "required with auth: oauth2"),
    ])
    func badOAuthConfigurationNamesTheKey(yaml: String, keyPath: String, message: String) throws {
        let error = try #require(failure(yaml))
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func descriptionsNeverShowTokensOrSecrets() {
        let credential = MailCredential.bearer(token: "at-SECRET", mechanism: .xoauth2)
        let imap = IMAPEndpoint(url: "imaps://h", username: "u", credential: credential)
        let smtp = SMTPEndpoint(url: "smtps://h", username: "u", credential: credential)
        let request = OAuthTokenRequest(
            tokenURL: "https://h/t", clientID: "c", clientSecret: "CLIENT-SECRET", scope: nil,
            grant: .refreshToken("rt-SECRET"))
        let token = OAuthToken(accessToken: "at-SECRET", expiresIn: .seconds(60), refreshToken: "rt-SECRET")
        for text in [
            "\(imap)", "\(smtp)", String(reflecting: imap), "\(Mirror(reflecting: imap).children.map(\.value))",
            "\(request)", "\(token)", "\(credential)",
        ] {
            #expect(!text.contains("SECRET"), "\(text)")
        }
    }

    @Test func tokenMarginIsAtMostAMinuteAndAQuarterOfTheLifetime() {
        #expect(TokenProvider.margin(lifetime: .seconds(3600)) == .seconds(60))
        #expect(TokenProvider.margin(lifetime: .seconds(4)) == .seconds(1))
    }

    @Test func providerCachesUntilShortlyBeforeExpiryAndKeepsAnUnsavableRotation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seatmeter-provider-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let refreshFile = directory + "/refresh"
        try "rt-0\n".write(toFile: refreshFile, atomically: true, encoding: .utf8)
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let seen = Mutex<[String]>([])
        let configuration = OAuth2Configuration(
            source: .endpoint(TokenEndpointConfiguration(
                tokenURL: "https://login.example.com/token", clientID: "c", clientSecret: nil, scope: nil,
                grant: .refreshToken, refreshTokenFile: refreshFile, caFile: nil, allowInsecure: false,
                timeout: .seconds(5))),
            mechanism: .xoauth2)
        let provider = TokenProvider(
            configuration: configuration,
            fetch: { request throws(OAuthError) in
                guard case .refreshToken(let used) = request.grant else { throw OAuthError(.permanent, "grant") }
                let count = seen.withLock { $0.append(used); return $0.count }
                return OAuthToken(accessToken: "at-\(count)", expiresIn: .seconds(100), refreshToken: "rt-\(count)")
            },
            now: { clock.withLock { $0 } })

        #expect(try provider.credential() == .bearer(token: "at-1", mechanism: .xoauth2))
        #expect(try String(contentsOfFile: refreshFile, encoding: .utf8) == "rt-1\n")
        clock.withLock { $0 += 70 }  // valid for 100 - 25 s
        #expect(try provider.credential() == .bearer(token: "at-1", mechanism: .xoauth2))
        clock.withLock { $0 += 10 }
        #expect(try provider.credential() == .bearer(token: "at-2", mechanism: .xoauth2))
        #expect(seen.withLock { $0 } == ["rt-0", "rt-1"])

        // The file cannot be replaced (a directory blocks the temporary file's name): the refresh fails, the rotated
        // refresh token is kept in memory and used next time, and saved once that works again.
        let blocker = "\(directory)/.refresh.\(getpid()).tmp"
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: true)
        provider.invalidate()
        let error = try #require(throws: OAuthError.self) { try provider.credential() }
        #expect(error.kind == .permanent && error.description.contains("refresh_token_file must be writable"))
        #expect(try String(contentsOfFile: refreshFile, encoding: .utf8) == "rt-2\n")
        try FileManager.default.removeItem(atPath: blocker)
        #expect(try provider.credential() == .bearer(token: "at-4", mechanism: .xoauth2))
        #expect(seen.withLock { $0 } == ["rt-0", "rt-1", "rt-2", "rt-3"])
        #expect(try String(contentsOfFile: refreshFile, encoding: .utf8) == "rt-4\n")
    }

    @Test func providerHonoursRetryAfter() throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let calls = Mutex(0)
        let provider = TokenProvider(
            configuration: OAuth2Configuration(
                source: .endpoint(TokenEndpointConfiguration(
                    tokenURL: "https://login.example.com/token", clientID: "c", clientSecret: .environment("PATH"),
                    scope: nil, grant: .clientCredentials, refreshTokenFile: nil, caFile: nil, allowInsecure: false,
                    timeout: .seconds(5))),
                mechanism: .oauthbearer),
            fetch: { _ throws(OAuthError) in
                let call = calls.withLock { $0 += 1; return $0 }
                if call == 1 { throw OAuthError(.transient, "busy", retryAfter: .seconds(30)) }
                return OAuthToken(accessToken: "at", expiresIn: nil, refreshToken: nil)
            },
            now: { clock.withLock { $0 } })
        #expect(throws: OAuthError.self) { try provider.credential() }
        clock.withLock { $0 += 10 }
        let waiting = try #require(throws: OAuthError.self) { try provider.credential() }
        #expect(waiting.kind == .transient && calls.withLock { $0 } == 1)
        clock.withLock { $0 += 21 }
        #expect(try provider.credential() == .bearer(token: "at", mechanism: .oauthbearer))
        #expect(calls.withLock { $0 } == 2)
    }
}
