package import Foundation

/// `Date` header text: `Mon, 06 Jan 2025 11:00:00 +0100` (RFC 5322 §3.3), computed without locale or calendar
/// services so that it never depends on the machine's settings.
package enum RFC5322Date {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The instant (to the second, rounded down) in `timeZone`'s offset at that instant.
    package static func string(_ date: Date, timeZone: TimeZone = .gmt) -> String {
        let offsetSeconds = timeZone.secondsFromGMT(for: date)
        let offsetMinutes = offsetSeconds / 60  // historical offsets with seconds are cut to minutes
        let unix = Int64((date.timeIntervalSince1970).rounded(.down))
        let local = unix + Int64(offsetMinutes) * 60
        let days = floorDivide(local, 86_400)
        let secondOfDay = local - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let weekday = Int(((days % 7) + 7 + 4) % 7)  // 1970-01-01 was a Thursday
        let sign = offsetMinutes < 0 ? "-" : "+"
        let absolute = abs(offsetMinutes)
        return "\(weekdays[weekday]), \(two(Int(day))) \(months[Int(month) - 1]) \(year) "
            + "\(two(Int(secondOfDay / 3600))):\(two(Int(secondOfDay / 60 % 60))):\(two(Int(secondOfDay % 60))) "
            + "\(sign)\(two(absolute / 60))\(two(absolute % 60))"
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
