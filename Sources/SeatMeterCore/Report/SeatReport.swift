package import Foundation

/// The licensing report for one period: both models' seats and costs, the two deciding questions, the
/// recommendation, changes against the previous period, a 12-week trend and the data's health. Pure data, built by
/// ``init(_:)`` from a ``ReportInput`` and rendered by ``ReportRendering``.
package struct SeatReport: Sendable, Hashable {
    /// Weeks in ``trend``.
    package static let trendWeeks = 12
    /// The fixed windows shown beside the licence window.
    package static let standardWindowDays = [7, 30, 90, 365]

    package var asOf: Date
    package var timeZone: TimeZone
    /// The last full week before ``asOf`` (Monday 00:00 to Monday 00:00 in ``timeZone``).
    package var period: ReportPeriod
    package var licensing: Licensing
    /// The licence window ending at the period's end: the seats costs and questions are computed from.
    package var licenceWindow: SeatWindow
    /// 7/30/90/365-day windows ending at the period's end.
    package var windows: [SeatWindow]
    package var costs: CostComparison
    package var questions: DecidingQuestions
    package var recommendation: Recommendation
    package var changes: ReportChanges
    /// The last ``trendWeeks`` weeks, oldest first; the last point is this period.
    package var trend: [TrendPoint]
    package var dataQuality: DataQuality
    /// Shown first: stale or failing syncs, missing data.
    package var warnings: [String]
    /// Shown with the costs: missing prices.
    package var notes: [String]
    /// Everyone counted in the licence window (sorted by address), for the CSV.
    package var people: [PersonVerdict]

    package init(
        asOf: Date, timeZone: TimeZone, period: ReportPeriod, licensing: Licensing, licenceWindow: SeatWindow,
        windows: [SeatWindow], costs: CostComparison, questions: DecidingQuestions, recommendation: Recommendation,
        changes: ReportChanges, trend: [TrendPoint], dataQuality: DataQuality, warnings: [String], notes: [String],
        people: [PersonVerdict]
    ) {
        self.asOf = asOf
        self.timeZone = timeZone
        self.period = period
        self.licensing = licensing
        self.licenceWindow = licenceWindow
        self.windows = windows
        self.costs = costs
        self.questions = questions
        self.recommendation = recommendation
        self.changes = changes
        self.trend = trend
        self.dataQuality = dataQuality
        self.warnings = warnings
        self.notes = notes
        self.people = people
    }
}

/// Seats in a window `[start, end)` of `days` calendar days.
package struct SeatWindow: Sendable, Hashable {
    package var days: Int
    package var start: Date
    package var end: Date
    package var seats: SeatCounts

    package init(days: Int, start: Date, end: Date, seats: SeatCounts) {
        self.days = days
        self.start = start
        self.end = end
        self.seats = seats
    }
}

/// The two licensing models.
package enum LicensingModel: String, Sendable, Hashable, CaseIterable {
    /// Every user is a paid seat.
    case team
    /// Agents are paid seats; submitters and recipients are free.
    case support

    package var title: String { self == .team ? "Team" : "Support" }
}

/// Which model costs less.
package enum CostVerdict: String, Sendable, Hashable, CaseIterable {
    case team
    case support
    /// Both cost the same.
    case equal
    /// A price is missing.
    case unknown
}

/// Both models' costs per billing period for the licence window's seats.
package struct CostComparison: Sendable, Hashable {
    package var currency: String
    package var billing: Licensing.Billing
    /// Configured prices per seat per month; nil when missing.
    package var teamPricePerUser: Double?
    package var supportPricePerAgent: Double?
    /// Team users × price × months per billing period; nil without a Team price.
    package var teamCost: Double?
    /// Agents × price × months per billing period; nil without a Support price.
    package var supportCost: Double?
    package var cheaper: CostVerdict
    /// The cheaper model's saving per billing period (0 when equal); nil when a price is missing.
    package var saving: Double?
    /// The agent share of users (agents ÷ Team users) at which both models cost the same: Team price ÷ Support
    /// price. Support is cheaper while the share is below it. Nil unless both prices are configured.
    package var breakEvenAgentShare: Double?
    /// Agents ÷ Team users in the licence window; nil without users.
    package var agentShare: Double?

    package init(
        currency: String, billing: Licensing.Billing, teamPricePerUser: Double?, supportPricePerAgent: Double?,
        teamCost: Double?, supportCost: Double?, cheaper: CostVerdict, saving: Double?,
        breakEvenAgentShare: Double?, agentShare: Double?
    ) {
        self.currency = currency
        self.billing = billing
        self.teamPricePerUser = teamPricePerUser
        self.supportPricePerAgent = supportPricePerAgent
        self.teamCost = teamCost
        self.supportCost = supportCost
        self.cheaper = cheaper
        self.saving = saving
        self.breakEvenAgentShare = breakEvenAgentShare
        self.agentShare = agentShare
    }
}

/// Issue 5's two questions, answered from the licence window's data.
package struct DecidingQuestions: Sendable, Hashable {
    package var ownership: OwnershipQuestion
    package var onBehalf: OnBehalfQuestion

    package init(ownership: OwnershipQuestion, onBehalf: OnBehalfQuestion) {
        self.ownership = ownership
        self.onBehalf = onBehalf
    }
}

/// (1) Do only technicians take ownership? Yes when nobody outside the agent roster shows ownership evidence
/// (an ownership rule named them, they wrote in an outgoing folder, or they wrote as the help desk).
package struct OwnershipQuestion: Sendable, Hashable {
    package var onlyTechnicians: Bool
    /// People with ownership evidence who are not on the roster, by address.
    package var outsideRoster: [OwnershipHolder]
    /// Everyone with ownership evidence, on the roster or not.
    package var peopleWithOwnershipEvidence: Int

    package init(onlyTechnicians: Bool, outsideRoster: [OwnershipHolder], peopleWithOwnershipEvidence: Int) {
        self.onlyTechnicians = onlyTechnicians
        self.outsideRoster = outsideRoster
        self.peopleWithOwnershipEvidence = peopleWithOwnershipEvidence
    }
}

/// Someone outside the roster who took ownership, with the ownership reasons and their evidence.
package struct OwnershipHolder: Sendable, Hashable {
    package var address: String
    package var name: String
    /// Only the ownership kinds: ownership-rule, outgoing-author, sent-as-helpdesk.
    package var reasons: [AgentReason]

    package init(address: String, name: String, reasons: [AgentReason]) {
        self.address = address
        self.name = name
        self.reasons = reasons
    }
}

/// (2) Do only a few submit on behalf of others? Yes when the on-behalf submitters are at most `threshold` of the
/// Team users.
package struct OnBehalfQuestion: Sendable, Hashable {
    package var onlyAFew: Bool
    /// Most messages first, then by address.
    package var submitters: [OnBehalfSubmitter]
    /// Submitters ÷ Team users (0 without users).
    package var share: Double
    package var threshold: Double

    package init(onlyAFew: Bool, submitters: [OnBehalfSubmitter], share: Double, threshold: Double) {
        self.onlyAFew = onlyAFew
        self.submitters = submitters
        self.share = share
        self.threshold = threshold
    }
}

package struct OnBehalfSubmitter: Sendable, Hashable {
    package var address: String
    package var name: String
    /// Messages sent on behalf of someone else in the licence window.
    package var messages: Int
    package var confirmedAgent: Bool

    package init(address: String, name: String, messages: Int, confirmedAgent: Bool) {
        self.address = address
        self.name = name
        self.messages = messages
        self.confirmedAgent = confirmedAgent
    }
}

/// The cost verdict and the questions' verdict side by side.
package struct Recommendation: Sendable, Hashable {
    package var byCost: CostVerdict
    /// Support when either question is answered yes, else Team.
    package var byQuestions: LicensingModel
    /// Whether the two point the same way (false when costs are unknown or equal).
    package var agree: Bool
    /// Why, in a few sentences; says what differs when they disagree.
    package var explanation: String

    package init(byCost: CostVerdict, byQuestions: LicensingModel, agree: Bool, explanation: String) {
        self.byCost = byCost
        self.byQuestions = byQuestions
        self.agree = agree
        self.explanation = explanation
    }
}

/// A person who appeared or disappeared between the previous licence window and this one.
package struct ChangedPerson: Sendable, Hashable {
    package var address: String
    package var name: String
    /// The role in the window the person is counted in (this one for new users, the previous for idle ones).
    package var role: PersonRole
    package var lastSeen: Date?

    package init(address: String, name: String, role: PersonRole, lastSeen: Date?) {
        self.address = address
        self.name = name
        self.role = role
        self.lastSeen = lastSeen
    }
}

/// An agent now that was not one in the previous licence window.
package struct NewAgent: Sendable, Hashable {
    package var address: String
    package var name: String
    package var confirmed: Bool
    /// The role in the previous window, nil when not counted then.
    package var previousRole: PersonRole?
    package var reasons: [AgentReason]

    package init(address: String, name: String, confirmed: Bool, previousRole: PersonRole?, reasons: [AgentReason]) {
        self.address = address
        self.name = name
        self.confirmed = confirmed
        self.previousRole = previousRole
        self.reasons = reasons
    }
}

/// The most agents any day of the period needed: for each of the period's days, the agents in the licence window
/// ending at that day's end; the maximum, and the first day that reached it.
package struct HighWaterMark: Sendable, Hashable {
    package var agents: Int
    /// Midnight starting the day.
    package var day: Date

    package init(agents: Int, day: Date) {
        self.agents = agents
        self.day = day
    }
}

/// This period's licence window against the previous period's (the window ending one week earlier).
package struct ReportChanges: Sendable, Hashable {
    package var previousPeriod: ReportPeriod
    package var previousSeats: SeatCounts
    package var newUsers: [ChangedPerson]
    package var idleUsers: [ChangedPerson]
    package var newAgents: [NewAgent]
    /// Roster addresses with no counted activity in the licence window: candidates to free.
    package var inactiveRosterAgents: [String]
    package var highWaterMark: HighWaterMark

    package init(
        previousPeriod: ReportPeriod, previousSeats: SeatCounts, newUsers: [ChangedPerson],
        idleUsers: [ChangedPerson], newAgents: [NewAgent], inactiveRosterAgents: [String],
        highWaterMark: HighWaterMark
    ) {
        self.previousPeriod = previousPeriod
        self.previousSeats = previousSeats
        self.newUsers = newUsers
        self.idleUsers = idleUsers
        self.newAgents = newAgents
        self.inactiveRosterAgents = inactiveRosterAgents
        self.highWaterMark = highWaterMark
    }
}

/// One week of the trend: the licence-window seats as of the week's end.
package struct TrendPoint: Sendable, Hashable {
    package var weekStart: Date
    package var weekEnd: Date
    package var label: String
    package var seats: SeatCounts

    package init(weekStart: Date, weekEnd: Date, label: String, seats: SeatCounts) {
        self.weekStart = weekStart
        self.weekEnd = weekEnd
        self.label = label
        self.seats = seats
    }
}

/// A folder's sync state (``FolderFreshness``, whose fields read through) and whether it is stale.
@dynamicMemberLookup
package struct FolderStatus: Sendable, Hashable {
    package var freshness: FolderFreshness
    /// Never synced, or the last sync is older than ``DataQuality/staleAfter`` at the report time.
    package var stale: Bool

    package init(_ freshness: FolderFreshness, stale: Bool) {
        self.freshness = freshness
        self.stale = stale
    }

    package subscript<Value>(dynamicMember keyPath: KeyPath<FolderFreshness, Value>) -> Value {
        freshness[keyPath: keyPath]
    }
}

package struct DataQuality: Sendable, Hashable {
    package var folders: [FolderStatus]
    /// 2 poll intervals, at most 24 h (24 h when not polling).
    package var staleAfter: TimeInterval
    package var messagesIngested: Int
    package var messagesWithDefects: Int
    /// Messages classified for the licence window.
    package var messagesInLicenceWindow: Int
    /// Messages without a date among the report's input (never in a window).
    package var undatedMessages: Int
    /// Excluded addresses in the licence window per reason, in ``ExclusionKind`` order, zero counts left out.
    package var excludedByReason: [ExcludedCount]
    /// The first and last message date in the report's input.
    package var firstMessage: Date?
    package var lastMessage: Date?
    /// Open authentication incidents (OAuth2 tokens refused): mail of those accounts is not being read.
    package var authAlarms: [AuthAlarm]
    /// Report deliveries that failed since the last successful one, oldest first.
    package var deliveryFailures: [DeliveryFailure]
    /// The last successful delivery's refused recipients, when it had any.
    package var rejectedRecipients: RejectedRecipients?

    package init(
        folders: [FolderStatus], staleAfter: TimeInterval, messagesIngested: Int, messagesWithDefects: Int,
        messagesInLicenceWindow: Int, undatedMessages: Int, excludedByReason: [ExcludedCount], firstMessage: Date?,
        lastMessage: Date?, authAlarms: [AuthAlarm] = [], deliveryFailures: [DeliveryFailure] = [],
        rejectedRecipients: RejectedRecipients? = nil
    ) {
        self.authAlarms = authAlarms
        self.deliveryFailures = deliveryFailures
        self.rejectedRecipients = rejectedRecipients
        self.folders = folders
        self.staleAfter = staleAfter
        self.messagesIngested = messagesIngested
        self.messagesWithDefects = messagesWithDefects
        self.messagesInLicenceWindow = messagesInLicenceWindow
        self.undatedMessages = undatedMessages
        self.excludedByReason = excludedByReason
        self.firstMessage = firstMessage
        self.lastMessage = lastMessage
    }
}

package struct ExcludedCount: Sendable, Hashable {
    package var kind: ExclusionKind
    package var addresses: Int

    package init(kind: ExclusionKind, addresses: Int) {
        self.kind = kind
        self.addresses = addresses
    }
}
