package import Foundation

extension ClassificationHistory {
    /// The full answer for `window` (every message when nil): people with their reasons and evidence, excluded
    /// addresses, inactive roster agents. Undated messages count only when `window` is nil.
    package func classification(in window: DateInterval?) -> Classification {
        classification(in: window, evidence: true)
    }

    /// ``classification(in:)``; without `evidence` the reasons carry counts but no evidence messages (cheaper when
    /// only roles and counts are wanted).
    ///
    /// Each person's verdict depends on their own events only: the people are cut in `parts` (by default one per
    /// processor when there are thousands) judged at once, and joined in order.
    func classification(
        in window: DateInterval?, evidence withEvidence: Bool, parts: Int? = nil
    ) -> Classification {
        let span = span(window)
        var people: [PersonVerdict] = []
        var excluded: [ExcludedAddress] = []
        if !span.isEmpty {
            let parts = parts ?? parallelParts(sortedPersons.count, minimum: 1_000)
            let judged = forEachPart(of: sortedPersons.count, parts: parts) { range in
                judge(sortedPersons[range], span: span, evidence: withEvidence)
            }
            for (partPeople, partExcluded) in judged {
                people += partPeople
                excluded += partExcluded
            }
        }
        let counted = Set(people.lazy.map(\.address))
        let inactive = compiled.rosterAddresses.keys.filter { !counted.contains($0) }.sorted()
        return Classification(
            people: people, excluded: excluded, inactiveRosterAgents: inactive, messagesConsidered: span.count,
            undatedMessagesSkipped: window == nil ? 0 : undatedProcessed + undatedSkipped)
    }

    /// The verdicts of `persons` (counted people) and their excluded addresses inside `span`, in their order.
    private func judge(
        _ persons: ArraySlice<Int32>, span: Range<Int32>, evidence withEvidence: Bool
    ) -> ([PersonVerdict], [ExcludedAddress]) {
        var people: [PersonVerdict] = []
        var excluded: [ExcludedAddress] = []
        for person in persons {
            let index = Int(person)
            let inferred = Track.agentKinds.filter { has(index, $0.0, in: span) }
            if !self.persons[index].isExcluded,
                !inferred.isEmpty || has(index, .sent, in: span) || has(index, .received, in: span)
            {
                people.append(verdict(index, inferred: inferred, span: span, evidence: withEvidence))
            } else if let address = exclusion(index, span: span, evidence: withEvidence) {
                excluded.append(address)
            }
        }
        return (people, excluded)
    }

    /// The display name at the end of `span`: the last non-empty name seen before it.
    private func name(_ index: Int, _ span: Range<Int32>) -> String {
        persons[index].names.last { $0.position < span.upperBound }?.name ?? ""
    }

    private func count(_ index: Int, _ track: Track, _ span: Range<Int32>) -> Int {
        events(index, track, in: span).count
    }

    private func verdict(
        _ index: Int, inferred: [(Track, AgentReasonKind)], span: Range<Int32>, evidence withEvidence: Bool
    )
        -> PersonVerdict
    {
        let person = persons[index]
        var reasons: [AgentReason] = []
        if let roster = person.roster {
            let summary: String
            switch roster {
            case .address(let source):
                summary = "listed as agent in \(source)"
            case .domain(let domain):
                summary = "domain \(domain) is listed in organization.agents.domains"
            }
            reasons.append(AgentReason(kind: .roster, summary: summary))
        }
        for (track, kind) in inferred {
            let found = events(index, track, in: span)
            reasons.append(
                AgentReason(
                    kind: kind, summary: agentSummary(kind, count: found.count, person: index, span: span),
                    evidence: withEvidence ? evidence(found, track) : [], evidenceCount: found.count))
        }
        let activity: [ActivityReason] = [(Track.submitted, ActivityKind.submitted), (.received, .received)]
            .compactMap { track, kind in
                let found = events(index, track, in: span)
                guard !found.isEmpty else { return nil }
                let summary =
                    kind == .submitted
                    ? "sent \(ClassificationRun.messages(found.count)) to the help desk"
                    : "received \(ClassificationRun.messages(found.count)) of help desk mail (To/Cc/Bcc)"
                return ActivityReason(
                    kind: kind, summary: summary, evidence: withEvidence ? evidence(found, track) : [],
                    evidenceCount: found.count)
            }
        let received = count(index, .received, span)
        let role: PersonRole
        if !reasons.isEmpty {
            role = .agent
        } else if has(index, .submitted, in: span) || received == 0 {
            role = .freeSubmitter
        } else {
            role = .freeRecipient
        }
        let ownership = [Track.ownership, .outgoingAuthor, .sentAsHelpdesk].contains { has(index, $0, in: span) }
        let (first, last) = seen(index, span)
        var spellings = Set<String>()
        for form in seenAs[index] where form.position < span.upperBound { spellings.insert(form.written) }
        return PersonVerdict(
            address: person.identity, name: name(index, span), role: role,
            agent: role == .agent ? AgentStatus(confirmed: person.roster != nil, reasons: reasons) : nil,
            firstSeen: first, lastSeen: last, sent: count(index, .sent, span), received: received,
            onBehalfCount: count(index, .onBehalfMessage, span), ownershipEvidence: ownership, activity: activity,
            seenAs: spellings.sorted())
    }

    /// First and last dated message in `span` with an event on `tracks` (by default: in which the person counted,
    /// i.e. sent, received, ownership).
    private func seen(_ index: Int, _ span: Range<Int32>, tracks: [Track] = [.sent, .received, .ownership])
        -> (Date?, Date?)
    {
        let dated = max(span.lowerBound, Int32(undatedProcessed))..<max(span.upperBound, Int32(undatedProcessed))
        var first = Double.infinity
        var last = -Double.infinity
        for track in tracks {
            let found = events(index, track, in: dated)
            guard let low = found.first, let high = found.last else { continue }
            first = min(first, ranks[Int(positions[low])])
            last = max(last, ranks[Int(positions[high])])
        }
        return (
            first.isFinite ? Date(timeIntervalSinceReferenceDate: first) : nil,
            last.isFinite ? Date(timeIntervalSinceReferenceDate: last) : nil
        )
    }

    private func agentSummary(_ kind: AgentReasonKind, count: Int, person: Int, span: Range<Int32>) -> String {
        let n = ClassificationRun.messages(count)
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
            // Rules in the order they first named the person (message order, then rule order).
            var firstMatch: [Int32: (Int32, Int32)] = [:]
            for event in events(person, .ownershipRuleMatch, in: span) {
                let rule = auxes[event]
                let key = (order[Int(positions[event])], rule)
                if let known = firstMatch[rule], known <= key { continue }
                firstMatch[rule] = key
            }
            let rules = firstMatch.sorted { $0.value < $1.value }.map(\.key)
            let names = rules.map { "\"\(compiled.ownership[Int($0)].name)\"" }
            return "named owner in \(n) by ownership rule \(names.joined(separator: ", "))"
        }
    }

    private func exclusion(_ index: Int, span: Range<Int32>, evidence withEvidence: Bool) -> ExcludedAddress? {
        let person = persons[index]
        var reasons: [ExclusionReason] = []
        if let exclusion = person.exclusion {
            let found = events(index, .excludedAddress, in: span)
            guard !found.isEmpty else { return nil }
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
                    kind: kind, summary: summary, evidence: withEvidence ? evidence(found, .excludedAddress) : [],
                    evidenceCount: found.count))
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
                let found = events(index, track, in: span)
                guard !found.isEmpty else { continue }
                reasons.append(
                    ExclusionReason(
                        kind: kind, summary: "\(text) \(ClassificationRun.messages(found.count))",
                        evidence: withEvidence ? evidence(found, track) : [], evidenceCount: found.count))
            }
        }
        guard !reasons.isEmpty else { return nil }
        let activity = excludedActivity(index, span)
        return ExcludedAddress(
            address: person.identity, name: name(index, span), reasons: reasons, firstSeen: activity.first,
            lastSeen: activity.last, sent: activity.sent, received: activity.received)
    }

    /// Where an excluded address appeared in `span`: the first and last dated message, and the messages it sent
    /// (From, Sender, Resent-From/-Sender) and received (To, Cc, Bcc, Resent-To/-Cc), whatever excluded it.
    private func excludedActivity(_ index: Int, _ span: Range<Int32>)
        -> (first: Date?, last: Date?, sent: Int, received: Int)
    {
        let senders: Set<Int32> = Set(
            [AddressField.from, .sender, .resentFrom, .resentSender].map(ClassificationRun.fieldCode))
        let recipients: Set<Int32> = Set(
            [AddressField.to, .cc, .bcc, .resentTo, .resentCc].map(ClassificationRun.fieldCode))
        var sent = 0
        var received = 0
        for event in events(index, .excludedAddress, in: span) {
            if senders.contains(auxes[event]) { sent += 1 } else if recipients.contains(auxes[event]) { received += 1 }
        }
        for event in events(index, .ignoredAsWritten, in: span) {
            let field = ClassificationRun.ignoredField(aux: auxes[event])
            if senders.contains(field) { sent += 1 } else if recipients.contains(field) { received += 1 }
        }
        sent += events(index, .automatedSender, in: span).count
        received += events(index, .automatedMail, in: span).count
        let (first, last) = seen(index, span, tracks: Self.exclusionTracks)
        return (first, last, sent, received)
    }

    static let exclusionTracks: [Track] = [
        .excludedAddress, .ignoredAsWritten, .automatedSender, .automatedMail, .replyTo,
    ]

    /// The most recent ``Classifier/evidenceLimit`` events of `found`, most recent first.
    private func evidence(_ found: Range<Int>, _ track: Track) -> [Evidence] {
        let recent = found.suffix(Classifier.evidenceLimit).reversed()
        return recent.map { event in
            let position = Int(positions[event])
            let message = Int(order[position])
            let location = Self.location(track, batch.locations(of: message))
            let rank = ranks[position]
            return Evidence(
                date: rank.isFinite ? Date(timeIntervalSinceReferenceDate: rank) : nil,
                account: location?.account ?? "", folder: location?.folder ?? "",
                messageID: batch.messageID(of: message), subject: batch.subject(of: message),
                detail: detail(track, aux: auxes[event], message: message))
        }
    }

    /// The folder an event is shown in: the outgoing folder for staff replies, the incoming folder for submissions,
    /// otherwise the incoming folder when there is one.
    private static func location(_ track: Track, _ locations: [FolderLocation]) -> FolderLocation? {
        let incoming = locations.first { $0.role == .incoming }
        let outgoing = locations.first { $0.role == .outgoing }
        switch track {
        case .outgoingAuthor: return outgoing
        case .submitted: return incoming
        default: return incoming ?? outgoing
        }
    }

    private func detail(_ kind: Track, aux: Int32, message: Int) -> String? {
        let other = aux >= 0 && Int(aux) < persons.count ? persons[Int(aux)].identity : nil
        switch kind {
        case .onBehalf: return other.map { "on behalf of \($0)" }
        case .resent: return other.map { "re-sent mail from \($0)" }
        case .sentAsHelpdesk: return other.map { "From \($0)" }
        case .ownership:
            return aux >= 0 && Int(aux) < compiled.ownership.count
                ? "rule \"\(compiled.ownership[Int(aux)].name)\"" : nil
        case .automatedSender, .automatedMail:
            let reasons = batch.automation(of: message).reasons
            return reasons.isEmpty ? nil : reasons.joined(separator: ", ")
        case .excludedAddress:
            guard aux >= 0, Int(aux) < AddressField.allCases.count else { return "named by an ownership rule" }
            return "in \(AddressField.allCases[Int(aux)].rawValue)"
        case .ignoredAsWritten:
            let pattern = Int(ClassificationRun.ignoredPattern(aux: aux))
            return aux >= 0 && pattern < compiled.ignore.count ? "matches \"\(compiled.ignore[pattern].pattern)\"" : nil
        case .replyTo: return "in reply-to"
        case .outgoingAuthor, .submitted, .received, .sent, .onBehalfMessage, .ownershipRuleMatch: return nil
        }
    }
}
