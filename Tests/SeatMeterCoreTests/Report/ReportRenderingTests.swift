import Foundation
import SeatMeterCore
import TestSupport
import Testing

private typealias F = ReportFixture

/// The three ledgers every format must render: empty, one person, 5,000 people.
enum RenderCase: String, CaseIterable, Sendable {
    case empty
    case onePerson
    case fiveThousandPeople

    /// The 5,000-person report is built once and shared by the tests.
    static let large: SeatReport? = try? SeatReport(largeInput)

    static var largeInput: ReportInput {
        // 40,000 messages over 140 days ending at the fixture's period end, 5,000 people, 50 of them staff.
        let messages = 40_000
        let end = F.at(2025, 1, 13).timeIntervalSince1970
        let spacing = 140 * 86_400 / Double(messages)
        let observations = SyntheticLedger.observations(messages: messages, people: 5_000, agents: 50).enumerated()
            .map { index, message in
                var message = message
                message.date = Date(timeIntervalSince1970: end - 140 * 86_400 + Double(index) * spacing)
                return message
            }
        return ReportInput(
            asOf: F.asOf, timeZone: F.berlin, observations: observations, rules: SyntheticLedger.rules,
            licensing: Licensing(currency: "EUR", teamPricePerUser: 12, supportPricePerAgent: 49),
            dataQuality: F.dataQuality)
    }

    func report() throws -> SeatReport {
        switch self {
        case .empty:
            return try SeatReport(F.input(licensing: Licensing(), observations: [], dataQuality: DataQualityInput()))
        case .onePerson:
            return try SeatReport(
                F.input(observations: [F.message("one", F.at(2025, 1, 8, 9), from: F.person("solo"))]))
        case .fiveThousandPeople:
            return try #require(Self.large)
        }
    }
}

@Suite("Report renderings")
struct ReportRenderingTests {
    @Test(arguments: RenderCase.allCases, ReportFormat.allCases)
    func rendersWithoutError(ledger: RenderCase, format: ReportFormat) throws {
        let report = try ledger.report()
        let output = ReportRendering.render(report, as: format)
        #expect(!output.isEmpty)
        #expect(output.hasSuffix(format == .csv ? "\r\n" : "\n"))
        switch format {
        case .html:
            #expect(!output.lowercased().contains("<script"))
            #expect(!output.contains("src=\"http"))
            #expect(!output.lowercased().contains("<img"))
            #expect(!output.lowercased().contains("<link"))
            #expect(!output.lowercased().contains("<style"))
            #expect(output.hasPrefix("<!DOCTYPE html>"))
            // The trend chart: 12 weeks, two bars each.
            #expect(output.components(separatedBy: "bgcolor=\"#2563eb\"").count - 1 <= 12)
        case .json:
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            try Self.checkContract(object)
            let people = try #require(object["people"] as? [[String: Any]])
            #expect(people.count == report.people.count)
        case .csv:
            let lines = output.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.count == report.people.count + 1)
            #expect(lines[0] == PeopleRendering.csvColumns.joined(separator: ","))
        case .text, .markdown:
            #expect(output.contains(report.period.label))
        }
        if ledger == .fiveThousandPeople {
            #expect(report.people.count == 5_000)
            if format != .csv && format != .json {
                #expect(output.contains("more (all in the CSV and JSON)"))
            }
        }
    }

    /// The keys issue 5 asks for at the top level, and the ones this report adds.
    static func checkContract(_ object: [String: Any]) throws {
        for key in [
            "period", "team", "support", "recommendation", "trend", "changes", "windows", "questions", "data_quality",
            "currency", "billing", "break_even", "warnings", "licence_window", "costs", "people", "notes",
        ] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let period = try #require(object["period"] as? [String: Any])
        #expect(period["start"] is String && period["end"] is String)
        let team = try #require(object["team"] as? [String: Any])
        #expect(team["users"] is Int)
        #expect(team.keys.contains("cost"))
        let support = try #require(object["support"] as? [String: Any])
        for key in ["agents", "confirmed_agents", "inferred_agents", "free_submitters", "free_recipients"] {
            #expect(support[key] is Int, "support.\(key)")
        }
        #expect(support.keys.contains("cost"))
        let recommendation = try #require(object["recommendation"] as? [String: Any])
        #expect(recommendation["by_cost"] is String && recommendation["by_questions"] is String)
        let trend = try #require(object["trend"] as? [[String: Any]])
        #expect(trend.count == 12)
        #expect(object["changes"] is [String: Any])
    }

    /// Exact values in the JSON of the known history.
    @Test func jsonValues() throws {
        let report = try F.report()
        let text = ReportRendering.render(report, as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let period = try #require(object["period"] as? [String: Any])
        #expect(period["start"] as? String == "2025-01-06T00:00:00+01:00")
        #expect(period["end"] as? String == "2025-01-13T00:00:00+01:00")
        let team = try #require(object["team"] as? [String: Any])
        #expect(team["users"] as? Int == 7)
        #expect(team["cost"] as? Int == 70)
        let support = try #require(object["support"] as? [String: Any])
        #expect(support["agents"] as? Int == 3)
        #expect(support["confirmed_agents"] as? Int == 1)
        #expect(support["inferred_agents"] as? Int == 2)
        #expect(support["free_submitters"] as? Int == 3)
        #expect(support["free_recipients"] as? Int == 1)
        #expect(support["cost"] as? Int == 75)
        let breakEven = try #require(object["break_even"] as? [String: Any])
        #expect(breakEven["agent_share"] as? Double == 0.4)
        #expect(breakEven["current_agent_share"] as? Double == 0.4286)
        let recommendation = try #require(object["recommendation"] as? [String: Any])
        #expect(recommendation["by_cost"] as? String == "team")
        #expect(recommendation["by_questions"] as? String == "team")
        let trend = try #require(object["trend"] as? [[String: Any]])
        #expect(trend.compactMap { $0["team_users"] as? Int } == [2, 3, 3, 3, 3, 4, 5, 6, 6, 6, 6, 7])
        let changes = try #require(object["changes"] as? [String: Any])
        let newAgents = try #require(changes["new_agents"] as? [[String: Any]])
        #expect(newAgents.compactMap { $0["address"] as? String } == ["erin@example.com", "frank@example.com"])
        let mark = try #require(changes["high_water_mark"] as? [String: Any])
        #expect(mark["agents"] as? Int == 4)
        #expect(mark["day"] as? String == "2025-01-10T00:00:00+01:00")
        #expect(object["currency"] as? String == "USD")
        #expect(object["billing"] as? String == "monthly")
        let quality = try #require(object["data_quality"] as? [String: Any])
        #expect(
            quality["excluded_by_reason"] as? [String: Int] == ["helpdesk": 1, "external": 1, "automated-sender": 1])
        // Keys keep their documented order.
        let keys = ["\"schema\"", "\"as_of\"", "\"time_zone\"", "\"period\"", "\"currency\""]
        let positions = keys.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions == positions.sorted() && positions.count == keys.count)
    }

    @Test func csvRowsAndQuoting() throws {
        var input = F.input()
        input.observations.append(
            F.message("q", F.at(2025, 1, 8), from: F.person("quote"), name: "=Smith, \"Q\""))
        let report = try SeatReport(input)
        let csv = ReportRendering.csv(report)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(
            lines[0]
                == "address,name,role,agent_confirmed,agent_reasons,first_seen,last_seen,sent,received,on_behalf,ownership_evidence"
        )
        #expect(
            lines.contains(
                "agent1@example.com,,agent,true,roster;outgoing-author,2024-12-10T11:00:00+01:00,2025-01-07T11:00:00+01:00,2,0,0,true"
            ))
        #expect(
            lines.contains(
                "frank@example.com,,agent,false,on-behalf,2025-01-10T09:00:00+01:00,2025-01-10T09:00:00+01:00,1,0,1,false"
            ))
        #expect(
            lines.contains(
                "quote@example.com,\"'=Smith, \"\"Q\"\"\",free-submitter,,,2025-01-08T00:00:00+01:00,2025-01-08T00:00:00+01:00,1,0,0,false"
            ))
    }

    @Test func htmlEscapesHeaderText() throws {
        var input = F.input()
        input.observations.append(
            F.message("x", F.at(2025, 1, 8), .outgoing, from: F.person("mallory"), name: "<script>alert(1)</script>"))
        let html = ReportRendering.html(try SeatReport(input))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;"))
    }

    @Test func textLayout() throws {
        let text = ReportRendering.text(try F.report())
        if ProcessInfo.processInfo.environment["SEATMETER_SHOW_REPORT"] != nil {
            print(text)
            print(ReportRendering.markdown(try F.report()))
            try ReportRendering.html(try F.report()).write(
                toFile: "/tmp/seatmeter-report.html", atomically: true, encoding: .utf8)
        }
        #expect(text.hasPrefix("SeatMeter licence report 2025-W02 (2025-01-06 to 2025-01-12)\n"))
        #expect(text.contains("\n  Paid seats                            7              3\n"))
        #expect(text.contains("\n  Cost per month                USD 70.00      USD 75.00\n"))
        #expect(text.contains("Team is cheaper by USD 5.00 per month."))
        #expect(text.contains("Break-even: Support costs less while agents are under 40% of users"))
        #expect(
            text.contains(
                "1. Do only technicians take ownership? No: 1 person outside the agent roster took ownership."))
        #expect(text.contains("erin@example.com: outgoing-author (1)"))
        #expect(text.contains("High-water mark: 4 agents on 2025-01-10 (licence window ending that day)."))
        #expect(text.contains("\n  2024-W43  2024-10-27           2       1  ###########\n"))
    }

    @Test func subject() throws {
        #expect(
            ReportRendering.subject(try F.report())
                == "SeatMeter 2025-W02: 7 Team users, 3 agents — Team is cheaper (1 warning)")
    }

    @Test(arguments: [
        (1_234_567, "1,234,567"), (0, "0"), (999, "999"), (1_000, "1,000"), (-12_345, "-12,345"),
    ])
    func counts(value: Int, expected: String) {
        #expect(ReportFormatting.count(value) == expected)
    }

    @Test func moneyAndShares() {
        #expect(ReportFormatting.money(1_234.5, "EUR") == "EUR 1,234.50")
        #expect(ReportFormatting.money(0.005, "USD") == "USD 0.01")
        #expect(ReportFormatting.money(-3, "USD") == "-USD 3.00")
        #expect(ReportFormatting.percent(0.1) == "10%")
        #expect(ReportFormatting.percent(1.0 / 7.0) == "14.3%")
        #expect(ReportFormatting.percent(0.4) == "40%")
        #expect(ReportFormatting.decimal(2.50) == "2.5")
        #expect(ReportFormatting(timeZone: F.berlin).iso(F.at(2024, 7, 1, 12)) == "2024-07-01T12:00:00+02:00")
        #expect(ReportFormatting(timeZone: .gmt).iso(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(ReportFormatting(timeZone: .gmt).day(Date(timeIntervalSince1970: -86_400)) == "1969-12-31")
    }
}
