package import Foundation

/// Numbers, money, shares and dates as the report writes them: locale-independent and stable (`1,234`,
/// `EUR 1,234.50`, `4.5%`, `2025-01-13`, `2025-01-13T07:00:00+01:00`).
package struct ReportFormatting: Sendable {
    package let timeZone: TimeZone

    package init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// `1234567` → `1,234,567`.
    package static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    /// `EUR 1,234.50` (rounded to cents).
    package static func money(_ value: Double, _ currency: String) -> String {
        guard value.isFinite else { return "\(currency) –" }
        let cents = Int((abs(value) * 100).rounded())
        let fraction = cents % 100
        let amount = count(cents / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
        return (value < 0 && cents > 0 ? "-" : "") + (currency.isEmpty ? amount : "\(currency) \(amount)")
    }

    /// A plain decimal for machine output: up to `decimals` digits, no grouping, no trailing zeros.
    package static func decimal(_ value: Double, decimals: Int = 2) -> String {
        guard value.isFinite else { return "0" }
        let scale = pow(10.0, Double(decimals))
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var fraction = Int(scaled) - whole * Int(scale)
        var digits = decimals
        while digits > 0, fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let text = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: digits - text.count) + text
    }

    /// `0.045` → `4.5%`, `0.1` → `10%`.
    package static func percent(_ share: Double) -> String { decimal(share * 100, decimals: 1) + "%" }

    /// Local calendar fields of `date` in ``timeZone``.
    private func fields(_ date: Date) -> (year: Int, month: Int, day: Int, seconds: Int, offset: Int) {
        let offset = timeZone.secondsFromGMT(for: date)
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        var days = local / 86_400
        var seconds = local % 86_400
        if seconds < 0 {
            seconds += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, seconds, offset)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    /// `2025-01-13`.
    package func day(_ date: Date) -> String {
        let f = fields(date)
        return "\(f.year)-\(Self.two(f.month))-\(Self.two(f.day))"
    }

    /// `2025-01-13 07:05`.
    package func minute(_ date: Date) -> String {
        let f = fields(date)
        return "\(f.year)-\(Self.two(f.month))-\(Self.two(f.day)) \(Self.two(f.seconds / 3_600)):"
            + Self.two(f.seconds % 3_600 / 60)
    }

    /// ISO 8601 with the zone's offset: `2025-01-13T07:05:09+01:00` (`Z` for UTC).
    package func iso(_ date: Date) -> String {
        let f = fields(date)
        let time = "\(Self.two(f.seconds / 3_600)):\(Self.two(f.seconds % 3_600 / 60)):\(Self.two(f.seconds % 60))"
        let zone: String
        if f.offset == 0 {
            zone = "Z"
        } else {
            let minutes = abs(f.offset) / 60
            zone = (f.offset < 0 ? "-" : "+") + Self.two(minutes / 60) + ":" + Self.two(minutes % 60)
        }
        return "\(f.year)-\(Self.two(f.month))-\(Self.two(f.day))T\(time)\(zone)"
    }

    /// `3 min`, `5 h`, `2 d 4 h`.
    package static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(max(0, seconds).rounded())
        if total < 3_600 { return "\(max(1, total / 60)) min" }
        if total < 86_400 { return "\(total / 3_600) h" + (total % 3_600 >= 60 ? " \(total % 3_600 / 60) min" : "") }
        let hours = total % 86_400 / 3_600
        return "\(total / 86_400) d" + (hours > 0 ? " \(hours) h" : "")
    }
}
