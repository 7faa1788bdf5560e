import ArgumentParser
import Foundation
import SeatMeterCore
import SeatMeterDaemon

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The licensing report for the last full week: seats and costs under both models, trend, changes.",
        discussion: """
            The period is the last full week (Monday to Sunday in report.timezone) before now, or before --as-of. \
            With --send the report is mailed to report.recipients over SMTP, exactly once per period (a period \
            already delivered is skipped unless --force).
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: ArgumentHelp("Report as of this date (YYYY-MM-DD) instead of now.", valueName: "date"))
    var asOf: String?

    @Option(name: .long, help: "Output format: text, markdown, html, csv or json.")
    var format: String = "text"

    @Option(name: .long, help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Flag(name: .long, help: "Mail the report to report.recipients (once per period).")
    var send = false

    @Flag(name: .long, help: "With --send: send even if this period was delivered already.")
    var force = false

    func validate() throws {
        guard ReportFormat(rawValue: format) != nil else {
            throw ValidationError("--format: expected text, markdown, html, csv or json, got \"\(format)\"")
        }
        if let asOf, DayParser.parse(asOf) == nil {
            throw ValidationError("--as-of: expected a date like 2026-11-30, got \"\(asOf)\"")
        }
        if force && !send { throw ValidationError("--force goes with --send") }
    }

    func run() throws {
        let (configuration, logger) = try options.load()
        let query = ReportQuery(configuration: configuration)
        let reference = asOf.flatMap { DayParser.parse($0, timeZone: query.timeZone) } ?? Date()
        if send {
            let delivery = ReportDelivery(configuration: configuration, logger: logger)
            switch try delivery.deliverIfDue(asOf: reference, force: force) {
            case .delivered(let start, let rejected):
                print("report for the week of \(ISO8601.day(start, timeZone: query.timeZone)) sent to \(configuration.report.recipients.joined(separator: ", "))")
                if !rejected.isEmpty { print("rejected recipients: \(rejected.joined(separator: ", "))") }
            case .alreadyDelivered(let start):
                print("the report for the week of \(ISO8601.day(start, timeZone: query.timeZone)) was delivered already (use --force to send it again)")
            case .notConfigured(let reason):
                throw CLIError("cannot send the report: \(reason)")
            }
            return
        }
        let report = try query.build(asOf: reference)
        var rendered = ReportRendering.renderedBytes(report, as: ReportFormat(rawValue: format) ?? .text)
        if let output {
            do {
                try Data(rendered).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIError("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            if rendered.last != UInt8(ascii: "\n") { rendered.append(UInt8(ascii: "\n")) }
            try FileHandle.standardOutput.write(contentsOf: rendered)
        }
    }
}
