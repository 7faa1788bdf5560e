package import Foundation
import Synchronization

/// The last sync cycle of each account, summarised for systemd's `STATUS=` (shown by `systemctl status`).
package final class SyncStatusBoard: Sendable {
    package struct Entry: Sendable, Equatable {
        package var finishedAt: Date
        package var succeeded: Bool
        package var newMessages: Int
        /// Messages in the account's folders after the cycle.
        package var total: Int
        package var error: String?
    }

    /// Entries by account, and the accounts in the order they first reported.
    private let state = Mutex<(entries: [String: Entry], order: [String])>(([:], []))

    package init() {}

    /// Records one finished cycle.
    package func record(_ result: AccountSyncResult, at date: Date = Date()) {
        let error = result.error ?? result.folders.compactMap(\.error).first
        let entry = Entry(
            finishedAt: date, succeeded: result.succeeded,
            newMessages: result.folders.reduce(0) { $0 + $1.newMessages },
            total: result.folders.reduce(0) { $0 + $1.total }, error: error)
        state.withLock { state in
            state.entries[result.account] = entry
            if !state.order.contains(result.account) { state.order.append(result.account) }
        }
    }

    /// Forgets accounts no longer configured.
    package func retain(accounts: [String]) {
        state.withLock { state in
            state.entries = state.entries.filter { accounts.contains($0.key) }
            state.order.removeAll { !accounts.contains($0) }
        }
    }

    package func entry(for account: String) -> Entry? { state.withLock { $0.entries[account] } }

    /// One line: `helpdesk: ok at 2026-11-30T10:41:02Z, 12 new, 3456 messages; support: FAILED at ...: <error>`.
    package var summary: String {
        let (snapshot, names) = state.withLock { ($0.entries, $0.order) }
        let parts = names.compactMap { name -> String? in
            guard let entry = snapshot[name] else { return nil }
            let time = entry.finishedAt.formatted(.iso8601)
            if entry.succeeded {
                return "\(name): ok at \(time), \(entry.newMessages) new, \(entry.total) messages"
            }
            let error = entry.error.map { ": " + String($0.prefix(160)) } ?? ""
            return "\(name): FAILED at \(time)\(error)"
        }
        return parts.isEmpty ? "Starting" : "Last sync: " + parts.joined(separator: "; ")
    }
}
