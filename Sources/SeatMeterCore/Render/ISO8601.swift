package import Foundation

/// ISO 8601 timestamps in UTC (`2026-11-29T07:00:00Z`) and calendar days (`2026-11-29`).
package enum ISO8601 {
    package static func string(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    package static func day(_ date: Date, timeZone: TimeZone = .gmt) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        let y = c.year ?? 0
        let m = c.month ?? 0
        let d = c.day ?? 0
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }
}
