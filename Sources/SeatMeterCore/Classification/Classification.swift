package import Foundation

/// A counted person's role. Team-model users are all three; Support-model seats are the agents.
package enum PersonRole: String, Sendable, Hashable, Codable, CaseIterable {
    case agent
    case freeSubmitter = "free-submitter"
    case freeRecipient = "free-recipient"
}

/// Whether an agent is on the roster (confirmed) or only inferred from mail, and why.
package struct AgentStatus: Sendable, Hashable, Codable {
    /// On the roster. An agent may be confirmed and also have inferred reasons.
    package var confirmed: Bool
    /// The roster reason first (when confirmed), then the inferred ones in ``AgentReasonKind`` order.
    package var reasons: [AgentReason]

    package init(confirmed: Bool, reasons: [AgentReason]) {
        self.confirmed = confirmed
        self.reasons = reasons
    }

    package func reason(_ kind: AgentReasonKind) -> AgentReason? { reasons.first { $0.kind == kind } }
}

/// One counted person (a Team-model user) in the window.
package struct PersonVerdict: Sendable, Hashable, Codable {
    /// The identity (``IdentityResolver/identity(_:)``).
    package var address: String
    /// The most recent non-empty display name seen for this identity (any field), or `""`.
    package var name: String
    package var role: PersonRole
    /// Set when ``role`` is ``PersonRole/agent``.
    package var agent: AgentStatus?
    /// Date of the first and last message in which the person counted (sent, received or agent evidence).
    package var firstSeen: Date?
    package var lastSeen: Date?
    /// Messages this person sent (From, a different Sender, Resent-From/-Sender) that counted.
    package var sent: Int
    /// Messages this person received (To/Cc/Bcc/Resent-To/Resent-Cc) that counted.
    package var received: Int
    /// Messages this person submitted on behalf of someone else: as a `Sender` differing from a person's `From`,
    /// or re-sending someone else's mail (`Resent-From`/`Resent-Sender`). The report's question 2.
    package var onBehalfCount: Int
    /// Took ownership of tickets: matched an ownership rule, authored mail in an outgoing folder, or wrote as the
    /// help desk. The report's question 1 lists such people who are not confirmed agents.
    package var ownershipEvidence: Bool
    /// Why the person is counted at all (submitted / received), with evidence; agents have it too.
    package var activity: [ActivityReason]
    /// Other addresses as written that resolved to this identity (aliases, case or plus-tag variants), sorted.
    package var seenAs: [String]

    package init(
        address: String, name: String, role: PersonRole, agent: AgentStatus?, firstSeen: Date?, lastSeen: Date?,
        sent: Int, received: Int, onBehalfCount: Int, ownershipEvidence: Bool, activity: [ActivityReason] = [],
        seenAs: [String] = []
    ) {
        self.address = address
        self.name = name
        self.role = role
        self.agent = agent
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.sent = sent
        self.received = received
        self.onBehalfCount = onBehalfCount
        self.ownershipEvidence = ownershipEvidence
        self.activity = activity
        self.seenAs = seenAs
    }

    package var isConfirmedAgent: Bool { agent?.confirmed ?? false }
    package var isInferredOnlyAgent: Bool { agent.map { !$0.confirmed } ?? false }
}

/// An address that appeared in the window but is not a user, and why.
package struct ExcludedAddress: Sendable, Hashable, Codable {
    /// The identity.
    package var address: String
    package var name: String
    /// An address-level reason (help desk, system, ignored, external) alone; otherwise every message-level reason
    /// that applied (automated sender, automated mail, Reply-To only, ignored as written).
    package var reasons: [ExclusionReason]
    /// Date of the first and last message in which the address appeared (any field).
    package var firstSeen: Date?
    package var lastSeen: Date?
    /// Messages in which it appeared as a sender (From, Sender, Resent-From/-Sender) / a recipient (To, Cc,
    /// Bcc, Resent-To/-Cc), counted once per message.
    package var sent: Int
    package var received: Int

    package init(
        address: String, name: String, reasons: [ExclusionReason], firstSeen: Date? = nil, lastSeen: Date? = nil,
        sent: Int = 0, received: Int = 0
    ) {
        self.address = address
        self.name = name
        self.reasons = reasons
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.sent = sent
        self.received = received
    }
}

/// The answer for one window: every counted person and every excluded address, each sorted by address.
package struct Classification: Sendable, Hashable, Codable {
    /// Team-model users: agents ∪ free submitters ∪ free recipients.
    package var people: [PersonVerdict]
    package var excluded: [ExcludedAddress]
    /// Roster addresses (identities) with no counted activity in the window: candidates to free.
    /// Roster domains cannot be listed.
    package var inactiveRosterAgents: [String]
    /// Messages inside the window that were classified.
    package var messagesConsidered: Int
    /// Messages without a date, left out because a window was given.
    package var undatedMessagesSkipped: Int

    package init(
        people: [PersonVerdict] = [], excluded: [ExcludedAddress] = [], inactiveRosterAgents: [String] = [],
        messagesConsidered: Int = 0, undatedMessagesSkipped: Int = 0
    ) {
        self.people = people
        self.excluded = excluded
        self.inactiveRosterAgents = inactiveRosterAgents
        self.messagesConsidered = messagesConsidered
        self.undatedMessagesSkipped = undatedMessagesSkipped
    }

    /// The person counted under `identity` (binary search; `identity` must already be resolved).
    package func person(_ identity: String) -> PersonVerdict? {
        Self.find(identity, in: people, key: \.address)
    }

    /// The excluded address `identity` (binary search; `identity` must already be resolved).
    package func excludedAddress(_ identity: String) -> ExcludedAddress? {
        Self.find(identity, in: excluded, key: \.address)
    }

    package func people(with role: PersonRole) -> [PersonVerdict] { people.filter { $0.role == role } }

    package var agentCount: Int { people.count { $0.role == .agent } }
    package var confirmedAgentCount: Int { people.count { $0.isConfirmedAgent } }
    package var inferredAgentCount: Int { people.count { $0.isInferredOnlyAgent } }
    package var freeSubmitterCount: Int { people.count { $0.role == .freeSubmitter } }
    package var freeRecipientCount: Int { people.count { $0.role == .freeRecipient } }

    /// Excluded addresses per reason kind (an address with several message-level reasons counts under each).
    package var excludedCountByKind: [ExclusionKind: Int] {
        var counts: [ExclusionKind: Int] = [:]
        for address in excluded {
            for reason in address.reasons { counts[reason.kind, default: 0] += 1 }
        }
        return counts
    }

    private static func find<T>(_ identity: String, in sorted: [T], key: KeyPath<T, String>) -> T? {
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            let value = sorted[mid][keyPath: key]
            if value == identity { return sorted[mid] }
            if value < identity { low = mid + 1 } else { high = mid }
        }
        return nil
    }
}
