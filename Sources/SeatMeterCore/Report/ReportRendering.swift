import Foundation

/// The report's output formats (`seatmeter report --format`).
package enum ReportFormat: String, Sendable, Hashable, CaseIterable {
    case text
    case markdown
    case html
    case csv
    case json

    /// The MIME type of the rendering.
    package var mediaType: String {
        switch self {
        case .text: "text/plain; charset=utf-8"
        case .markdown: "text/markdown; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        }
    }

    /// The usual file extension.
    package var fileExtension: String {
        switch self {
        case .text: "txt"
        case .markdown: "md"
        case .html: "html"
        case .csv: "csv"
        case .json: "json"
        }
    }
}

/// Renders a ``SeatReport``. Pure: the same report gives the same bytes.
///
/// Human formats (text, Markdown, HTML) put warnings first and cap long lists at ``listLimit`` entries ("… and 40
/// more"); the CSV and the JSON are complete.
package enum ReportRendering {
    /// Entries shown per list in the human formats.
    package static let listLimit = 25

    package static func render(_ report: SeatReport, as format: ReportFormat) -> String {
        switch format {
        case .text: text(report)
        case .markdown: markdown(report)
        case .html: html(report)
        case .csv: csv(report)
        case .json: String(decoding: renderedBytes(report, as: .json), as: UTF8.self)
        }
    }

    /// ``render(_:as:)`` as UTF-8 bytes; for JSON, the megabytes of a large report are never copied into a string.
    package static func renderedBytes(_ report: SeatReport, as format: ReportFormat) -> [UInt8] {
        guard format == .json else { return Array(render(report, as: format).utf8) }
        var bytes = json(report).serializedBytes(pretty: true)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The e-mail subject: `SeatMeter 2025-W02: 1,234 Team users, 56 agents — Support is cheaper`.
    package static func subject(_ report: SeatReport) -> String {
        let seats = report.licenceWindow.seats
        var subject =
            "SeatMeter \(report.period.label): \(ReportFormatting.count(seats.teamUsers)) Team users, "
            + "\(ReportFormatting.count(seats.agents)) agents"
        switch report.costs.cheaper {
        case .team: subject += " — Team is cheaper"
        case .support: subject += " — Support is cheaper"
        case .equal: subject += " — both cost the same"
        case .unknown: break
        }
        if !report.warnings.isEmpty {
            subject += " (\(report.warnings.count) warning\(report.warnings.count == 1 ? "" : "s"))"
        }
        return subject
    }

    // MARK: - Shared wording

    static func title(_ report: SeatReport, _ format: ReportFormatting) -> String {
        "SeatMeter licence report \(report.period.label) (\(format.day(report.period.start)) to "
            + "\(format.day(report.period.end.addingTimeInterval(-1))))"
    }

    static func subtitle(_ report: SeatReport, _ format: ReportFormatting) -> String {
        "As of \(format.minute(report.asOf)) \(report.timeZone.identifier) · licence window "
            + "\(report.licenceWindow.days) days (\(format.day(report.licenceWindow.start)) to "
            + "\(format.day(report.licenceWindow.end.addingTimeInterval(-1))))"
    }

    static func money(_ value: Double?, _ report: SeatReport) -> String {
        value.map { ReportFormatting.money($0, report.costs.currency) } ?? "–"
    }

    static func costLine(_ report: SeatReport) -> String {
        let costs = report.costs
        let per = costs.billing.periodName
        switch costs.cheaper {
        case .unknown:
            return "Costs cannot be compared: prices are missing."
        case .equal:
            return "Both models cost the same: \(money(costs.teamCost, report)) per \(per)."
        case .team, .support:
            let model = costs.cheaper == .team ? LicensingModel.team : .support
            return "\(model.title) is cheaper by \(money(costs.saving, report)) per \(per)."
        }
    }

    static func breakEvenLine(_ report: SeatReport) -> String {
        let costs = report.costs
        guard let breakEven = costs.breakEvenAgentShare else {
            return
                "Break-even: needs both prices (licensing.team_price_per_user and licensing.support_price_per_agent)."
        }
        let share = costs.agentShare.map(ReportFormatting.percent) ?? "no users yet"
        return "Break-even: Support costs less while agents are under \(ReportFormatting.percent(breakEven)) of "
            + "users (team price ÷ support price); now \(share)."
    }

    static func ownershipAnswer(_ report: SeatReport) -> String {
        let question = report.questions.ownership
        if question.onlyTechnicians {
            return question.peopleWithOwnershipEvidence == 0
                ? "Yes: nobody outside the roster took ownership (no ownership evidence at all in the window)."
                : "Yes: only roster agents took ownership."
        }
        let count = question.outsideRoster.count
        let people = "\(ReportFormatting.count(count)) \(count == 1 ? "person" : "people")"
        return "No: \(people) outside the agent roster took ownership."
    }

    static func onBehalfAnswer(_ report: SeatReport) -> String {
        let question = report.questions.onBehalf
        let detail =
            "\(ReportFormatting.count(question.submitters.count)) of "
            + "\(ReportFormatting.count(report.licenceWindow.seats.teamUsers)) users "
            + "(\(ReportFormatting.percent(question.share))) submitted on behalf of others; threshold "
            + "\(ReportFormatting.percent(question.threshold))."
        return (question.onlyAFew ? "Yes: " : "No: ") + detail
    }

    static func verdictName(_ verdict: CostVerdict) -> String {
        switch verdict {
        case .team: "Team"
        case .support: "Support"
        case .equal: "either (same cost)"
        case .unknown: "unknown (prices missing)"
        }
    }

    static func reasonsText(_ reasons: [AgentReason]) -> String {
        reasons.map { reason in
            reason.kind == .roster ? "roster" : "\(reason.kind.rawValue) (\(reason.evidenceCount))"
        }.joined(separator: ", ")
    }

    static func who(_ address: String, _ name: String) -> String {
        name.isEmpty ? address : "\(address) (\(name))"
    }

    static func delta(_ now: Int, _ before: Int) -> String {
        let difference = now - before
        return difference == 0 ? "±0" : (difference > 0 ? "+" : "") + ReportFormatting.count(difference)
    }

    static func more(_ total: Int) -> String? {
        total > listLimit ? "… and \(ReportFormatting.count(total - listLimit)) more (all in the CSV and JSON)" : nil
    }

    /// The seat columns of the windows table.
    static let seatColumnTitles = [
        "Team users", "Agents", "Confirmed", "Inferred", "Free submitters", "Free recipients",
    ]

    /// The values for ``seatColumnTitles``, formatted.
    static func seatColumnValues(_ seats: SeatCounts) -> [String] {
        [
            seats.teamUsers, seats.agents, seats.confirmedAgents, seats.inferredAgents, seats.freeSubmitters,
            seats.freeRecipients,
        ].map(ReportFormatting.count)
    }

    /// "Team users 6 → 7 (+1), agents 2 → 3 (+1)."
    static func changeSummary(_ report: SeatReport) -> String {
        let before = report.changes.previousSeats
        let now = report.licenceWindow.seats
        let users = "\(ReportFormatting.count(before.teamUsers)) → \(ReportFormatting.count(now.teamUsers))"
        let agents = "\(ReportFormatting.count(before.agents)) → \(ReportFormatting.count(now.agents))"
        return "Team users \(users) (\(delta(now.teamUsers, before.teamUsers))), agents \(agents) "
            + "(\(delta(now.agents, before.agents)))."
    }

    /// "High-water mark: 4 agents on 2025-01-10 (licence window ending that day)."
    static func highWaterText(_ report: SeatReport, _ format: ReportFormatting) -> String {
        let mark = report.changes.highWaterMark
        return "High-water mark: \(ReportFormatting.count(mark.agents)) agents on \(format.day(mark.day)) "
            + "(licence window ending that day)."
    }

    /// "Messages ingested 13, with header defects 2, in the licence window 11, undated 0."
    static func messageCounts(_ report: SeatReport) -> String {
        let quality = report.dataQuality
        return "Messages ingested \(ReportFormatting.count(quality.messagesIngested)), with header defects "
            + "\(ReportFormatting.count(quality.messagesWithDefects)), in the licence window "
            + "\(ReportFormatting.count(quality.messagesInLicenceWindow)), undated "
            + "\(ReportFormatting.count(quality.undatedMessages))."
    }

    static func excludedText(_ report: SeatReport) -> String {
        let parts = report.dataQuality.excludedByReason.map {
            "\($0.kind.rawValue) \(ReportFormatting.count($0.addresses))"
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    static func syncText(_ folder: FolderStatus, _ format: ReportFormatting) -> String {
        folder.lastSuccessfulSync.map(format.minute) ?? "never"
    }

    static func folderState(_ folder: FolderStatus) -> String {
        if folder.stale { return "STALE" }
        if let error = folder.lastError, !error.isEmpty { return "error" }
        return "ok"
    }
}
