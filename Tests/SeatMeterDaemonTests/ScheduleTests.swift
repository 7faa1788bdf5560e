import Foundation
import Testing

@testable import SeatMeterDaemon

@Suite struct ScheduleTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    static func date(_ text: String) -> Date {
        // ISO 8601 with an explicit offset or Z.
        (try? Date(text, strategy: .iso8601)) ?? Date.distantPast
    }

    // MARK: - Parsing

    struct Valid: Sendable, CustomTestStringConvertible {
        var text: String
        var days: ReportSchedule.Days
        var hour: Int
        var minute: Int
        var testDescription: String { "\"\(text)\"" }
    }

    @Test(arguments: [
        Valid(text: "mon 07:00", days: .weekday(1), hour: 7, minute: 0),
        Valid(text: "monday 7:00", days: .weekday(1), hour: 7, minute: 0),
        Valid(text: "Monday 07:00", days: .weekday(1), hour: 7, minute: 0),
        Valid(text: "  tue   23:59 ", days: .weekday(2), hour: 23, minute: 59),
        Valid(text: "wednesday 12:30", days: .weekday(3), hour: 12, minute: 30),
        Valid(text: "thu 0:00", days: .weekday(4), hour: 0, minute: 0),
        Valid(text: "fri 18:05", days: .weekday(5), hour: 18, minute: 5),
        Valid(text: "sat 09:15", days: .weekday(6), hour: 9, minute: 15),
        Valid(text: "SUN 02:30", days: .weekday(7), hour: 2, minute: 30),
        Valid(text: "daily 06:30", days: .daily, hour: 6, minute: 30),
    ])
    func parses(_ valid: Valid) throws {
        let schedule = try ReportSchedule(parsing: valid.text)
        #expect(schedule == ReportSchedule(days: valid.days, hour: valid.hour, minute: valid.minute))
    }

    @Test(arguments: [
        "", "mon", "07:00", "mon 7", "mon 24:00", "mon 07:60", "mon 07:5", "mon 007:00", "mon -1:00", "someday 07:00",
        "mon 07:00 extra", "mon 07.00", "mon ７:00", "mo 07:00",
    ])
    func rejectsNamingTheKey(_ text: String) {
        #expect {
            try ReportSchedule(parsing: text)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.keyPath == "report.schedule" && error.message.contains("mon 07:00")
        }
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["mon 07:00", "sun 23:59", "daily 06:30", "thu 00:05"] {
            #expect(try ReportSchedule(parsing: text).description == text)
            #expect(
                try ReportSchedule(parsing: ReportSchedule(parsing: text).description) == ReportSchedule(parsing: text))
        }
    }

    @Test func daemonSettingsRejectABadScheduleAndZone() throws {
        let bad = ServiceFixtures.yaml(accounts: ["a"], schedule: "noon")
        #expect {
            try ServiceFixtures.settings(bad)
        } throws: { ($0 as? ConfigurationError)?.keyPath == "report.schedule" }
        let configuration = try SeatMeterConfiguration.parse(
            yaml: ServiceFixtures.yaml(accounts: ["a"]), file: "/x/seatmeter.yaml", environment: [:])
        var noZone = configuration
        noZone.report.timezone = nil
        let settings = try DaemonSettings(configuration: noZone, systemTimeZone: Self.berlin)
        #expect(settings.timeZone.identifier == "Europe/Berlin")
        var tooFast = configuration
        tooFast.accounts[0].pollInterval = .milliseconds(500)
        #expect {
            try DaemonSettings(configuration: tooFast)
        } throws: { ($0 as? ConfigurationError)?.keyPath == "accounts[0].poll_interval" }
    }

    // MARK: - Fire times

    @Test func weeklyInWinterAndSummer() throws {
        let schedule = try ReportSchedule(parsing: "mon 07:00")
        // Winter (CET, +01:00): Sunday 2026-01-04 → Monday 2026-01-05 07:00 local = 06:00Z.
        #expect(
            schedule.nextFire(after: Self.date("2026-01-04T12:00:00Z"), timeZone: Self.berlin)
                == Self.date("2026-01-05T06:00:00Z"))
        // Summer (CEST, +02:00).
        #expect(
            schedule.nextFire(after: Self.date("2026-07-01T12:00:00Z"), timeZone: Self.berlin)
                == Self.date("2026-07-06T05:00:00Z"))
        // Exactly at a fire: next is a week later, most recent is itself.
        let fire = Self.date("2026-07-06T05:00:00Z")
        #expect(schedule.nextFire(after: fire, timeZone: Self.berlin) == Self.date("2026-07-13T05:00:00Z"))
        #expect(schedule.mostRecentFire(atOrBefore: fire, timeZone: Self.berlin) == fire)
        // One second before: the previous week's.
        #expect(
            schedule.mostRecentFire(atOrBefore: fire.addingTimeInterval(-1), timeZone: Self.berlin)
                == Self.date("2026-06-29T05:00:00Z"))
        // UTC wall time for the same instant is Monday 05:00, still before the Berlin fire: zones matter.
        let utc = TimeZone(identifier: "UTC")!
        #expect(
            schedule.nextFire(after: Self.date("2026-07-06T05:30:00Z"), timeZone: utc)
                == Self.date("2026-07-06T07:00:00Z"))
    }

    @Test func weeklyAcrossSpringForward() throws {
        // Europe/Berlin springs forward on Sunday 2026-03-29 at 02:00 CET → 03:00 CEST.
        let schedule = try ReportSchedule(parsing: "mon 07:00")
        let before = Self.date("2026-03-23T06:00:00Z")  // Monday 07:00 CET
        let after = schedule.nextFire(after: before, timeZone: Self.berlin)
        #expect(after == Self.date("2026-03-30T05:00:00Z"))  // Monday 07:00 CEST
        #expect(after.timeIntervalSince(before) == 7 * 86_400 - 3600)
        #expect(schedule.mostRecentFire(atOrBefore: Self.date("2026-03-29T23:00:00Z"), timeZone: Self.berlin) == before)
    }

    @Test func weeklyAcrossFallBack() throws {
        // Europe/Berlin falls back on Sunday 2026-10-25 at 03:00 CEST → 02:00 CET.
        let schedule = try ReportSchedule(parsing: "monday 7:00")
        let before = Self.date("2026-10-19T05:00:00Z")  // Monday 07:00 CEST
        let after = schedule.nextFire(after: before, timeZone: Self.berlin)
        #expect(after == Self.date("2026-10-26T06:00:00Z"))  // Monday 07:00 CET
        #expect(after.timeIntervalSince(before) == 7 * 86_400 + 3600)
    }

    @Test func aSkippedTimeFiresAtTheEndOfTheGap() throws {
        // 02:30 does not exist in Berlin on 2026-03-29: fire at 03:00 CEST = 01:00Z, the transition.
        let schedule = try ReportSchedule(parsing: "sun 02:30")
        let fire = schedule.nextFire(after: Self.date("2026-03-28T12:00:00Z"), timeZone: Self.berlin)
        #expect(fire == Self.date("2026-03-29T01:00:00Z"))
        #expect(schedule.mostRecentFire(atOrBefore: Self.date("2026-03-29T01:00:00Z"), timeZone: Self.berlin) == fire)
        #expect(
            schedule.mostRecentFire(atOrBefore: Self.date("2026-03-29T00:59:59Z"), timeZone: Self.berlin)
                == Self.date("2026-03-22T01:30:00Z"))
        // The week after is normal again (02:30 CEST = 00:30Z).
        #expect(schedule.nextFire(after: fire, timeZone: Self.berlin) == Self.date("2026-04-05T00:30:00Z"))
    }

    @Test func aRepeatedTimeFiresOnce() throws {
        // 02:30 happens twice in Berlin on 2026-10-25: 00:30Z (CEST) and 01:30Z (CET). Fire at the first only.
        let schedule = try ReportSchedule(parsing: "sun 02:30")
        let first = Self.date("2026-10-25T00:30:00Z")
        #expect(schedule.nextFire(after: Self.date("2026-10-24T12:00:00Z"), timeZone: Self.berlin) == first)
        #expect(schedule.nextFire(after: first, timeZone: Self.berlin) == Self.date("2026-11-01T01:30:00Z"))
        // During the second 02:30 hour the most recent fire is still the first one.
        #expect(schedule.mostRecentFire(atOrBefore: Self.date("2026-10-25T01:45:00Z"), timeZone: Self.berlin) == first)
    }

    @Test func dailyAcrossBothTransitions() throws {
        let schedule = try ReportSchedule(parsing: "daily 06:30")
        var fire = Self.date("2026-03-27T05:30:00Z")  // Friday 06:30 CET
        var fires: [Date] = []
        for _ in 0..<4 {
            fire = schedule.nextFire(after: fire, timeZone: Self.berlin)
            fires.append(fire)
        }
        #expect(
            fires == [
                Self.date("2026-03-28T05:30:00Z"), Self.date("2026-03-29T04:30:00Z"),
                Self.date("2026-03-30T04:30:00Z"), Self.date("2026-03-31T04:30:00Z"),
            ])
        #expect(
            schedule.nextFire(after: Self.date("2026-10-24T04:30:00Z"), timeZone: Self.berlin)
                == Self.date("2026-10-25T05:30:00Z"))
        #expect(
            schedule.mostRecentFire(atOrBefore: Self.date("2026-10-25T05:29:59Z"), timeZone: Self.berlin)
                == Self.date("2026-10-24T04:30:00Z"))
    }

    /// Over two years of hours, in several zones: the most recent fire is at or before the instant, the next is
    /// after it, nothing lies between, and the local wall time of every fire is the schedule's (or the gap's end).
    @Test(arguments: ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Asia/Kolkata"])
    func fireTimesAreConsistent(zoneName: String) throws {
        let zone = try #require(TimeZone(identifier: zoneName))
        let schedule = try ReportSchedule(parsing: "sun 02:30")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var instant = Self.date("2026-01-01T00:17:00Z")
        let end = Self.date("2028-01-01T00:00:00Z")
        while instant < end {
            let recent = schedule.mostRecentFire(atOrBefore: instant, timeZone: zone)
            let next = schedule.nextFire(after: instant, timeZone: zone)
            #expect(recent <= instant && next > instant, "\(instant)")
            #expect(schedule.nextFire(after: recent, timeZone: zone) == next, "\(instant)")
            let parts = calendar.dateComponents([.weekday, .hour, .minute], from: next)
            let exact = parts.weekday == 1 && parts.hour == 2 && parts.minute == 30
            let gapEnd = parts.weekday == 1 && parts.hour == 3 && parts.minute == 0
            #expect(exact || gapEnd, "\(next) in \(zoneName): \(parts)")
            let days = next.timeIntervalSince(recent) / 86_400
            #expect(days > 6.9 && days < 7.1, "\(recent) → \(next)")
            instant = instant.addingTimeInterval(3 * 3600 + 7)
        }
    }
}
