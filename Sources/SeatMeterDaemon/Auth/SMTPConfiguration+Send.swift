package import Logging
package import SeatMeterCurl

extension SMTPConfiguration {
    /// The endpoint for this server with `credential` (nil: no AUTH).
    func endpoint(_ credential: MailCredential?) -> SMTPEndpoint {
        SMTPEndpoint(
            url: url, username: credential == nil ? nil : username, credential: credential, caFile: caFile,
            allowInsecure: allowInsecure)
    }

    /// Runs `body` with an endpoint for this server, logging in as configured (OAuth2: a rejected token is
    /// replaced once; token outcomes go to `alarms` when given).
    ///
    /// - Throws: ``MailLoginError`` when no credential could be had, else what `body` throws.
    package func withEndpoint<T>(
        alarms: AuthAlarms?, logger: Logger, _ body: (SMTPEndpoint) throws -> T
    ) throws -> T {
        guard let authentication else { return try body(endpoint(nil)) }
        let login = MailLogin(
            subject: "smtp", label: "SMTP server", authentication: authentication, alarms: alarms, logger: logger)
        return try login.perform(isRejected: { ($0 as? SMTPError)?.kind == .authenticationFailed }) { credential in
            try body(endpoint(credential))
        }
    }
}
