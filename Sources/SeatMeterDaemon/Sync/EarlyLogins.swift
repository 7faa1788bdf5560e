import Foundation
package import Logging
package import SeatMeterCurl
import Synchronization

/// IMAP logins started before a sync needs them, so that their round trips overlap the opening of the ledger (its
/// schema, on a new ledger). Each login is several round trips: the server's greeting, the authentication, and on
/// Dovecot a process started for the session; 10-15 ms on the same machine, more across a network.
///
/// `seatmeter sync` starts them once the configuration is loaded; ``SyncEngine`` takes each account's session for the
/// account's first attempt (``SyncEngine/earlyLogins``), and a failed login fails that attempt as if it had been made
/// then. Only accounts that log in with a password: an OAuth2 login reports token incidents to the ledger, which is
/// not open yet; those accounts log in when their sync starts.
package final class EarlyLogins: Sendable {
    private let logins: [String: Login]

    /// Starts the logins, one thread each; returns at once.
    package init(accounts: [AccountConfiguration], logger: Logger) {
        var logins: [String: Login] = [:]
        for account in accounts {
            guard case .password = account.authentication else { continue }
            let login = Login()
            logins[account.name] = login
            let thread = Thread {
                login.finish(Result { HandOver(try account.openSession(alarms: nil, logger: logger)) })
            }
            thread.name = "login-\(account.name)"
            thread.start()
        }
        self.logins = logins
    }

    /// Waits for the account's login and hands over its session, or the error the login threw (a
    /// ``MailLoginError`` or an ``IMAPError``). Nil when no login was started for the account, or when its session was
    /// taken already: each is handed out once. The caller then owns the session: it uses it on one thread and logs out.
    package func take(_ account: String) -> Result<IMAPSession, any Error>? {
        logins[account]?.take()
    }

    /// One account's login. A session no one takes closes when this goes away (after its login thread has ended:
    /// the thread holds it until then).
    private final class Login: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let state = Mutex<(outcome: Result<HandOver, any Error>?, taken: Bool)>((nil, false))

        func finish(_ outcome: Result<HandOver, any Error>) {
            state.withLock { $0.outcome = outcome }
            done.signal()
        }

        func take() -> Result<IMAPSession, any Error>? {
            let first = state.withLock { state in
                defer { state.taken = true }
                return !state.taken
            }
            guard first else { return nil }
            done.wait()
            let outcome = state.withLock { state in
                defer { state.outcome = nil }
                return state.outcome
            }
            return outcome?.map(\.session)
        }
    }

    /// A session on its way from the thread that logged in to the one that syncs. libcurl lets a handle move between
    /// threads as long as one thread uses it at a time; the semaphore orders the login before the hand-over, and
    /// nothing touches the session in between.
    private final class HandOver: @unchecked Sendable {
        let session: IMAPSession

        init(_ session: IMAPSession) { self.session = session }
    }
}
