#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// Converts bytes in a named charset to UTF-8 with the C library's iconv.
///
/// Pure computation (no I/O besides iconv loading its conversion tables on first use). Thread-safe: conversion
/// descriptors are pooled per charset behind a `Mutex`; a conversion takes a descriptor out of the pool, runs
/// without the lock, resets the descriptor's shift state and puts it back. Pools and caches are bounded, so
/// hostile input naming thousands of charsets cannot grow them.
package final class IconvConverter: Sendable {
    package static let shared = IconvConverter()

    /// Result of one conversion.
    package struct Conversion: Sendable, Hashable {
        package var text: String
        /// How many invalid or truncated input sequences became U+FFFD.
        package var invalidSequences: Int
    }

    /// Free descriptors kept per charset.
    private static let maximumPooledPerCharset = 8
    /// Charset names whose pools are kept; descriptors for further charsets are closed after use.
    private static let maximumPooledCharsets = 64
    /// Answers of `supports(_:)` kept.
    private static let maximumRememberedNames = 1024

    private struct Descriptor: @unchecked Sendable {
        // An iconv_t is used by one thread at a time: it is either in the pool (guarded by the mutex) or owned by
        // exactly one running conversion.
        let handle: iconv_t
    }

    private struct State: ~Copyable {
        var supported: [String: Bool] = [:]
        var pools: [String: [Descriptor]] = [:]
    }

    private let state = Mutex(State())

    private init() {}

    /// Whether iconv can decode `name` (an iconv charset name, already validated as a plain label).
    package func supports(_ name: String) -> Bool {
        if let known = state.withLock({ $0.supported[name] }) {
            return known
        }
        let descriptor = Self.open(name)
        state.withLock { state in
            if state.supported.count < Self.maximumRememberedNames {
                state.supported[name] = descriptor != nil
            }
        }
        if let descriptor {
            release(descriptor, name: name)
        }
        return descriptor != nil
    }

    /// Converts `bytes` from the iconv charset `name` to a String. Invalid and truncated sequences become U+FFFD
    /// (counted in the result). `nil` when iconv cannot open the charset.
    package func convert(_ bytes: UnsafeBufferPointer<UInt8>, from name: String) -> Conversion? {
        guard let descriptor = acquire(name) else { return nil }
        defer { release(descriptor, name: name) }
        return Self.run(descriptor.handle, on: bytes)
    }

    private func acquire(_ name: String) -> Descriptor? {
        if let pooled = state.withLock({ $0.pools[name]?.popLast() }) {
            return pooled
        }
        return Self.open(name)
    }

    private func release(_ descriptor: Descriptor, name: String) {
        // Back to the initial shift state, so the next conversion starts clean.
        _ = iconv(descriptor.handle, nil, nil, nil, nil)
        let pooled = state.withLock { state -> Bool in
            if state.pools[name] == nil, state.pools.count >= Self.maximumPooledCharsets {
                return false
            }
            if state.pools[name, default: []].count >= Self.maximumPooledPerCharset {
                return false
            }
            state.pools[name, default: []].append(descriptor)
            return true
        }
        if !pooled {
            iconv_close(descriptor.handle)
        }
    }

    private static func open(_ name: String) -> Descriptor? {
        guard let handle = iconv_open("UTF-8", name), handle != UnsafeMutableRawPointer(bitPattern: -1) else {
            return nil
        }
        return Descriptor(handle: handle)
    }

    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    private static func run(_ handle: iconv_t, on input: UnsafeBufferPointer<UInt8>) -> Conversion {
        var output: [UInt8] = []
        var invalid = 0
        guard let inputBase = input.baseAddress, !input.isEmpty else {
            return Conversion(text: "", invalidSequences: 0)
        }
        // Most charsets need at most 3 UTF-8 bytes per input byte; grow on E2BIG for the rest.
        var chunk = [UInt8](repeating: 0, count: max(64, input.count &* 3 &+ 16))
        var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: inputBase)
            .assumingMemoryBound(to: CChar.self)
        var inLeft = input.count
        while inLeft > 0 {
            let (written, result, error): (Int, Int, Int32) = chunk.withUnsafeMutableBytes { buffer in
                var outPointer = buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                var outLeft = buffer.count
                let result = iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft)
                return (buffer.count &- outLeft, result, result == -1 ? errno : 0)
            }
            output.append(contentsOf: chunk[0..<written])
            if result != -1 {
                break
            }
            switch error {
            case E2BIG:
                if written == 0 {
                    chunk = [UInt8](repeating: 0, count: chunk.count &* 2)
                }
            case EILSEQ:
                // Skip one byte of the invalid sequence and go on.
                output.append(contentsOf: replacementCharacter)
                invalid &+= 1
                inPointer = inPointer.map { $0 + 1 }
                inLeft &-= 1
            default:
                // EINVAL: a truncated sequence at the end of the input.
                output.append(contentsOf: replacementCharacter)
                invalid &+= 1
                inLeft = 0
            }
        }
        // Flush any pending output of a stateful decoder.
        let flushed = chunk.withUnsafeMutableBytes { buffer in
            var outPointer = buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
            var outLeft = buffer.count
            _ = iconv(handle, nil, nil, &outPointer, &outLeft)
            return buffer.count &- outLeft
        }
        output.append(contentsOf: chunk[0..<flushed])
        return Conversion(text: String(decoding: output, as: UTF8.self), invalidSequences: invalid)
    }
}
