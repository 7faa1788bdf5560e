import ArgumentParser
import Foundation
import SeatMeterCore

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Parse message files and print what SeatMeter reads from their headers, as JSON.",
        discussion: """
            Prints one JSON object per message (a JSON array for several files). With no file, or '-', reads one \
            message from standard input.
            """
    )

    @Argument(help: ArgumentHelp("Message files (RFC 5322); '-' for standard input.", valueName: "file"))
    var files: [String] = []

    func run() throws {
        let inputs = files.isEmpty ? ["-"] : files
        var objects: [JSONValue] = []
        for file in inputs {
            let bytes: [UInt8]
            if file == "-" {
                bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    let reason = FileManager.default.fileExists(atPath: file) ? "cannot read" : "no such file"
                    throw CLIError("\(file): \(reason)")
                }
                bytes = [UInt8](data)
            }
            let facts = HeaderParser.parse(bytes)
            objects.append(facts.inspectJSON())
        }
        let output = objects.count == 1 ? objects[0] : .array(objects)
        print(output.serialized(pretty: true))
    }
}
