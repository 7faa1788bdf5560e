package import SeatMeterCore

/// One message of an ``IngestBatch``: its parsed facts and, for IMAP, its UID in the batch's folder.
package struct IngestMessage: Sendable, Hashable {
    /// The IMAP UID under the batch's ``IngestBatch/uidValidity``; nil for Maildir/mbox imports.
    /// IMAP never uses 0 (RFC 3501 nz-number): the ledger stores 0 for "none".
    package var uid: UInt32?
    package var facts: MessageFacts

    package init(uid: UInt32?, facts: MessageFacts) {
        self.uid = uid
        self.facts = facts
    }
}

/// Messages read from one folder, stored in one transaction together with the folder's new checkpoint.
package struct IngestBatch: Sendable, Hashable {
    package var account: String
    package var folder: String
    package var role: FolderRole
    /// The folder's UIDVALIDITY; nil for imports (then every ``IngestMessage/uid`` must be nil too).
    /// IMAP never uses 0 (RFC 3501 nz-number): the ledger stores 0 for "none".
    package var uidValidity: UInt32?
    package var messages: [IngestMessage]
    /// When non-nil, the folder's checkpoint advances to this UID in the same transaction.
    package var checkpointUID: UInt32?

    package init(
        account: String,
        folder: String,
        role: FolderRole,
        uidValidity: UInt32?,
        messages: [IngestMessage],
        checkpointUID: UInt32?
    ) {
        self.account = account
        self.folder = folder
        self.role = role
        self.uidValidity = uidValidity
        self.messages = messages
        self.checkpointUID = checkpointUID
    }
}

/// What one ``Ledger/ingest(_:at:)`` call changed.
package struct IngestResult: Sendable, Hashable {
    /// Messages whose de-duplication key the ledger did not know.
    package var newMessages: Int
    /// Messages whose key was already known (from any folder, or earlier in the same batch).
    package var duplicates: Int
    /// (message, folder, UIDVALIDITY, UID) locations the ledger did not know.
    package var newLocations: Int

    package init(newMessages: Int = 0, duplicates: Int = 0, newLocations: Int = 0) {
        self.newMessages = newMessages
        self.duplicates = duplicates
        self.newLocations = newLocations
    }
}
