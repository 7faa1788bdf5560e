import Foundation
import SeatMeterCore
import Testing

private typealias F = ReportFixture

private func seats(_ users: Int, _ agents: Int, _ confirmed: Int, _ inferred: Int, _ submitters: Int, _ recipients: Int)
    -> SeatCounts
{
    SeatCounts(
        teamUsers: users, agents: agents, confirmedAgents: confirmed, inferredAgents: inferred,
        freeSubmitters: submitters, freeRecipients: recipients)
}

@Suite("Report numbers on a known history")
struct SeatReportTests {
    @Test func periodAndWindows() throws {
        let report = try F.report()
        #expect(report.period.start == F.at(2025, 1, 6))
        #expect(report.period.end == F.at(2025, 1, 13))
        #expect(report.period.label == "2025-W02")
        #expect(report.licenceWindow.days == 90)
        #expect(report.licenceWindow.start == F.at(2024, 10, 15))
        #expect(report.licenceWindow.end == F.at(2025, 1, 13))
    }

    /// Licence window: agent1 (roster), erin (outgoing), frank (on behalf) are agents; alice, bob, grace submit;
    /// carol only receives. The 7/30/365-day windows by hand from the fixture's table.
    @Test func seatsPerWindow() throws {
        let report = try F.report()
        #expect(report.licenceWindow.seats == seats(7, 3, 1, 2, 3, 1))
        #expect(report.windows.map(\.days) == [7, 30, 90, 365])
        // 7 days [01-06, 01-13): alice submits, bob only receives (m6), agent1/erin/frank agents, grace submits.
        #expect(report.windows[0].seats == seats(6, 3, 1, 2, 2, 1))
        #expect(report.windows[0].start == F.at(2025, 1, 6))
        // 30 days [2024-12-14, 01-13): carol's mail (12-01, 12-10) and erin's submission (12-05) fall out.
        #expect(report.windows[1].seats == seats(6, 3, 1, 2, 3, 0))
        #expect(report.windows[1].start == F.at(2024, 12, 14))
        #expect(report.windows[2].seats == report.licenceWindow.seats)
        // 365 days: everyone; judy (outgoing 10-13) is a third inferred agent, dave a fourth submitter.
        #expect(report.windows[3].seats == seats(9, 4, 1, 3, 4, 1))
        #expect(report.windows[3].start == F.at(2024, 1, 14))
        #expect(
            report.people.map(\.address) == ["agent1", "alice", "bob", "carol", "erin", "frank", "grace"].map(F.person))
        #expect(report.people.first { $0.address == F.person("alice") }?.name == "Alice A")
    }

    @Test func monthlyCosts() throws {
        let costs = try F.report().costs
        #expect(costs.teamCost == 70)
        #expect(costs.supportCost == 75)
        #expect(costs.cheaper == .team)
        #expect(costs.saving == 5)
        #expect(costs.breakEvenAgentShare == 0.4)
        #expect(costs.agentShare == 3.0 / 7.0)
        #expect(costs.billing == .monthly)
    }

    /// Prices are per seat per month; annual billing states the cost of 12 months.
    @Test func annualCosts() throws {
        let report = try F.report(
            licensing: Licensing(currency: "EUR", teamPricePerUser: 10, supportPricePerAgent: 25, billing: .annual))
        #expect(report.costs.teamCost == 840)
        #expect(report.costs.supportCost == 900)
        #expect(report.costs.saving == 60)
        #expect(report.costs.cheaper == .team)
        #expect(report.costs.breakEvenAgentShare == 0.4)
        #expect(report.costs.currency == "EUR")
    }

    /// Support at 20 per agent: 3 × 20 = 60 < 70; break-even 50%, agents are 42.9% of users.
    @Test func supportCheaper() throws {
        let costs = try F.report(licensing: Licensing(teamPricePerUser: 10, supportPricePerAgent: 20)).costs
        #expect(costs.cheaper == .support)
        #expect(costs.saving == 10)
        #expect(costs.breakEvenAgentShare == 0.5)
    }

    @Test func equalCosts() throws {
        // 7 × 15 = 105 = 3 × 35.
        let report = try F.report(licensing: Licensing(teamPricePerUser: 15, supportPricePerAgent: 35))
        #expect(report.costs.cheaper == .equal)
        #expect(report.costs.saving == 0)
        #expect(report.recommendation.explanation.hasSuffix("With equal costs the questions decide: Team."))
    }

    @Test func pricesMissing() throws {
        let report = try F.report(licensing: Licensing())
        #expect(report.costs.teamCost == nil)
        #expect(report.costs.supportCost == nil)
        #expect(report.costs.cheaper == .unknown)
        #expect(report.costs.saving == nil)
        #expect(report.costs.breakEvenAgentShare == nil)
        #expect(report.licenceWindow.seats.teamUsers == 7)
        #expect(report.notes.count == 2)
        #expect(report.notes[0].contains("Prices missing"))
        #expect(
            report.notes[1]
                == "The first message is from 2024-10-10: the 365-day window and the oldest trend weeks cover less time than they name."
        )
        #expect(report.notes[0].contains("break-even needs both prices"))
        #expect(report.recommendation.byCost == .unknown)
        #expect(!report.recommendation.agree)
        #expect(ReportRendering.text(report).contains("Break-even: needs both prices"))
    }

    @Test func onePriceMissing() throws {
        let report = try F.report(licensing: Licensing(teamPricePerUser: 10, supportPricePerAgent: 0))
        #expect(report.costs.teamCost == 70)
        #expect(report.costs.supportCost == nil)
        #expect(report.costs.cheaper == .unknown)
        #expect(report.costs.breakEvenAgentShare == nil)
        #expect(
            report.notes.first
                == "Price missing: licensing.support_price_per_agent is not set; the Support cost and the break-even need it."
        )
    }

    /// (1) erin wrote from the outgoing folder and is not on the roster: no. (2) frank sent on behalf of grace:
    /// 1 of 7 users = 14.3% > 10%: no. Both no → Team, and Team is cheaper: they agree.
    @Test func decidingQuestions() throws {
        let report = try F.report()
        let ownership = report.questions.ownership
        #expect(!ownership.onlyTechnicians)
        #expect(ownership.outsideRoster.map(\.address) == [F.person("erin")])
        #expect(ownership.outsideRoster[0].reasons.map(\.kind) == [.outgoingAuthor])
        #expect(ownership.outsideRoster[0].reasons[0].evidence.first?.messageID == "m8@test")
        #expect(ownership.peopleWithOwnershipEvidence == 2)
        let onBehalf = report.questions.onBehalf
        #expect(!onBehalf.onlyAFew)
        #expect(
            onBehalf.submitters == [
                OnBehalfSubmitter(address: F.person("frank"), name: "", messages: 1, confirmedAgent: false)
            ])
        #expect(onBehalf.share == 1.0 / 7.0)
        #expect(onBehalf.threshold == 0.10)
        #expect(report.recommendation.byQuestions == .team)
        #expect(report.recommendation.byCost == .team)
        #expect(report.recommendation.agree)
        #expect(!report.recommendation.explanation.contains("differ"))
    }

    /// A 15% threshold makes (2) a yes → Support by the questions, while Team stays cheaper: explained.
    @Test func verdictsDiffer() throws {
        let report = try F.report(threshold: 0.15)
        #expect(report.questions.onBehalf.onlyAFew)
        #expect(report.recommendation.byQuestions == .support)
        #expect(report.recommendation.byCost == .team)
        #expect(!report.recommendation.agree)
        #expect(report.recommendation.explanation.contains("The verdicts differ"))
    }

    /// Exactly at the threshold is "only a few" (1/7 with a threshold of 1/7).
    @Test func thresholdIsInclusive() throws {
        #expect(try F.report(threshold: 1.0 / 7.0).questions.onBehalf.onlyAFew)
    }

    @Test func onlyTechniciansWhenTheOwnerIsOnTheRoster() throws {
        var input = F.input()
        input.rules.agentAddresses.append(F.person("erin"))
        let report = try SeatReport(input)
        #expect(report.questions.ownership.onlyTechnicians)
        #expect(report.questions.ownership.outsideRoster.isEmpty)
        #expect(report.recommendation.byQuestions == .support)
        #expect(report.licenceWindow.seats == seats(7, 3, 2, 1, 3, 1))
    }

    /// Previous licence window [2024-10-08, 2025-01-06): agent1, judy agents; bob, dave, erin submit; carol receives.
    @Test func changes() throws {
        let changes = try F.report().changes
        #expect(changes.previousPeriod.start == F.at(2024, 12, 30))
        #expect(changes.previousPeriod.end == F.at(2025, 1, 6))
        #expect(changes.previousPeriod.label == "2025-W01")
        #expect(changes.previousSeats == seats(6, 2, 1, 1, 3, 1))
        #expect(changes.newUsers.map(\.address) == ["alice", "frank", "grace"].map(F.person))
        #expect(changes.newUsers.map(\.role) == [.freeSubmitter, .agent, .freeSubmitter])
        #expect(changes.idleUsers.map(\.address) == ["dave", "judy"].map(F.person))
        #expect(changes.idleUsers.map(\.role) == [.freeSubmitter, .agent])
        #expect(changes.idleUsers[0].lastSeen == F.at(2024, 10, 10, 10))
        #expect(changes.newAgents.map(\.address) == ["erin", "frank"].map(F.person))
        #expect(changes.newAgents.map(\.previousRole) == [.freeSubmitter, nil])
        #expect(changes.newAgents.map(\.confirmed) == [false, false])
        #expect(changes.newAgents[1].reasons.map(\.kind) == [.onBehalf])
        #expect(changes.newAgents[1].reasons[0].evidence.first?.detail == "on behalf of \(F.person("grace"))")
        #expect(changes.inactiveRosterAgents == [F.person("agent2")])
    }

    /// Agents in the licence window ending at each day's end: Mon–Wed 2 (agent1, judy), Thu 3 (+erin), Fri 4
    /// (+frank; judy's 2024-10-13 still inside), Sat–Sun 3 (judy out). The first day with the most: Friday.
    @Test func highWaterMark() throws {
        let mark = try F.report().changes.highWaterMark
        #expect(mark.agents == 4)
        #expect(mark.day == F.at(2025, 1, 10))
    }

    @Test func trend() throws {
        let trend = try F.report().trend
        #expect(trend.count == 12)
        #expect(trend.map(\.seats.teamUsers) == [2, 3, 3, 3, 3, 4, 5, 6, 6, 6, 6, 7])
        #expect(trend.map(\.seats.agents) == [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3])
        #expect(trend.first?.weekEnd == F.at(2024, 10, 28))
        #expect(trend.first?.weekStart == F.at(2024, 10, 21))
        #expect(trend.first?.label == "2024-W43")
        #expect(trend.last?.weekEnd == F.at(2025, 1, 13))
        #expect(trend.last?.label == "2025-W02")
    }

    @Test func dataQualityAndStaleSync() throws {
        let report = try F.report()
        let quality = report.dataQuality
        #expect(quality.staleAfter == 600)
        #expect(quality.folders.map(\.stale) == [false, true])
        #expect(quality.messagesIngested == 13)
        #expect(quality.messagesWithDefects == 2)
        #expect(quality.messagesInLicenceWindow == 11)
        #expect(quality.undatedMessages == 0)
        #expect(
            quality.excludedByReason == [
                ExcludedCount(kind: .helpdesk, addresses: 1), ExcludedCount(kind: .external, addresses: 1),
                ExcludedCount(kind: .automatedSender, addresses: 1),
            ])
        #expect(quality.firstMessage == F.at(2024, 10, 10, 10))
        #expect(quality.lastMessage == F.at(2025, 1, 10, 9))
        #expect(report.warnings.count == 1)
        #expect(report.warnings[0].hasPrefix("Stale sync: desk/Sent last synced 2025-01-15 09:00, 1 h before"))
        let text = ReportRendering.text(report)
        let warning = try #require(text.range(of: "WARNINGS"))
        let seatsHeading = try #require(text.range(of: "SEATS IN THE LICENCE WINDOW"))
        #expect(warning.lowerBound < seatsHeading.lowerBound)
    }

    @Test(arguments: [
        (300.0, 600.0), (0.0, 86_400.0), (43_200.0, 86_400.0), (86_400.0, 86_400.0), (3_600.0, 7_200.0),
    ])
    func staleAfter(poll: Double, expected: Double) throws {
        var quality = F.dataQuality
        quality.pollInterval = poll
        let report = try SeatReport(F.input(dataQuality: quality))
        #expect(report.dataQuality.staleAfter == expected)
    }

    @Test func neverSyncedAndFailingFoldersWarn() throws {
        let quality = DataQualityInput(
            folders: [
                FolderFreshness(account: "a", folder: "INBOX", role: .incoming, lastSuccessfulSync: nil, messages: 0),
                FolderFreshness(
                    account: "a", folder: "Sent", role: .outgoing, lastSuccessfulSync: F.asOf.addingTimeInterval(-60),
                    messages: 3, lastError: "login denied"),
            ], pollInterval: 300)
        let report = try SeatReport(F.input(dataQuality: quality))
        #expect(report.dataQuality.folders.map(\.stale) == [true, false])
        #expect(
            report.warnings == [
                "Stale sync: a/INBOX has never synced successfully; its mail is missing.",
                "Sync error: a/Sent: login denied",
            ])
    }

    /// A sync after the report time (a report for a past week) is not stale.
    @Test func pastReportIsNotStale() throws {
        var input = F.input()
        input.asOf = F.at(2025, 1, 14, 8)
        let report = try SeatReport(input)
        #expect(report.dataQuality.folders.map(\.stale) == [false, false])
        #expect(report.period.end == F.at(2025, 1, 13))
    }

    /// The report does not depend on the input's order.
    @Test func orderDoesNotMatter() throws {
        let forward = try F.report()
        var input = F.input()
        input.observations.reverse()
        #expect(try SeatReport(input) == forward)
    }

    @Test func emptyLedger() throws {
        let report = try SeatReport(F.input(observations: [], dataQuality: DataQualityInput()))
        #expect(report.licenceWindow.seats == SeatCounts())
        #expect(report.trend.count == 12)
        #expect(report.trend.allSatisfy { $0.seats == SeatCounts() })
        #expect(report.costs.teamCost == 0)
        #expect(report.costs.supportCost == 0)
        #expect(report.costs.cheaper == .equal)
        #expect(report.costs.agentShare == nil)
        #expect(report.questions.onBehalf.share == 0)
        #expect(report.changes.highWaterMark.agents == 0)
        #expect(report.changes.inactiveRosterAgents == [F.person("agent1"), F.person("agent2")])
        #expect(report.warnings.contains { $0.hasPrefix("No messages in the licence window") })
    }

    @Test func firstMessageAfterWindowStartWarns() throws {
        let recent = F.observations.filter { ($0.date ?? .distantPast) >= F.at(2025, 1, 1) }
        let report = try SeatReport(F.input(observations: recent))
        #expect(
            report.warnings.contains { $0.hasPrefix("The first message is from 2025-01-02, after the licence window") })
    }
}

@Suite("Report period in the configured time zone")
struct ReportPeriodTests {
    private static let calendar = ReportCalendar(timeZone: F.berlin)

    /// As of any time in week 2025-W03 (Mon 13 to Sun 19 January), the period is W02.
    @Test(arguments: [
        F.at(2025, 1, 13), F.at(2025, 1, 13, 7), F.at(2025, 1, 15, 10), F.at(2025, 1, 19, 23, 59),
    ])
    func lastFullWeek(asOf: Date) {
        let period = Self.calendar.lastFullWeek(before: asOf)
        #expect(period.start == F.at(2025, 1, 6))
        #expect(period.end == F.at(2025, 1, 13))
        #expect(period.label == "2025-W02")
    }

    @Test func sundayBelongsToItsWeek() {
        let period = Self.calendar.lastFullWeek(before: F.at(2025, 1, 12, 23, 59))
        #expect(period.start == F.at(2024, 12, 30))
        #expect(period.end == F.at(2025, 1, 6))
        #expect(period.label == "2025-W01")
    }

    /// Daylight saving starts on Sunday 2025-03-30: that week has 167 hours; it ends on 2025-10-26: 169 hours.
    @Test func daylightSavingWeeks() {
        let spring = Self.calendar.lastFullWeek(before: F.at(2025, 4, 1, 9))
        #expect(spring.start == F.at(2025, 3, 24))
        #expect(spring.end == F.at(2025, 3, 31))
        #expect(spring.end.timeIntervalSince(spring.start) == 167 * 3_600)
        let autumn = Self.calendar.lastFullWeek(before: F.at(2025, 10, 28, 9))
        #expect(autumn.start == F.at(2025, 10, 20))
        #expect(autumn.end == F.at(2025, 10, 27))
        #expect(autumn.end.timeIntervalSince(autumn.start) == 169 * 3_600)
        // A 90-day window across the change starts at local midnight.
        #expect(Self.calendar.window(days: 90, endingAt: F.at(2025, 1, 13)).start == F.at(2024, 10, 15))
    }

    /// The same instant is in different weeks in different zones: Monday 00:30 in Berlin is Sunday in UTC.
    @Test func timeZoneDecidesTheWeek() {
        let instant = F.at(2025, 1, 13, 0, 30)
        #expect(Self.calendar.lastFullWeek(before: instant).end == F.at(2025, 1, 13))
        let utc = ReportCalendar(timeZone: .gmt).lastFullWeek(before: instant)
        #expect(utc.end == Date(timeIntervalSince1970: 1_736_121_600))  // 2025-01-06T00:00:00Z
    }

    /// 365 days back from the period end, or 11 weeks + the licence window when that is longer.
    @Test func requiredRange() {
        let range = ReportInput.requiredRange(asOf: F.asOf, timeZone: F.berlin, licenceWindowDays: 90)
        #expect(range.start == F.at(2024, 1, 14))
        #expect(range.end == F.at(2025, 1, 13))
        let long = ReportInput.requiredRange(asOf: F.asOf, timeZone: F.berlin, licenceWindowDays: 400)
        #expect(long.start == F.at(2023, 9, 24))
    }
}
