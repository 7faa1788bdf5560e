import ArgumentParser
import CHeapTuning
import Foundation
import Logging
import SeatMeterDaemon

@main
struct SeatMeter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seatmeter",
        abstract: "Counts help desk licence seats (Team and Support models) from the help desk's mail headers.",
        version: SeatMeterVersion.current,
        subcommands: [
            RunCommand.self, SyncCommand.self, ImportCommand.self, UsersCommand.self, ReportCommand.self,
            ExplainCommand.self, InspectCommand.self, CheckConfigCommand.self,
        ]
    )
}

/// Options every command that reads the configuration shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config: String = "/etc/seatmeter/seatmeter.yaml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error (default: the config's log_level).")
    var logLevel: String?

    /// Loads the configuration and bootstraps logging to standard error (one-shot commands keep stdout for output).
    func load() throws -> (SeatMeterConfiguration, Logger) {
        let configuration: SeatMeterConfiguration
        do {
            configuration = try SeatMeterConfiguration.load(path: config)
        } catch {
            throw CLIError("\(config): \(error)")
        }
        let level = Logger.Level(rawValue: logLevel ?? configuration.logLevel) ?? .info
        LoggingBootstrap.once(stream: .standardError, level: level)
        var logger = Logger(label: "seatmeter")
        logger.logLevel = level
        // report, users and explain keep freed heap memory for reuse (heap_tuning.c).
        logger.debug("heap", metadata: ["heap.keeps_freed_memory": "\(seatmeter_heap_tuned() == 1)"])
        return (configuration, logger)
    }
}

/// An error whose message is already what the admin should read.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `LoggingSystem.bootstrap` may run only once per process.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    static func once(stream: LineLogHandler.Stream, level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, stream: stream)
            handler.logLevel = level
            return handler
        }
    }
}
