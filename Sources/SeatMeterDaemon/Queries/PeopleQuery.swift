package import Foundation
package import SeatMeterCore
import SeatMeterStore

/// Classification evaluated now, from the ledger's facts and the configuration.
package struct PeopleQuery: Sendable {
    package var configuration: SeatMeterConfiguration

    package init(configuration: SeatMeterConfiguration) {
        self.configuration = configuration
    }

    /// Reads the ledger read-only (a sync may be writing it; a mistyped path is not created).
    /// - Throws: `LedgerError.missingFile` (naming the path and `seatmeter sync`) when there is no ledger yet;
    ///   ``ConfigurationError`` for unusable classification settings.
    package func classify(window: DateInterval?) throws -> Classification {
        let rules = try configuration.organization.classificationRules()
        let classifier = try Classifier(rules: rules)
        let ledger = try Ledger(readOnlyPath: configuration.ledgerPath)
        let batch = try ledger.observationBatch(from: window?.start, to: window?.end)
        return classifier.classify(batch, window: window)
    }
}
