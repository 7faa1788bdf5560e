import Foundation

extension SeatReport {
    /// Classifies the input's messages once (``Classifier/history(_:parallelChunkMinimum:)``) and builds the
    /// report.
    package init(_ input: ReportInput) throws(ClassificationRulesError) {
        let classifier = try Classifier(rules: input.rules)
        self.init(input, history: classifier.history(input.batch ?? ObservationBatch(input.observations)))
    }

    /// Builds the report from a history of the input's messages under the input's rules.
    ///
    /// Windows are calendar days in the input's time zone, half-open `[start, end)`, all ending at a period end:
    /// - the licence window (`licensing.windowDays`) ending at the period's end: seats, costs, questions, people;
    /// - 7/30/90/365-day windows ending at the period's end;
    /// - changes: the licence window ending at the previous period's end (one week earlier);
    /// - high-water mark: the licence windows ending at each of the period's 7 day ends;
    /// - trend: the licence windows ending at each of the last 12 week ends.
    package init(_ input: ReportInput, history: ClassificationHistory) {
        let calendar = ReportCalendar(timeZone: input.timeZone)
        let period = calendar.lastFullWeek(before: input.asOf)
        let days = max(1, input.licensing.windowDays)
        let licenceInterval = calendar.window(days: days, endingAt: period.end)
        let current = history.classification(in: licenceInterval)
        let seats = current.seats
        let previousStart = calendar.adding(days: -7, to: period.start)
        let previousPeriod = ReportPeriod(
            start: previousStart, end: period.start, label: calendar.isoWeek(previousStart))
        let previousInterval = calendar.window(days: days, endingAt: previousPeriod.end)
        let previous = history.classification(in: previousInterval, evidence: false)

        // Every other window's seats, counted at once: the standard windows, and the licence windows ending at each
        // day of the period (high-water mark) and at each trend week's end.
        let dayEnds = (1...7).map { calendar.adding(days: $0, to: period.start) }
        let weekEnds = (0..<Self.trendWeeks).reversed().map { calendar.adding(days: -7 * $0, to: period.end) }
        let standard = Self.standardWindowDays.map { calendar.window(days: $0, endingAt: period.end) }
        var counted: [DateInterval: SeatCounts] = [licenceInterval: seats, previousInterval: previous.seats]
        var missing: [DateInterval] = []
        for interval in standard + (dayEnds + weekEnds).map({ calendar.window(days: days, endingAt: $0) })
        where counted[interval] == nil && !missing.contains(interval) {
            missing.append(interval)
        }
        for (interval, found) in zip(missing, history.seats(in: missing)) { counted[interval] = found }
        func seatsIn(_ interval: DateInterval) -> SeatCounts { counted[interval] ?? history.seats(in: interval) }
        func seatsEnding(_ end: Date) -> SeatCounts { seatsIn(calendar.window(days: days, endingAt: end)) }

        let windows = zip(Self.standardWindowDays, standard).map { windowDays, interval in
            SeatWindow(days: windowDays, start: interval.start, end: interval.end, seats: seatsIn(interval))
        }
        let costs = Self.costs(seats: seats, licensing: input.licensing)
        let questions = Self.questions(current, seats: seats, threshold: input.onBehalfThreshold)
        let recommendation = Self.recommendation(costs: costs, questions: questions, seats: seats)

        var highWater = HighWaterMark(agents: -1, day: period.start)
        for (day, end) in dayEnds.enumerated() {
            let start = calendar.adding(days: day, to: period.start)
            let agents = seatsEnding(end).agents
            if agents > highWater.agents { highWater = HighWaterMark(agents: agents, day: start) }
        }
        let changes = Self.changes(
            current: current, previous: previous, previousPeriod: previousPeriod, highWater: highWater)

        let trend = weekEnds.map { end -> TrendPoint in
            let start = calendar.adding(days: -7, to: end)
            return TrendPoint(weekStart: start, weekEnd: end, label: calendar.isoWeek(start), seats: seatsEnding(end))
        }

        let dataQuality = Self.dataQuality(input, current: current, history: history)
        var warnings = Self.syncWarnings(dataQuality, asOf: input.asOf, timeZone: input.timeZone)
        let format = ReportFormatting(timeZone: input.timeZone)
        let required = ReportInput.requiredRange(
            asOf: input.asOf, timeZone: input.timeZone, licenceWindowDays: days)
        var notes = Self.priceNotes(input.licensing)
        if let first = dataQuality.firstMessage {
            if first > licenceInterval.start.addingTimeInterval(86_400) {
                warnings.append(
                    "The first message is from \(format.day(first)), after the licence window's start "
                        + "(\(format.day(licenceInterval.start))): seat counts cover less than \(days) days.")
            } else if first > required.start.addingTimeInterval(86_400) {
                notes.append(
                    "The first message is from \(format.day(first)): the 365-day window and the oldest trend weeks "
                        + "cover less time than they name.")
            }
        }
        if current.messagesConsidered == 0 {
            warnings.append(
                "No messages in the licence window (\(format.day(licenceInterval.start)) to "
                    + "\(format.day(period.end))): every count is zero.")
        }

        self.init(
            asOf: input.asOf, timeZone: input.timeZone, period: period, licensing: input.licensing,
            licenceWindow: SeatWindow(days: days, start: licenceInterval.start, end: licenceInterval.end, seats: seats),
            windows: windows, costs: costs, questions: questions, recommendation: recommendation, changes: changes,
            trend: trend, dataQuality: dataQuality, warnings: warnings, notes: notes, people: current.people)
    }

    // MARK: - Costs

    static func costs(seats: SeatCounts, licensing: Licensing) -> CostComparison {
        let months = Double(licensing.billing.months)
        let team = licensing.teamPrice.map { Double(seats.teamUsers) * $0 * months }
        let support = licensing.supportPrice.map { Double(seats.agents) * $0 * months }
        var cheaper = CostVerdict.unknown
        var saving: Double?
        if let team, let support {
            let difference = abs(team - support)
            saving = difference < 0.005 ? 0 : difference
            cheaper = difference < 0.005 ? .equal : (team < support ? .team : .support)
        }
        var breakEven: Double?
        if let teamPrice = licensing.teamPrice, let supportPrice = licensing.supportPrice {
            breakEven = teamPrice / supportPrice
        }
        return CostComparison(
            currency: licensing.currency, billing: licensing.billing, teamPricePerUser: licensing.teamPrice,
            supportPricePerAgent: licensing.supportPrice, teamCost: team, supportCost: support, cheaper: cheaper,
            saving: saving, breakEvenAgentShare: breakEven,
            agentShare: seats.teamUsers > 0 ? Double(seats.agents) / Double(seats.teamUsers) : nil)
    }

    static func priceNotes(_ licensing: Licensing) -> [String] {
        switch (licensing.teamPrice, licensing.supportPrice) {
        case (nil, nil):
            return [
                "Prices missing: licensing.team_price_per_user and licensing.support_price_per_agent are not set, "
                    + "so the report shows seats only. The break-even needs both prices."
            ]
        case (nil, _):
            return [
                "Price missing: licensing.team_price_per_user is not set; the Team cost and the break-even need it."
            ]
        case (_, nil):
            return [
                "Price missing: licensing.support_price_per_agent is not set; the Support cost and the break-even "
                    + "need it."
            ]
        default:
            return []
        }
    }

    // MARK: - Questions and recommendation

    static let ownershipKinds: Set<AgentReasonKind> = [.ownershipRule, .outgoingAuthor, .sentAsHelpdesk]

    static func questions(_ current: Classification, seats: SeatCounts, threshold: Double) -> DecidingQuestions {
        let owners = current.people.filter(\.ownershipEvidence)
        let outside = owners.filter { !$0.isConfirmedAgent }.map { person in
            OwnershipHolder(
                address: person.address, name: person.name,
                reasons: (person.agent?.reasons ?? []).filter { ownershipKinds.contains($0.kind) })
        }
        let submitters = current.people.filter { $0.onBehalfCount > 0 }
            .map {
                OnBehalfSubmitter(
                    address: $0.address, name: $0.name, messages: $0.onBehalfCount, confirmedAgent: $0.isConfirmedAgent)
            }
            .sorted { $0.messages != $1.messages ? $0.messages > $1.messages : $0.address < $1.address }
        let share = seats.teamUsers > 0 ? Double(submitters.count) / Double(seats.teamUsers) : 0
        return DecidingQuestions(
            ownership: OwnershipQuestion(
                onlyTechnicians: outside.isEmpty, outsideRoster: outside, peopleWithOwnershipEvidence: owners.count),
            onBehalf: OnBehalfQuestion(
                onlyAFew: share <= threshold + 1e-12, submitters: submitters, share: share, threshold: threshold))
    }

    static func recommendation(costs: CostComparison, questions: DecidingQuestions, seats: SeatCounts)
        -> Recommendation
    {
        let ownership = questions.ownership
        let onBehalf = questions.onBehalf
        let byQuestions: LicensingModel = ownership.onlyTechnicians || onBehalf.onlyAFew ? .support : .team
        var sentences: [String] = []

        let owners = ownership.outsideRoster.count
        let ownersText =
            owners == 1
            ? "1 person outside the agent roster took ownership"
            : "\(ReportFormatting.count(owners)) people outside the agent roster took ownership"
        let submitterText =
            "\(ReportFormatting.count(onBehalf.submitters.count)) of \(ReportFormatting.count(seats.teamUsers)) users "
            + "(\(ReportFormatting.percent(onBehalf.share))) submitted on behalf of others"
        let thresholdText = "the \(ReportFormatting.percent(onBehalf.threshold)) threshold"
        switch (ownership.onlyTechnicians, onBehalf.onlyAFew) {
        case (true, true):
            sentences.append(
                "Both deciding questions point to Support: only roster agents took ownership, and \(submitterText), "
                    + "within \(thresholdText).")
        case (true, false):
            sentences.append(
                "The questions point to Support: only roster agents took ownership (though \(submitterText), above "
                    + "\(thresholdText)).")
        case (false, true):
            sentences.append(
                "The questions point to Support: \(submitterText), within \(thresholdText) (though \(ownersText)).")
        case (false, false):
            sentences.append(
                "The questions point to Team: \(ownersText), and \(submitterText), above \(thresholdText).")
        }
        if ownership.peopleWithOwnershipEvidence == 0 {
            sentences.append(
                "Nobody showed ownership evidence (no mail in an outgoing folder, no ownership rule matched), so "
                    + "question 1 rests on the roster alone.")
        }

        let per = costs.billing.periodName
        let share = costs.agentShare.map(ReportFormatting.percent) ?? "–"
        let breakEven = costs.breakEvenAgentShare.map(ReportFormatting.percent) ?? "–"
        switch costs.cheaper {
        case .unknown:
            sentences.append("Costs cannot be compared: prices are missing.")
        case .equal:
            sentences.append(
                "Both models cost the same (\(ReportFormatting.money(costs.teamCost ?? 0, costs.currency)) "
                    + "per \(per)); "
                    + "agents are \(share) of users, exactly the break-even.")
        case .support, .team:
            let cheaper = costs.cheaper == .support ? LicensingModel.support : .team
            let other = cheaper == .support ? LicensingModel.team : .support
            let cheaperCost = (cheaper == .support ? costs.supportCost : costs.teamCost) ?? 0
            let otherCost = (cheaper == .support ? costs.teamCost : costs.supportCost) ?? 0
            sentences.append(
                "\(cheaper.title) is cheaper: \(ReportFormatting.money(cheaperCost, costs.currency)) against "
                    + "\(ReportFormatting.money(otherCost, costs.currency)) per \(per) for \(other.title), a saving of "
                    + "\(ReportFormatting.money(costs.saving ?? 0, costs.currency)); agents are \(share) of users, "
                    + (cheaper == .support ? "below" : "above") + " the break-even \(breakEven).")
        }

        let agree = costs.cheaper.rawValue == byQuestions.rawValue
        if costs.cheaper == .equal {
            sentences.append("With equal costs the questions decide: \(byQuestions.title).")
        }
        if !agree, costs.cheaper == .team || costs.cheaper == .support {
            if byQuestions == .support {
                sentences.append(
                    "The verdicts differ: the desk works the Support way, but so many people act as agents (\(share) "
                        + "of users, break-even \(breakEven)) that paying per agent costs more. If the "
                        + "\(ReportFormatting.count(seats.inferredAgents)) inferred agents need no agent seat, "
                        + "Support gets cheaper.")
            } else {
                sentences.append(
                    "The verdicts differ: Support is cheaper even with every inferred agent counted as a paid agent, "
                        + "but the work is spread over many people; Support suits the desk only if those people can "
                        + "be given agent seats.")
            }
        }
        return Recommendation(
            byCost: costs.cheaper, byQuestions: byQuestions, agree: agree,
            explanation: sentences.joined(separator: " "))
    }

    // MARK: - Changes

    static func changes(
        current: Classification, previous: Classification, previousPeriod: ReportPeriod, highWater: HighWaterMark
    ) -> ReportChanges {
        let newUsers = current.people.filter { previous.person($0.address) == nil }
            .map { ChangedPerson(address: $0.address, name: $0.name, role: $0.role, lastSeen: $0.lastSeen) }
        let idleUsers = previous.people.filter { current.person($0.address) == nil }
            .map { ChangedPerson(address: $0.address, name: $0.name, role: $0.role, lastSeen: $0.lastSeen) }
        let newAgents = current.people.compactMap { person -> NewAgent? in
            guard person.role == .agent else { return nil }
            let before = previous.person(person.address)?.role
            guard before != .agent else { return nil }
            return NewAgent(
                address: person.address, name: person.name, confirmed: person.isConfirmedAgent, previousRole: before,
                reasons: person.agent?.reasons ?? [])
        }
        return ReportChanges(
            previousPeriod: previousPeriod, previousSeats: previous.seats, newUsers: newUsers, idleUsers: idleUsers,
            newAgents: newAgents, inactiveRosterAgents: current.inactiveRosterAgents, highWaterMark: highWater)
    }

    // MARK: - Data quality

    /// Stale after 2 poll intervals, at most 24 h; 24 h when not polling.
    static func staleAfter(pollInterval: TimeInterval) -> TimeInterval {
        pollInterval > 0 ? min(2 * pollInterval, 86_400) : 86_400
    }

    static func dataQuality(_ input: ReportInput, current: Classification, history: ClassificationHistory)
        -> DataQuality
    {
        let staleAfter = staleAfter(pollInterval: input.dataQuality.pollInterval)
        let folders = input.dataQuality.folders.map { folder in
            FolderStatus(
                folder, stale: folder.lastSuccessfulSync.map { input.asOf.timeIntervalSince($0) > staleAfter } ?? true)
        }
        let byKind = current.excludedCountByKind
        let excluded = ExclusionKind.allCases.compactMap { kind in
            byKind[kind].map { ExcludedCount(kind: kind, addresses: $0) }
        }
        return DataQuality(
            folders: folders, staleAfter: staleAfter, messagesIngested: input.dataQuality.messagesIngested,
            messagesWithDefects: input.dataQuality.messagesWithDefects,
            messagesInLicenceWindow: current.messagesConsidered, undatedMessages: current.undatedMessagesSkipped,
            excludedByReason: excluded, firstMessage: history.dateRange?.lowerBound,
            lastMessage: history.dateRange?.upperBound, authAlarms: input.dataQuality.authAlarms,
            deliveryFailures: input.dataQuality.deliveryFailures,
            rejectedRecipients: input.dataQuality.rejectedRecipients)
    }

    static func syncWarnings(_ quality: DataQuality, asOf: Date, timeZone: TimeZone) -> [String] {
        let format = ReportFormatting(timeZone: timeZone)
        // Alarms first: they mean mail is not being read at all.
        var warnings = quality.authAlarms.map { alarm in
            "Authentication alarm since \(format.minute(alarm.since)): \(alarm.message). Until the credential is "
                + "renewed no mail is read for it and its counts go stale (see the README, \"OAuth2 mailboxes\")."
        }
        warnings += deliveryWarnings(quality, calendar: ReportCalendar(timeZone: timeZone))
        for folder in quality.folders {
            let name = "\(folder.account)/\(folder.folder)"
            if folder.stale {
                if let last = folder.lastSuccessfulSync {
                    warnings.append(
                        "Stale sync: \(name) last synced \(format.minute(last)), "
                            + "\(ReportFormatting.duration(asOf.timeIntervalSince(last))) before the report time "
                            + "(stale after \(ReportFormatting.duration(quality.staleAfter))); recent mail may be "
                            + "missing."
                    )
                } else {
                    warnings.append("Stale sync: \(name) has never synced successfully; its mail is missing.")
                }
            }
            if let error = folder.lastError, !error.isEmpty {
                warnings.append("Sync error: \(name): \(error)")
            }
        }
        return warnings
    }

    /// Reports that did not reach their readers: failed deliveries not followed by a successful one, and the
    /// recipients refused by the last delivery.
    static func deliveryWarnings(_ quality: DataQuality, calendar: ReportCalendar) -> [String] {
        let format = ReportFormatting(timeZone: calendar.timeZone)
        var warnings = quality.deliveryFailures.map { failure in
            "Report delivery failed: the report for \(calendar.isoWeek(failure.periodStart)) was not sent (last attempt "
                + "\(format.minute(failure.lastAttempt)), \(failure.attempts) attempt"
                + "\(failure.attempts == 1 ? "" : "s")): \(failure.error)"
        }
        if let rejected = quality.rejectedRecipients, !rejected.addresses.isEmpty {
            warnings.append(
                "Report recipients rejected: the report for \(calendar.isoWeek(rejected.periodStart)) sent \(format.minute(rejected.sentAt)) did not reach "
                    + "\(rejected.addresses.joined(separator: ", ")) (refused by the SMTP server).")
        }
        return warnings
    }
}
