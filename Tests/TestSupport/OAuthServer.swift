import Foundation
import Glibc

/// `scripts/oauth_server.py` on 127.0.0.1: an OAuth 2.0 token endpoint over HTTPS (``tokenURL``, trusting
/// ``caFile``) and an RFC 7662 introspection endpoint over plain HTTP (``introspectionURL``, for Dovecot's oauth2
/// passdb). Tests steer it with ``control(_:)`` and read what it saw with ``stats()``.
///
/// ``stop()`` or `deinit` ends the server and removes its directory.
package final class OAuthServer {
    package struct Options {
        package var clientID = "seatmeter-test-client"
        package var clientSecret = "client-secret-\(UUID().uuidString.prefix(8))"
        /// The user name introspection reports for a live token (must match the IMAP login).
        package var user = "helpdesk"
        /// The refresh token the server accepts at first (refresh_token grant).
        package var refreshToken: String? = "rt-initial-\(UUID().uuidString.prefix(8))"
        /// Access token lifetime (`expires_in`), seconds.
        package var lifetime = 3600
        /// A new refresh token at every refresh; the previous one stops working.
        package var rotate = false

        package init() {}
    }

    /// What the server saw (`stats.json`).
    package struct Stats: Decodable, Sendable {
        package var tokenRequests: Int
        package var grants: [String: Int]
        package var failed: Int
        package var introspections: Int
        package var activeIntrospections: Int
        /// The refresh token it accepts now.
        package var refreshToken: String?
        /// Every access token issued, in order.
        package var accessTokens: [String]

        enum CodingKeys: String, CodingKey {
            case tokenRequests = "token_requests"
            case grants, failed, introspections
            case activeIntrospections = "active_introspections"
            case refreshToken = "refresh_token"
            case accessTokens = "access_tokens"
        }
    }

    package let options: Options
    package let tokenPort: Int
    package let introspectionPort: Int
    package let caFile: String
    private let directory: TemporaryDirectory
    private let process: ManagedProcess

    package init(options: Options = Options()) throws {
        self.options = options
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw TestServerError("\(python) is missing") }
        let script = try SMTPSink.packageRoot() + "/scripts/oauth_server.py"
        directory = try TemporaryDirectory(prefix: "seatmeter-oauth")
        let certificate = try TLSCertificate.generate(in: directory.path + "/tls")
        caFile = certificate.certificatePath
        let ready = directory.path + "/ready"
        var arguments = [
            script, "--state-dir", directory.path + "/state", "--tls-cert", certificate.certificatePath,
            "--tls-key", certificate.keyPath, "--client-id", options.clientID, "--client-secret", options.clientSecret,
            "--user", options.user, "--lifetime", String(options.lifetime), "--ready-file", ready,
        ]
        if let refresh = options.refreshToken { arguments += ["--refresh-token", refresh] }
        if options.rotate { arguments.append("--rotate") }
        process = try ManagedProcess(executable: python, arguments: arguments, logPath: directory.path + "/oauth.log")
        let ports = try process.waitForReadyFile(ready, name: "the OAuth server").split(separator: " ").compactMap {
            Int($0)
        }
        guard ports.count == 2 else { throw TestServerError("the OAuth server's ready file is malformed") }
        tokenPort = ports[0]
        introspectionPort = ports[1]
    }

    deinit { process.stop() }

    package func stop() { process.stop() }

    /// `https://127.0.0.1:PORT/token` (certificate: ``caFile``).
    package var tokenURL: String { "https://127.0.0.1:\(tokenPort)/token" }
    /// `http://127.0.0.1:PORT/introspect`.
    package var introspectionURL: String { "http://127.0.0.1:\(introspectionPort)/introspect" }

    /// Replaces the control file: `fail` (an OAuth error code for every token request), `status` and
    /// `retryAfter` (an HTTP failure), `lifetime` (of new access tokens), `revokeIssued` (every access token issued
    /// so far becomes inactive).
    package func control(
        fail: String? = nil, status: Int? = nil, retryAfter: Int? = nil, lifetime: Int? = nil,
        revokeIssued: Bool = false
    ) throws {
        var object: [String: Any] = [:]
        if let fail { object["fail"] = fail }
        if let status { object["status"] = status }
        if let retryAfter { object["retry_after"] = retryAfter }
        if let lifetime { object["lifetime"] = lifetime }
        if revokeIssued { object["revoke_before"] = Date().timeIntervalSince1970 }
        let data = try JSONSerialization.data(withJSONObject: object)
        let path = directory.path + "/state/control.json"
        try data.write(to: URL(fileURLWithPath: path + ".tmp"))
        guard rename(path + ".tmp", path) == 0 else { throw TestServerError("cannot write \(path)") }
    }

    package func stats() throws -> Stats {
        guard let data = FileManager.default.contents(atPath: directory.path + "/state/stats.json") else {
            throw TestServerError("the OAuth server wrote no stats")
        }
        return try JSONDecoder().decode(Stats.self, from: data)
    }

    /// The server's output (Python tracebacks).
    package var log: String { process.log }
}

extension ManagedProcess {
    /// Waits until the process has written `path` (a server's "ready" file, renamed into place complete) and
    /// returns its content, trimmed; stops the process and throws if it exits first or `timeout` passes.
    package func waitForReadyFile(_ path: String, name: String, timeout: Duration = .seconds(20)) throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !FileManager.default.fileExists(atPath: path) {
            guard isRunning else { throw TestServerError("\(name) exited (status \(exitStatus)): \(log)") }
            guard clock.now < deadline else {
                stop()
                throw TestServerError("\(name) did not get ready within \(timeout): \(log)")
            }
            usleep(20_000)
        }
        return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
