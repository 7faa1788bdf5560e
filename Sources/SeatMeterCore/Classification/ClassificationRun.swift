import Foundation

/// The state of one ``Classifier/classify(_:window:)`` call. Each distinct address as written is resolved once
/// (a dictionary cache); people live in an array indexed by `Int32`; evidence is kept as indexes into the
/// observations and turned into ``Evidence`` values only at the end.
struct ClassificationRun {
    /// Everything a person's evidence is tracked for. The first five are inferred agent reasons.
    enum Track: Int, CaseIterable {
        case onBehalf, resent, outgoingAuthor, sentAsHelpdesk, ownership
        case submitted, received
        case excludedAddress, ignoredAsWritten, automatedSender, automatedMail, replyTo

        static let agentKinds: [(Track, AgentReasonKind)] = [
            (.onBehalf, .onBehalf), (.resent, .resent), (.outgoingAuthor, .outgoingAuthor),
            (.sentAsHelpdesk, .sentAsHelpdesk), (.ownership, .ownershipRule),
        ]
    }

    static let trackCount = Track.allCases.count

    /// One evidence message: `rank` is the date (seconds since the reference date) or -∞ when undated.
    struct Entry {
        var rank: Double
        var observation: Int32
        var location: Int16
        var aux: Int32

        func isMoreRecent(than other: Entry) -> Bool {
            rank > other.rank || (rank == other.rank && observation > other.observation)
        }
    }

    /// Count plus the most recent ``Classifier/evidenceLimit`` entries (unordered while running: the least
    /// recent is replaced; ``sortedTop`` orders them most recent first).
    struct Tracker {
        var count: Int32 = 0
        var lastObservation: Int32 = -1
        var leastRecent = 0
        var top: [Entry] = []

        mutating func add(_ entry: Entry) {
            if lastObservation == entry.observation { return }  // one message counts once per reason
            lastObservation = entry.observation
            count += 1
            if top.count < Classifier.evidenceLimit {
                if top.isEmpty { top.reserveCapacity(Classifier.evidenceLimit) }
                top.append(entry)
                if top.count == Classifier.evidenceLimit { findLeastRecent() }
                return
            }
            guard entry.isMoreRecent(than: top[leastRecent]) else { return }
            top[leastRecent] = entry
            findLeastRecent()
        }

        private mutating func findLeastRecent() {
            var least = 0
            for index in 1..<top.count where top[least].isMoreRecent(than: top[index]) { least = index }
            leastRecent = least
        }

        var sortedTop: [Entry] { top.sorted { $0.isMoreRecent(than: $1) } }
    }

    enum AddressExclusion {
        case helpdesk(configured: String)
        case ignored(pattern: String)
        case system(pattern: String)
        case external
    }

    enum RosterMatch {
        case address
        case domain(String)
    }

    struct Person {
        let identity: String
        let exclusion: AddressExclusion?
        let roster: RosterMatch?
        let isHelpdesk: Bool
        let isExcluded: Bool
        var name = ""
        var nameRank = -Double.infinity
        var first = Double.infinity
        var last = -Double.infinity
        var sent: Int32 = 0
        var received: Int32 = 0
        var onBehalf: Int32 = 0
        var lastSent: Int32 = -1
        var lastReceived: Int32 = -1
        var lastOnBehalf: Int32 = -1
        var ownershipRules: [Int] = []
    }

    /// A distinct address as written: its person and, when the written form alone matches `ignore`, the pattern.
    struct RawEntry {
        var person: Int32
        var ignoredPattern: Int32
    }

    struct Slot {
        var person: Int32
        var countable: Bool
    }

    let compiled: CompiledRules
    let observations: [MessageObservation]
    var raw: [String: RawEntry] = [:]
    var personIndex: [String: Int32] = [:]
    var persons: [Person] = []
    var trackers: [Tracker] = []
    var considered = 0
    var undated = 0

    init(compiled: CompiledRules, observations: [MessageObservation]) {
        self.compiled = compiled
        self.observations = observations
    }

    // MARK: - Resolution

    mutating func resolve(_ address: String) -> RawEntry {
        if let entry = raw[address] { return entry }
        let identity = compiled.resolver.identity(address)
        let person = person(for: identity)
        var ignored: Int32 = -1
        if persons[Int(person)].exclusion == nil {
            let written = address.trimmingCharacters(in: .whitespaces).lowercased()
            if written != identity, let index = compiled.ignore.firstIndex(where: { $0.matches(lowercased: written) }) {
                ignored = Int32(index)
            }
        }
        let entry = RawEntry(person: person, ignoredPattern: ignored)
        raw[address] = entry
        return entry
    }

    private mutating func person(for identity: String) -> Int32 {
        if let index = personIndex[identity] { return index }
        let index = Int32(persons.count)
        personIndex[identity] = index
        persons.append(makePerson(identity))
        trackers.append(contentsOf: repeatElement(Tracker(), count: Self.trackCount))
        return index
    }

    private func makePerson(_ identity: String) -> Person {
        let domain = IdentityResolver.domain(of: identity)
        var roster: RosterMatch?
        if compiled.rosterAddresses.contains(identity) {
            roster = .address
        } else if let match = compiled.rosterDomains.first(where: { $0.matches(domain) }) {
            roster = .domain(match.domain)
        }
        let exclusion: AddressExclusion?
        if let configured = compiled.helpdesk[identity] {
            exclusion = .helpdesk(configured: configured)
        } else if let pattern = compiled.ignore.first(where: { $0.matches(lowercased: identity.lowercased()) }) {
            exclusion = .ignored(pattern: pattern.pattern)
        } else if let pattern = systemPattern(localPart: IdentityResolver.localPart(of: identity)) {
            exclusion = .system(pattern: pattern)
        } else if !compiled.rules.countExternal, roster == nil,
            !compiled.internalDomains.contains(where: { $0.matches(domain) })
        {
            exclusion = .external
        } else {
            exclusion = nil
        }
        var isHelpdesk = false
        if case .helpdesk = exclusion { isHelpdesk = true }
        return Person(
            identity: identity, exclusion: exclusion, roster: roster, isHelpdesk: isHelpdesk,
            isExcluded: exclusion != nil)
    }

    private func systemPattern(localPart: Substring) -> String? {
        let lowered = localPart.lowercased()
        return compiled.system.first { $0.matches(lowercased: lowered) }?.pattern
    }

    // MARK: - Tracking

    private mutating func track(_ person: Int32, _ kind: Track, _ entry: Entry) {
        trackers[Int(person) * Self.trackCount + kind.rawValue].add(entry)
    }

    private mutating func touch(_ person: Int32, _ rank: Double) {
        guard rank.isFinite else { return }
        let index = Int(person)
        if rank < persons[index].first { persons[index].first = rank }
        if rank > persons[index].last { persons[index].last = rank }
    }

    private mutating func markSent(_ person: Int32, _ observation: Int32, _ rank: Double) {
        let index = Int(person)
        if persons[index].lastSent != observation {
            persons[index].lastSent = observation
            persons[index].sent += 1
        }
        touch(person, rank)
    }

    private mutating func markOnBehalf(_ person: Int32, _ observation: Int32) {
        let index = Int(person)
        if persons[index].lastOnBehalf != observation {
            persons[index].lastOnBehalf = observation
            persons[index].onBehalf += 1
        }
    }

    private mutating func receive(_ person: Int32, _ entry: Entry) {
        let index = Int(person)
        if persons[index].lastReceived != entry.observation {
            persons[index].lastReceived = entry.observation
            persons[index].received += 1
        }
        track(person, .received, entry)
        touch(person, entry.rank)
    }

    /// Same person for the Sender/Resent-From vs From comparison: same identity, or identities equal but for
    /// local-part case (checked even when `foldLocalPartCase` is off).
    private func same(_ a: Int32, _ b: Int32) -> Bool {
        if a == b { return true }
        if compiled.rules.foldLocalPartCase { return false }
        return persons[Int(a)].identity.lowercased() == persons[Int(b)].identity.lowercased()
    }

    // MARK: - Messages

    mutating func process(window: DateInterval?) {
        var froms: [Slot] = []
        var senders: [Slot] = []
        var resenders: [Slot] = []
        var recipients: [Slot] = []
        var replyTos: [Slot] = []
        for index in observations.indices {
            let message = observations[index]
            if let window {
                guard let date = message.date else {
                    undated += 1
                    continue
                }
                guard date >= window.start, date < window.end else { continue }
            }
            considered += 1
            let observation = Int32(index)
            let rank = message.date?.timeIntervalSinceReferenceDate ?? -Double.infinity
            var incoming: Int16 = -1
            var outgoing: Int16 = -1
            for (position, location) in message.locations.enumerated() {
                switch location.role {
                case .incoming where incoming < 0: incoming = Int16(position)
                case .outgoing where outgoing < 0: outgoing = Int16(position)
                default: break
                }
            }
            let isOutgoing = outgoing >= 0
            let isIncoming = incoming >= 0 || message.locations.isEmpty
            let main = incoming >= 0 ? incoming : outgoing
            func entry(_ location: Int16 = main, aux: Int32 = -1) -> Entry {
                Entry(rank: rank, observation: observation, location: location, aux: aux)
            }

            froms.removeAll(keepingCapacity: true)
            senders.removeAll(keepingCapacity: true)
            resenders.removeAll(keepingCapacity: true)
            recipients.removeAll(keepingCapacity: true)
            replyTos.removeAll(keepingCapacity: true)
            for appearance in message.appearances {
                let resolved = resolve(appearance.mailbox.address)
                let person = resolved.person
                let personIndex = Int(person)
                if !appearance.mailbox.name.isEmpty, rank >= persons[personIndex].nameRank {
                    persons[personIndex].nameRank = rank
                    persons[personIndex].name = appearance.mailbox.name
                }
                var countable = false
                if persons[personIndex].isExcluded {
                    track(person, .excludedAddress, entry(aux: Self.fieldCode(appearance.field)))
                } else if resolved.ignoredPattern >= 0 {
                    track(person, .ignoredAsWritten, entry(aux: resolved.ignoredPattern))
                } else {
                    countable = true
                }
                let slot = Slot(person: person, countable: countable)
                switch appearance.field {
                case .from: froms.append(slot)
                case .sender: senders.append(slot)
                case .resentFrom, .resentSender: resenders.append(slot)
                case .to, .cc, .bcc, .resentTo, .resentCc: recipients.append(slot)
                case .replyTo: replyTos.append(slot)
                }
            }

            let deskFrom = froms.first { persons[Int($0.person)].isHelpdesk }
            if message.automation.isAutomated {
                for slot in froms where slot.countable { track(slot.person, .automatedSender, entry()) }
                for slot in senders where slot.countable { track(slot.person, .automatedSender, entry()) }
                for slot in resenders where slot.countable { track(slot.person, .automatedSender, entry()) }
                let deskSent =
                    isOutgoing || deskFrom != nil || senders.contains { persons[Int($0.person)].isHelpdesk }
                for slot in recipients where slot.countable {
                    if deskSent {
                        receive(slot.person, entry())
                    } else {
                        track(slot.person, .automatedMail, entry())
                    }
                }
            } else {
                // A message without From: its Sender is the author.
                let authors = froms.isEmpty ? senders : froms
                for slot in authors where slot.countable {
                    author(
                        slot.person, rank: rank, outgoing: isOutgoing ? entry(outgoing) : nil,
                        incoming: isIncoming ? entry(incoming) : nil)
                }
                let representedFrom = froms.first.map(\.person) ?? -1
                if !froms.isEmpty {
                    for slot in senders where slot.countable {
                        if froms.contains(where: { same($0.person, slot.person) }) { continue }
                        markSent(slot.person, observation, rank)
                        if let deskFrom {
                            track(slot.person, .sentAsHelpdesk, entry(aux: deskFrom.person))
                        } else {
                            track(slot.person, .onBehalf, entry(aux: representedFrom))
                            markOnBehalf(slot.person, observation)
                        }
                    }
                }
                for slot in resenders where slot.countable {
                    if froms.isEmpty || froms.contains(where: { same($0.person, slot.person) }) {
                        author(
                            slot.person, rank: rank, outgoing: isOutgoing ? entry(outgoing) : nil,
                            incoming: isIncoming ? entry(incoming) : nil)
                        continue
                    }
                    markSent(slot.person, observation, rank)
                    track(slot.person, .resent, entry(aux: representedFrom))
                    markOnBehalf(slot.person, observation)
                }
                for slot in recipients where slot.countable { receive(slot.person, entry()) }
            }
            for slot in replyTos where slot.countable { track(slot.person, .replyTo, entry()) }

            if !compiled.ownership.isEmpty, let subject = message.subject, !subject.isEmpty {
                applyOwnership(subject: subject, froms: froms, entry: entry())
            }
        }
    }

    private mutating func author(_ person: Int32, rank: Double, outgoing: Entry?, incoming: Entry?) {
        guard let any = outgoing ?? incoming else { return }
        markSent(person, any.observation, rank)
        if let outgoing { track(person, .outgoingAuthor, outgoing) }
        if let incoming { track(person, .submitted, incoming) }
    }

    private mutating func applyOwnership(subject: String, froms: [Slot], entry: Entry) {
        let range = NSRange(location: 0, length: subject.utf16.count)
        for (ruleIndex, rule) in compiled.ownership.enumerated() {
            guard let match = rule.regex.firstMatch(in: subject, options: [], range: range) else { continue }
            var owners: [Int32] = []
            if rule.capturesOwner {
                let captured = match.range(withName: "owner")
                guard captured.location != NSNotFound, let bounds = Range(captured, in: subject) else { continue }
                guard let address = Self.cleanOwner(subject[bounds]) else { continue }
                let resolved = resolve(address)
                if persons[Int(resolved.person)].exclusion != nil {
                    track(resolved.person, .excludedAddress, entry)
                } else if resolved.ignoredPattern >= 0 {
                    track(
                        resolved.person, .ignoredAsWritten,
                        Entry(
                            rank: entry.rank, observation: entry.observation, location: entry.location,
                            aux: resolved.ignoredPattern))
                } else {
                    owners.append(resolved.person)
                }
            } else {
                owners = froms.filter(\.countable).map(\.person)
            }
            for owner in owners {
                track(
                    owner, .ownership,
                    Entry(
                        rank: entry.rank, observation: entry.observation, location: entry.location,
                        aux: Int32(ruleIndex)))
                if !persons[Int(owner)].ownershipRules.contains(ruleIndex) {
                    persons[Int(owner)].ownershipRules.append(ruleIndex)
                }
                touch(owner, entry.rank)
            }
        }
    }

    /// `<bob@example.com>`, ` bob@example.com.` → `bob@example.com`; nil without `@`.
    static func cleanOwner(_ text: Substring) -> String? {
        let strip = CharacterSet.whitespaces.union(CharacterSet(charactersIn: "<>\"'()[],;:."))
        let cleaned = text.trimmingCharacters(in: strip)
        guard let at = cleaned.firstIndex(of: "@"), at != cleaned.startIndex,
            cleaned.index(after: at) != cleaned.endIndex
        else { return nil }
        return cleaned
    }

    static func fieldCode(_ field: AddressField) -> Int32 {
        Int32(AddressField.allCases.firstIndex(of: field) ?? -1)
    }
}
