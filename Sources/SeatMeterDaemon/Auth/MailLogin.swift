package import Logging
package import SeatMeterCurl

/// Why no login could be attempted: the credential could not be had (secret unreadable, token refused or
/// unreachable). Never contains a secret or token.
package struct MailLoginError: Error, Sendable, CustomStringConvertible {
    package var description: String
    package var isTransient: Bool
}

/// One login's credential, with the OAuth2 rules: a token from the process's ``TokenProviders``; when the server
/// rejects it, the token is forgotten, a fresh one fetched and the login tried once more. Token outcomes feed
/// ``AuthAlarms`` (when given): a permanent refusal opens an incident, a token obtained closes it.
package struct MailLogin: Sendable {
    /// `account:NAME` or `smtp`: the incident key.
    package var subject: String
    /// `account helpdesk`, `SMTP`: for messages.
    package var label: String
    package var authentication: MailAuthentication
    /// nil: no incidents (check-config, and the alarm mail itself).
    package var alarms: AuthAlarms?
    package var logger: Logger
    package var providers: TokenProviders = .shared

    package init(subject: String, label: String, authentication: MailAuthentication, alarms: AuthAlarms?, logger: Logger) {
        self.subject = subject
        self.label = label
        self.authentication = authentication
        self.alarms = alarms
        self.logger = logger
    }

    package static func account(_ account: AccountConfiguration, alarms: AuthAlarms?, logger: Logger) -> MailLogin {
        MailLogin(
            subject: "account:\(account.name)", label: "account \(account.name)", authentication: account.authentication,
            alarms: alarms, logger: logger)
    }

    /// Runs `body` (a login and what follows) with the credential; with OAuth2, a rejection (`isRejected`) forgets
    /// the token and retries once with a fresh one. Errors of `body` are rethrown as they are.
    ///
    /// - Throws: ``MailLoginError`` when no credential could be had; otherwise what `body` throws.
    package func perform<T>(
        isRejected: (any Error) -> Bool, _ body: (MailCredential) throws -> T
    ) throws -> T {
        let provider: TokenProvider
        switch authentication {
        case .password(let source):
            let password: String
            do {
                password = try source.read()
            } catch {
                throw MailLoginError(description: error.message, isTransient: false)
            }
            return try body(.password(password))
        case .oauth2(let oauth):
            provider = providers.provider(for: oauth)
        }
        do {
            return try body(try credential(provider))
        } catch let error where isRejected(error) {
            logger.warning("the server rejected the OAuth2 access token; fetching a new one", metadata: ["error": "\(error)"])
            provider.invalidate()
            return try body(try credential(provider))
        }
    }

    /// The provider's credential, with the outcome told to the alarms.
    private func credential(_ provider: TokenProvider) throws(MailLoginError) -> MailCredential {
        do {
            let credential = try provider.credential()
            alarms?.tokenObtained(subject: subject, label: label)
            return credential
        } catch {
            if error.kind == .transient {
                logger.warning("OAuth2 token request failed, will retry", metadata: ["error": "\(error)"])
            } else {
                alarms?.tokenRefused(subject: subject, label: label, error: error)
                if alarms == nil {
                    logger.error("OAuth2 token refused", metadata: ["error": "\(error)"])
                }
            }
            throw MailLoginError(description: "no OAuth2 access token: \(error)", isTransient: error.kind == .transient)
        }
    }
}
