import Foundation
package import Logging
import SeatMeterCurl

/// `seatmeter check-config --connect`: logs in to every IMAP account (and examines its folders, read-only) and to
/// the SMTP server, and says for each whether it worked.
package struct ConnectionCheck: Sendable {
    package struct Line: Sendable, Equatable {
        package var ok: Bool
        package var text: String
    }

    package var configuration: SeatMeterConfiguration
    /// Where token warnings go (never a token).
    package var logger: Logger

    package init(configuration: SeatMeterConfiguration, logger: Logger = Logger(label: "seatmeter.check")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// One line per account and per SMTP server. Blocking (libcurl): call off the cooperative pool.
    package func run() -> [Line] {
        var lines = configuration.accounts.map(check)
        if let smtp = configuration.smtp { lines.append(check(smtp)) }
        return lines
    }

    private func check(_ account: AccountConfiguration) -> Line {
        let name = "IMAP account \(account.name) (\(account.url), user \(account.username), "
            + "auth \(account.authentication.summary))"
        let token = account.authentication.isOAuth2 ? "token obtained and accepted; " : ""
        do {
            let session = try account.openSession(alarms: nil, logger: logger)
            defer { session.logout() }
            var folders: [String] = []
            var problems: [String] = []
            for folder in account.incomingFolders + account.outgoingFolders {
                do {
                    let status = try session.examine(folder)
                    folders.append("\(folder): \(status.exists) messages")
                } catch {
                    problems.append("folder \(folder): \(error)")
                }
            }
            if !problems.isEmpty {
                return Line(ok: false, text: "\(name): \(token)logged in, but " + problems.joined(separator: "; "))
            }
            return Line(ok: true, text: "\(name): \(token)logged in; " + folders.joined(separator: ", "))
        } catch let error as MailLoginError {
            return Line(ok: false, text: "\(name): \(error)")
        } catch let error as IMAPError where error.kind == .authenticationFailed && !token.isEmpty {
            return Line(ok: false, text: "\(name): token obtained but rejected by the server: \(error)")
        } catch {
            return Line(ok: false, text: "\(name): \(error)")
        }
    }

    private func check(_ smtp: SMTPConfiguration) -> Line {
        let name = "SMTP server \(smtp.url)" + (smtp.username.map { " (user \($0)" } ?? "")
            + (smtp.authentication.map { ", auth \($0.summary))" } ?? (smtp.username == nil ? "" : ")"))
        let oauth = smtp.authentication?.isOAuth2 ?? false
        do {
            try smtp.withEndpoint(alarms: nil, logger: logger) { endpoint in
                try SMTPSender(endpoint: endpoint).verifyConnection()
            }
            return Line(
                ok: true,
                text: "\(name): connected" + (smtp.username == nil ? "" : (oauth ? ", token obtained and accepted" : " and logged in")))
        } catch let error as MailLoginError {
            return Line(ok: false, text: "\(name): \(error)")
        } catch let error as SMTPError where error.kind == .authenticationFailed && oauth {
            return Line(ok: false, text: "\(name): token obtained but rejected by the server: \(error)")
        } catch {
            return Line(ok: false, text: "\(name): \(error)")
        }
    }
}
