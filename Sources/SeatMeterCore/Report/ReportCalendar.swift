package import Foundation

/// Weeks and days in the report's time zone: weeks start on Monday 00:00, a day is a calendar day (23 or 25 hours
/// across a daylight-saving change).
package struct ReportCalendar: Sendable {
    package let calendar: Calendar

    package init(timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        self.calendar = calendar
    }

    package var timeZone: TimeZone { calendar.timeZone }

    /// `date` moved by whole calendar days (same wall-clock time).
    package func adding(days: Int, to date: Date) -> Date {
        calendar.date(byAdding: .day, value: days, to: date) ?? date.addingTimeInterval(Double(days) * 86_400)
    }

    /// Midnight starting the day that contains `date`.
    package func startOfDay(_ date: Date) -> Date { calendar.startOfDay(for: date) }

    /// Monday 00:00 of the week that contains `date`.
    package func startOfWeek(_ date: Date) -> Date {
        let day = startOfDay(date)
        let weekday = calendar.component(.weekday, from: day)  // 1 = Sunday ... 7 = Saturday
        return adding(days: -((weekday + 5) % 7), to: day)
    }

    /// The last full week before `asOf`: Monday 00:00 to the next Monday 00:00, the week before the one that
    /// contains `asOf` (so a report run on Monday 07:00 covers the week that ended 7 hours before).
    package func lastFullWeek(before asOf: Date) -> ReportPeriod {
        let end = startOfWeek(asOf)
        return ReportPeriod(start: adding(days: -7, to: end), end: end, label: isoWeek(adding(days: -7, to: end)))
    }

    /// ISO 8601 week of `date`: `2025-W02`.
    package func isoWeek(_ date: Date) -> String {
        let components = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        let year = components.yearForWeekOfYear ?? 0
        let week = components.weekOfYear ?? 0
        return "\(year)-W\(week < 10 ? "0" : "")\(week)"
    }

    /// The window of `days` calendar days that ends at `end`.
    package func window(days: Int, endingAt end: Date) -> DateInterval {
        DateInterval(start: adding(days: -max(1, days), to: end), end: end)
    }
}

/// A report period: `[start, end)`.
package struct ReportPeriod: Sendable, Hashable {
    package var start: Date
    package var end: Date
    /// The ISO week, e.g. `2025-W02`.
    package var label: String

    package init(start: Date, end: Date, label: String) {
        self.start = start
        self.end = end
        self.label = label
    }

    package var interval: DateInterval { DateInterval(start: start, end: end) }
}
