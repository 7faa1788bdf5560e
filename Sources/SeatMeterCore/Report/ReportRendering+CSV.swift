import Foundation

extension ReportRendering {
    /// One row per person counted in the licence window: the same CSV as `seatmeter users --format csv`
    /// (``PeopleRendering/csv(_:excluded:timeZone:)``), dates in the report's time zone.
    package static func csv(_ report: SeatReport) -> String {
        PeopleRendering.csv(report.people, timeZone: report.timeZone)
    }
}
