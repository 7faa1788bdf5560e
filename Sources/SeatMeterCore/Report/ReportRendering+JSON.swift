import Foundation

extension ReportRendering {
    /// The whole report as ordered JSON; the schema is documented in REPORT-JSON.md.
    package static func json(_ report: SeatReport) -> JSONValue {
        let format = ReportFormatting(timeZone: report.timeZone)
        let seats = report.licenceWindow.seats
        let costs = report.costs
        @Sendable func date(_ value: Date?) -> JSONValue { value.map { .string(format.iso($0)) } ?? .null }
        func money(_ value: Double?) -> JSONValue { value.map { .double(($0 * 100).rounded() / 100) } ?? .null }
        func share(_ value: Double?) -> JSONValue { value.map { .double(($0 * 10_000).rounded() / 10_000) } ?? .null }
        func period(_ period: ReportPeriod) -> JSONValue {
            .object([("start", date(period.start)), ("end", date(period.end)), ("label", .string(period.label))])
        }
        func seatFields(_ seats: SeatCounts) -> [(String, JSONValue)] {
            [
                ("team_users", .int(seats.teamUsers)), ("agents", .int(seats.agents)),
                ("confirmed_agents", .int(seats.confirmedAgents)), ("inferred_agents", .int(seats.inferredAgents)),
                ("free_submitters", .int(seats.freeSubmitters)), ("free_recipients", .int(seats.freeRecipients)),
            ]
        }
        func window(_ window: SeatWindow) -> JSONValue {
            .object(
                [("days", .int(window.days)), ("start", date(window.start)), ("end", date(window.end))]
                    + seatFields(window.seats))
        }
        @Sendable func evidence(_ evidence: Evidence) -> JSONValue {
            .object([
                ("date", date(evidence.date)), ("account", .string(evidence.account)),
                ("folder", .string(evidence.folder)), ("message_id", .optional(evidence.messageID)),
                ("subject", .optional(evidence.subject)), ("detail", .optional(evidence.detail)),
            ])
        }
        @Sendable func reason(_ reason: AgentReason) -> JSONValue {
            .object([
                ("kind", .string(reason.kind.rawValue)), ("summary", .string(reason.summary)),
                ("evidence_count", .int(reason.evidenceCount)), ("evidence", .array(reason.evidence.map(evidence))),
            ])
        }
        func changed(_ person: ChangedPerson) -> JSONValue {
            .object([
                ("address", .string(person.address)), ("name", .string(person.name)),
                ("role", .string(person.role.rawValue)), ("last_seen", date(person.lastSeen)),
            ])
        }

        let ownership = report.questions.ownership
        let onBehalf = report.questions.onBehalf
        let changes = report.changes
        let quality = report.dataQuality
        return .object([
            ("schema", .string("seatmeter-report/1")),
            ("as_of", date(report.asOf)),
            ("time_zone", .string(report.timeZone.identifier)),
            ("period", period(report.period)),
            ("currency", .string(costs.currency)),
            ("billing", .string(costs.billing.rawValue)),
            ("licence_window_days", .int(report.licenceWindow.days)),
            ("warnings", .array(report.warnings.map { .string($0) })),
            ("notes", .array(report.notes.map { .string($0) })),
            (
                "team",
                .object([
                    ("users", .int(seats.teamUsers)), ("price_per_user", money(costs.teamPricePerUser)),
                    ("cost", money(costs.teamCost)),
                ])
            ),
            (
                "support",
                .object([
                    ("agents", .int(seats.agents)), ("confirmed_agents", .int(seats.confirmedAgents)),
                    ("inferred_agents", .int(seats.inferredAgents)), ("free_submitters", .int(seats.freeSubmitters)),
                    ("free_recipients", .int(seats.freeRecipients)),
                    ("price_per_agent", money(costs.supportPricePerAgent)), ("cost", money(costs.supportCost)),
                ])
            ),
            (
                "costs",
                .object([
                    ("per", .string(costs.billing.periodName)), ("team", money(costs.teamCost)),
                    ("support", money(costs.supportCost)), ("cheaper", .string(costs.cheaper.rawValue)),
                    ("saving", money(costs.saving)),
                ])
            ),
            (
                "break_even",
                .object([
                    ("agent_share", share(costs.breakEvenAgentShare)), ("current_agent_share", share(costs.agentShare)),
                ])
            ),
            (
                "recommendation",
                .object([
                    ("by_cost", .string(report.recommendation.byCost.rawValue)),
                    ("by_questions", .string(report.recommendation.byQuestions.rawValue)),
                    ("agree", .bool(report.recommendation.agree)),
                    ("explanation", .string(report.recommendation.explanation)),
                ])
            ),
            (
                "questions",
                .object([
                    (
                        "ownership",
                        .object([
                            ("only_technicians_take_ownership", .bool(ownership.onlyTechnicians)),
                            ("people_with_ownership_evidence", .int(ownership.peopleWithOwnershipEvidence)),
                            (
                                "outside_roster",
                                .array(
                                    ownership.outsideRoster.concurrentMap { holder in
                                        .object([
                                            ("address", .string(holder.address)), ("name", .string(holder.name)),
                                            ("reasons", .array(holder.reasons.map(reason))),
                                        ])
                                    })
                            ),
                        ])
                    ),
                    (
                        "on_behalf",
                        .object([
                            ("only_a_few", .bool(onBehalf.onlyAFew)), ("count", .int(onBehalf.submitters.count)),
                            ("share", share(onBehalf.share)), ("threshold", share(onBehalf.threshold)),
                            (
                                "submitters",
                                .array(
                                    onBehalf.submitters.map { submitter in
                                        .object([
                                            ("address", .string(submitter.address)), ("name", .string(submitter.name)),
                                            ("messages", .int(submitter.messages)),
                                            ("confirmed_agent", .bool(submitter.confirmedAgent)),
                                        ])
                                    })
                            ),
                        ])
                    ),
                ])
            ),
            ("licence_window", window(report.licenceWindow)),
            ("windows", .array(report.windows.map(window))),
            (
                "changes",
                .object([
                    ("previous_period", period(changes.previousPeriod)),
                    ("previous", .object(seatFields(changes.previousSeats))),
                    ("team_users_delta", .int(seats.teamUsers - changes.previousSeats.teamUsers)),
                    ("agents_delta", .int(seats.agents - changes.previousSeats.agents)),
                    ("new_users", .array(changes.newUsers.map(changed))),
                    ("idle_users", .array(changes.idleUsers.map(changed))),
                    (
                        "new_agents",
                        .array(
                            changes.newAgents.map { agent in
                                .object([
                                    ("address", .string(agent.address)), ("name", .string(agent.name)),
                                    ("confirmed", .bool(agent.confirmed)),
                                    ("previous_role", .optional(agent.previousRole?.rawValue)),
                                    ("reasons", .array(agent.reasons.map(reason))),
                                ])
                            })
                    ),
                    ("inactive_roster_agents", .array(changes.inactiveRosterAgents.map { .string($0) })),
                    (
                        "high_water_mark",
                        .object([
                            ("agents", .int(changes.highWaterMark.agents)), ("day", date(changes.highWaterMark.day)),
                        ])
                    ),
                ])
            ),
            (
                "trend",
                .array(
                    report.trend.map { point in
                        .object(
                            [
                                ("week_start", date(point.weekStart)), ("week_end", date(point.weekEnd)),
                                ("label", .string(point.label)),
                            ] + seatFields(point.seats))
                    })
            ),
            (
                "data_quality",
                .object([
                    ("stale_after_seconds", .int(Int(quality.staleAfter))),
                    (
                        "folders",
                        .array(
                            quality.folders.map { folder in
                                .object([
                                    ("account", .string(folder.account)), ("folder", .string(folder.folder)),
                                    ("role", .string(folder.role.rawValue)),
                                    ("last_successful_sync", date(folder.lastSuccessfulSync)),
                                    ("messages", .int(folder.messages)), ("last_error", .optional(folder.lastError)),
                                    ("stale", .bool(folder.stale)),
                                ])
                            })
                    ),
                    ("messages_ingested", .int(quality.messagesIngested)),
                    ("messages_with_defects", .int(quality.messagesWithDefects)),
                    ("messages_in_licence_window", .int(quality.messagesInLicenceWindow)),
                    ("undated_messages", .int(quality.undatedMessages)),
                    (
                        "excluded_by_reason",
                        .object(quality.excludedByReason.map { ($0.kind.rawValue, .int($0.addresses)) })
                    ),
                    ("first_message", date(quality.firstMessage)), ("last_message", date(quality.lastMessage)),
                    (
                        "auth_alarms",
                        .array(
                            quality.authAlarms.map { alarm in
                                .object([
                                    ("subject", .string(alarm.subject)), ("since", date(alarm.since)),
                                    ("message", .string(alarm.message)),
                                ])
                            })
                    ),
                    (
                        "delivery_failures",
                        .array(
                            quality.deliveryFailures.map { failure in
                                .object([
                                    ("period_start", date(failure.periodStart)),
                                    ("period_end", date(failure.periodEnd)),
                                    ("last_attempt", date(failure.lastAttempt)), ("attempts", .int(failure.attempts)),
                                    ("error", .string(failure.error)),
                                ])
                            })
                    ),
                    (
                        "rejected_recipients",
                        quality.rejectedRecipients.map { rejected in
                            .object([
                                ("period_start", date(rejected.periodStart)), ("sent_at", date(rejected.sentAt)),
                                ("addresses", .array(rejected.addresses.map { .string($0) })),
                            ])
                        } ?? .null
                    ),
                ])
            ),
            ("people", .array(report.people.concurrentMap { person(json: $0, format: format) })),
        ])
    }

    /// One person as in `seatmeter users --format json`, plus `on_behalf` and `ownership_evidence`.
    static func person(json person: PersonVerdict, format: ReportFormatting) -> JSONValue {
        let agent: JSONValue =
            person.agent.map { status in
                .object([
                    ("confirmed", .bool(status.confirmed)),
                    ("reasons", .array(status.reasons.map { .string($0.kind.rawValue) })),
                ])
            } ?? .null
        return .object([
            ("address", .string(person.address)), ("name", .string(person.name)),
            ("role", .string(person.role.rawValue)),
            ("agent", agent), ("first_seen", person.firstSeen.map { .string(format.iso($0)) } ?? .null),
            ("last_seen", person.lastSeen.map { .string(format.iso($0)) } ?? .null), ("sent", .int(person.sent)),
            ("received", .int(person.received)), ("on_behalf", .int(person.onBehalfCount)),
            ("ownership_evidence", .bool(person.ownershipEvidence)),
        ])
    }
}
