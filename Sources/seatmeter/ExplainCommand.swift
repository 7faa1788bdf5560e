import ArgumentParser
import Foundation
import SeatMeterCore
import SeatMeterDaemon

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Why an address is an agent, a free submitter, a free recipient or excluded, with the evidence.",
        discussion: """
            Exit status 1 when the address does not appear in the window. Reads the ledger read-only, also while \
            a sync writes to it; a missing ledger is an error (run seatmeter sync first).
            """
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var window: WindowOptions

    @Argument(help: ArgumentHelp("The address to explain.", valueName: "address"))
    var address: String

    func run() throws {
        let (configuration, _) = try options.load()
        let interval = window.interval(configuration: configuration)
        let query = PeopleQuery(configuration: configuration)
        let classifier = try Classifier(rules: try configuration.organization.classificationRules())
        let classification = try query.classify(window: interval)
        guard let explanation = classifier.explain(address, in: classification) else {
            print("\(address) does not appear in the help desk's mail from \(ISO8601.day(interval.start)) to \(ISO8601.day(interval.end)).")
            throw ExitCode(1)
        }
        print(explanation.text)
    }
}
