package import Foundation

/// Seats in one window: the Team model counts every user, the Support model the agents.
package struct SeatCounts: Sendable, Hashable, Codable {
    /// Team-model users: agents + free submitters + free recipients.
    package var teamUsers: Int
    /// Support-model seats: confirmed + inferred agents.
    package var agents: Int
    /// Agents on the roster (they may also have inferred reasons).
    package var confirmedAgents: Int
    /// Agents inferred from mail only (not on the roster).
    package var inferredAgents: Int
    package var freeSubmitters: Int
    package var freeRecipients: Int

    package init(
        teamUsers: Int = 0, agents: Int = 0, confirmedAgents: Int = 0, inferredAgents: Int = 0,
        freeSubmitters: Int = 0, freeRecipients: Int = 0
    ) {
        self.teamUsers = teamUsers
        self.agents = agents
        self.confirmedAgents = confirmedAgents
        self.inferredAgents = inferredAgents
        self.freeSubmitters = freeSubmitters
        self.freeRecipients = freeRecipients
    }
}

extension Classification {
    /// The seat counts of this classification's people.
    package var seats: SeatCounts {
        SeatCounts(
            teamUsers: people.count, agents: agentCount, confirmedAgents: confirmedAgentCount,
            inferredAgents: inferredAgentCount, freeSubmitters: freeSubmitterCount, freeRecipients: freeRecipientCount)
    }
}

/// Every message classified once, answering any number of windows cheaply: built by
/// ``Classifier/history(_:parallelChunkMinimum:)``.
///
/// The per-message rules (identities, exclusions, automation, on-behalf, ownership patterns, ...) run once over all
/// messages in date order and leave, per person, dated events (sent, received, each agent reason, ...). A window's
/// answer is then a few binary searches per person: ``seats(in:)`` takes about a millisecond for 5,000 people,
/// ``classification(in:)`` (verdicts with evidence) some tens of milliseconds. Building the history costs about
/// as much as one ``Classifier/classify(_:window:)`` over all the messages (it is parallel for large inputs).
///
/// ``classification(in:)`` equals ``Classifier/classify(_:window:)`` for the same window, except for two things
/// that look past the window's start: a person's display name is the most recent non-empty one seen **before the
/// window's end** (possibly before its start), and ``PersonVerdict/seenAs`` lists the spellings first seen before
/// the window's end. Who counts, roles, counts, dates and evidence are the window's only.
package struct ClassificationHistory: Sendable {
    typealias Track = ClassificationRun.Track

    let compiled: CompiledRules
    let batch: ObservationBatch
    /// Position → observation index; position → rank (date, -∞ undated). Undated positions come first.
    let order: [Int32]
    let ranks: [Double]
    let undatedProcessed: Int
    let undatedSkipped: Int
    let persons: [ClassificationRun.Person]
    let sortedPersons: [Int32]
    let seenAs: [[(position: Int32, written: String)]]
    /// Events grouped by person × track: `offsets[key]..<offsets[key + 1]` index `positions` and `auxes`.
    let offsets: [Int32]
    let positions: [Int32]
    let auxes: [Int32]

    /// Messages classified (dated and undated).
    package var messageCount: Int { order.count }

    /// The first and last message date, nil when no message is dated.
    package var dateRange: ClosedRange<Date>? {
        guard let last = ranks.last, last.isFinite else { return nil }
        let first = ranks[undatedProcessed]
        return Date(timeIntervalSinceReferenceDate: first)...Date(timeIntervalSinceReferenceDate: last)
    }

    /// The positions of the messages in `window` (all when nil).
    func span(_ window: DateInterval?) -> Range<Int32> {
        guard let window else { return 0..<Int32(order.count) }
        let start = lowerBound(ranks, window.start.timeIntervalSinceReferenceDate)
        let end = lowerBound(ranks, window.end.timeIntervalSinceReferenceDate)
        return Int32(start)..<Int32(max(start, end))
    }

    private func lowerBound(_ values: [Double], _ value: Double) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The events of `person` × `track` inside `span`: indexes into ``positions``.
    func events(_ person: Int, _ track: Track, in span: Range<Int32>) -> Range<Int> {
        let key = ClassificationRun.key(person, track.rawValue)
        let start = Int(offsets[key])
        let end = Int(offsets[key + 1])
        guard start < end else { return start..<start }
        if positions[start] >= span.lowerBound, positions[end - 1] < span.upperBound { return start..<end }
        let low = lowerBound(positions, span.lowerBound, start, end)
        let high = lowerBound(positions, span.upperBound, low, end)
        return low..<high
    }

    /// Whether `person` × `track` has an event inside `span`.
    func has(_ person: Int, _ track: Track, in span: Range<Int32>) -> Bool {
        let key = ClassificationRun.key(person, track.rawValue)
        let start = Int(offsets[key])
        let end = Int(offsets[key + 1])
        guard start < end, positions[start] < span.upperBound, positions[end - 1] >= span.lowerBound else {
            return false
        }
        if positions[start] >= span.lowerBound { return true }
        let low = lowerBound(positions, span.lowerBound, start, end)
        return low < end && positions[low] < span.upperBound
    }

    private func lowerBound(_ values: [Int32], _ value: Int32, _ start: Int, _ end: Int) -> Int {
        var low = start
        var high = end
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Seats in `window` (all messages when nil): the counts ``classification(in:)`` would give, without building
    /// verdicts or evidence.
    package func seats(in window: DateInterval?) -> SeatCounts {
        seats(in: span(window))
    }

    /// ``seats(in:)`` for each of `windows`, in order; several windows are counted at once, one per processor.
    package func seats(in windows: [DateInterval]) -> [SeatCounts] {
        windows.map { span($0) }.concurrentMap(minimum: 1) { seats(in: $0) }
    }

    private func seats(in span: Range<Int32>) -> SeatCounts {
        var seats = SeatCounts()
        guard !span.isEmpty else { return seats }
        for index in persons.indices where !persons[index].isExcluded {
            let inferred = Track.inferred.contains { has(index, $0, in: span) }
            let received = has(index, .received, in: span)
            guard inferred || received || has(index, .sent, in: span) else { continue }
            seats.teamUsers += 1
            if persons[index].roster != nil {
                seats.agents += 1
                seats.confirmedAgents += 1
            } else if inferred {
                seats.agents += 1
                seats.inferredAgents += 1
            } else if !received || has(index, .submitted, in: span) {
                seats.freeSubmitters += 1
            } else {
                seats.freeRecipients += 1
            }
        }
        return seats
    }
}

extension Classifier {
    /// Classifies every message once (dated or not) for any number of windows: see ``ClassificationHistory``.
    /// Messages sorted by date (undated first) are taken as they are; otherwise they are sorted first.
    ///
    /// Large inputs are processed in parallel, in chunks of at least `parallelChunkMinimum` messages (one per
    /// processor); the result is the same whatever the chunking.
    package func history(
        _ observations: [MessageObservation], parallelChunkMinimum: Int = 50_000
    ) -> ClassificationHistory {
        history(ObservationBatch(observations), within: nil, chunkMinimum: parallelChunkMinimum)
    }

    /// ``history(_:parallelChunkMinimum:)`` for messages in compact form.
    package func history(_ batch: ObservationBatch, parallelChunkMinimum: Int = 50_000) -> ClassificationHistory {
        history(batch, within: nil, chunkMinimum: parallelChunkMinimum)
    }

    func history(
        _ batch: ObservationBatch, within window: DateInterval?, chunkMinimum: Int = 50_000
    ) -> ClassificationHistory {
        ClassificationRun.history(compiled: compiled, batch: batch, within: window, chunkMinimum: chunkMinimum)
    }

    /// One classification per window, the messages classified once (``history(_:parallelChunkMinimum:)``).
    package func classify(_ observations: [MessageObservation], windows: [DateInterval]) -> [Classification] {
        let history = history(observations)
        return windows.map { history.classification(in: $0) }
    }
}
