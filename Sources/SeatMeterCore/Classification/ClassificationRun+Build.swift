import Dispatch
import Foundation

/// The messages to classify in date order: position → observation index and date.
struct MessageOrder {
    /// Position → observation index, by (date, index); undated messages first.
    var order: [Int32] = []
    /// Position → date (seconds since the reference date), -∞ when undated.
    var ranks: [Double] = []
    /// Undated messages among those ordered (only without a window).
    var undatedProcessed = 0
    /// Undated messages left out because a window was given.
    var undatedSkipped = 0

    /// Orders the messages of `batch` (only the dated ones in `window` when given). Messages already in date order (the
    /// ledger can return them so) are taken as they are; otherwise they are sorted.
    init(_ batch: ObservationBatch, within window: DateInterval?) {
        order.reserveCapacity(batch.count)
        ranks.reserveCapacity(batch.count)
        var sorted = true
        var previous = -Double.infinity
        let start = window?.start.timeIntervalSinceReferenceDate ?? 0
        let end = window?.end.timeIntervalSinceReferenceDate ?? 0
        for (index, date) in batch.dates.enumerated() {
            let rank: Double
            if !date.isNaN {
                if window != nil, !(date >= start && date < end) { continue }
                rank = date
            } else {
                if window != nil {
                    undatedSkipped += 1
                    continue
                }
                rank = -Double.infinity
                undatedProcessed += 1
            }
            if rank < previous { sorted = false }
            previous = rank
            order.append(Int32(index))
            ranks.append(rank)
        }
        guard !sorted else { return }
        let pairs = zip(ranks, order).sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        ranks = pairs.map(\.0)
        order = pairs.map(\.1)
    }
}

extension ClassificationRun {
    /// Tracks whose `aux` is a person index.
    static let personAux: [Bool] = Track.allCases.map { $0 == .onBehalf || $0 == .resent || $0 == .sentAsHelpdesk }

    /// Classifies `batch` (only the dated ones in `window` when given) into a history.
    ///
    /// The rules look at one message at a time, so the messages are cut into consecutive chunks (by date) that are
    /// processed in parallel, each with its own address table and people; the chunks are then merged in date
    /// order. The result does not depend on the number of chunks.
    static func history(
        compiled: CompiledRules, batch: ObservationBatch, within window: DateInterval?, chunkMinimum: Int
    ) -> ClassificationHistory {
        let arranged = MessageOrder(batch, within: window)
        let count = arranged.order.count
        let order = arranged.order
        let runs = forEachPart(of: count, parts: parallelParts(count, minimum: chunkMinimum)) { span in
            var run = ClassificationRun(compiled: compiled, batch: batch, order: order, span: span)
            run.process()
            return run
        }
        return merge(runs, arranged: arranged, compiled: compiled, batch: batch)
    }

    /// Joins the chunks' people by identity and groups all events by person × track, stable (date order).
    private static func merge(
        _ runs: [ClassificationRun], arranged: MessageOrder, compiled: CompiledRules, batch: ObservationBatch
    ) -> ClassificationHistory {
        var persons: [Person] = []
        var personIndex: [String: Int32] = [:]
        var maps: [[Int32]] = []
        var spellings: [(person: Int32, position: Int32, written: String)] = []
        for run in runs {
            var map: [Int32] = []
            map.reserveCapacity(run.persons.count)
            for person in run.persons {
                if let known = personIndex[person.identity] {
                    persons[Int(known)].names += person.names
                    map.append(known)
                } else {
                    let index = Int32(persons.count)
                    personIndex[person.identity] = index
                    persons.append(person)
                    map.append(index)
                }
            }
            for spelling in run.spellings {
                spellings.append((map[Int(spelling.person)], spelling.position, spelling.written))
            }
            maps.append(map)
        }

        // Counting sort by global key, stable (chunks in date order, each in date order). Each chunk counts and
        // then scatters its own events, in parallel: a chunk's slots for a key follow the earlier chunks' slots.
        let keyCount = persons.count << trackBits
        let chunkCount = runs.count
        let counts = ChunkResults<[Int32]>(count: chunkCount)
        let personAux = Self.personAux
        let chunkMaps = maps
        forEachChunk(chunkCount) { chunk in
            var count = [Int32](repeating: 0, count: keyCount)
            let map = chunkMaps[chunk]
            for event in runs[chunk].events {
                let key = Int(event.key)
                count[Int(map[key >> trackBits]) << trackBits | key & (trackSlots - 1)] += 1
            }
            counts.store(count, at: chunk)
        }
        let chunkCounts = counts.all
        var offsets = [Int32](repeating: 0, count: keyCount + 1)
        var starts = [[Int32]](repeating: [], count: chunkCount)
        var running: Int32 = 0
        for chunk in 0..<chunkCount { starts[chunk] = [Int32](repeating: 0, count: keyCount) }
        for key in 0..<keyCount {
            offsets[key] = running
            for chunk in 0..<chunkCount {
                starts[chunk][key] = running
                running += chunkCounts[chunk][key]
            }
        }
        offsets[keyCount] = running
        let total = Int(running)
        let chunkStarts = starts
        // The chunks scatter their events straight into the result arrays: every slot is written exactly once.
        var auxes: [Int32] = []
        let positions = [Int32](unsafeUninitializedCapacity: total) { positionBuffer, positionsWritten in
            auxes = [Int32](unsafeUninitializedCapacity: total) { auxBuffer, auxesWritten in
                let positionSlots = SharedSlots(positionBuffer)
                let auxSlots = SharedSlots(auxBuffer)
                forEachChunk(chunkCount) { chunk in
                    var cursor = chunkStarts[chunk]
                    let map = chunkMaps[chunk]
                    for event in runs[chunk].events {
                        let key = Int(event.key)
                        let track = key & (trackSlots - 1)
                        let global = Int(map[key >> trackBits]) << trackBits | track
                        let slot = Int(cursor[global])
                        cursor[global] += 1
                        positionSlots.write(event.position, at: slot)
                        auxSlots.write(event.aux >= 0 && personAux[track] ? map[Int(event.aux)] : event.aux, at: slot)
                    }
                }
                auxesWritten = total
            }
            positionsWritten = total
        }
        var seenAs = [[(position: Int32, written: String)]](repeating: [], count: persons.count)
        for spelling in spellings { seenAs[Int(spelling.person)].append((spelling.position, spelling.written)) }
        let sortedPersons = persons.indices.sorted { persons[$0].identity < persons[$1].identity }.map { Int32($0) }
        return ClassificationHistory(
            compiled: compiled, batch: batch, order: arranged.order, ranks: arranged.ranks,
            undatedProcessed: arranged.undatedProcessed, undatedSkipped: arranged.undatedSkipped, persons: persons,
            sortedPersons: sortedPersons, seenAs: seenAs, offsets: offsets, positions: positions, auxes: auxes)
    }
}
