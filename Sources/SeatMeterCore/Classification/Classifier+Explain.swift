extension Classifier {
    /// Explains `address` (any spelling: case, plus-tag and aliases are resolved with these rules) from a
    /// classification these rules produced. Nil when the address did not appear in that classification's window.
    package func explain(_ address: String, in classification: Classification) -> Explanation? {
        let identity = identity(of: address)
        if let person = classification.person(identity) {
            return explain(person, query: address)
        }
        if let excluded = classification.excludedAddress(identity) {
            return explain(excluded, query: address)
        }
        return nil
    }

    private func explain(_ person: PersonVerdict, query: String) -> Explanation {
        let who = person.name.isEmpty ? person.address : "\(person.address) (\(person.name))"
        var lines: [Explanation.Line] = []
        var changes: [String] = []
        let headline: String
        switch person.role {
        case .agent:
            let status = person.agent ?? AgentStatus(confirmed: false, reasons: [])
            headline =
                status.confirmed
                ? "\(who) is a confirmed agent (on the roster)"
                : "\(who) is an inferred agent (not on the roster)"
            lines += status.reasons.map {
                .init(summary: $0.summary, evidence: $0.evidence, evidenceCount: $0.evidenceCount)
            }
            let inferred = status.reasons.filter(\.kind.isInferred)
            let fallback: String
            if !inferred.isEmpty {
                fallback = "an inferred agent"
            } else if person.activity.contains(where: { $0.kind == .submitted }) {
                fallback = "a free submitter"
            } else {
                fallback = "a free recipient"
            }
            if let roster = status.reason(.roster) {
                changes.append("\(roster.summary); removed from the roster it would be \(fallback)")
            }
            // A confirmed agent stays an agent whatever it does; the inferred reasons matter once off the roster.
            let free =
                status.confirmed
                ? "off the roster, would be free only if it also stopped" : "would be free if it stopped"
            for reason in inferred {
                let n = ClassificationRun.messages(reason.evidenceCount)
                switch reason.kind {
                case .roster: break
                case .onBehalf: changes.append("\(free) sending on behalf of others (\(n))")
                case .resent: changes.append("\(free) re-sending others' mail to the help desk (\(n))")
                case .outgoingAuthor: changes.append("\(free) writing from the help desk's outgoing folders (\(n))")
                case .sentAsHelpdesk: changes.append("\(free) sending as the help desk (\(n))")
                case .ownershipRule: changes.append("\(free) being named by an ownership rule (\(n))")
                }
            }
            if inferred.count > 1 {
                changes.append("all \(inferred.count) inferred reasons must stop for it to be free")
            }
            if !status.confirmed {
                changes.append("not on the roster: add it to organization.agents to confirm it as an agent")
            }
        case .freeSubmitter:
            headline = "\(who) is a free submitter: sent mail to the help desk and is not an agent"
            changes.append("would be counted as an agent if added to organization.agents")
            changes.append(
                "would become an inferred agent if it sent mail on behalf of others, re-sent others' mail, "
                    + "wrote from an outgoing folder or matched an ownership rule")
        case .freeRecipient:
            headline = "\(who) is a free recipient: only received help desk mail"
            changes.append("would be counted as an agent if added to organization.agents")
            changes.append("would become a free submitter if it sent mail to the help desk")
        }
        lines += person.activity.map {
            .init(summary: $0.summary, evidence: $0.evidence, evidenceCount: $0.evidenceCount)
        }
        changes.append("would not be counted at all if it matched organization.ignore")
        return Explanation(
            query: query, address: person.address, name: person.name, role: person.role.rawValue,
            verdict: .person(person), headline: headline, reasons: lines, whatWouldChange: changes)
    }

    private func explain(_ excluded: ExcludedAddress, query: String) -> Explanation {
        let who = excluded.name.isEmpty ? excluded.address : "\(excluded.address) (\(excluded.name))"
        var changes: [String] = []
        for reason in excluded.reasons {
            switch reason.kind {
            case .helpdesk:
                changes.append(
                    "a help desk address is never a user; it would count only if removed from "
                        + "organization.helpdesk_addresses (or its alias from organization.aliases)")
            case .system:
                changes.append("system senders are never users")
            case .ignored:
                changes.append("would count if the matching organization.ignore pattern were removed")
            case .external:
                let domain = IdentityResolver.domain(of: excluded.address)
                changes.append(
                    "would count if \(domain) were in organization.internal_domains, if count_external "
                        + "were true, or if it were on the agent roster")
            case .automatedSender:
                changes.append("would count if it sent ordinary (non-automated) mail to the help desk")
            case .automatedMail:
                changes.append("would count if it sent or received ordinary help desk mail")
            case .replyToOnly:
                changes.append("Reply-To is not counted; would count if it sent or received help desk mail")
            }
        }
        return Explanation(
            query: query, address: excluded.address, name: excluded.name, role: "excluded",
            verdict: .excluded(excluded), headline: "\(who) is not a user",
            reasons: excluded.reasons.map {
                .init(summary: $0.summary, evidence: $0.evidence, evidenceCount: $0.evidenceCount)
            },
            whatWouldChange: changes)
    }
}
