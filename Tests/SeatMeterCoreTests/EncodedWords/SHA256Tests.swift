import Foundation
import Testing

@testable import SeatMeterCore

@Suite("SHA-256 (FIPS 180-4)")
struct SHA256Tests {
    /// The FIPS 180-4 / NIST CSRC example vectors and the classic long-message vector.
    @Test(
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
            (
                "The quick brown fox jumps over the lazy dog",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
            ),
        ]
    )
    func knownVectors(message: String, expected: String) {
        for accelerated in Self.paths {
            #expect(SHA256.hexDigest(of: Array(message.utf8), accelerated: accelerated) == expected, "\(accelerated)")
        }
    }

    /// `appendDigest` appends the digest's first bytes after what the output holds, and nothing else.
    @Test func appendingAPrefixOfTheDigest() {
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
            let digest = SHA256.digest(of: message)
            for accelerated in Self.paths {
                for count in [0, 1, 16, 31, 32] {
                    var output: [UInt8] = [9, 8, 7]
                    message.withUnsafeBytes {
                        SHA256.appendDigest(of: $0, prefix: count, to: &output, accelerated: accelerated)
                    }
                    #expect(output == [9, 8, 7] + digest.prefix(count), "length \(length), count \(count)")
                }
            }
        }
    }

    /// The portable code, and the SHA instructions when this CPU has them.
    static let paths = SHA256.isAccelerated ? [false, true] : [false]

    @Test func oneMillionTimesA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        for accelerated in Self.paths {
            #expect(
                SHA256.hexDigest(of: message, accelerated: accelerated)
                    == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        }
    }

    /// Every length around the padding boundaries (55/56/63/64 bytes …) against a straightforward reference
    /// computed here bit by bit, so the block-splitting and the tail are checked, not just five lengths; on both
    /// paths, with varied bytes.
    @Test func paddingBoundariesMatchTheReference() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let patterned = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            let random = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for message in [patterned, random] {
                let expected = ReferenceSHA256.hexDigest(message)
                for accelerated in Self.paths {
                    #expect(
                        SHA256.hexDigest(of: message, accelerated: accelerated) == expected,
                        "length \(length), accelerated \(accelerated), bytes \(message)")
                }
            }
        }
    }

    /// The SHA instructions are used exactly when the CPU reports them (Linux: the `sha_ni` flag).
    @Test func theSHAInstructionsAreUsedWhenTheCPUHasThem() throws {
        #if arch(x86_64)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let words = Set(flags.split(separator: " ").map(String.init))
        let expected = words.contains("sha_ni") && words.contains("ssse3") && words.contains("sse4_1")
        #expect(SHA256.isAccelerated == expected)
        #else
        #expect(!SHA256.isAccelerated)
        #endif
    }

    /// Non-contiguous collections and slices give the same digest as an array of the same bytes.
    @Test func collectionKindsAgree() {
        let bytes = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        let expected = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        #expect(SHA256.hexDigest(of: bytes[...]) == expected)
        #expect(SHA256.hexDigest(of: bytes.lazy.map { $0 }) == expected)
        #expect(
            SHA256.hexDigest(of: ("x" + "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").utf8.dropFirst())
                == expected)
        let sliced = Array("--abc--".utf8)[2..<5]
        #expect(SHA256.hexDigest(of: sliced) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func digestIs32Bytes() {
        #expect(SHA256.digest(of: Array("abc".utf8)).count == 32)
        #expect(SHA256.digest(of: Array("abc".utf8)).first == 0xba)
    }
}

/// A deliberately plain SHA-256 (no unrolling, array-based) used only to cross-check the optimised one.
private enum ReferenceSHA256 {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    static func hexDigest(_ message: [UInt8]) -> String {
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bits = UInt64(message.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8((bits >> UInt64(shift)) & 0xff)) }
        var hash: [UInt32] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ]
        for start in stride(from: 0, to: padded.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for t in 0..<16 {
                w[t] = (0..<4).reduce(0) { ($0 << 8) | UInt32(padded[start + 4 * t + $1]) }
            }
            for t in 16..<64 {
                let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var v = hash
            for t in 0..<64 {
                let t1 =
                    v[7] &+ (rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25)) &+ ((v[4] & v[5]) ^ (~v[4] & v[6]))
                    &+ k[t] &+ w[t]
                let t2 =
                    (rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22)) &+ ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]))
                v = [t1 &+ t2, v[0], v[1], v[2], v[3] &+ t1, v[4], v[5], v[6]]
            }
            for i in 0..<8 { hash[i] = hash[i] &+ v[i] }
        }
        return hash.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }
}
