import Dispatch
import Foundation

/// How many parts `count` items are cut into for ``forEachChunk(_:_:)``: one per processor (at most `maximum`),
/// each of at least `minimum` items; 1 for few items.
func parallelParts(_ count: Int, minimum: Int, maximum: Int = 8) -> Int {
    let parts = count / max(1, minimum)
    return parts < 2 ? 1 : min(processors, maximum, parts)
}

/// The processors this process may use, read once: on Linux `activeProcessorCount` reads cgroup files each time.
private let processors = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Runs `body` for each chunk `0..<count`, in parallel when there are several.
func forEachChunk(_ count: Int, _ body: @Sendable (Int) -> Void) {
    if count <= 1 {
        if count == 1 { body(0) }
    } else {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}

/// `0..<count` cut into `parts` consecutive ranges of about equal size, `body` run for each at once (one thread
/// per part); the results in range order.
func forEachPart<T: Sendable>(of count: Int, parts: Int, _ body: @Sendable (Range<Int>) -> T) -> [T] {
    let parts = max(1, parts)
    let results = ChunkResults<T>(count: parts)
    forEachChunk(parts) { part in
        results.store(body((count * part / parts)..<(count * (part + 1) / parts)), at: part)
    }
    return results.all
}

extension Array where Element: Sendable {
    /// `map(transform)`, computed in parts at once (one per processor) when there are at least `minimum` elements
    /// per part; the order is kept.
    func concurrentMap<T: Sendable>(minimum: Int = 512, _ transform: @Sendable (Element) -> T) -> [T] {
        let parts = parallelParts(count, minimum: minimum)
        guard parts > 1 else { return map(transform) }
        return forEachPart(of: count, parts: parts) { self[$0].map(transform) }.flatMap { $0 }
    }
}

/// Collects one value per chunk from `concurrentPerform`'s threads: each thread stores its value once, under the
/// lock; ``all`` is read after every thread has finished.
final class ChunkResults<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Value?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func store(_ value: Value, at index: Int) {
        lock.lock()
        defer { lock.unlock() }
        values[index] = value
    }

    var all: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return values.compactMap { $0 }
    }
}

/// A result array's uninitialized storage that several threads fill at disjoint indexes: the merge's counting sort
/// gives each chunk its own slots (prefix sums over the chunks' counts), so every slot is written exactly once, and
/// the array is used only after `concurrentPerform` has returned (which orders every write before the read). No
/// lock: one per write would cost more than the sort.
struct SharedSlots: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Int32>?

    init(_ buffer: UnsafeMutableBufferPointer<Int32>) {
        base = buffer.baseAddress
    }

    func write(_ value: Int32, at index: Int) { base?[index] = value }
}
