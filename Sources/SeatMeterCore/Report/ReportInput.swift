package import Foundation

/// `licensing:` from the configuration: the licence window and the two models' prices.
///
/// Prices are **per seat per month**, as vendors quote them, whatever the billing; `billing` chooses the period the
/// report states costs for: `monthly` → seats × price, `annual` → seats × price × 12. A price of 0 or nil means
/// "not configured" (the report then shows seats, and costs only for the model that has a price).
package struct Licensing: Sendable, Hashable {
    package enum Billing: String, Sendable, Hashable, CaseIterable {
        case monthly
        case annual

        /// Months in one billing period.
        package var months: Int { self == .monthly ? 1 : 12 }
        /// "month" / "year".
        package var periodName: String { self == .monthly ? "month" : "year" }
    }

    /// `licensing.window` in days (default 90): the seats the costs are computed from.
    package var windowDays: Int
    package var currency: String
    /// Team model: price per user per month.
    package var teamPricePerUser: Double?
    /// Support model: price per agent per month.
    package var supportPricePerAgent: Double?
    package var billing: Billing

    package init(
        windowDays: Int = 90, currency: String = "USD", teamPricePerUser: Double? = nil,
        supportPricePerAgent: Double? = nil, billing: Billing = .monthly
    ) {
        self.windowDays = windowDays
        self.currency = currency
        self.teamPricePerUser = teamPricePerUser
        self.supportPricePerAgent = supportPricePerAgent
        self.billing = billing
    }

    /// The Team price when configured (positive and finite).
    package var teamPrice: Double? { Self.usable(teamPricePerUser) }
    /// The Support price when configured (positive and finite).
    package var supportPrice: Double? { Self.usable(supportPricePerAgent) }

    private static func usable(_ price: Double?) -> Double? {
        guard let price, price.isFinite, price > 0 else { return nil }
        return price
    }
}

/// One synced folder's state, from the ledger.
package struct FolderFreshness: Sendable, Hashable {
    package var account: String
    package var folder: String
    package var role: FolderRole
    /// The end of the last sync that completed; nil when the folder never synced.
    package var lastSuccessfulSync: Date?
    /// Messages stored from this folder.
    package var messages: Int
    /// The error of the last attempt, when it failed.
    package var lastError: String?

    package init(
        account: String, folder: String, role: FolderRole, lastSuccessfulSync: Date?, messages: Int,
        lastError: String? = nil
    ) {
        self.account = account
        self.folder = folder
        self.role = role
        self.lastSuccessfulSync = lastSuccessfulSync
        self.messages = messages
        self.lastError = lastError
    }
}

/// An open authentication incident: an OAuth2 token refused for good (see the daemon's `AuthAlarms`).
package struct AuthAlarm: Sendable, Hashable {
    /// `account:NAME` or `smtp`.
    package var subject: String
    package var since: Date
    /// What failed; never a token or secret.
    package var message: String

    package init(subject: String, since: Date, message: String) {
        self.subject = subject
        self.since = since
        self.message = message
    }
}

/// A weekly report that could not be mailed and has not been followed by a successful delivery since.
package struct DeliveryFailure: Sendable, Hashable {
    /// The undelivered report's period.
    package var periodStart: Date
    package var periodEnd: Date
    /// When the last attempt failed.
    package var lastAttempt: Date
    package var attempts: Int
    /// The SMTP (or credential) error of the last attempt; never a secret.
    package var error: String

    package init(periodStart: Date, periodEnd: Date, lastAttempt: Date, attempts: Int, error: String) {
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.lastAttempt = lastAttempt
        self.attempts = attempts
        self.error = error
    }
}

/// Recipients the SMTP server refused when the last report was delivered to the others.
package struct RejectedRecipients: Sendable, Hashable {
    /// The delivered report's period.
    package var periodStart: Date
    package var sentAt: Date
    package var addresses: [String]

    package init(periodStart: Date, sentAt: Date, addresses: [String]) {
        self.periodStart = periodStart
        self.sentAt = sentAt
        self.addresses = addresses
    }
}

/// What the ledger knows about its own health.
package struct DataQualityInput: Sendable, Hashable {
    package var folders: [FolderFreshness]
    /// The accounts' poll interval in seconds (the shortest when they differ); 0 when not polling (imports only).
    package var pollInterval: TimeInterval
    /// Distinct messages in the ledger.
    package var messagesIngested: Int
    /// Messages whose headers had parse defects.
    package var messagesWithDefects: Int
    /// Open authentication incidents: warned about first.
    package var authAlarms: [AuthAlarm]
    /// Report deliveries that failed since the last successful one, oldest first.
    package var deliveryFailures: [DeliveryFailure]
    /// The last successful delivery's refused recipients, when it had any.
    package var rejectedRecipients: RejectedRecipients?

    package init(
        folders: [FolderFreshness] = [], pollInterval: TimeInterval = 0, messagesIngested: Int = 0,
        messagesWithDefects: Int = 0, authAlarms: [AuthAlarm] = [], deliveryFailures: [DeliveryFailure] = [],
        rejectedRecipients: RejectedRecipients? = nil
    ) {
        self.deliveryFailures = deliveryFailures
        self.rejectedRecipients = rejectedRecipients
        self.folders = folders
        self.pollInterval = pollInterval
        self.messagesIngested = messagesIngested
        self.messagesWithDefects = messagesWithDefects
        self.authAlarms = authAlarms
    }
}

/// Everything a ``SeatReport`` is computed from; the lead fills it from the ledger and the configuration.
package struct ReportInput: Sendable {
    /// The report's reference time (now, or `--as-of`): the period is the last full week before it.
    package var asOf: Date
    /// `report.timezone`: weeks start on Monday 00:00 here, windows are counted in its calendar days.
    package var timeZone: TimeZone
    /// Every message dated in ``requiredRange(asOf:timeZone:licenceWindowDays:)`` (more is harmless), ideally
    /// ordered by date (otherwise they are sorted). Undated messages are ignored.
    package var observations: [MessageObservation]
    /// The same messages in compact form, when the caller has them so (the ledger's report read): then they are
    /// what is classified and ``observations`` is not looked at.
    package var batch: ObservationBatch?
    package var rules: ClassificationRules
    package var licensing: Licensing
    /// `organization.on_behalf_threshold` as a fraction (0.10 = 10% of users).
    package var onBehalfThreshold: Double
    package var dataQuality: DataQualityInput

    package init(
        asOf: Date, timeZone: TimeZone, observations: [MessageObservation], rules: ClassificationRules,
        licensing: Licensing = Licensing(), onBehalfThreshold: Double = 0.10,
        dataQuality: DataQualityInput = DataQualityInput(), batch: ObservationBatch? = nil
    ) {
        self.batch = batch
        self.asOf = asOf
        self.timeZone = timeZone
        self.observations = observations
        self.rules = rules
        self.licensing = licensing
        self.onBehalfThreshold = onBehalfThreshold
        self.dataQuality = dataQuality
    }

    /// The messages a report needs: from the earliest window start to the period's end. The earliest start is the
    /// earlier of the 365-day window's (period end − 365 days) and the oldest trend point's licence window's
    /// (period end − 11 weeks − the licence window); the other windows (the previous period's, the high-water
    /// mark's daily ones) start later. Days are calendar days in `timeZone`.
    package static func requiredRange(asOf: Date, timeZone: TimeZone, licenceWindowDays: Int) -> DateInterval {
        let calendar = ReportCalendar(timeZone: timeZone)
        let period = calendar.lastFullWeek(before: asOf)
        let oldestTrendEnd = calendar.adding(days: -7 * (SeatReport.trendWeeks - 1), to: period.end)
        let start = min(
            calendar.adding(days: -365, to: period.end),
            calendar.adding(days: -max(1, licenceWindowDays), to: oldestTrendEnd))
        return DateInterval(start: start, end: period.end)
    }
}
