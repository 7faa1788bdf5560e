import Testing

@testable import SeatMeterCore

private func decode(_ text: String) -> DecodedText {
    EncodedWordDecoder.decode(unstructured: Array(text.utf8))
}

@Suite("Charsets")
struct CharsetTests {
    @Test(
        arguments: [
            ("utf-8", Charset.utf8), ("UTF8", .utf8), ("utf-8*en", .utf8), (" utf-8 ", .utf8),
            ("US-ASCII", .ascii), ("ansi_x3.4-1968", .ascii),
            ("ISO-8859-1", .latin1), ("latin-1", .latin1), ("iso8859_1", .latin1),
            ("cp1252", .windows1252), ("Windows-1252", .windows1252),
            ("unknown-8bit", .unknown8Bit),
            ("ISO-2022-JP", .iso2022JP),
            ("shift_jis", .iconv("CP932")), ("x-sjis", .iconv("CP932")),
            ("ks_c_5601-1987", .iconv("CP949")), ("euc-kr", .iconv("CP949")),
            ("gb2312", .iconv("GBK")), ("big5", .iconv("BIG5-HKSCS")),
            ("koi8-r", .iconv("KOI8-R")), ("mac-iceland", .iconv("MAC-IS")),
            ("unicode-1-1-utf-7", .iconv("UTF-7")),
            ("iso-8859-15", .iconv("ISO-8859-15")), ("ISO8859_15", .iconv("ISO8859-15")),
            ("latin-2", .iconv("LATIN2")), ("iso-8859-8-i", .iconv("ISO-8859-8")),
            ("windows-1251", .iconv("WINDOWS-1251")), ("cp1250", .iconv("CP1250")),
            ("x-cp1251", .iconv("CP1251")), ("utf-16be", .iconv("UTF-16BE")),
        ]
    )
    func labelsResolve(label: String, expected: Charset) {
        #expect(Charset(label: label) == expected)
        #expect(Charset(label: Array(label.utf8)) == expected)
    }

    @Test(arguments: [
        "", "*en", "x-klingon", "utf-8//TRANSLIT", "UTF-8//IGNORE", "../../etc/passwd", "utf-8\u{0}", "ü",
    ])
    func unknownLabelsDoNotResolve(label: String) {
        #expect(Charset(label: label) == nil)
    }

    @Test(
        arguments: [
            ("=?koi8-r?B?8NLP18XSy8E=?=", "Проверка"),
            ("=?windows-1251?B?z/Do4uXy?=", "Привет"),
            ("=?shift_jis?B?jlKTY5G+mFk=?=", "山田太郎"),
            ("=?iso-2022-jp?B?GyRCOzNFREJATzobKEI=?=", "山田太郎"),
            ("=?gb2312?B?1cXOsA==?=", "张伟"),
            ("=?gb18030?B?1tDOxA==?=", "中文"),
            ("=?big5?B?s6+kaqTl?=", "陳大文"),
            ("=?euc-kr?B?sejDtrz2?=", "김철수"),
            ("=?ks_c_5601-1987?B?sejDtrz2?=", "김철수"),
            ("=?euc-jp?B?xcTD5g==?=", "田中"),
            ("=?iso-8859-2?B?o/NkvA==?=", "Łódź"),
            ("=?iso-8859-15?B?pHVybw==?=", "€uro"),
            ("=?windows-1252?Q?=80=96?=", "€–"),
            ("=?iso-8859-1?Q?=80?=", "\u{80}"),
            ("=?utf-16?B?//6pA20AZQBnAGEA?=", "Ωmega"),
            ("=?utf-16be?B?A6kAbQBlAGcAYQ==?=", "Ωmega"),
            ("=?utf-7?Q?Hi_Mom_-+Jjo--!?=", "Hi Mom -☺-!"),
            ("=?mac-iceland?q?r=8Aksm=9Arg=8Cs?=", "räksmörgås"),
            ("=?unknown-8bit?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        ]
    )
    func charsetsDecode(input: String, expected: String) {
        let decoded = decode(input)
        #expect(decoded.text == expected)
        #expect(decoded.defects.isEmpty)
    }

    /// ISO-2022-JP as Japanese mail clients send it: NEC row 13 (① as CP50221) and half-width katakana
    /// (ESC ( I), neither of which glibc's plain ISO-2022-JP accepts.
    @Test func iso2022JPExtensions() {
        #expect(decode("=?ISO-2022-JP?B?GyRCLSE7M0VEGyhC?=") == DecodedText(text: "①山田"))
        #expect(decode("=?iso-2022-jp?B?GyhJMTIzGyhC?=") == DecodedText(text: "ｱｲｳ"))
    }

    /// ISO-2022-JP-2 designations the transcoder does not map fall back to iconv's ISO-2022-JP-2
    /// (here ESC $ A, GB 2312: 中).
    @Test func iso2022JPFallsBackForOtherDesignations() {
        let bytes: [UInt8] = [0x1B, 0x24, 0x41, 0x56, 0x50, 0x1B, 0x28, 0x42]
        let decoded = bytes.withUnsafeBufferPointer { Charset.iso2022JP.decode($0) }
        #expect(decoded == DecodedText(text: "中"))
    }

    @Test func invalidSequencesBecomeReplacementCharacters() {
        // 0x81 0x20 is not Shift_JIS (a lead byte followed by a space); the trailing lead byte is truncated.
        let decoded = decode("=?shift_jis?Q?a=81_b=82?=")
        #expect(decoded.text == "a\u{FFFD} b\u{FFFD}")
        #expect(decoded.defects == ["2 invalid cp932 sequence(s) replaced by U+FFFD"])
    }

    @Test func asciiLabelWithUTF8Bytes() {
        let decoded = decode("=?us-ascii?q?Jos=C3=A9?=")
        #expect(decoded.text == "José")
        #expect(decoded.defects == ["us-ascii text contains 8-bit bytes; read as UTF-8"])
    }

    /// Many tasks decoding through iconv at once get the same results as one (descriptors are never shared).
    @Test func concurrentDecodingThroughIconv() async {
        let inputs = [
            ("=?koi8-r?B?8NLP18XSy8E=?=", "Проверка"),
            ("=?iso-2022-jp?B?GyRCOzNFREJATzobKEI=?=", "山田太郎"),
            ("=?shift_jis?B?jg==?= =?shift_jis?B?UpNj?=", "山田"),
            ("=?big5?B?s6+kaqTl?=", "陳大文"),
        ]
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<16 {
                group.addTask {
                    var mismatches = 0
                    for round in 0..<300 {
                        let (input, expected) = inputs[(task &+ round) % inputs.count]
                        if decode(input).text != expected {
                            mismatches += 1
                        }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
