import Foundation

extension ClassificationRun {
    func result() -> Classification {
        var seenAs: [Int32: Set<String>] = [:]
        for (written, entry) in raw where written != persons[Int(entry.person)].identity {
            seenAs[entry.person, default: []].insert(written)
        }
        let order = persons.indices.sorted { persons[$0].identity < persons[$1].identity }
        var people: [PersonVerdict] = []
        var excluded: [ExcludedAddress] = []
        people.reserveCapacity(persons.count)
        var counted = Set<String>()
        for index in order {
            let person = persons[index]
            let inferred = Track.agentKinds.filter { tracker(index, $0.0).count > 0 }
            if person.exclusion == nil, person.sent > 0 || person.received > 0 || !inferred.isEmpty {
                people.append(verdict(index, inferred: inferred, seenAs: seenAs[Int32(index)]))
                counted.insert(person.identity)
            } else if let address = exclusion(index) {
                excluded.append(address)
            }
        }
        let inactive = compiled.rosterAddresses.filter { !counted.contains($0) }.sorted()
        return Classification(
            people: people, excluded: excluded, inactiveRosterAgents: inactive, messagesConsidered: considered,
            undatedMessagesSkipped: undated)
    }

    private func tracker(_ person: Int, _ kind: Track) -> Tracker {
        trackers[person * Self.trackCount + kind.rawValue]
    }

    private func verdict(_ index: Int, inferred: [(Track, AgentReasonKind)], seenAs: Set<String>?) -> PersonVerdict {
        let person = persons[index]
        var reasons: [AgentReason] = []
        if let roster = person.roster {
            let summary: String
            switch roster {
            case .address:
                summary = "listed as agent in \(compiled.rules.agentRosterSource ?? "organization.agents.addresses")"
            case .domain(let domain):
                summary = "domain \(domain) is listed in organization.agents.domains"
            }
            reasons.append(AgentReason(kind: .roster, summary: summary))
        }
        for (track, kind) in inferred {
            let t = tracker(index, track)
            reasons.append(
                AgentReason(
                    kind: kind, summary: agentSummary(kind, count: Int(t.count), person: person),
                    evidence: evidence(t, track), evidenceCount: Int(t.count)))
        }
        let activity: [ActivityReason] = [(Track.submitted, ActivityKind.submitted), (.received, .received)]
            .compactMap { track, kind in
                let t = tracker(index, track)
                guard t.count > 0 else { return nil }
                let summary =
                    kind == .submitted
                    ? "sent \(Self.messages(Int(t.count))) to the help desk"
                    : "received \(Self.messages(Int(t.count))) of help desk mail (To/Cc/Bcc)"
                return ActivityReason(
                    kind: kind, summary: summary, evidence: evidence(t, track), evidenceCount: Int(t.count))
            }
        let role: PersonRole
        if !reasons.isEmpty {
            role = .agent
        } else if tracker(index, .submitted).count > 0 || person.received == 0 {
            role = .freeSubmitter
        } else {
            role = .freeRecipient
        }
        let ownership = [Track.ownership, .outgoingAuthor, .sentAsHelpdesk].contains { tracker(index, $0).count > 0 }
        return PersonVerdict(
            address: person.identity, name: person.name, role: role,
            agent: role == .agent ? AgentStatus(confirmed: person.roster != nil, reasons: reasons) : nil,
            firstSeen: person.first.isFinite ? Date(timeIntervalSinceReferenceDate: person.first) : nil,
            lastSeen: person.last.isFinite ? Date(timeIntervalSinceReferenceDate: person.last) : nil,
            sent: Int(person.sent), received: Int(person.received), onBehalfCount: Int(person.onBehalf),
            ownershipEvidence: ownership, activity: activity, seenAs: (seenAs ?? []).sorted())
    }

    private func agentSummary(_ kind: AgentReasonKind, count: Int, person: Person) -> String {
        let n = Self.messages(count)
        switch kind {
        case .roster:
            return "on the roster"
        case .onBehalf:
            return "sent \(n) on behalf of someone else (Sender differs from From)"
        case .resent:
            return "re-sent \(n) written by someone else (Resent-From/Resent-Sender differs from From)"
        case .outgoingAuthor:
            return "authored \(n) in the help desk's outgoing folders"
        case .sentAsHelpdesk:
            return "sent \(n) as the help desk (Sender of mail From a help desk address)"
        case .ownershipRule:
            let names = person.ownershipRules.map { "\"\(compiled.ownership[$0].name)\"" }
            return "named owner in \(n) by ownership rule \(names.joined(separator: ", "))"
        }
    }

    private func exclusion(_ index: Int) -> ExcludedAddress? {
        let person = persons[index]
        var reasons: [ExclusionReason] = []
        if let exclusion = person.exclusion {
            let t = tracker(index, .excludedAddress)
            let kind: ExclusionKind
            let summary: String
            switch exclusion {
            case .helpdesk(let configured):
                kind = .helpdesk
                summary =
                    configured.lowercased() == person.identity.lowercased()
                    ? "a help desk address (organization.helpdesk_addresses)"
                    : "the help desk address \(configured) (organization.helpdesk_addresses), through an alias"
            case .ignored(let pattern):
                kind = .ignored
                summary = "matches organization.ignore pattern \"\(pattern)\""
            case .system(let pattern):
                kind = .system
                summary = "a system sender: local part matches \"\(pattern)\""
            case .external:
                kind = .external
                summary =
                    "domain \(IdentityResolver.domain(of: person.identity)) is not in organization.internal_domains"
                    + " and count_external is false"
            }
            reasons.append(
                ExclusionReason(
                    kind: kind, summary: summary, evidence: evidence(t, .excludedAddress),
                    evidenceCount: Int(t.count)))
        } else {
            let messageLevel: [(Track, ExclusionKind, String)] = [
                (.ignoredAsWritten, .ignored, "written as an address matching organization.ignore in"),
                (
                    .automatedSender, .automatedSender,
                    "only sent automated mail (out-of-office, list, bounce or notification):"
                ),
                (.automatedMail, .automatedMail, "only appeared in automated mail the help desk did not send:"),
                (.replyTo, .replyToOnly, "only appeared in Reply-To, which is not counted:"),
            ]
            for (track, kind, text) in messageLevel {
                let t = tracker(index, track)
                guard t.count > 0 else { continue }
                reasons.append(
                    ExclusionReason(
                        kind: kind, summary: "\(text) \(Self.messages(Int(t.count)))", evidence: evidence(t, track),
                        evidenceCount: Int(t.count)))
            }
        }
        guard !reasons.isEmpty else { return nil }
        return ExcludedAddress(address: person.identity, name: person.name, reasons: reasons)
    }

    private func evidence(_ tracker: Tracker, _ kind: Track) -> [Evidence] {
        tracker.sortedTop.map { entry in
            let message = observations[Int(entry.observation)]
            let location = entry.location >= 0 ? message.locations[Int(entry.location)] : nil
            return Evidence(
                date: entry.rank.isFinite ? Date(timeIntervalSinceReferenceDate: entry.rank) : nil,
                account: location?.account ?? "", folder: location?.folder ?? "", messageID: message.messageID,
                subject: message.subject, detail: detail(kind, entry: entry, message: message))
        }
    }

    private func detail(_ kind: Track, entry: Entry, message: MessageObservation) -> String? {
        let other = entry.aux >= 0 && Int(entry.aux) < persons.count ? persons[Int(entry.aux)].identity : nil
        switch kind {
        case .onBehalf: return other.map { "on behalf of \($0)" }
        case .resent: return other.map { "re-sent mail from \($0)" }
        case .sentAsHelpdesk: return other.map { "From \($0)" }
        case .ownership:
            return entry.aux >= 0 && Int(entry.aux) < compiled.ownership.count
                ? "rule \"\(compiled.ownership[Int(entry.aux)].name)\"" : nil
        case .automatedSender, .automatedMail:
            return message.automation.reasons.isEmpty ? nil : message.automation.reasons.joined(separator: ", ")
        case .excludedAddress:
            guard entry.aux >= 0, Int(entry.aux) < AddressField.allCases.count else {
                return "named by an ownership rule"
            }
            return "in \(AddressField.allCases[Int(entry.aux)].rawValue)"
        case .ignoredAsWritten:
            return entry.aux >= 0 && Int(entry.aux) < compiled.ignore.count
                ? "matches \"\(compiled.ignore[Int(entry.aux)].pattern)\"" : nil
        case .replyTo: return "in reply-to"
        case .outgoingAuthor, .submitted, .received: return nil
        }
    }

    static func messages(_ count: Int) -> String { count == 1 ? "1 message" : "\(count) messages" }
}
