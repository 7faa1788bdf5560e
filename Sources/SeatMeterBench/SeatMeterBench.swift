import Foundation
import SeatMeterCore
import SeatMeterDaemon
import SeatMeterStore
import TestSupport

/// `seatmeter-bench parse MAILDIR [--runs N]`: reads every message file of a Maildir tree and parses its header
/// block, as `seatmeter import` does; prints JSON with the median of N runs.
/// `seatmeter-bench classify CONFIG [--runs N]`: loads the configured ledger's observations and classifies them.
/// `seatmeter-bench report MESSAGES [--runs N]`: the weekly report (classification of every window, the model and
/// all five renderings) over a synthetic ledger of MESSAGES messages / 5,000 people, in date order.
@main
enum SeatMeterBench {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var runs = 5
        var preload = false
        if let index = arguments.firstIndex(of: "--preload") {
            preload = true
            arguments.remove(at: index)
        }
        if let index = arguments.firstIndex(of: "--runs"), index + 1 < arguments.count {
            runs = Int(arguments[index + 1]) ?? runs
            arguments.removeSubrange(index...(index + 1))
        }
        guard arguments.count == 2 else {
            FileHandle.standardError.write(Data("usage: seatmeter-bench parse|classify PATH [--runs N]\n".utf8))
            exit(2)
        }
        switch arguments[0] {
        case "parse": try parse(maildir: arguments[1], runs: runs, preload: preload)
        case "classify": try classify(config: arguments[1], runs: runs)
        case "report": try report(messages: Int(arguments[1]) ?? 1_000_000, runs: runs)
        default:
            FileHandle.standardError.write(Data("unknown benchmark \(arguments[0])\n".utf8))
            exit(2)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func parse(maildir: String, runs: Int, preload: Bool) throws {
        var files: [String] = []
        for folder in ["", "/.Sent"] {
            for sub in ["/cur", "/new"] {
                let dir = maildir + folder + sub
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] { files.append(dir + "/" + name) }
            }
        }
        var preloaded: [[UInt8]] = []
        if preload {
            var buffer: [UInt8] = []
            for file in files {
                try MailFileReader.readFile(file, into: &buffer)
                preloaded.append(buffer)
            }
        }
        var times: [Double] = []
        var distinct = 0
        for _ in 0..<max(1, runs) {
            let clock = ContinuousClock()
            var addresses = Set<String>()
            let canonicalizer = AddressCanonicalizer()
            var buffer: [UInt8] = []
            let elapsed = clock.measure {
                for (index, file) in files.enumerated() {
                    if preload {
                        buffer = preloaded[index]
                    } else {
                        guard (try? MailFileReader.readFile(file, into: &buffer)) != nil else { continue }
                    }
                    let facts = HeaderParser.parse(HeaderParser.headerBlock(of: buffer))
                    for appearance in facts.appearances { addresses.insert(canonicalizer.identity(appearance.mailbox.address)) }
                }
            }
            distinct = addresses.count
            times.append(seconds(elapsed))
        }
        let t = median(times)
        print(#"{"messages": \#(files.count), "seconds": \#(t), "rate": \#(Double(files.count) / t), "distinct": \#(distinct), "runs": \#(times.count)}"#)
    }

    static func classify(config: String, runs: Int) throws {
        let configuration = try SeatMeterConfiguration.load(path: config)
        let classifier = try Classifier(rules: try configuration.organization.classificationRules())
        let ledger = try Ledger(readOnlyPath: configuration.ledgerPath)
        var loads: [Double] = []
        var classifications: [Double] = []
        var people = 0
        var messages = 0
        for _ in 0..<max(1, runs) {
            let clock = ContinuousClock()
            var observations: [MessageObservation] = []
            loads.append(seconds(clock.measure { observations = (try? ledger.observations()) ?? [] }))
            messages = observations.count
            var result: Classification?
            classifications.append(seconds(clock.measure { result = classifier.classify(observations, window: nil) }))
            people = result?.people.count ?? 0
        }
        let load = median(loads)
        let classify = median(classifications)
        print(#"{"messages": \#(messages), "people": \#(people), "load_seconds": \#(load), "classify_seconds": \#(classify), "total_seconds": \#(load + classify), "runs": \#(loads.count)}"#)
    }

    static func report(messages count: Int, runs: Int) throws {
        let berlin = TimeZone(identifier: "Europe/Berlin") ?? .gmt
        let asOf = Date(timeIntervalSince1970: 1_795_000_000)
        let range = ReportInput.requiredRange(asOf: asOf, timeZone: berlin, licenceWindowDays: 90)
        let spacing = range.duration / Double(count)
        var observations = SyntheticLedger.observations(messages: count, people: 5_000, agents: 50)
        for index in observations.indices {
            observations[index].date = range.start.addingTimeInterval(Double(index) * spacing)
        }
        let input = ReportInput(
            asOf: asOf, timeZone: berlin, observations: observations, rules: SyntheticLedger.rules,
            licensing: Licensing(currency: "EUR", teamPricePerUser: 12, supportPricePerAgent: 49))
        var totals: [Double] = []
        var classifies: [Double] = []
        var people = 0
        for _ in 0..<max(1, runs) {
            let clock = ContinuousClock()
            let start = clock.now
            let history = try Classifier(rules: input.rules).history(input.observations)
            let classified = clock.now
            let report = SeatReport(input, history: history)
            var bytes = 0
            for format in ReportFormat.allCases { bytes += ReportRendering.render(report, as: format).utf8.count }
            people = report.people.count + (bytes > 0 ? 0 : 0)
            classifies.append(seconds(classified - start))
            totals.append(seconds(clock.now - start))
        }
        print(#"{"messages": \#(count), "people": \#(people), "classify_seconds": \#(median(classifies)), "report_seconds": \#(median(totals)), "runs": \#(totals.count)}"#)
    }
}
