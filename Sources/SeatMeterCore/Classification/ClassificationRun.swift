import Foundation

/// Applies the per-message rules to every message once, in date order, and records what each message shows about
/// each person as dated *events*; ``ClassificationHistory`` then answers any window from them.
///
/// Each distinct address as written is resolved once (by its ``ObservationBatch`` number; an ownership rule's owner
/// through ``AddressTable``); people live in an array indexed by `Int32`;
/// an event is `(person × track, position, aux)` where `position` is the message's rank in date order, so the
/// events of any window are a contiguous run found by binary search.
struct ClassificationRun: Sendable {
    /// Everything events are recorded for. The first five are the inferred agent reasons.
    enum Track: Int, CaseIterable {
        case onBehalf, resent, outgoingAuthor, sentAsHelpdesk, ownership
        case submitted, received
        case excludedAddress, ignoredAsWritten, automatedSender, automatedMail, replyTo
        /// A message the person sent (From, a different Sender, Resent-From/-Sender) that counted.
        case sent
        /// A message the person sent on behalf of someone else (on-behalf or resent).
        case onBehalfMessage
        /// An ownership rule that named the person (`aux` = rule index); every match, not one per message.
        case ownershipRuleMatch

        static let agentKinds: [(Track, AgentReasonKind)] = [
            (.onBehalf, .onBehalf), (.resent, .resent), (.outgoingAuthor, .outgoingAuthor),
            (.sentAsHelpdesk, .sentAsHelpdesk), (.ownership, .ownershipRule),
        ]
        static let inferred: [Track] = [.onBehalf, .resent, .outgoingAuthor, .sentAsHelpdesk, .ownership]
    }

    /// Events are keyed `person << trackBits | track`: a shift, not a division, splits a key (there are fewer
    /// than 16 tracks).
    static let trackBits = 4
    static let trackSlots = 1 << trackBits

    static func key(_ person: Int, _ track: Int) -> Int { person << trackBits | track }

    struct Event: Sendable {
        var key: Int32
        var position: Int32
        var aux: Int32
    }

    enum AddressExclusion: Sendable {
        case helpdesk(configured: String)
        case ignored(pattern: String)
        case system(pattern: String)
        case external
    }

    enum RosterMatch: Sendable {
        /// Listed by address; `source` is where (`organization.agents.addresses` or a roster file's path).
        case address(source: String)
        case domain(String)
    }

    /// A person (identity) and what does not depend on the window.
    struct Person: Sendable {
        let identity: String
        let exclusion: AddressExclusion?
        let roster: RosterMatch?
        let isHelpdesk: Bool
        let isExcluded: Bool
        /// Each change of the display name in date order: (position, name). The name at a position is the last
        /// change at or before it.
        var names: [(position: Int32, name: String)] = []
    }

    struct Slot: Sendable {
        var person: Int32
        var countable: Bool
    }

    let compiled: CompiledRules
    let batch: ObservationBatch
    /// Position → observation index (date order; undated first), shared by every chunk.
    let order: [Int32]
    /// The positions this run processes.
    let span: Range<Int>
    /// Per batch address number: its person (-1 until resolved) and the `ignore` pattern it matches.
    var addressPerson: [Int32]
    var addressIgnored: [Int32]
    /// Owners named by ownership rules, as written (``AddressTable`` index): their person and `ignore` pattern.
    var table = AddressTable()
    var rawPerson: [Int32] = []
    var rawIgnored: [Int32] = []
    /// Written forms that differ from their identity, with the position of the first message they were seen in.
    var spellings: [(person: Int32, position: Int32, written: String)] = []
    var personIndex: [String: Int32] = [:]
    var persons: [Person] = []
    var events: [Event] = []
    /// Last position recorded per person × track (one event per message and track).
    var lastPosition: [Int32] = []
    /// Per person, for the hot loop: excluded at address level, a help desk address, the last name recorded.
    var excluded: [Bool] = []
    var helpdesk: [Bool] = []
    /// The last display name recorded per person (``ObservationBatch/names`` number; 0 for none).
    var lastName: [UInt32] = []
    /// Per folder list number: (incoming, outgoing) as the rules read them.
    let folderRoles: [(incoming: Bool, outgoing: Bool)]
    /// Per reason list number: automated.
    let automated: [Bool]
    /// The current message's address slots by field.
    var froms: [Slot] = []
    var senders: [Slot] = []
    var resenders: [Slot] = []
    var recipients: [Slot] = []
    var replyTos: [Slot] = []
    /// The prefilters of the ownership rules with a subject pattern: the subject is made into a `String` only
    /// when one may match.
    let subjectPrefilters: [RequiredLiteral?]
    /// Some ownership rule has a subject pattern / has none (it applies to messages without a subject too).
    let hasSubjectRules: Bool
    let hasSubjectlessRules: Bool
    /// Per ownership rule with a `from` pattern, per batch address number: 0 not yet tested, 1 matches, 2 not.
    var fromMatches: [[UInt8]]

    init(compiled: CompiledRules, batch: ObservationBatch, order: [Int32], span: Range<Int>) {
        self.compiled = compiled
        self.batch = batch
        self.addressPerson = [Int32](repeating: -1, count: batch.addresses.count)
        self.addressIgnored = [Int32](repeating: -1, count: batch.addresses.count)
        // A message is incoming when any location is an incoming folder (or it has no location), outgoing when
        // any location is an outgoing folder.
        self.folderRoles = batch.folderLists.map { locations in
            (
                locations.isEmpty || locations.contains { $0.role == .incoming },
                locations.contains { $0.role == .outgoing }
            )
        }
        self.automated = batch.reasonLists.map { !$0.isEmpty }
        self.order = order
        self.span = span
        let subjectRules = compiled.ownership.filter { $0.regex != nil }
        self.subjectPrefilters = subjectRules.map(\.prefilter)
        self.hasSubjectRules = !subjectRules.isEmpty
        self.hasSubjectlessRules = subjectRules.count < compiled.ownership.count
        self.fromMatches = compiled.ownership.map {
            $0.from == nil ? [] : [UInt8](repeating: 0, count: batch.addresses.count)
        }
        assert(Track.allCases.count <= Self.trackSlots, "a track does not fit in the event key")
    }

    // MARK: - Resolution

    /// The person `address` (as written) counts under, and the `ignore` pattern its written form alone matches
    /// (-1 when none).
    mutating func resolve(_ address: String, position: Int32) -> (person: Int32, ignoredPattern: Int32) {
        let (index, inserted) = table.index(of: address)
        if !inserted { return (rawPerson[Int(index)], rawIgnored[Int(index)]) }
        let resolved = resolveNew(address, position: position)
        rawPerson.append(resolved.person)
        rawIgnored.append(resolved.ignoredPattern)
        return resolved
    }

    /// ``resolve(_:position:)`` for the batch's address number `number`.
    @inline(__always)
    mutating func resolve(number: UInt32, position: Int32) -> (person: Int32, ignoredPattern: Int32) {
        let slot = Int(number)
        let known = addressPerson[slot]
        if known >= 0 { return (known, addressIgnored[slot]) }
        let resolved = resolveNew(batch.addresses[slot], position: position)
        addressPerson[slot] = resolved.person
        addressIgnored[slot] = resolved.ignoredPattern
        return resolved
    }

    /// Resolves an address as written that this run has not met.
    private mutating func resolveNew(_ address: String, position: Int32) -> (person: Int32, ignoredPattern: Int32) {
        let identity = compiled.resolver.identity(address)
        let person = person(for: identity)
        var ignored: Int32 = -1
        if persons[Int(person)].exclusion == nil {
            let written = IdentityResolver.trimmingWhitespace(address).lowercased()
            if written != identity, let index = compiled.ignore.firstIndex(where: { $0.matches(lowercased: written) }) {
                ignored = Int32(index)
            }
        }
        if address != identity { spellings.append((person, position, address)) }
        return (person, ignored)
    }

    private mutating func person(for identity: String) -> Int32 {
        if let index = personIndex[identity] { return index }
        let index = Int32(persons.count)
        personIndex[identity] = index
        let person = makePerson(identity)
        persons.append(person)
        excluded.append(person.isExcluded)
        helpdesk.append(person.isHelpdesk)
        lastName.append(0)
        lastPosition.append(contentsOf: repeatElement(-1, count: Self.trackSlots))
        return index
    }

    private func makePerson(_ identity: String) -> Person {
        let domain = IdentityResolver.domain(of: identity)
        var roster: RosterMatch?
        if let source = compiled.rosterAddresses[identity] {
            roster = .address(source: source)
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

    // MARK: - Recording

    /// Records `track` for `person` in the message at `position`, once per message.
    private mutating func track(_ person: Int32, _ kind: Track, _ position: Int32, aux: Int32 = -1) {
        let key = Self.key(Int(person), kind.rawValue)
        if lastPosition[key] == position { return }
        lastPosition[key] = position
        events.append(Event(key: Int32(key), position: position, aux: aux))
    }

    /// Same person for the Sender/Resent-From vs From comparison: same identity, or identities equal but for
    /// local-part case (checked even when `foldLocalPartCase` is off).
    private func same(_ a: Int32, _ b: Int32) -> Bool {
        if a == b { return true }
        if compiled.rules.foldLocalPartCase { return false }
        return persons[Int(a)].identity.lowercased() == persons[Int(b)].identity.lowercased()
    }

    // MARK: - Messages

    mutating func process() {
        events.reserveCapacity(span.count * 6)
        // The batch as a local: a method called on `self.batch` inside a mutating method would copy it (a
        // retain per column) for every message.
        let batch = self.batch
        for position in span {
            process(Int(order[position]), position: Int32(position), batch: batch)
        }
    }

    /// Applies the rules to message `message` of the batch.
    private mutating func process(_ message: Int, position: Int32, batch: borrowing ObservationBatch) {
        let (isIncoming, outgoing) = folderRoles[Int(batch.folderList[message])]

        froms.removeAll(keepingCapacity: true)
        senders.removeAll(keepingCapacity: true)
        resenders.removeAll(keepingCapacity: true)
        recipients.removeAll(keepingCapacity: true)
        replyTos.removeAll(keepingCapacity: true)
        for index in batch.appearances(of: message) {
            let resolved = resolve(number: batch.appearanceAddresses[index], position: position)
            let person = resolved.person
            let personIndex = Int(person)
            let name = batch.appearanceNames[index]
            if name != 0, lastName[personIndex] != name {
                lastName[personIndex] = name
                persons[personIndex].names.append((position, batch.names[Int(name)]))
            }
            var countable = false
            let field = batch.appearanceFields[index]
            if excluded[personIndex] {
                track(person, .excludedAddress, position, aux: Self.fieldCode(field))
            } else if resolved.ignoredPattern >= 0 {
                track(
                    person, .ignoredAsWritten, position,
                    aux: Self.ignoredAux(pattern: resolved.ignoredPattern, field: Self.fieldCode(field)))
            } else {
                countable = true
            }
            let slot = Slot(person: person, countable: countable)
            switch field {
            case .from: froms.append(slot)
            case .sender: senders.append(slot)
            case .resentFrom, .resentSender: resenders.append(slot)
            case .to, .cc, .bcc, .resentTo, .resentCc: recipients.append(slot)
            case .replyTo: replyTos.append(slot)
            }
        }

        let deskFrom = froms.first { helpdesk[Int($0.person)] }
        if automated[Int(batch.reasonList[message])] {
            for slot in froms where slot.countable { track(slot.person, .automatedSender, position) }
            for slot in senders where slot.countable { track(slot.person, .automatedSender, position) }
            for slot in resenders where slot.countable { track(slot.person, .automatedSender, position) }
            let deskSent = outgoing || deskFrom != nil || senders.contains { helpdesk[Int($0.person)] }
            for slot in recipients where slot.countable {
                track(slot.person, deskSent ? .received : .automatedMail, position)
            }
        } else {
            // A message without From: its Sender is the author.
            for slot in froms.isEmpty ? senders : froms where slot.countable {
                author(slot.person, position, outgoing: outgoing, incoming: isIncoming)
            }
            let representedFrom = froms.first.map(\.person) ?? -1
            if !froms.isEmpty {
                for slot in senders where slot.countable {
                    if froms.contains(where: { same($0.person, slot.person) }) { continue }
                    track(slot.person, .sent, position)
                    if let deskFrom {
                        track(slot.person, .sentAsHelpdesk, position, aux: deskFrom.person)
                    } else {
                        track(slot.person, .onBehalf, position, aux: representedFrom)
                        track(slot.person, .onBehalfMessage, position)
                    }
                }
            }
            for slot in resenders where slot.countable {
                if froms.isEmpty || froms.contains(where: { same($0.person, slot.person) }) {
                    author(slot.person, position, outgoing: outgoing, incoming: isIncoming)
                    continue
                }
                track(slot.person, .sent, position)
                track(slot.person, .resent, position, aux: representedFrom)
                track(slot.person, .onBehalfMessage, position)
            }
            for slot in recipients where slot.countable { track(slot.person, .received, position) }
        }
        for slot in replyTos where slot.countable { track(slot.person, .replyTo, position) }

        if !compiled.ownership.isEmpty {
            // The subject, made once and only when a subject rule's prefilter may match it.
            let subject: String? =
                hasSubjectRules
                ? batch.withSubject(of: message) { bytes -> String? in
                    guard let bytes, !bytes.isEmpty else { return nil }
                    guard subjectPrefilters.contains(where: { $0?.mayMatch(utf8: bytes) ?? true }) else { return nil }
                    return String(decoding: bytes, as: UTF8.self)
                } : nil
            if subject != nil || hasSubjectlessRules {
                applyOwnership(message, subject: subject, position: position, batch: batch)
            }
        }
    }

    private mutating func author(_ person: Int32, _ position: Int32, outgoing: Bool, incoming: Bool) {
        guard outgoing || incoming else { return }
        track(person, .sent, position)
        if outgoing { track(person, .outgoingAuthor, position) }
        if incoming { track(person, .submitted, position) }
    }

    /// Applies the ownership rules to message `message`, whose `subject` is nil when no subject rule can match it.
    private mutating func applyOwnership(
        _ message: Int, subject: String?, position: Int32, batch: borrowing ObservationBatch
    ) {
        var range: NSRange?
        for ruleIndex in compiled.ownership.indices {
            let rule = compiled.ownership[ruleIndex]
            var match: NSTextCheckingResult?
            if let regex = rule.regex {
                guard let subject else { continue }
                if let prefilter = rule.prefilter, !prefilter.mayMatch(subject) { continue }
                if rule.from != nil, !fromMatches(rule: ruleIndex, message: message, batch: batch) { continue }
                let searched = range ?? NSRange(location: 0, length: subject.utf16.count)
                range = searched
                guard let found = regex.firstMatch(in: subject, options: [], range: searched) else { continue }
                match = found
            } else if !fromMatches(rule: ruleIndex, message: message, batch: batch) {
                continue
            }
            var owners: [Int32] = []
            switch rule.owner {
            case .capture:
                guard let subject, let captured = match?.range(withName: "owner"), captured.location != NSNotFound,
                    let bounds = Range(captured, in: subject), let address = Self.cleanOwner(subject[bounds])
                else { continue }
                let resolved = resolve(address, position: position)
                if excluded[Int(resolved.person)] {
                    track(resolved.person, .excludedAddress, position)
                } else if resolved.ignoredPattern >= 0 {
                    track(
                        resolved.person, .ignoredAsWritten, position,
                        aux: Self.ignoredAux(pattern: resolved.ignoredPattern, field: -1))
                } else {
                    owners.append(resolved.person)
                }
            case .from:
                owners = froms.filter(\.countable).map(\.person)
            case .to, .cc:
                let field: AddressField = rule.owner == .to ? .to : .cc
                for index in batch.appearances(of: message) where batch.appearanceFields[index] == field {
                    let resolved = resolve(number: batch.appearanceAddresses[index], position: position)
                    if !excluded[Int(resolved.person)], resolved.ignoredPattern < 0, !owners.contains(resolved.person) {
                        owners.append(resolved.person)
                    }
                }
            }
            for owner in owners {
                track(owner, .ownership, position, aux: Int32(ruleIndex))
                events.append(
                    Event(
                        key: Int32(Self.key(Int(owner), Track.ownershipRuleMatch.rawValue)),
                        position: position, aux: Int32(ruleIndex)))
            }
        }
    }

    /// Whether a `From` address of the message matches rule `rule`'s `from` pattern (as written or its
    /// identity); each address is tested once per rule.
    private mutating func fromMatches(rule: Int, message: Int, batch: borrowing ObservationBatch) -> Bool {
        guard let pattern = compiled.ownership[rule].from else { return true }
        for index in batch.appearances(of: message) where batch.appearanceFields[index] == .from {
            let number = Int(batch.appearanceAddresses[index])
            if fromMatches[rule][number] == 0 {
                let written = IdentityResolver.trimmingWhitespace(batch.addresses[number]).lowercased()
                let person = addressPerson[number]  // resolved: the message's appearances come first
                let matches =
                    pattern.matches(lowercased: written)
                    || pattern.matches(lowercased: persons[Int(person)].identity.lowercased())
                fromMatches[rule][number] = matches ? 1 : 2
            }
            if fromMatches[rule][number] == 1 { return true }
        }
        return false
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

    /// The `aux` of an ``Track/ignoredAsWritten`` event: the `ignore` pattern and the field (``fieldCode(_:)``,
    /// -1 for an owner named by an ownership rule).
    static func ignoredAux(pattern: Int32, field: Int32) -> Int32 { pattern << 4 | (field + 1) }

    /// ``ignoredAux(pattern:field:)`` undone.
    static func ignoredPattern(aux: Int32) -> Int32 { aux >> 4 }
    static func ignoredField(aux: Int32) -> Int32 { (aux & 15) - 1 }

    static func messages(_ count: Int) -> String { count == 1 ? "1 message" : "\(count) messages" }
}
