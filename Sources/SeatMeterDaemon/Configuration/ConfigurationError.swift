/// A problem with the configuration file, naming the key path (and line) it concerns.
package struct ConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Dotted key path, e.g. `accounts[0].folders.incoming`; empty for the whole file.
    package var keyPath: String
    package var message: String
    /// 1-based line in the YAML file, when known.
    package var line: Int?

    package init(keyPath: String, message: String, line: Int? = nil) {
        self.keyPath = keyPath
        self.message = message
        self.line = line
    }

    package var description: String {
        var text = "configuration error"
        if !keyPath.isEmpty { text += " at \(keyPath)" }
        if let line { text += " (line \(line))" }
        return text + ": " + message
    }
}
