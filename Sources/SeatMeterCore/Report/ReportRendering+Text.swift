import Foundation

extension ReportRendering {
    /// Plain text for a terminal (and the text/plain part of the e-mail): warnings first, aligned tables, lines
    /// within 120 columns except long addresses.
    package static func text(_ report: SeatReport) -> String {
        let format = ReportFormatting(timeZone: report.timeZone)
        let seats = report.licenceWindow.seats
        var out: [String] = []
        func section(_ title: String) {
            out.append("")
            out.append(title.uppercased())
        }
        let title = title(report, format)
        out.append(title)
        out.append(String(repeating: "=", count: title.count))
        out.append(subtitle(report, format))

        if !report.warnings.isEmpty {
            section("Warnings")
            out += report.warnings.map { "  ! \($0)" }
        }

        section("Seats in the licence window (\(report.licenceWindow.days) days)")
        var seatTable = TextTable(["", "Team model", "Support model"], [.left, .right, .right])
        seatTable.add(["Paid seats", ReportFormatting.count(seats.teamUsers), ReportFormatting.count(seats.agents)])
        seatTable.add(["  confirmed agents (roster)", "", ReportFormatting.count(seats.confirmedAgents)])
        seatTable.add(["  inferred agents", "", ReportFormatting.count(seats.inferredAgents)])
        seatTable.add(["Free submitters", "", ReportFormatting.count(seats.freeSubmitters)])
        seatTable.add(["Free recipients", "", ReportFormatting.count(seats.freeRecipients)])
        seatTable.add([
            "Price per seat and month", money(report.costs.teamPricePerUser, report),
            money(report.costs.supportPricePerAgent, report),
        ])
        seatTable.add([
            "Cost per \(report.costs.billing.periodName)", money(report.costs.teamCost, report),
            money(report.costs.supportCost, report),
        ])
        out.append(seatTable.render())
        out.append("")
        out.append("  " + costLine(report))
        out.append("  " + breakEvenLine(report))
        out += report.notes.map { "  Note: \($0)" }

        section("Recommendation")
        out.append("  By cost:      \(verdictName(report.recommendation.byCost))")
        out.append("  By questions: \(report.recommendation.byQuestions.title)")
        out.append("  " + report.recommendation.explanation)

        section("The two deciding questions")
        out.append("  1. Do only technicians take ownership? \(ownershipAnswer(report))")
        let owners = report.questions.ownership.outsideRoster
        for holder in owners.prefix(listLimit) {
            let last = holder.reasons.compactMap { $0.evidence.first?.date }.max()
            out.append(
                "       \(who(holder.address, holder.name)): \(reasonsText(holder.reasons))"
                    + (last.map { ", last \(format.day($0))" } ?? ""))
        }
        if let more = more(owners.count) { out.append("       \(more)") }
        out.append("  2. Do only a few submit on behalf of others? \(onBehalfAnswer(report))")
        let submitters = report.questions.onBehalf.submitters
        for submitter in submitters.prefix(listLimit) {
            out.append(
                "       \(who(submitter.address, submitter.name)): \(ReportFormatting.count(submitter.messages)) "
                    + "message\(submitter.messages == 1 ? "" : "s")"
                    + (submitter.confirmedAgent ? ", on the roster" : ""))
        }
        if let more = more(submitters.count) { out.append("       \(more)") }

        section("Seats by window (ending \(format.day(report.period.end.addingTimeInterval(-1))))")
        var windows = TextTable(
            ["Window", "From", "To"] + seatColumnTitles, [.left, .left, .left] + seatColumnTitles.map { _ in .right })
        for window in report.windows {
            windows.add(
                ["\(window.days) days", format.day(window.start), format.day(window.end.addingTimeInterval(-1))]
                    + seatColumnValues(window.seats))
        }
        out.append(windows.render())

        out += changeLines(report, format)

        section("Trend: licence-window seats at each week's end")
        let peak = max(1, report.trend.map(\.seats.teamUsers).max() ?? 1)
        var trend = TextTable(["Week", "Ending", "Team users", "Agents", ""], [.left, .left, .right, .right, .left])
        for point in report.trend {
            let bar = String(repeating: "#", count: Int((Double(point.seats.teamUsers) / Double(peak) * 40).rounded()))
            trend.add([
                point.label, format.day(point.weekEnd.addingTimeInterval(-1)),
                ReportFormatting.count(point.seats.teamUsers),
                ReportFormatting.count(point.seats.agents), bar,
            ])
        }
        out.append(trend.render())

        section("Data quality")
        if report.dataQuality.folders.isEmpty {
            out.append("  No folder sync information.")
        } else {
            var folders = TextTable(
                ["Folder", "Role", "Last successful sync", "Messages", "State"], [.left, .left, .left, .right, .left])
            for folder in report.dataQuality.folders {
                folders.add([
                    "\(folder.account)/\(folder.folder)", folder.role.rawValue, syncText(folder, format),
                    ReportFormatting.count(folder.messages), folderState(folder),
                ])
            }
            out.append(folders.render())
        }
        let quality = report.dataQuality
        out.append("  " + messageCounts(report))
        out.append("  Excluded addresses in the licence window: \(excludedText(report)).")
        out.append("  A sync is stale after \(ReportFormatting.duration(quality.staleAfter)).")
        return out.joined(separator: "\n") + "\n"
    }

    private static func changeLines(_ report: SeatReport, _ format: ReportFormatting) -> [String] {
        let changes = report.changes
        var out = ["", "Changes since \(changes.previousPeriod.label)".uppercased()]
        out.append("  " + changeSummary(report))
        out.append("  " + highWaterText(report, format))
        func people(_ title: String, _ list: [ChangedPerson]) {
            out.append("  \(title) (\(ReportFormatting.count(list.count)))" + (list.isEmpty ? ": none" : ":"))
            for person in list.prefix(listLimit) {
                out.append(
                    "    \(who(person.address, person.name)), \(person.role.rawValue)"
                        + (person.lastSeen.map { ", last seen \(format.day($0))" } ?? ""))
            }
            if let more = more(list.count) { out.append("    \(more)") }
        }
        people("New users", changes.newUsers)
        people("Users gone idle", changes.idleUsers)
        out.append(
            "  New agents (\(ReportFormatting.count(changes.newAgents.count)))"
                + (changes.newAgents.isEmpty ? ": none" : ":"))
        for agent in changes.newAgents.prefix(listLimit) {
            let status = agent.confirmed ? "confirmed" : "inferred"
            let before = agent.previousRole.map { "was \($0.rawValue)" } ?? "new"
            out.append("    \(who(agent.address, agent.name)), \(status), \(before)")
            for reason in agent.reasons {
                out.append("      - \(reason.summary)")
                if let evidence = reason.evidence.first {
                    out.append(
                        "        latest: \(evidence.date.map(format.day) ?? "undated") \(evidence.folder) "
                            + "\"\(evidence.subject ?? "")\"" + (evidence.detail.map { " (\($0))" } ?? ""))
                }
            }
        }
        if let more = more(changes.newAgents.count) { out.append("    \(more)") }
        let inactive = changes.inactiveRosterAgents
        out.append(
            "  Roster agents with no activity in the window (\(ReportFormatting.count(inactive.count)))"
                + (inactive.isEmpty ? ": none" : ", candidates to free:"))
        for address in inactive.prefix(listLimit) { out.append("    \(address)") }
        if let more = more(inactive.count) { out.append("    \(more)") }
        return out
    }
}
