import ArgumentParser
import Foundation
import SeatMeterCore
import SeatMeterDaemon

/// `--window 90d` or `--since DATE --until DATE`; the default is the licence window ending now.
struct WindowOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A window ending now, e.g. 7d, 30d, 90d.", valueName: "duration"))
    var window: String?

    @Option(name: .long, help: ArgumentHelp("Start date (YYYY-MM-DD, inclusive).", valueName: "date"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("End date (YYYY-MM-DD, inclusive).", valueName: "date"))
    var until: String?

    func validate() throws {
        if window != nil && (since != nil || until != nil) {
            throw ValidationError("give --window or --since/--until, not both")
        }
        if let window, ConfigDuration.parse(window) == nil {
            throw ValidationError("--window: expected a duration like 7d, 30d or 90d, got \"\(window)\"")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, DayParser.parse(value) == nil {
                throw ValidationError("\(name): expected a date like 2026-11-30, got \"\(value)\"")
            }
        }
    }

    func interval(configuration: SeatMeterConfiguration, now: Date = Date()) -> DateInterval {
        let timeZone = configuration.report.timezone.flatMap(TimeZone.init(identifier:)) ?? .current
        if since != nil || until != nil {
            let start = since.flatMap { DayParser.parse($0, timeZone: timeZone) } ?? .distantPast
            let end = until.flatMap { DayParser.parse($0, timeZone: timeZone) }.map { $0.addingTimeInterval(86_400) }
                ?? now
            return DateInterval(start: start, end: max(start, end))
        }
        let length = window.flatMap(ConfigDuration.parse) ?? configuration.licensing.window
        let seconds = Double(length.components.seconds)
        return DateInterval(start: now.addingTimeInterval(-seconds), end: now)
    }
}

enum DayParser {
    /// `YYYY-MM-DD` at midnight in `timeZone`.
    static func parse(_ text: String, timeZone: TimeZone = .current) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: y, month: m, day: d)
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == d
        else { return nil }
        return date
    }
}

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "List every counted person with their role under the Support model and why.",
        discussion: """
            Every listed person is a Team-model user. role is agent (paid under Support), free-submitter or \
            free-recipient. Classification is evaluated now from the ledger and the configuration, so a changed \
            roster, alias or exclusion applies to all history at once.

            --all adds the addresses that appeared but are not users (role excluded, with their reasons, first \
            and last seen, messages sent and received). --role keeps one role: --role excluded lists only the \
            excluded addresses (with or without --all); --role agent --all lists only agents.

            Reads the ledger read-only, also while a sync writes to it; a missing ledger is an error (run \
            seatmeter sync first).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }
    enum Role: String, ExpressibleByArgument, CaseIterable {
        case agent
        case freeSubmitter = "free-submitter"
        case freeRecipient = "free-recipient"
        case excluded
    }

    @OptionGroup var options: ConfigOptions
    @OptionGroup var window: WindowOptions

    @Option(name: .long, help: "Only this role (excluded: only the excluded addresses).")
    var role: Role?

    @Option(name: .long, help: "Output format.")
    var format: Format = .table

    @Flag(name: .long, help: "Also list excluded addresses (role excluded) with their reasons.")
    var all = false

    func run() throws {
        let (configuration, _) = try options.load()
        let interval = window.interval(configuration: configuration)
        let classification = try PeopleQuery(configuration: configuration).classify(window: interval)
        var people = classification.people
        if let role { people = people.filter { $0.role.rawValue == role.rawValue } }
        let excluded = (all && role == nil) || role == .excluded ? classification.excluded : []
        switch format {
        case .json: print(PeopleRendering.json(people, excluded: excluded).serialized(pretty: true))
        case .csv: FileHandle.standardOutput.write(Data(PeopleRendering.csv(people, excluded: excluded).utf8))
        case .table:
            print(PeopleRendering.table(people, excluded: excluded))
            let agents = people.count { $0.role == .agent }
            print("\n\(people.count) user(s), \(agents) agent(s), \(ISO8601.day(interval.start)) to \(ISO8601.day(interval.end))")
        }
    }
}
