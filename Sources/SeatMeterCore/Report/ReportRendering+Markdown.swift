import Foundation

extension ReportRendering {
    /// GitHub-flavoured Markdown: headings, pipe tables, warnings first as a quote block.
    package static func markdown(_ report: SeatReport) -> String {
        let format = ReportFormatting(timeZone: report.timeZone)
        let seats = report.licenceWindow.seats
        var out: [String] = []
        func table(_ headers: [String], right: Set<Int>, _ rows: [[String]]) {
            out.append("| " + headers.map(md).joined(separator: " | ") + " |")
            out.append("|" + headers.indices.map { right.contains($0) ? "---:" : ":---" }.joined(separator: "|") + "|")
            for row in rows { out.append("| " + row.map(md).joined(separator: " | ") + " |") }
            out.append("")
        }
        func list(_ items: [String], total: Int) {
            out += items.map { "- " + $0 }
            if let more = more(total) { out.append("- " + md(more)) }
            out.append("")
        }

        out.append("# " + md(title(report, format)))
        out.append("")
        out.append(md(subtitle(report, format)))
        out.append("")
        if !report.warnings.isEmpty {
            out += report.warnings.map { "> **Warning:** " + md($0) }
            out.append("")
        }

        out.append("## Seats and costs (licence window, \(report.licenceWindow.days) days)")
        out.append("")
        table(
            ["", "Team model", "Support model"], right: [1, 2],
            [
                ["Paid seats", ReportFormatting.count(seats.teamUsers), ReportFormatting.count(seats.agents)],
                ["confirmed agents (roster)", "", ReportFormatting.count(seats.confirmedAgents)],
                ["inferred agents", "", ReportFormatting.count(seats.inferredAgents)],
                ["Free submitters", "", ReportFormatting.count(seats.freeSubmitters)],
                ["Free recipients", "", ReportFormatting.count(seats.freeRecipients)],
                [
                    "Price per seat and month", money(report.costs.teamPricePerUser, report),
                    money(report.costs.supportPricePerAgent, report),
                ],
                [
                    "Cost per \(report.costs.billing.periodName)", money(report.costs.teamCost, report),
                    money(report.costs.supportCost, report),
                ],
            ])
        out.append(md(costLine(report)) + "  ")
        out.append(md(breakEvenLine(report)))
        out.append("")
        for note in report.notes { out.append("*Note:* " + md(note) + "\n") }

        out.append("## Recommendation")
        out.append("")
        out.append("- **By cost:** \(md(verdictName(report.recommendation.byCost)))")
        out.append("- **By the deciding questions:** \(report.recommendation.byQuestions.title)")
        out.append("")
        out.append(md(report.recommendation.explanation))
        out.append("")

        out.append("## The two deciding questions")
        out.append("")
        out.append("**1. Do only technicians take ownership?** " + md(ownershipAnswer(report)))
        out.append("")
        let owners = report.questions.ownership.outsideRoster
        if !owners.isEmpty {
            list(
                owners.prefix(listLimit).map { "\(mdWho($0.address, $0.name)): \(md(reasonsText($0.reasons)))" },
                total: owners.count)
        }
        out.append("**2. Do only a few submit on behalf of others?** " + md(onBehalfAnswer(report)))
        out.append("")
        let submitters = report.questions.onBehalf.submitters
        if !submitters.isEmpty {
            list(
                submitters.prefix(listLimit).map {
                    "\(mdWho($0.address, $0.name)): \(ReportFormatting.count($0.messages)) message"
                        + ($0.messages == 1 ? "" : "s") + ($0.confirmedAgent ? ", on the roster" : "")
                }, total: submitters.count)
        }

        out.append("## Seats by window")
        out.append("")
        table(
            ["Window", "From", "To"] + seatColumnTitles, right: Set(3..<(3 + seatColumnTitles.count)),
            report.windows.map { window in
                ["\(window.days) days", format.day(window.start), format.day(window.end.addingTimeInterval(-1))]
                    + seatColumnValues(window.seats)
            })

        let changes = report.changes
        out.append("## Changes since \(changes.previousPeriod.label)")
        out.append("")
        out.append(md(changeSummary(report) + " " + highWaterText(report, format)))
        out.append("")
        func people(_ title: String, _ people: [ChangedPerson]) {
            out.append("**\(title)** (\(ReportFormatting.count(people.count)))" + (people.isEmpty ? ": none" : ""))
            out.append("")
            if !people.isEmpty {
                list(
                    people.prefix(listLimit).map {
                        "\(mdWho($0.address, $0.name)) — \($0.role.rawValue)"
                            + ($0.lastSeen.map { ", last seen \(format.day($0))" } ?? "")
                    }, total: people.count)
            }
        }
        people("New users", changes.newUsers)
        people("Users gone idle", changes.idleUsers)
        out.append(
            "**New agents** (\(ReportFormatting.count(changes.newAgents.count)))"
                + (changes.newAgents.isEmpty ? ": none" : ""))
        out.append("")
        if !changes.newAgents.isEmpty {
            list(
                changes.newAgents.prefix(listLimit).map { agent in
                    "\(mdWho(agent.address, agent.name)) — \(agent.confirmed ? "confirmed" : "inferred"): "
                        + md(agent.reasons.map(\.summary).joined(separator: "; "))
                }, total: changes.newAgents.count)
        }
        let inactive = changes.inactiveRosterAgents
        out.append(
            "**Roster agents with no activity in the window** (\(ReportFormatting.count(inactive.count)))"
                + (inactive.isEmpty ? ": none" : ", candidates to free"))
        out.append("")
        if !inactive.isEmpty { list(inactive.prefix(listLimit).map { "`\($0)`" }, total: inactive.count) }

        out.append("## Trend (licence-window seats at each week's end)")
        out.append("")
        table(
            ["Week", "Ending", "Team users", "Agents"], right: [2, 3],
            report.trend.map {
                [
                    $0.label, format.day($0.weekEnd.addingTimeInterval(-1)), ReportFormatting.count($0.seats.teamUsers),
                    ReportFormatting.count($0.seats.agents),
                ]
            })

        out.append("## Data quality")
        out.append("")
        if !report.dataQuality.folders.isEmpty {
            table(
                ["Folder", "Role", "Last successful sync", "Messages", "State"], right: [3],
                report.dataQuality.folders.map {
                    [
                        "\($0.account)/\($0.folder)", $0.role.rawValue, syncText($0, format),
                        ReportFormatting.count($0.messages), folderState($0),
                    ]
                })
        }
        let quality = report.dataQuality
        out.append(
            md(messageCounts(report)) + " Excluded addresses: \(md(excludedText(report))). A sync is stale after "
                + "\(ReportFormatting.duration(quality.staleAfter)).")
        return out.joined(separator: "\n") + "\n"
    }

    /// `` `address` `` or `` `address` (Name) ``.
    static func mdWho(_ address: String, _ name: String) -> String {
        "`\(address.replacingOccurrences(of: "`", with: "'"))`" + (name.isEmpty ? "" : " (\(md(name)))")
    }

    /// Escapes Markdown's inline syntax and table pipes; line breaks become spaces.
    static func md(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#":
                out.append("\\")
                out.append(character)
            case "\n", "\r", "\r\n": out.append(" ")
            default: out.append(character)
            }
        }
        return out
    }
}
