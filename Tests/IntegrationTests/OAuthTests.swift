import Foundation
import Glibc
import Logging
import SeatMeterCore
import SeatMeterCurl
import SeatMeterDaemon
import SeatMeterStore
import TestSupport
import Testing

/// OAuth2 logins against real servers: `scripts/oauth_server.py` (token endpoint over HTTPS, introspection) and
/// Dovecot's oauth2 passdb (XOAUTH2, OAUTHBEARER), the aiosmtpd sink taking bearer tokens.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct OAuthTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// An OAuth server, a Dovecot that asks it about tokens, and a directory with the client secret.
    struct Setup {
        let oauth: OAuthServer
        let server: DovecotServer
        let directory: TemporaryDirectory
        var refreshTokenPath: String { directory.path + "/state/refresh-token" }

        init(oauth options: OAuthServer.Options = OAuthServer.Options()) throws {
            oauth = try OAuthServer(options: options)
            server = try DovecotServer(options: .init(tls: true, oauth2IntrospectionURL: oauth.introspectionURL))
            directory = try TemporaryDirectory(prefix: "seatmeter-oauth-config")
            try oauth.options.clientSecret.write(
                toFile: directory.path + "/client-secret", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: directory.path + "/state", withIntermediateDirectories: true)
            if let refresh = options.refreshToken {
                try (refresh + "\n").write(toFile: refreshTokenPath, atomically: true, encoding: .utf8)
            }
        }

        /// The account keys for `grant`.
        func accountYAML(grant: String = "client_credentials", mechanism: String = "xoauth2") -> String {
            """
                url: \(server.tlsURL ?? "")
                ca_file: \(server.caFile ?? "")
                username: \(server.user)
                auth: oauth2
                token_url: \(oauth.tokenURL)
                token_ca_file: \(oauth.caFile)
                client_id: \(oauth.options.clientID)
                client_secret_file: client-secret
                scope: https://outlook.office365.com/.default
                grant: \(grant)
                mechanism: \(mechanism)
                timeout: 10s
            \(grant == "refresh_token" ? "    refresh_token_file: state/refresh-token" : "")
            """
        }

        func configuration(grant: String = "client_credentials", mechanism: String = "xoauth2") throws
            -> SeatMeterConfiguration
        {
            let yaml = """
                ledger: ledger.sqlite
                accounts:
                  - name: helpdesk
                \(accountYAML(grant: grant, mechanism: mechanism))
                """
            return try SeatMeterConfiguration.parse(
                yaml: yaml, file: directory.path + "/seatmeter.yaml", environment: [:])
        }
    }

    @Test("client_credentials: IMAP login with each SASL mechanism", arguments: ["xoauth2", "oauthbearer"])
    func clientCredentialsLogin(mechanism: String) throws {
        let setup = try Setup()
        let account = try #require(try setup.configuration(mechanism: mechanism).accounts.first)
        let session = try account.openSession(alarms: nil, logger: Self.quiet)
        let status = try session.examine("INBOX")
        session.logout()
        #expect(status.exists == 0)
        let stats = try setup.oauth.stats()
        #expect(stats.grants == ["client_credentials": 1])
        #expect(stats.activeIntrospections >= 1, "Dovecot never asked about the token: \(setup.server.log)")
        #expect(setup.server.log.contains("method=\(mechanism.uppercased())"), "\(setup.server.log)")
    }
}
