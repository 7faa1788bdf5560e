import Foundation
import SeatMeterCurl

/// `seatmeter check-config --connect`: logs in to every IMAP account (and examines its folders, read-only) and to
/// the SMTP server, and says for each whether it worked.
package struct ConnectionCheck: Sendable {
    package struct Line: Sendable, Equatable {
        package var ok: Bool
        package var text: String
    }

    package var configuration: SeatMeterConfiguration

    package init(configuration: SeatMeterConfiguration) {
        self.configuration = configuration
    }

    /// One line per account and per SMTP server. Blocking (libcurl): call off the cooperative pool.
    package func run() -> [Line] {
        var lines = configuration.accounts.map(check)
        if let smtp = configuration.smtp { lines.append(check(smtp)) }
        return lines
    }

    private func check(_ account: AccountConfiguration) -> Line {
        let name = "IMAP account \(account.name) (\(account.url), user \(account.username), auth password)"
        do {
            let endpoint = IMAPEndpoint(
                url: account.url, username: account.username, password: try account.password.read(),
                caFile: account.caFile, pinnedPublicKey: account.pinnedPublicKey, allowInsecure: account.allowInsecure,
                connectTimeout: account.timeout, idleTimeout: account.timeout)
            let session = try IMAPSession(endpoint: endpoint)
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
                return Line(ok: false, text: "\(name): logged in, but " + problems.joined(separator: "; "))
            }
            return Line(ok: true, text: "\(name): logged in; " + folders.joined(separator: ", "))
        } catch let error as ConfigurationError {
            return Line(ok: false, text: "\(name): \(error.message)")
        } catch {
            return Line(ok: false, text: "\(name): \(error)")
        }
    }

    private func check(_ smtp: SMTPConfiguration) -> Line {
        let name = "SMTP server \(smtp.url)" + (smtp.username.map { " (user \($0))" } ?? "")
        do {
            let endpoint = SMTPEndpoint(
                url: smtp.url, username: smtp.username, password: try smtp.password?.read(), caFile: smtp.caFile,
                allowInsecure: smtp.allowInsecure)
            try SMTPSender(endpoint: endpoint).verifyConnection()
            return Line(ok: true, text: "\(name): connected" + (smtp.username == nil ? "" : " and logged in"))
        } catch let error as ConfigurationError {
            return Line(ok: false, text: "\(name): \(error.message)")
        } catch {
            return Line(ok: false, text: "\(name): \(error)")
        }
    }
}
