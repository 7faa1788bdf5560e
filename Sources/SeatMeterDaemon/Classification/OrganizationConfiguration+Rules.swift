import Foundation
package import SeatMeterCore

extension OrganizationConfiguration {
    /// The classification rules, with the roster file and the aliases file read in.
    /// - Throws: ``ConfigurationError`` naming the key whose file cannot be read or whose values are invalid.
    package func classificationRules() throws(ConfigurationError) -> ClassificationRules {
        var roster = agentAddresses
        var sources: [String: String] = [:]
        if let agentsFile {
            let listed = Set(agentAddresses)
            for address in try RosterFile.addresses(at: agentsFile, keyPath: "organization.agents.file") {
                roster.append(address)
                if !listed.contains(address) { sources[address] = agentsFile }
            }
        }
        var aliasMap = aliases
        if let aliasesFile {
            for (alias, address) in try RosterFile.aliases(at: aliasesFile) { aliasMap[alias] = address }
        }
        let rules = ClassificationRules(
            helpdeskAddresses: helpdeskAddresses, internalDomains: internalDomains, countExternal: countExternal,
            agentAddresses: roster, agentDomains: agentDomains, agentAddressSources: sources, aliases: aliasMap,
            ignore: ignore, foldPlusTags: foldPlusTags, foldLocalPartCase: foldLocalPartCase,
            ownershipRules: ownershipRules.map {
                OwnershipRule(
                    name: $0.name, subjectPattern: $0.subjectPattern, fromPattern: $0.fromPattern,
                    owner: $0.owner.flatMap(OwnershipRule.Owner.init(rawValue:)))
            })
        do {
            try rules.validate()
        } catch {
            throw ConfigurationError(keyPath: error.key, message: error.message)
        }
        return rules
    }
}

/// The roster and alias files admins export from their help desk.
enum RosterFile {
    /// One address per line, or a CSV export whose header has an email column (`email`, `e-mail`,
    /// `email address`, ... in any case). Blank lines and `#` comments are skipped.
    static func addresses(at path: String, keyPath: String) throws(ConfigurationError) -> [String] {
        let lines = try read(path, keyPath: keyPath)
        guard let header = lines.first else { return [] }
        let columns = CSV.fields(header).map { $0.lowercased().filter { $0.isLetter } }
        if let column = columns.firstIndex(where: { $0 == "email" || $0 == "emailaddress" || $0 == "mail" }),
            !header.contains("@")
        {
            return lines.dropFirst().compactMap { line in
                let fields = CSV.fields(line)
                guard column < fields.count else { return nil }
                let value = fields[column].trimmingCharacters(in: .whitespaces)
                return value.contains("@") ? value : nil
            }
        }
        if header.contains(",") && !header.contains("@") {
            throw ConfigurationError(
                keyPath: keyPath, message: "\(path): a CSV file needs a column named email (found: \(header))")
        }
        return lines.compactMap { line in
            let value = line.trimmingCharacters(in: CharacterSet(charactersIn: " \t,;\""))
            return value.contains("@") ? value : nil
        }
    }

    /// `alias,address` per line.
    static func aliases(at path: String) throws(ConfigurationError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for (index, line) in try read(path, keyPath: "organization.aliases_file").enumerated() {
            let fields = CSV.fields(line).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, fields[0].contains("@"), fields[1].contains("@") else {
                if index == 0 { continue }  // a header row
                throw ConfigurationError(
                    keyPath: "organization.aliases_file",
                    message: "\(path) line \(index + 1): expected alias,address")
            }
            pairs.append((fields[0], fields[1]))
        }
        return pairs
    }

    private static func read(_ path: String, keyPath: String) throws(ConfigurationError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(keyPath: keyPath, message: "cannot read \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text.split(whereSeparator: \.isNewline).map(String.init).filter {
            let trimmed = $0.trimmingCharacters(in: .whitespaces)
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
    }
}

/// Minimal RFC 4180 field splitting (quoted fields with doubled quotes).
enum CSV {
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else {
                            quoted = false
                            if next == "," { fields.append(current); current = "" } else { current.append(next) }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" && current.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }

}
