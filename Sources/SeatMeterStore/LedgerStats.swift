/// Counts over the whole ledger.
package struct LedgerStats: Sendable, Hashable {
    /// De-duplicated messages.
    package var messages: Int
    /// Messages with at least one parse defect.
    package var messagesWithDefects: Int
    /// Messages with at least one automation signal.
    package var automatedMessages: Int
    /// Messages without a usable `Date` header (left out of date-range queries).
    package var messagesWithoutDate: Int
    /// Distinct stored addresses (local-part case kept).
    package var addresses: Int
    package var appearances: Int
    package var locations: Int

    package init(
        messages: Int,
        messagesWithDefects: Int,
        automatedMessages: Int,
        messagesWithoutDate: Int,
        addresses: Int,
        appearances: Int,
        locations: Int
    ) {
        self.messages = messages
        self.messagesWithDefects = messagesWithDefects
        self.automatedMessages = automatedMessages
        self.messagesWithoutDate = messagesWithoutDate
        self.addresses = addresses
        self.appearances = appearances
        self.locations = locations
    }
}
