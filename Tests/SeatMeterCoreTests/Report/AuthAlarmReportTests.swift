import Foundation
import SeatMeterCore
import Testing

private typealias F = ReportFixture

/// An open OAuth2 incident is the report's first warning, in every format, and a structured entry in the JSON.
@Suite struct AuthAlarmReportTests {
    static let alarm = AuthAlarm(
        subject: "account:desk", since: F.at(2025, 1, 14, 6, 30),
        message: "account desk: the token endpoint login.example.com answered HTTP 400: invalid_grant (revoked)")

    func report() throws -> SeatReport {
        var quality = F.dataQuality
        quality.authAlarms = [Self.alarm]
        quality.folders[0].lastError = "login denied"
        return try SeatReport(F.input(dataQuality: quality))
    }

    @Test func theAlarmIsTheFirstWarning() throws {
        let report = try report()
        #expect(report.dataQuality.authAlarms == [Self.alarm])
        let first = try #require(report.warnings.first)
        #expect(first.hasPrefix("Authentication alarm since 2025-01-14 06:30"), "\(first)")
        #expect(first.contains("invalid_grant"))
        #expect(report.warnings.count >= 2)
    }

    @Test(arguments: [ReportFormat.text, .markdown, .html, .json])
    func everyFormatShowsIt(format: ReportFormat) throws {
        let rendered = ReportRendering.render(try report(), as: format)
        #expect(rendered.contains("Authentication alarm since"), "\(format)")
        #expect(rendered.contains(format == .markdown ? "invalid\\_grant" : "invalid_grant"), "\(format)")
    }

    @Test func theJSONListsItUnderDataQuality() throws {
        let json = ReportRendering.render(try report(), as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let quality = try #require(object["data_quality"] as? [String: Any])
        let alarms = try #require(quality["auth_alarms"] as? [[String: Any]])
        #expect(alarms.count == 1)
        #expect(alarms.first?["subject"] as? String == "account:desk")
        #expect((alarms.first?["message"] as? String)?.contains("invalid_grant") == true)
        #expect(alarms.first?["since"] is String)
        #expect((try #require(object["warnings"] as? [String])).first?.hasPrefix("Authentication alarm") == true)
    }
}
