package import Foundation

/// One message that supports a reason.
package struct Evidence: Sendable, Hashable, Codable {
    package var date: Date?
    /// The account of the folder the message was seen in (the incoming folder when there are several).
    package var account: String
    /// The folder the message was seen in (the incoming folder when there are several); `""` if unknown.
    package var folder: String
    package var messageID: String?
    package var subject: String?
    /// What this message shows for this reason, when there is more to say: `"on behalf of bob@example.com"`,
    /// `"rule assigned"`, the automation signals (`"auto-submitted: auto-replied"`), `"in reply-to"`.
    package var detail: String?

    package init(
        date: Date?, account: String = "", folder: String, messageID: String?, subject: String?,
        detail: String? = nil
    ) {
        self.date = date
        self.account = account
        self.folder = folder
        self.messageID = messageID
        self.subject = subject
        self.detail = detail
    }
}

/// A reason with its evidence: the most recent messages first (undated ones last), at most
/// ``Classifier/evidenceLimit`` of them; ``evidenceCount`` is the number of messages that support it.
package struct Reason<Kind: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    package var kind: Kind
    /// One line for people: "sent 3 messages on behalf of someone else (Sender differs from From)".
    package var summary: String
    package var evidence: [Evidence]
    package var evidenceCount: Int

    package init(kind: Kind, summary: String, evidence: [Evidence] = [], evidenceCount: Int = 0) {
        self.kind = kind
        self.summary = summary
        self.evidence = evidence
        self.evidenceCount = evidenceCount
    }
}

/// Why someone is an agent.
package enum AgentReasonKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Confirmed: on the roster (`organization.agents` addresses, domains or file).
    case roster
    /// Inferred: the `Sender` of a message whose `From` is someone else (Exchange "send on behalf").
    case onBehalf = "on-behalf"
    /// Inferred: `Resent-From`/`Resent-Sender` of someone else's message.
    case resent
    /// Inferred: the `From` of a message in an outgoing folder (a staff reply).
    case outgoingAuthor = "outgoing-author"
    /// Inferred: the `Sender` of a message `From` a help desk address (a staff member writing as the desk).
    case sentAsHelpdesk = "sent-as-helpdesk"
    /// Inferred: named owner by an ownership rule.
    case ownershipRule = "ownership-rule"

    package var isInferred: Bool { self != .roster }
}

/// Why someone who is not an agent is counted at all.
package enum ActivityKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// In `From` (or `Resent-From` of their own message) of non-automated mail in an incoming folder.
    case submitted
    /// In `To`/`Cc`/`Bcc`/`Resent-To`/`Resent-Cc` of non-automated mail, or of automated mail the desk sent.
    case received
}

/// Why an address that appeared in the window is not a user.
package enum ExclusionKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// One of `organization.helpdesk_addresses`, or an alias of one.
    case helpdesk
    /// Local part matches a system sender pattern (`mailer-daemon`, `bounce*`, ...).
    case system
    /// Matches `organization.ignore`.
    case ignored
    /// Not at an internal domain and `count_external` is false.
    case external
    /// Only ever sent automated mail (out-of-office, list traffic, bounces, notifications).
    case automatedSender = "automated-sender"
    /// Only appeared in automated mail the help desk did not send (e.g. a mailing list's own address).
    case automatedMail = "automated-mail"
    /// Only appeared in `Reply-To`, which is not counted.
    case replyToOnly = "reply-to-only"
}

package typealias AgentReason = Reason<AgentReasonKind>
package typealias ActivityReason = Reason<ActivityKind>
package typealias ExclusionReason = Reason<ExclusionKind>
