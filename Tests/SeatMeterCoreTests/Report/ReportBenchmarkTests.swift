import Foundation
import SeatMeterCore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `make bench`: the weekly report over a 1,000,000-message ledger (target ≤ 1 s). Run with
/// `SEATMETER_BENCH=1 swift test -c release --filter ReportBenchmark`; prints one `BENCH` line per figure.
/// The ledger is the synthetic help desk (5,000 people, 50 staff) spread evenly over the report's required range,
/// in date order as the ledger query returns it (`SEATMETER_BENCH_UNSORTED=1`: out of order, to time the sort).
@Suite("Report benchmark", .enabled(if: ProcessInfo.processInfo.environment["SEATMETER_BENCH"] != nil))
struct ReportBenchmarkTests {
    /// CPU time of the whole process (all threads).
    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    @Test func reportOverOneMillionMessages() throws {
        let count = Int(ProcessInfo.processInfo.environment["SEATMETER_BENCH_MESSAGES"] ?? "") ?? 1_000_000
        let asOf = ReportFixture.asOf
        let range = ReportInput.requiredRange(asOf: asOf, timeZone: ReportFixture.berlin, licenceWindowDays: 90)
        let spacing = range.duration / Double(count)
        var observations = SyntheticLedger.observations(messages: count, people: 5_000, agents: 50)
        for index in observations.indices {
            observations[index].date = range.start.addingTimeInterval(Double(index) * spacing)
        }
        if ProcessInfo.processInfo.environment["SEATMETER_BENCH_UNSORTED"] != nil {
            // Not in date order: every pair of neighbours swapped, so the classifier has to sort.
            for index in stride(from: 0, to: observations.count - 1, by: 2) { observations.swapAt(index, index + 1) }
        }
        let input = ReportInput(
            asOf: asOf, timeZone: ReportFixture.berlin, observations: observations, rules: SyntheticLedger.rules,
            licensing: Licensing(currency: "EUR", teamPricePerUser: 12, supportPricePerAgent: 49),
            dataQuality: ReportFixture.dataQuality)

        let wall = Date()
        let cpu = Self.cpuSeconds()
        let history = try Classifier(rules: input.rules).history(input.observations)
        let classified = Date().timeIntervalSince(wall)
        let classifiedCPU = Self.cpuSeconds() - cpu
        let report = SeatReport(input, history: history)
        let built = Date().timeIntervalSince(wall)
        var bytes = 0
        for format in ReportFormat.allCases { bytes += ReportRendering.render(report, as: format).utf8.count }
        let total = Date().timeIntervalSince(wall)
        let cpuTotal = Self.cpuSeconds() - cpu
        print(
            "BENCH report over \(count) messages: \(String(format: "%.3f", total)) s wall "
                + "(classify once \(String(format: "%.3f", classified)) s wall \(String(format: "%.3f", classifiedCPU)) s CPU, "
                + "model \(String(format: "%.3f", built - classified)) s, all five renderings \(String(format: "%.3f", total - built)) s, "
                + "\(bytes) bytes), \(String(format: "%.3f", cpuTotal)) s CPU on "
                + "\(ProcessInfo.processInfo.activeProcessorCount) processors")
        #expect(report.people.count == 5_000)
        #expect(report.licenceWindow.seats.confirmedAgents == 25)
        #expect(report.licenceWindow.seats.agents == 50)
        #expect(report.trend.count == 12)
    }
}
