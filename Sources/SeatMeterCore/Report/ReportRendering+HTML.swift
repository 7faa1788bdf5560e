import Foundation

extension ReportRendering {
    static let usersColor = "#2563eb"
    static let agentsColor = "#d97706"
    static let font = "font-family:Arial,Helvetica,sans-serif;"

    /// E-mail-safe HTML: one centred 680-px table, inline styles only, no scripts, no images, no external
    /// resources. The 12-week trend is a bar chart built from table cells with percentage widths and background
    /// colours (`bgcolor` too, for Outlook), which Gmail, Outlook and Apple Mail all display.
    package static func html(_ report: SeatReport) -> String {
        let format = ReportFormatting(timeZone: report.timeZone)
        let seats = report.licenceWindow.seats
        var body: [String] = []
        func section(_ title: String) {
            body.append(
                "<tr><td style=\"padding:20px 24px 6px 24px;\"><h2 style=\"margin:0;\(font)font-size:17px;"
                    + "color:#111827;\">\(h(title))</h2></td></tr>")
        }
        func block(_ html: String) {
            let style = "padding:4px 24px;\(font)font-size:14px;line-height:1.45;color:#1f2937;"
            body.append("<tr><td style=\"\(style)\">\(html)</td></tr>")
        }
        func list(_ items: [String], total: Int) {
            var html = "<ul style=\"margin:4px 0 8px 0;padding-left:20px;\">"
            for item in items { html += "<li style=\"margin:2px 0;\">\(item)</li>" }
            if let more = more(total) { html += "<li style=\"margin:2px 0;color:#6b7280;\">\(h(more))</li>" }
            block(html + "</ul>")
        }

        body.append(
            "<tr><td style=\"padding:20px 24px 4px 24px;\"><h1 style=\"margin:0;\(font)font-size:21px;color:#111827;\">"
                + "\(h(title(report, format)))</h1><p style=\"margin:6px 0 0 0;\(font)font-size:13px;color:#6b7280;\">"
                + "\(h(subtitle(report, format)))</p></td></tr>")
        if !report.warnings.isEmpty {
            var warnings =
                "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>"
                + "<td bgcolor=\"#fef3c7\" style=\"background-color:#fef3c7;border-left:4px solid #d97706;"
                + "padding:10px 14px;\(font)font-size:14px;color:#78350f;\"><strong>Warnings</strong>"
            for warning in report.warnings { warnings += "<br>&#9888; \(h(warning))" }
            block(warnings + "</td></tr></table>")
        }

        section("Seats and costs (licence window, \(report.licenceWindow.days) days)")
        block(
            table(
                ["", "Team model", "Support model"], right: [1, 2],
                [
                    ["Paid seats", ReportFormatting.count(seats.teamUsers), ReportFormatting.count(seats.agents)],
                    ["&nbsp;&nbsp;confirmed agents (roster)", "", ReportFormatting.count(seats.confirmedAgents)],
                    ["&nbsp;&nbsp;inferred agents", "", ReportFormatting.count(seats.inferredAgents)],
                    ["Free submitters", "", ReportFormatting.count(seats.freeSubmitters)],
                    ["Free recipients", "", ReportFormatting.count(seats.freeRecipients)],
                    [
                        "Price per seat and month", h(money(report.costs.teamPricePerUser, report)),
                        h(money(report.costs.supportPricePerAgent, report)),
                    ],
                    [
                        "<strong>Cost per \(report.costs.billing.periodName)</strong>",
                        "<strong>\(h(money(report.costs.teamCost, report)))</strong>",
                        "<strong>\(h(money(report.costs.supportCost, report)))</strong>",
                    ],
                ], escape: false))
        block("<strong>\(h(costLine(report)))</strong><br>\(h(breakEvenLine(report)))")
        for note in report.notes { block("<em>Note:</em> \(h(note))") }

        section("Recommendation")
        block(
            "By cost: <strong>\(h(verdictName(report.recommendation.byCost)))</strong> &nbsp;·&nbsp; "
                + "By the deciding questions: <strong>\(report.recommendation.byQuestions.title)</strong><br>"
                + h(report.recommendation.explanation))

        section("The two deciding questions")
        block("<strong>1. Do only technicians take ownership?</strong> \(h(ownershipAnswer(report)))")
        let owners = report.questions.ownership.outsideRoster
        if !owners.isEmpty {
            list(
                owners.prefix(listLimit).map { "\(h(who($0.address, $0.name))): \(h(reasonsText($0.reasons)))" },
                total: owners.count)
        }
        block("<strong>2. Do only a few submit on behalf of others?</strong> \(h(onBehalfAnswer(report)))")
        let submitters = report.questions.onBehalf.submitters
        if !submitters.isEmpty {
            list(
                submitters.prefix(listLimit).map {
                    "\(h(who($0.address, $0.name))): \(ReportFormatting.count($0.messages)) message"
                        + ($0.messages == 1 ? "" : "s") + ($0.confirmedAgent ? ", on the roster" : "")
                }, total: submitters.count)
        }

        section("Trend: licence-window seats at each week's end")
        body.append(trendChart(report, format))

        section("Seats by window")
        block(
            table(
                ["Window", "From", "To"] + seatColumnTitles, right: Set(3..<(3 + seatColumnTitles.count)),
                report.windows.map { window in
                    ["\(window.days) days", format.day(window.start), format.day(window.end.addingTimeInterval(-1))]
                        + seatColumnValues(window.seats)
                }))

        appendChanges(report, format, section: section, block: block, list: list)

        section("Data quality")
        if !report.dataQuality.folders.isEmpty {
            block(
                table(
                    ["Folder", "Role", "Last successful sync", "Messages", "State"], right: [3],
                    report.dataQuality.folders.map {
                        [
                            "\($0.account)/\($0.folder)", $0.role.rawValue, syncText($0, format),
                            ReportFormatting.count($0.messages), folderState($0),
                        ]
                    }))
        }
        let quality = report.dataQuality
        block(
            h(
                messageCounts(report) + " Excluded addresses: \(excludedText(report)). A sync is stale after "
                    + "\(ReportFormatting.duration(quality.staleAfter))."))
        body.append(
            "<tr><td style=\"padding:16px 24px 20px 24px;\(font)font-size:12px;color:#9ca3af;\">Generated by SeatMeter "
                + "from mail headers. The attached CSV lists every person counted in the licence window.</td></tr>")

        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<title>\(h(title(report, format)))</title>\n</head>\n"
            + "<body style=\"margin:0;padding:0;background-color:#f3f4f6;\">\n"
            + "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
            + "bgcolor=\"#f3f4f6\" style=\"background-color:#f3f4f6;\">"
            + "<tr><td align=\"center\" style=\"padding:16px 8px;\">\n"
            + "<table role=\"presentation\" width=\"680\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
            + "bgcolor=\"#ffffff\" style=\"width:680px;max-width:100%;background-color:#ffffff;\">\n"
            + body.joined(separator: "\n")
            + "\n</table>\n</td></tr></table>\n</body>\n</html>\n"
    }

    private static func appendChanges(
        _ report: SeatReport, _ format: ReportFormatting, section: (String) -> Void, block: (String) -> Void,
        list: ([String], Int) -> Void
    ) {
        let changes = report.changes
        section("Changes since \(changes.previousPeriod.label)")
        block(h(changeSummary(report) + " " + highWaterText(report, format)))
        func people(_ title: String, _ people: [ChangedPerson]) {
            block(
                "<strong>\(title)</strong> (\(ReportFormatting.count(people.count)))" + (people.isEmpty ? ": none" : "")
            )
            if !people.isEmpty {
                list(
                    people.prefix(listLimit).map {
                        h(
                            "\(who($0.address, $0.name)), \($0.role.rawValue)"
                                + ($0.lastSeen.map { ", last seen \(format.day($0))" } ?? ""))
                    }, people.count)
            }
        }
        people("New users", changes.newUsers)
        people("Users gone idle", changes.idleUsers)
        block(
            "<strong>New agents</strong> (\(ReportFormatting.count(changes.newAgents.count)))"
                + (changes.newAgents.isEmpty ? ": none" : ""))
        if !changes.newAgents.isEmpty {
            list(
                changes.newAgents.prefix(listLimit).map { agent in
                    var item = h("\(who(agent.address, agent.name)), \(agent.confirmed ? "confirmed" : "inferred")")
                    for reason in agent.reasons {
                        item += "<br><span style=\"color:#4b5563;\">\(h(reason.summary))"
                        if let evidence = reason.evidence.first {
                            item += h(
                                "; latest \(evidence.date.map(format.day) ?? "undated") \(evidence.folder) "
                                    + "\"\(evidence.subject ?? "")\"")
                        }
                        item += "</span>"
                    }
                    return item
                }, changes.newAgents.count)
        }
        let inactive = changes.inactiveRosterAgents
        block(
            "<strong>Roster agents with no activity in the window</strong> (\(ReportFormatting.count(inactive.count)))"
                + (inactive.isEmpty ? ": none" : ", candidates to free"))
        if !inactive.isEmpty { list(inactive.prefix(listLimit).map(h), inactive.count) }
    }

    /// Two bars per week (users, agents), scaled to the largest user count.
    private static func trendChart(_ report: SeatReport, _ format: ReportFormatting) -> String {
        let peak = max(1, report.trend.map { max($0.seats.teamUsers, $0.seats.agents) }.max() ?? 1)
        var html =
            "<tr><td style=\"padding:4px 24px;\(font)font-size:12px;color:#374151;\">"
            + "<span style=\"color:\(usersColor);\">&#9632;</span> Team users &nbsp; "
            + "<span style=\"color:\(agentsColor);\">&#9632;</span> Agents"
            + "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
            + "style=\"margin-top:6px;border-collapse:collapse;\">"
        for point in report.trend {
            html +=
                "<tr><td width=\"80\" valign=\"middle\" style=\"padding:3px 8px 3px 0;\(font)font-size:12px;"
                + "white-space:nowrap;color:#374151;\">\(h(point.label))</td>"
                + "<td valign=\"middle\" style=\"padding:3px 0;\">"
                + bar(point.seats.teamUsers, peak, usersColor) + bar(point.seats.agents, peak, agentsColor)
                + "</td><td width=\"110\" align=\"right\" valign=\"middle\" style=\"padding:3px 0 3px 8px;\(font)"
                + "font-size:12px;white-space:nowrap;color:#374151;\">"
                + "\(ReportFormatting.count(point.seats.teamUsers)) / \(ReportFormatting.count(point.seats.agents))"
                + "</td></tr>\n"
        }
        return html + "</table></td></tr>"
    }

    private static func bar(_ value: Int, _ peak: Int, _ color: String) -> String {
        let percent = value <= 0 ? 0 : max(1, min(100, Int((Double(value) / Double(peak) * 100).rounded())))
        let cell = "height:7px;line-height:7px;font-size:1px;"
        var html = "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>"
        if percent > 0 {
            html +=
                "<td width=\"\(percent)%\" height=\"7\" bgcolor=\"\(color)\" "
                + "style=\"background-color:\(color);\(cell)\">&nbsp;</td>"
        }
        if percent < 100 { html += "<td width=\"\(100 - percent)%\" height=\"7\" style=\"\(cell)\">&nbsp;</td>" }
        return html + "</tr></table><div style=\"height:2px;line-height:2px;font-size:1px;\">&nbsp;</div>"
    }

    /// A data table; cells are escaped unless `escape` is false (then they are trusted HTML).
    private static func table(_ headers: [String], right: Set<Int>, _ rows: [[String]], escape: Bool = true) -> String {
        let cell = "padding:4px 8px;border-bottom:1px solid #e5e7eb;\(font)font-size:13px;"
        var html =
            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
            + "style=\"border-collapse:collapse;margin:4px 0;\"><tr>"
        for (index, header) in headers.enumerated() {
            html +=
                "<th align=\"\(right.contains(index) ? "right" : "left")\" style=\"\(cell)color:#374151;"
                + "background-color:#f9fafb;font-weight:bold;\">\(h(header))</th>"
        }
        html += "</tr>\n"
        for row in rows {
            html += "<tr>"
            for (index, value) in row.enumerated() {
                html +=
                    "<td align=\"\(right.contains(index) ? "right" : "left")\" style=\"\(cell)color:#1f2937;"
                    + "white-space:nowrap;\">\(escape ? h(value) : value)</td>"
            }
            html += "</tr>\n"
        }
        return html + "</table>"
    }

    /// Escapes text for HTML element content and attribute values.
    static func h(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
