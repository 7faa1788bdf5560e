package import Foundation

/// When the report is due: `report.schedule`, a day and a local wall-clock time such as `"mon 07:00"`,
/// `"monday 7:00"` or `"daily 06:30"`, read in `report.timezone` (default: the system's zone).
///
/// Fire times follow the local clock across daylight-saving changes: `mon 07:00` is 07:00 local time every
/// Monday whatever the UTC offset. A time the clock skips (spring forward, e.g. 02:30 on the last Sunday of March
/// in Europe/Berlin) fires at the first instant after the gap (03:00 local); a time the clock passes twice (fall
/// back) fires once, at its first occurrence.
package struct ReportSchedule: Sendable, Hashable, CustomStringConvertible {
    /// Which days fire.
    package enum Days: Sendable, Hashable {
        case daily
        /// ISO weekday: 1 = Monday ... 7 = Sunday.
        case weekday(Int)
    }

    package var days: Days
    package var hour: Int
    package var minute: Int

    package init(days: Days, hour: Int, minute: Int) {
        self.days = days
        self.hour = hour
        self.minute = minute
    }

    private static let weekdayNames = [
        ["mon", "monday"], ["tue", "tues", "tuesday"], ["wed", "wednesday"], ["thu", "thur", "thurs", "thursday"],
        ["fri", "friday"], ["sat", "saturday"], ["sun", "sunday"],
    ]

    /// Parses `report.schedule`: a day (`mon`...`sun`, full English names, or `daily`) and a 24-hour time `H:MM`.
    ///
    /// - Throws: ``ConfigurationError`` at `report.schedule` (or `keyPath`) saying what was expected.
    package init(parsing text: String, keyPath: String = "report.schedule") throws(ConfigurationError) {
        let words = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let expected = "expected a day and a 24-hour time like \"mon 07:00\", \"monday 7:00\" or \"daily 06:30\""
        guard words.count == 2 else {
            throw ConfigurationError(keyPath: keyPath, message: "\(expected), got \"\(text)\"")
        }
        if words[0] == "daily" {
            days = .daily
        } else if let index = Self.weekdayNames.firstIndex(where: { $0.contains(words[0]) }) {
            days = .weekday(index + 1)
        } else {
            throw ConfigurationError(
                keyPath: keyPath, message: "unknown day \"\(words[0])\": \(expected)")
        }
        let parts = words[1].split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else {
            throw ConfigurationError(keyPath: keyPath, message: "invalid time \"\(words[1])\": \(expected)")
        }
        self.hour = hour
        self.minute = minute
    }

    package var description: String {
        let day: String
        switch days {
        case .daily: day = "daily"
        case .weekday(let index): day = Self.weekdayNames[(index - 1) % 7][0]
        }
        return day + " " + (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    // MARK: - Fire times

    /// The first fire time strictly after `date`.
    package func nextFire(after date: Date, timeZone: TimeZone) -> Date {
        let today = CivilDay(containing: date, timeZone: timeZone)
        for offset in 0...8 {
            let day = today.adding(days: offset)
            guard fires(on: day) else { continue }
            let fire = instant(of: day, timeZone: timeZone)
            if fire > date { return fire }
        }
        // Unreachable for real zones (a weekday recurs within 8 civil days); stay total anyway.
        return date.addingTimeInterval(7 * 86_400)
    }

    /// The latest fire time at or before `date`: the period that is due now (catching up after downtime).
    package func mostRecentFire(atOrBefore date: Date, timeZone: TimeZone) -> Date {
        let today = CivilDay(containing: date, timeZone: timeZone)
        for offset in 0...8 {
            let day = today.adding(days: -offset)
            guard fires(on: day) else { continue }
            let fire = instant(of: day, timeZone: timeZone)
            if fire <= date { return fire }
        }
        return date.addingTimeInterval(-7 * 86_400)
    }

    private func fires(on day: CivilDay) -> Bool {
        switch days {
        case .daily: true
        case .weekday(let weekday): day.isoWeekday == weekday
        }
    }

    /// The instant at which the local clock of `timeZone` shows this schedule's time on `day`.
    private func instant(of day: CivilDay, timeZone: TimeZone) -> Date {
        // The wall time read as if it were UTC; the real instant is that minus the offset in force then.
        let wall = day.secondsSinceEpoch + Double(hour * 3600 + minute * 60)
        let offsetBefore = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wall - 86_400)))
        let offsetAfter = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wall + 86_400)))
        let candidates = [wall - offsetBefore, wall - offsetAfter].filter { instant in
            instant + Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: instant))) == wall
        }
        if let first = candidates.min() {
            // Two candidates when the clock passes this time twice (fall back): the first one.
            return Date(timeIntervalSince1970: first)
        }
        // The clock skips this time (spring forward): fire at the transition, the first instant after the gap.
        let beforeGap = Date(timeIntervalSince1970: wall - offsetAfter)
        if let transition = timeZone.nextDaylightSavingTimeTransition(after: beforeGap),
            transition.timeIntervalSince1970 <= wall - offsetBefore
        {
            return transition
        }
        return Date(timeIntervalSince1970: wall - offsetBefore)
    }
}

/// A calendar day (proleptic Gregorian), independent of any time zone.
struct CivilDay: Hashable {
    /// Days since 1970-01-01.
    var daysSinceEpoch: Int

    init(daysSinceEpoch: Int) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The local calendar day of `date` in `timeZone`.
    init(containing date: Date, timeZone: TimeZone) {
        let local = date.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: date))
        daysSinceEpoch = Int((local / 86_400).rounded(.down))
    }

    func adding(days: Int) -> CivilDay { CivilDay(daysSinceEpoch: daysSinceEpoch + days) }

    var secondsSinceEpoch: Double { Double(daysSinceEpoch) * 86_400 }

    /// 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday).
    var isoWeekday: Int { ((daysSinceEpoch + 3) % 7 + 7) % 7 + 1 }
}
