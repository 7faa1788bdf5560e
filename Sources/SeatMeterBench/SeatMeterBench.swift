import Foundation
import SeatMeterCore
import SeatMeterDaemon
import SeatMeterStore
import TestSupport

/// `seatmeter-bench parse MAILDIR [--runs N] [--preload]`: reads every message file of a Maildir tree and parses
/// its header block (HeaderParser.parse, as `seatmeter sync` runs it per message), then takes the counting identity
/// of every mailbox; prints JSON with the median of N runs. `--preload` reads the files before timing.
/// `seatmeter-bench classify CONFIG [--runs N]`: loads the configured ledger's observations (compact) and classifies
/// them.
/// `seatmeter-bench report MESSAGES [--runs N]`: the weekly report (classification of every window, the model and
/// all five renderings) over a synthetic ledger of MESSAGES messages / 5,000 people, in date order, from the
/// compact form the ledger reads (``ObservationBatch``); `convert_seconds` is what making that form from
/// `[MessageObservation]` costs (in-memory callers only), timed apart.
/// `seatmeter-bench report-ledger PATH [--runs N]`: the same, but read from a SQLite ledger at PATH (created with
/// 1,000,000 synthetic messages the first time), as `seatmeter report` does; prints the medians of one report (JSON,
/// the largest rendering) and of its parts: the ledger read (compact observations), the classification, the model,
/// the rendering; and apart, the four other renderings together.
/// `seatmeter-bench ingest MAILDIR [--runs N] [--batch N]`: parses a Maildir tree (INBOX and Sent) into 2,000-message batches,
/// then times only their ingest into a new ledger file: the sync's writer thread alone. `--batch N`: N per batch.
@main
enum SeatMeterBench {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var runs = 5
        var preload = false
        var batchSize = 24_000
        if let index = arguments.firstIndex(of: "--batch"), index + 1 < arguments.count {
            batchSize = Int(arguments[index + 1]) ?? batchSize
            arguments.removeSubrange(index...(index + 1))
        }
        if let index = arguments.firstIndex(of: "--preload") {
            preload = true
            arguments.remove(at: index)
        }
        if let index = arguments.firstIndex(of: "--runs"), index + 1 < arguments.count {
            runs = Int(arguments[index + 1]) ?? runs
            arguments.removeSubrange(index...(index + 1))
        }
        if arguments == ["fields"] {
            // The header fields a sync fetches, for the bench's baselines (they must fetch the same ones).
            print(HeaderParser.fetchedFieldNames.joined(separator: " "))
            return
        }
        guard arguments.count == 2 else {
            FileHandle.standardError.write(Data("usage: seatmeter-bench parse|classify|report|report-ledger|ingest PATH [--runs N] | fields\n".utf8))
            exit(2)
        }
        switch arguments[0] {
        case "parse": try parse(maildir: arguments[1], runs: runs, preload: preload)
        case "classify": try classify(config: arguments[1], runs: runs)
        case "report": try report(messages: Int(arguments[1]) ?? 1_000_000, runs: runs)
        case "report-ledger": try reportFromLedger(path: arguments[1], runs: runs)
        case "ingest": try ingest(maildir: arguments[1], runs: runs, batchSize: batchSize)
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
        duration.timeInterval
    }

    /// CPU seconds used by the whole process so far (every thread).
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func ingest(maildir: String, runs: Int, batchSize: Int) throws {
        var batches: [IngestBatch] = []
        for (folder, role) in [("INBOX", FolderRole.incoming), ("Sent", .outgoing)] {
            var files: [String] = []
            for sub in ["/cur", "/new"] {
                let dir = maildir + (folder == "INBOX" ? "" : "/.Sent") + sub
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] { files.append(dir + "/" + name) }
            }
            files.sort()
            var buffer: [UInt8] = []
            var messages: [IngestMessage] = []
            for (index, file) in files.enumerated() {
                try MailFileReader.readFile(file, into: &buffer)
                let facts = HeaderParser.parse(HeaderParser.headerBlock(of: buffer))
                messages.append(IngestMessage(uid: UInt32(index + 1), facts: facts))
                if messages.count == batchSize || index == files.count - 1 {
                    batches.append(IngestBatch(
                        account: "helpdesk", folder: folder, role: role, uidValidity: 1, messages: messages,
                        checkpointUID: UInt32(index + 1)))
                    messages.removeAll(keepingCapacity: true)
                }
            }
        }
        // Encoded as a sync's fetching thread encodes them: what is timed is the writer's work alone.
        var encoder = IngestEncoder()
        let encoded = batches.map { encoder.encode($0) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seatmeter-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var times: [Double] = []
        var cpus: [Double] = []
        var stored = 0
        for run in 0..<max(1, runs) {
            let path = directory.appendingPathComponent("ledger-\(run).sqlite").path
            let clock = ContinuousClock()
            let cpu = processCPUSeconds()
            let start = clock.now
            do {
                let ledger = try Ledger(path: path)
                var ids = IngestIDs()
                stored = 0
                for batch in encoded { stored += try ledger.ingest([batch], ids: &ids)[0].newMessages }
            }
            times.append(seconds(clock.now - start))
            cpus.append(processCPUSeconds() - cpu)
        }
        let messages = batches.reduce(0) { $0 + $1.messages.count }
        print(#"{"messages": \#(messages), "stored": \#(stored), "seconds": \#(median(times)), "cpu_seconds": \#(median(cpus)), "runs": \#(times.count)}"#)
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
                    // As `seatmeter sync` does: parse reads up to the first empty line itself (cutting the block
                    // out first with headerBlock(of:) gives the same facts, after one more pass over the bytes).
                    let facts = HeaderParser.parse(buffer)
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
            var batch = ObservationBatch()
            loads.append(seconds(clock.measure { batch = (try? ledger.observationBatch()) ?? ObservationBatch() }))
            messages = batch.count
            var result: Classification?
            classifications.append(seconds(clock.measure { result = classifier.classify(batch, window: nil) }))
            people = result?.people.count ?? 0
        }
        let load = median(loads)
        let classify = median(classifications)
        print(#"{"messages": \#(messages), "people": \#(people), "load_seconds": \#(load), "classify_seconds": \#(classify), "total_seconds": \#(load + classify), "runs": \#(loads.count)}"#)
    }

    static func report(messages count: Int, runs: Int) throws {
        let (input, observations) = syntheticObservations(count)
        var batch = ObservationBatch()
        var converts: [Double] = []
        for _ in 0..<max(1, runs) {
            let clock = ContinuousClock()
            converts.append(seconds(clock.measure { batch = ObservationBatch(observations) }))
        }
        var totals: [Double] = []
        var classifies: [Double] = []
        var people = 0
        for _ in 0..<max(1, runs) {
            let clock = ContinuousClock()
            let start = clock.now
            let history = try Classifier(rules: input.rules).history(batch)
            let classified = clock.now
            let report = SeatReport(input, history: history)
            var bytes = 0
            for format in ReportFormat.allCases { bytes += ReportRendering.render(report, as: format).utf8.count }
            people = report.people.count + (bytes > 0 ? 0 : 0)
            classifies.append(seconds(classified - start))
            totals.append(seconds(clock.now - start))
        }
        print(#"{"messages": \#(count), "people": \#(people), "classify_seconds": \#(median(classifies)), "report_seconds": \#(median(totals)), "convert_seconds": \#(median(converts)), "runs": \#(totals.count)}"#)
    }

    static func syntheticObservations(_ count: Int) -> (ReportInput, [MessageObservation]) {
        let berlin = TimeZone(identifier: "Europe/Berlin") ?? .gmt
        let asOf = Date(timeIntervalSince1970: 1_795_000_000)
        let range = ReportInput.requiredRange(asOf: asOf, timeZone: berlin, licenceWindowDays: 90)
        let spacing = range.duration / Double(count)
        var observations = SyntheticLedger.observations(messages: count, people: 5_000, agents: 50)
        for index in observations.indices {
            observations[index].date = range.start.addingTimeInterval(Double(index) * spacing)
        }
        let input = ReportInput(
            asOf: asOf, timeZone: berlin, observations: [], rules: SyntheticLedger.rules,
            licensing: Licensing(currency: "EUR", teamPricePerUser: 12, supportPricePerAgent: 49))
        return (input, observations)
    }

    static func reportFromLedger(path: String, runs: Int) throws {
        let count = 1_000_000
        var (input, observations) = syntheticObservations(count)
        if !FileManager.default.fileExists(atPath: path) {
            let ledger = try Ledger(path: path)
            var batch: [IngestMessage] = []
            for (index, observation) in observations.enumerated() {
                let facts = MessageFacts(
                    messageID: observation.messageID ?? "m\(index)@bench.example", date: observation.date,
                    subject: observation.subject, appearances: observation.appearances,
                    automation: observation.automation)
                batch.append(IngestMessage(uid: UInt32(index + 1), facts: facts))
                if batch.count == 5_000 || index == observations.count - 1 {
                    let location = observation.locations.first
                    try ledger.ingest(IngestBatch(
                        account: location?.account ?? "helpdesk", folder: location?.folder ?? "INBOX",
                        role: location?.role ?? .incoming, uidValidity: 1, messages: batch, checkpointUID: nil))
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        observations = []
        // A ledger built by an older SeatMeter is migrated first (and the migration timed).
        let clock = ContinuousClock()
        let migration = try clock.measure { _ = try Ledger(path: path) }
        let ledger = try Ledger(readOnlyPath: path)
        let range = ReportInput.requiredRange(asOf: input.asOf, timeZone: input.timeZone, licenceWindowDays: 90)
        var totals: [Double] = []
        var reads: [Double] = []
        var readCPUs: [Double] = []
        var classifies: [Double] = []
        var builds: [Double] = []
        var renders: [Double] = []
        var others: [Double] = []
        var messages = 0
        for _ in 0..<max(1, runs) {
            let clock = ContinuousClock()
            let start = clock.now
            let cpu = processCPUSeconds()
            input.batch = try ledger.observationBatch(from: range.start, to: range.end)
            readCPUs.append(processCPUSeconds() - cpu)
            let read = clock.now
            messages = input.batch?.count ?? 0
            let history = try Classifier(rules: input.rules).history(input.batch ?? ObservationBatch())
            let classified = clock.now
            let report = SeatReport(input, history: history)
            let built = clock.now
            // One report is one rendering: JSON, the largest (every person with reasons and evidence).
            _ = ReportRendering.renderedBytes(report, as: .json)
            let rendered = clock.now
            for format in ReportFormat.allCases where format != .json { _ = ReportRendering.render(report, as: format) }
            reads.append(seconds(read - start))
            classifies.append(seconds(classified - read))
            builds.append(seconds(built - classified))
            renders.append(seconds(rendered - built))
            others.append(seconds(clock.now - rendered))
            totals.append(seconds(rendered - start))
            input.batch = nil
        }
        print(#"{"messages": \#(messages), "ledger_read_seconds": \#(median(reads)), "ledger_read_cpu_seconds": \#(median(readCPUs)), "classify_seconds": \#(median(classifies)), "model_seconds": \#(median(builds)), "render_seconds": \#(median(renders)), "report_seconds": \#(median(totals)), "other_renderings_seconds": \#(median(others)), "open_seconds": \#(seconds(migration)), "runs": \#(totals.count)}"#)
    }
}
