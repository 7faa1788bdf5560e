package import Foundation
package import SeatMeterCore

/// One folder's health for the report's data-quality section and `seatmeter status`.
///
/// A folder appears when it has a checkpoint or a recorded sync run. Runs recorded for a whole account
/// (`folder: nil`, e.g. a login failure) count as runs of each of the account's folders.
package struct FolderStatusRow: Sendable, Hashable {
    package var account: String
    package var folder: String
    /// nil when the folder was never ingested (e.g. it failed before its first batch).
    package var role: FolderRole?
    package var uidValidity: UInt32?
    package var lastUID: UInt32?
    /// When the last batch of this folder committed.
    package var lastSyncAt: Date?
    package var messageCount: Int
    /// When the last run recorded as `ok` finished.
    package var lastSuccessAt: Date?
    /// When the last recorded run finished, whatever its status.
    package var lastRunAt: Date?
    /// The error of the last recorded run when it failed; nil when it succeeded or none was recorded.
    package var lastError: String?

    package init(
        account: String,
        folder: String,
        role: FolderRole?,
        uidValidity: UInt32?,
        lastUID: UInt32?,
        lastSyncAt: Date?,
        messageCount: Int,
        lastSuccessAt: Date?,
        lastRunAt: Date?,
        lastError: String?
    ) {
        self.account = account
        self.folder = folder
        self.role = role
        self.uidValidity = uidValidity
        self.lastUID = lastUID
        self.lastSyncAt = lastSyncAt
        self.messageCount = messageCount
        self.lastSuccessAt = lastSuccessAt
        self.lastRunAt = lastRunAt
        self.lastError = lastError
    }
}
