package import Logging
package import SeatMeterCurl

extension AccountConfiguration {
    /// Connects and logs in to this account's IMAP server with its configured authentication (OAuth2: a rejected
    /// token is replaced once; token outcomes go to `alarms` when given). Blocking.
    ///
    /// - Throws: ``MailLoginError`` when no credential could be had, else ``IMAPError``.
    package func openSession(alarms: AuthAlarms?, logger: Logger) throws -> IMAPSession {
        let login = MailLogin.account(self, alarms: alarms, logger: logger)
        return try login.perform(isRejected: { ($0 as? IMAPError)?.kind == .authenticationFailed }) { credential in
            try IMAPSession(endpoint: IMAPEndpoint(
                url: url, username: username, credential: credential, caFile: caFile, pinnedPublicKey: pinnedPublicKey,
                allowInsecure: allowInsecure, connectTimeout: timeout, idleTimeout: timeout))
        }
    }
}
