package import Foundation

/// How far a folder has been read: the next sync fetches UIDs above ``lastUID`` if ``uidValidity`` still matches.
package struct FolderCheckpoint: Sendable, Hashable {
    /// nil for folders fed by imports, which have no UIDs.
    package var uidValidity: UInt32?
    package var lastUID: UInt32
    package var lastSyncAt: Date
    /// Locations stored for this folder under ``uidValidity``.
    package var messageCount: Int

    package init(uidValidity: UInt32?, lastUID: UInt32, lastSyncAt: Date, messageCount: Int) {
        self.uidValidity = uidValidity
        self.lastUID = lastUID
        self.lastSyncAt = lastSyncAt
        self.messageCount = messageCount
    }
}
