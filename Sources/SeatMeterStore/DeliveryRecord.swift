package import Foundation

/// Where a report period's delivery stands.
package enum DeliveryStatus: String, Sendable, Hashable, CaseIterable {
    /// An attempt was recorded and its outcome not (yet): either in progress, or the process died between
    /// handing the message to SMTP and recording the outcome. The caller decides what that means.
    case sending
    case delivered
    case failed
}

/// The delivery log row of one report period (exactly-once delivery of the weekly report).
package struct DeliveryRecord: Sendable, Hashable {
    package var periodStart: Date
    package var periodEnd: Date
    package var formats: [String]
    package var recipients: [String]
    package var status: DeliveryStatus
    package var attempts: Int
    package var firstAttemptAt: Date
    package var lastAttemptAt: Date
    /// The `Message-ID` header of the first attempt, reused by every later attempt of the period so that
    /// a resend after a crash is recognizable as the same message.
    package var messageIDHeader: String
    package var sentAt: Date?
    package var rejectedRecipients: [String]
    package var error: String?

    package init(
        periodStart: Date,
        periodEnd: Date,
        formats: [String],
        recipients: [String],
        status: DeliveryStatus,
        attempts: Int,
        firstAttemptAt: Date,
        lastAttemptAt: Date,
        messageIDHeader: String,
        sentAt: Date?,
        rejectedRecipients: [String],
        error: String?
    ) {
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.formats = formats
        self.recipients = recipients
        self.status = status
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.messageIDHeader = messageIDHeader
        self.sentAt = sentAt
        self.rejectedRecipients = rejectedRecipients
        self.error = error
    }
}
