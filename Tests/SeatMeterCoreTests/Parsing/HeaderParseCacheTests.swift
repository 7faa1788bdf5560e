import Foundation
import Testing

@testable import SeatMeterCore

/// A ``HeaderParseCache`` only saves decoding again: parsing with one, however full and however often it started
/// over, gives exactly the facts parsing without one gives, defects included.
@Suite("Display names decoded once per parse cache")
struct HeaderParseCacheTests {
    /// Names on the fast path that need decoding: encoded words (base64, Q, several charsets, one broken), quoted
    /// strings with encoded words or 8-bit text.
    static let blocks: [String] = [
        "From: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.com>\r\nTo: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.com>\r\n",
        "From: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.com>\r\nCc: \"=?UTF-8?Q?Ren=C3=A9e?=\" <r@example.com>\r\n",
        "From: =?UTF-8?B?broken*base64?= <b@example.com>\r\nTo: =?KOI8-R?B?8NLJ18XU?= <k@example.com>\r\n",
        "From: =?UTF-8?B?broken*base64?= <b@example.com>\r\nTo: \"Jos\u{e9} G\u{f3}mez\" <j@example.com>\r\n",
        "From: =?GBK?B?1tDOxA==?= <g@example.com>\r\nTo: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.com>\r\n",
    ]

    static func facts(_ blocks: [String], cache: HeaderParseCache?) -> [MessageFacts] {
        blocks.map { block in
            let bytes = Array(block.utf8)
            return cache.map { HeaderParser.parse(bytes, cache: $0) } ?? HeaderParser.parse(bytes)
        }
    }

    @Test func namesFromTheCacheAreTheNamesDecodingGives() throws {
        let uncached = Self.facts(Self.blocks, cache: nil)
        // The names decode, and the broken one brings its defect.
        #expect(uncached[0].appearances.map(\.mailbox.name) == ["Jörg Müller", "François"])
        #expect(!uncached[2].defects.isEmpty)
        let cache = HeaderParseCache()
        #expect(Self.facts(Self.blocks, cache: cache) == uncached)
        let cached = cache.count
        #expect(cached >= 5)
        // The second pass takes every name from the cache.
        #expect(Self.facts(Self.blocks, cache: cache) == uncached)
        #expect(cache.count == cached)
    }

    @Test func aCacheThatStartsOverStillGivesTheSameFacts() {
        let cache = HeaderParseCache(limit: 2)
        let blocks = Array(repeating: Self.blocks, count: 3).flatMap { $0 }
        #expect(Self.facts(blocks, cache: cache) == Self.facts(blocks, cache: nil))
        #expect(cache.count <= 2)
    }

    /// The messages of the corpus (`../shared/corpus/messages`), all parsed with one cache, twice.
    @Test func corpusMessagesParseTheSameWithACache() throws {
        let blocks = try OracleMessage.load().map { message in
            Array(HeaderParser.headerBlock(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: message.path)))))
        }
        #expect(!blocks.isEmpty)
        let cache = HeaderParseCache()
        for _ in 0..<2 {
            for block in blocks {
                #expect(HeaderParser.parse(block, cache: cache) == HeaderParser.parse(block))
            }
        }
    }
}
