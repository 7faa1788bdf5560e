import Foundation
import Yams

/// Reads one YAML mapping while tracking its key path, so every error names the key it concerns, and rejects
/// keys nobody asked for (a misspelt key is an error, never silently ignored).
struct YAMLReader {
    let path: String
    private let mapping: Node.Mapping
    private var line: Int? { mapping.mark?.line }
    private var consumed: Set<String> = []

    init(node: Node, path: String) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(keyPath: path, message: "expected a mapping of keys to values", line: node.mark?.line)
        }
        self.mapping = mapping
        self.path = path
    }

    static func document(_ text: String) throws(ConfigurationError) -> YAMLReader {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(keyPath: "", message: "not valid YAML: \(error)")
        }
        guard let root else { throw ConfigurationError(keyPath: "", message: "the file is empty") }
        return try YAMLReader(node: root, path: "")
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    mutating func node(_ key: String) -> Node? {
        consumed.insert(key)
        guard let value = mapping[key] else { return nil }
        if case .scalar(let scalar) = value, scalar.style == .plain, value.null != nil { return nil }
        return value
    }

    /// Throws for every key in the mapping that was never read.
    func rejectUnknownKeys() throws(ConfigurationError) {
        for (key, value) in mapping {
            let name = key.string ?? "?"
            if !consumed.contains(name) {
                throw ConfigurationError(
                    keyPath: keyPath(name), message: "unknown key", line: key.mark?.line ?? value.mark?.line)
            }
        }
    }

    // MARK: - Typed values

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = node(key) else { return nil }
        return try Self.string(value, keyPath(key))
    }

    mutating func requiredString(_ key: String) throws(ConfigurationError) -> String {
        guard let value = try string(key), !value.isEmpty else {
            throw ConfigurationError(keyPath: keyPath(key), message: "is required", line: line)
        }
        return value
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = node(key) else { return nil }
        guard case .scalar = value, let bool = value.bool else {
            throw ConfigurationError(keyPath: keyPath(key), message: "expected true or false", line: value.mark?.line)
        }
        return bool
    }

    mutating func number(_ key: String) throws(ConfigurationError) -> Double? {
        guard let value = node(key) else { return nil }
        guard case .scalar = value, let number = value.float, number.isFinite else {
            throw ConfigurationError(keyPath: keyPath(key), message: "expected a number", line: value.mark?.line)
        }
        return number
    }

    mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = node(key) else { return nil }
        let path = keyPath(key)
        switch value {
        case .sequence(let sequence):
            var result: [String] = []
            for (index, element) in sequence.enumerated() {
                result.append(try Self.string(element, "\(path)[\(index)]"))
            }
            return result
        case .scalar:
            // A single value where a list is expected is accepted as a one-element list.
            return [try Self.string(value, path)]
        default:
            throw ConfigurationError(keyPath: path, message: "expected a list of strings", line: value.mark?.line)
        }
    }

    mutating func stringMap(_ key: String) throws(ConfigurationError) -> [String: String]? {
        guard let value = node(key) else { return nil }
        let path = keyPath(key)
        guard case .mapping(let mapping) = value else {
            throw ConfigurationError(keyPath: path, message: "expected a mapping", line: value.mark?.line)
        }
        var result: [String: String] = [:]
        for (k, v) in mapping {
            let name = try Self.string(k, path)
            result[name] = try Self.string(v, path + "." + name)
        }
        return result
    }

    mutating func section(_ key: String) throws(ConfigurationError) -> YAMLReader? {
        guard let value = node(key) else { return nil }
        return try YAMLReader(node: value, path: keyPath(key))
    }

    mutating func sections(_ key: String) throws(ConfigurationError) -> [YAMLReader]? {
        guard let value = node(key) else { return nil }
        guard case .sequence(let sequence) = value else {
            throw ConfigurationError(keyPath: keyPath(key), message: "expected a list", line: value.mark?.line)
        }
        var result: [YAMLReader] = []
        for (index, element) in sequence.enumerated() {
            result.append(try YAMLReader(node: element, path: "\(keyPath(key))[\(index)]"))
        }
        return result
    }

    mutating func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let text = try string(key) else { return nil }
        guard let duration = ConfigDuration.parse(text) else {
            throw ConfigurationError(
                keyPath: keyPath(key), message: "expected a duration like 90s, 5m, 12h or 90d, got \"\(text)\"",
                line: line)
        }
        return duration
    }

    private static func string(_ node: Node, _ path: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else {
            throw ConfigurationError(keyPath: path, message: "expected a single value", line: node.mark?.line)
        }
        return scalar.string
    }
}

/// Durations as admins write them: `90s`, `5m`, `12h`, `90d`, `2w` (a bare number is seconds).
package enum ConfigDuration {
    package static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last else { return nil }
        let multiplier: Double
        var digits = Substring(trimmed)
        switch unit {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        case "w": multiplier = 604_800
        case "0"..."9": multiplier = 1
        default: return nil
        }
        if !unit.isNumber { digits = digits.dropLast() }
        guard let value = Double(digits), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * multiplier * 1000).rounded()))
    }

    package static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)]
        where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
