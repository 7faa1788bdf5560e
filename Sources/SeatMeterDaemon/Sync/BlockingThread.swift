import Foundation

/// Runs blocking work (libcurl, SQLite) on a dedicated thread, off Swift's cooperative pool.
enum BlockingThread {
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
