package import Foundation

/// What a folder holds: mail sent to the help desk, or mail the help desk's staff sent.
package enum FolderRole: String, Sendable, Hashable, Codable {
    case incoming
    case outgoing
}

/// Where a message was seen.
package struct FolderLocation: Sendable, Hashable, Codable {
    package var account: String
    package var folder: String
    package var role: FolderRole

    package init(account: String, folder: String, role: FolderRole) {
        self.account = account
        self.folder = folder
        self.role = role
    }
}

/// One de-duplicated message as the ledger knows it: the input of classification.
package struct MessageObservation: Sendable, Hashable {
    /// ``MessageFacts/deduplicationKey``.
    package var key: String
    package var messageID: String?
    package var date: Date?
    package var subject: String?
    /// Every folder the message was seen in (the same message may be in INBOX and Sent).
    package var locations: [FolderLocation]
    package var appearances: [AddressAppearance]
    package var automation: AutomationFacts

    package init(
        key: String,
        messageID: String?,
        date: Date?,
        subject: String?,
        locations: [FolderLocation],
        appearances: [AddressAppearance],
        automation: AutomationFacts
    ) {
        self.key = key
        self.messageID = messageID
        self.date = date
        self.subject = subject
        self.locations = locations
        self.appearances = appearances
        self.automation = automation
    }
}
