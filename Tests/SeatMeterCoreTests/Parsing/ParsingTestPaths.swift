import Foundation

/// Locates the package root, the shared corpus (`../shared` beside it) and this target's fixtures from `#filePath`.
enum ParsingTestPaths {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The directory holding Package.swift, found by walking up from this file.
    static func packageRoot(file: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        throw Missing(description: "no Package.swift above \(file)")
    }

    /// `../shared/corpus`, relative to the package root. Throws (failing the test loudly) when it is missing.
    static func corpus() throws -> URL {
        let url = try packageRoot().deletingLastPathComponent().appendingPathComponent("shared/corpus")
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("README.md").path) else {
            throw Missing(description: "the shared test corpus is missing at \(url.path) (expected ../shared/corpus)")
        }
        return url
    }

    /// `Tests/SeatMeterCoreTests/Fixtures`.
    static func fixtures() throws -> URL {
        try packageRoot().appendingPathComponent("Tests/SeatMeterCoreTests/Fixtures")
    }
}
