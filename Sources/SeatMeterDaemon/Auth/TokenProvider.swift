package import Foundation
package import SeatMeterCurl
import Synchronization

/// Access tokens for one OAuth2 login (an account or the SMTP server).
///
/// - Token endpoint: the token is cached in memory until shortly before `expires_in` (``margin``, at most 60 s
///   and at most a quarter of the lifetime) and fetched again after that or after ``invalidate()``.
/// - `refresh_token` grant: the refresh token is read from `refresh_token_file` before each refresh (so a token the
///   admin replaced is picked up); a rotated one is written back atomically (0600, fsync, rename, fsync of the
///   directory) **before** the new access token is handed out. If that write fails, the new refresh token is kept
///   in memory and the refresh fails (an alarm): the next attempt uses it.
/// - `access_token_file`: read again for every session; nothing cached.
///
/// One lock serializes refreshes, so two sessions never spend the same refresh token twice.
package final class TokenProvider: Sendable {
    package typealias Fetch = @Sendable (OAuthTokenRequest) throws(OAuthError) -> OAuthToken

    package let configuration: OAuth2Configuration
    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    private struct State {
        var accessToken: String?
        var validUntil = Date.distantPast
        /// A rotated refresh token that could not be saved.
        var unsavedRefreshToken: String?
        /// The server's `Retry-After`: no request before this.
        var notBefore = Date.distantPast
    }

    package init(
        configuration: OAuth2Configuration, fetch: @escaping Fetch = { request throws(OAuthError) in
            try OAuthTokenClient.fetch(request)
        }, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.fetch = fetch
        self.now = now
    }

    /// A bearer credential for the next login: cached, or fetched now.
    ///
    /// - Throws: ``OAuthError``; `.permanent` when the server refused for good or a file cannot be read or written.
    package func credential() throws(OAuthError) -> MailCredential {
        .bearer(token: try accessToken(), mechanism: configuration.mechanism)
    }

    /// Forgets the cached access token (the server rejected it at login).
    package func invalidate() {
        state.withLock { $0.accessToken = nil }
    }

    /// The margin before `expires_in` at which a cached token is refreshed.
    package static func margin(lifetime: Duration) -> Duration {
        min(.seconds(60), lifetime / 4)
    }

    private func accessToken() throws(OAuthError) -> String {
        switch configuration.source {
        case .accessTokenFile(let path):
            guard let token = SecretFile.readToken(path) else {
                throw OAuthError(.permanent, "cannot read access_token_file \(path) (or it is empty)")
            }
            return token
        case .endpoint(let endpoint):
            return try state.withLock { (state: inout State) throws(OAuthError) -> String in
                if let token = state.accessToken, now() < state.validUntil { return token }
                if now() < state.notBefore {
                    throw OAuthError(.transient, "the token endpoint asked to wait (Retry-After) until \(state.notBefore)")
                }
                do throws(OAuthError) {
                    return try refresh(endpoint, &state)
                } catch {
                    if let wait = error.retryAfter { state.notBefore = now().addingTimeInterval(wait.timeInterval) }
                    throw error
                }
            }
        }
    }

    private func refresh(_ endpoint: TokenEndpointConfiguration, _ state: inout State) throws(OAuthError) -> String {
        let clientSecret: String?
        do {
            clientSecret = try endpoint.clientSecret?.read()
        } catch {
            throw OAuthError(.permanent, "cannot read the client secret: \(error.message)")
        }
        var grant = OAuthTokenRequest.Grant.clientCredentials
        var current: String?
        if endpoint.grant == .refreshToken, let file = endpoint.refreshTokenFile {
            guard let token = state.unsavedRefreshToken ?? SecretFile.readToken(file) else {
                throw OAuthError(.permanent, "cannot read refresh_token_file \(file) (or it is empty)")
            }
            current = token
            grant = .refreshToken(token)
        }
        let request = OAuthTokenRequest(
            tokenURL: endpoint.tokenURL, clientID: endpoint.clientID, clientSecret: clientSecret,
            scope: endpoint.scope, grant: grant, caFile: endpoint.caFile, allowInsecure: endpoint.allowInsecure,
            timeout: endpoint.timeout)
        let token = try fetch(request)
        if let rotated = token.refreshToken, rotated != current, let file = endpoint.refreshTokenFile {
            do {
                try SecretFile.replace(file, with: rotated)
                state.unsavedRefreshToken = nil
            } catch {
                state.unsavedRefreshToken = rotated
                throw OAuthError(
                    .permanent,
                    "the token endpoint rotated the refresh token but it cannot be saved (\(error)); "
                        + "refresh_token_file must be writable by seatmeter")
            }
        }
        let lifetime = token.expiresIn ?? .seconds(3600)
        state.accessToken = token.accessToken
        state.validUntil = now().addingTimeInterval((lifetime - Self.margin(lifetime: lifetime)).timeInterval)
        return token.accessToken
    }
}

/// The process's token providers, one per distinct OAuth2 configuration, so a token fetched in one sync cycle (or
/// by the report) serves the next until it expires; a reload with the same keys keeps them.
package final class TokenProviders: Sendable {
    package static let shared = TokenProviders()
    private let providers = Mutex<[OAuth2Configuration: TokenProvider]>([:])

    package init() {}

    package func provider(for configuration: OAuth2Configuration) -> TokenProvider {
        providers.withLock { providers in
            if let existing = providers[configuration] { return existing }
            let provider = TokenProvider(configuration: configuration)
            providers[configuration] = provider
            return provider
        }
    }
}
