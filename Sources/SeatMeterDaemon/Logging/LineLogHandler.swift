package import Foundation
package import Logging

/// One line per event: `level message key=value ...`. Under systemd (`JOURNAL_STREAM` set) each line starts with
/// the `<N>` syslog priority journald understands, and no timestamp (journald adds its own).
package struct LineLogHandler: LogHandler {
    package enum Stream: Sendable { case standardOutput, standardError }

    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    private let label: String
    private let stream: Stream
    private let journal: Bool

    package init(label: String, stream: Stream, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.stream = stream
        self.journal = journal
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.format(
            level: event.level, message: "\(event.message)", metadata: merged, journal: journal,
            timestamp: journal ? nil : Date())
        let data = Data((line + "\n").utf8)
        switch stream {
        case .standardOutput: FileHandle.standardOutput.write(data)
        case .standardError: FileHandle.standardError.write(data)
        }
    }

    /// Formats one log line (separate from I/O for tests).
    package static func format(
        level: Logger.Level, message: String, metadata: Logger.Metadata, journal: Bool, timestamp: Date?
    ) -> String {
        var line = journal ? "<\(priority(level))>" : ""
        if let timestamp { line += timestamp.formatted(.iso8601) + " " }
        line += level.rawValue + " " + message
        for key in metadata.keys.sorted() {
            let value = "\(metadata[key].map { "\($0)" } ?? "")"
            let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            line += " " + key + "=" + (needsQuotes ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value)
        }
        return line.replacingOccurrences(of: "\n", with: " ")
    }

    /// syslog priorities (sd-daemon(3)).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
