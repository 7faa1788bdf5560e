import CSHA256

/// SHA-256 of a byte sequence as lowercase hex (FIPS 180-4). Core has no crypto dependency: the compression function
/// is written here, and on x86 CPUs with the SHA extensions it runs as those instructions instead
/// (`Sources/CSHA256`; a sync hashes every message's de-duplication key, and the portable code was 3% of a cold
/// sync's CPU samples).
///
/// Runs on every message, so it works on raw memory: whole 64-byte blocks are read in place from the input's
/// contiguous storage (non-contiguous collections are copied once), and the message schedule lives in one
/// stack-allocated buffer per call.
///
/// - SeeAlso: [FIPS 180-4](https://nvlpubs.nist.gov/nistpubs/FIPS/NIST.FIPS.180-4.pdf)
package enum SHA256 {
    /// Whether this CPU runs the compression function as SHA instructions.
    package static let isAccelerated = seatmeter_sha256_accelerated() != 0
    /// The 32-byte digest as 64 lowercase hexadecimal characters.
    ///
    /// - Parameter accelerated: false forces the portable code (tests compare the two).
    package static func hexDigest(of bytes: some Collection<UInt8>, accelerated: Bool = isAccelerated) -> String {
        let digest = self.digest(of: bytes, accelerated: accelerated)
        let hexDigits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 64) { output in
            hexDigits.withUTF8Buffer { digits in
                for (index, byte) in digest.enumerated() {
                    output[2 &* index] = digits[Int(byte &>> 4)]
                    output[2 &* index &+ 1] = digits[Int(byte & 0x0F)]
                }
            }
            return 64
        }
    }

    /// The 32-byte digest.
    ///
    /// - Parameter accelerated: false forces the portable code (tests compare the two).
    package static func digest(of bytes: some Collection<UInt8>, accelerated: Bool = isAccelerated) -> [UInt8] {
        if let state = bytes.withContiguousStorageIfAvailable({
            hash(UnsafeRawBufferPointer($0), accelerated: accelerated)
        }) {
            return state.bytes
        }
        return Array(bytes).withUnsafeBytes { hash($0, accelerated: accelerated) }.bytes
    }

    /// Appends the first `count` (at most 32) bytes of the digest of `bytes` to `output`, allocating nothing of its
    /// own: a sync's encoder stores 16 of them per message (``digest(of:accelerated:)`` is an array per call).
    package static func appendDigest(
        of bytes: UnsafeRawBufferPointer, prefix count: Int, to output: inout [UInt8],
        accelerated: Bool = isAccelerated
    ) {
        hash(bytes, accelerated: accelerated).append(prefix: count, to: &output)
    }

    private static func hash(_ message: UnsafeRawBufferPointer, accelerated: Bool) -> State {
        roundConstants.withUnsafeBufferPointer { constants in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
                    var state = State()
                    guard let k = constants.baseAddress, let w = schedule.baseAddress, let tailBase = tail.baseAddress
                    else { return state }
                    func compress(_ blocks: UnsafeRawPointer, count: Int) {
                        if accelerated {
                            state.compressAccelerated(blocks, count: count, constants: k)
                        } else {
                            for block in 0..<count {
                                state.compress(block: blocks + block &* 64, schedule: w, constants: k)
                            }
                        }
                    }
                    let fullBlocks = message.count / 64
                    if fullBlocks > 0, let base = message.baseAddress {
                        compress(base, count: fullBlocks)
                    }
                    // The tail: the remaining bytes, 0x80, zeros, and the message length in bits (big-endian), in
                    // one or two blocks.
                    let remainder = message.count &- fullBlocks &* 64
                    tail.initialize(repeating: 0)
                    if remainder > 0, let base = message.baseAddress {
                        UnsafeMutableRawPointer(tailBase).copyMemory(
                            from: base + fullBlocks &* 64, byteCount: remainder)
                    }
                    tail[remainder] = 0x80
                    let tailLength = remainder < 56 ? 64 : 128
                    let bitLength = UInt64(message.count) &* 8
                    for index in 0..<8 {
                        tail[tailLength &- 1 &- index] = UInt8(truncatingIfNeeded: bitLength &>> (8 &* UInt64(index)))
                    }
                    compress(UnsafeRawPointer(tailBase), count: tailLength / 64)
                    return state
                }
            }
        }
    }

    /// The eight working hash values H0…H7.
    private struct State {
        var h0: UInt32 = 0x6a09_e667
        var h1: UInt32 = 0xbb67_ae85
        var h2: UInt32 = 0x3c6e_f372
        var h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f
        var h5: UInt32 = 0x9b05_688c
        var h6: UInt32 = 0x1f83_d9ab
        var h7: UInt32 = 0x5be0_cd19

        /// The digest: H0…H7, big-endian.
        var bytes: [UInt8] {
            var result: [UInt8] = []
            result.reserveCapacity(32)
            append(prefix: 32, to: &result)
            return result
        }

        /// Appends the digest's first `count` bytes to `output`.
        func append(prefix count: Int, to output: inout [UInt8]) {
            var words = (h0.bigEndian, h1.bigEndian, h2.bigEndian, h3.bigEndian,
                         h4.bigEndian, h5.bigEndian, h6.bigEndian, h7.bigEndian)
            withUnsafeBytes(of: &words) { output.append(contentsOf: $0.prefix(min(max(count, 0), 32))) }
        }

        /// The compression function on `count` 64-byte blocks, as SHA instructions (only when ``isAccelerated``).
        mutating func compressAccelerated(_ blocks: UnsafeRawPointer, count: Int, constants k: UnsafePointer<UInt32>) {
            var words = (h0, h1, h2, h3, h4, h5, h6, h7)
            withUnsafeMutableBytes(of: &words) { raw in
                seatmeter_sha256_blocks(
                    raw.baseAddress!.assumingMemoryBound(to: UInt32.self),
                    blocks.assumingMemoryBound(to: UInt8.self), count, k)
            }
            (h0, h1, h2, h3, h4, h5, h6, h7) = words
        }

        /// One application of the compression function (FIPS 180-4 §6.2.2) to a 64-byte block.
        @inline(__always)
        mutating func compress(
            block: UnsafeRawPointer,
            schedule w: UnsafeMutablePointer<UInt32>,
            constants k: UnsafePointer<UInt32>
        ) {
            for t in 0..<16 {
                w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t &* 4, as: UInt32.self))
            }
            for t in 16..<64 {
                let x = w[t &- 15]
                let y = w[t &- 2]
                let sigma0 = rotateRight(x, 7) ^ rotateRight(x, 18) ^ (x &>> 3)
                let sigma1 = rotateRight(y, 17) ^ rotateRight(y, 19) ^ (y &>> 10)
                w[t] = sigma1 &+ w[t &- 7] &+ sigma0 &+ w[t &- 16]
            }
            var a = h0
            var b = h1
            var c = h2
            var d = h3
            var e = h4
            var f = h5
            var g = h6
            var h = h7
            var t = 0
            while t < 64 {
                round(a, b, c, &d, e, f, g, &h, w[t] &+ k[t])
                round(h, a, b, &c, d, e, f, &g, w[t &+ 1] &+ k[t &+ 1])
                round(g, h, a, &b, c, d, e, &f, w[t &+ 2] &+ k[t &+ 2])
                round(f, g, h, &a, b, c, d, &e, w[t &+ 3] &+ k[t &+ 3])
                round(e, f, g, &h, a, b, c, &d, w[t &+ 4] &+ k[t &+ 4])
                round(d, e, f, &g, h, a, b, &c, w[t &+ 5] &+ k[t &+ 5])
                round(c, d, e, &f, g, h, a, &b, w[t &+ 6] &+ k[t &+ 6])
                round(b, c, d, &e, f, g, h, &a, w[t &+ 7] &+ k[t &+ 7])
                t &+= 8
            }
            h0 = h0 &+ a
            h1 = h1 &+ b
            h2 = h2 &+ c
            h3 = h3 &+ d
            h4 = h4 &+ e
            h5 = h5 &+ f
            h6 = h6 &+ g
            h7 = h7 &+ h
        }
    }

    /// One round (FIPS 180-4 §6.2.2 step 3) with the working variables renamed instead of shifted: the caller
    /// rotates the argument order, so only `d` and `h` change.
    @inline(__always)
    private static func round(
        _ a: UInt32,
        _ b: UInt32,
        _ c: UInt32,
        _ d: inout UInt32,
        _ e: UInt32,
        _ f: UInt32,
        _ g: UInt32,
        _ h: inout UInt32,
        _ scheduledWordPlusConstant: UInt32
    ) {
        let bigSigma1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25)
        let choose = (e & f) ^ (~e & g)
        let t1 = h &+ bigSigma1 &+ choose &+ scheduledWordPlusConstant
        let bigSigma0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22)
        let majority = (a & b) | (c & (a | b))
        d = d &+ t1
        h = t1 &+ bigSigma0 &+ majority
    }

    @inline(__always)
    private static func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value &>> count) | (value &<< (32 &- count))
    }

    /// K0…K63: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
