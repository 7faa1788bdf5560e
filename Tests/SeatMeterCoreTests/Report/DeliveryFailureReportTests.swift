import Foundation
import SeatMeterCore
import Testing

private typealias F = ReportFixture

/// A report that was not mailed, and recipients the server refused, are warnings in the next report, in every
/// format, and structured entries under the JSON's `data_quality`.
@Suite struct DeliveryFailureReportTests {
    static let failure = DeliveryFailure(
        periodStart: F.at(2025, 1, 6), periodEnd: F.at(2025, 1, 13), lastAttempt: F.at(2025, 1, 13, 7, 5),
        attempts: 3, error: "could not connect to smtp.example.com:587 (connection refused)")
    static let rejected = RejectedRecipients(
        periodStart: F.at(2024, 12, 30), sentAt: F.at(2025, 1, 6, 7, 1), addresses: ["gone@example.com"])

    func report(failures: [DeliveryFailure] = [failure], rejected: RejectedRecipients? = rejected) throws
        -> SeatReport
    {
        var quality = F.dataQuality
        quality.deliveryFailures = failures
        quality.rejectedRecipients = rejected
        return try SeatReport(F.input(dataQuality: quality))
    }

    @Test func bothAreWarnings() throws {
        let report = try report()
        #expect(report.dataQuality.deliveryFailures == [Self.failure])
        #expect(report.dataQuality.rejectedRecipients == Self.rejected)
        let failed = try #require(report.warnings.first { $0.hasPrefix("Report delivery failed") })
        #expect(failed.contains("2025-W02"), "\(failed)")
        #expect(failed.contains("2025-01-13 07:05") && failed.contains("3 attempts"), "\(failed)")
        #expect(failed.contains("connection refused"))
        let refused = try #require(report.warnings.first { $0.hasPrefix("Report recipients rejected") })
        #expect(refused.contains("2025-W01") && refused.contains("gone@example.com"), "\(refused)")
        #expect(refused.contains("2025-01-06 07:01"), "\(refused)")
    }

    @Test func noneWhenDeliveryWorked() throws {
        let report = try report(failures: [], rejected: nil)
        #expect(!report.warnings.contains { $0.hasPrefix("Report") })
        let json = ReportRendering.render(report, as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let quality = try #require(object["data_quality"] as? [String: Any])
        #expect((quality["delivery_failures"] as? [Any])?.isEmpty == true)
        #expect(quality["rejected_recipients"] is NSNull)
    }

    @Test(arguments: [ReportFormat.text, .markdown, .html, .json])
    func everyFormatShowsThem(format: ReportFormat) throws {
        let rendered = ReportRendering.render(try report(), as: format)
        #expect(rendered.contains("Report delivery failed"), "\(format)")
        #expect(rendered.contains("connection refused"), "\(format)")
        #expect(rendered.contains("Report recipients rejected"), "\(format)")
        #expect(rendered.contains("gone@example.com"), "\(format)")
    }

    @Test func theJSONListsThemUnderDataQuality() throws {
        let json = ReportRendering.render(try report(), as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let quality = try #require(object["data_quality"] as? [String: Any])
        let failures = try #require(quality["delivery_failures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect(failures.first?["attempts"] as? Int == 3)
        #expect((failures.first?["error"] as? String)?.contains("connection refused") == true)
        #expect((failures.first?["period_start"] as? String)?.hasPrefix("2025-01-06") == true)
        #expect(failures.first?["period_end"] is String)
        #expect(failures.first?["last_attempt"] is String)
        let rejected = try #require(quality["rejected_recipients"] as? [String: Any])
        #expect(rejected["addresses"] as? [String] == ["gone@example.com"])
        #expect(rejected["sent_at"] is String)
        #expect(rejected["period_start"] is String)
    }
}
