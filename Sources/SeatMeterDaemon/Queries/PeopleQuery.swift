package import Foundation
package import SeatMeterCore
import SeatMeterStore

/// Classification evaluated now, from the ledger's facts and the configuration.
package struct PeopleQuery: Sendable {
    package var configuration: SeatMeterConfiguration

    package init(configuration: SeatMeterConfiguration) {
        self.configuration = configuration
    }

    package func classify(window: DateInterval?) throws -> Classification {
        let rules = try configuration.organization.classificationRules()
        let classifier = try Classifier(rules: rules)
        let ledger = try Ledger(path: configuration.ledgerPath)
        let batch = try ledger.observationBatch(from: window?.start, to: window?.end)
        return classifier.classify(batch, window: window)
    }
}
