import Foundation
import Testing

@testable import SeatMeterCore

private func decode(_ text: String) -> DecodedText {
    EncodedWordDecoder.decode(unstructured: Array(text.utf8))
}

private func decode(bytes: [UInt8]) -> DecodedText {
    EncodedWordDecoder.decode(unstructured: bytes)
}

@Suite("Encoded words: B and Q")
struct EncodedWordBQTests {
    @Test(
        arguments: [
            ("=?utf-8?B?QW5kcsOp?=", "André"),
            ("=?utf-8?b?QW5kcsOp?=", "André"),
            ("=?UTF-8?Q?Andr=C3=A9?=", "André"),
            ("=?utf-8?q?Andr=c3=a9?=", "André"),
            ("=?iso-8859-1?q?J=F6rg_M=FCller?=", "Jörg Müller"),
            ("=?ISO-8859-1?Q?a_b=20c?=", "a b c"),
            ("=?us-ascii?q?foo?=", "foo"),
            ("=?us-ascii*en?q?foo?=", "foo"),
            ("=?UTF-8*de-DE?B?SsO2cmc=?=", "Jörg"),
            ("=?Utf-8?Q?x?=", "x"),
        ]
    )
    func singleWords(input: String, expected: String) {
        let decoded = decode(input)
        #expect(decoded.text == expected)
        #expect(decoded.defects.isEmpty)
    }

    @Test func base64PaddingIsRepairedWithADefect() {
        for input in ["=?iso-8859-1?B?dm?=", "=?iso-8859-1?B?dm=?=", "=?iso-8859-1?B?dmk?="] {
            let decoded = decode(input)
            #expect(decoded.text.hasPrefix("v"), "\(input)")
            #expect(decoded.defects == ["missing base64 padding in an encoded word repaired"], "\(input)")
        }
        #expect(decode("=?iso-8859-1?B?dm==?=") == DecodedText(text: "v"))
    }

    @Test func base64InvalidCharactersAreSkippedWithADefect() {
        let decoded = decode("=?us-ascii?b?dm\u{01}k=?=")
        #expect(decoded.text == "vi")
        #expect(decoded.defects == ["invalid base64 characters in an encoded word ignored"])
    }

    @Test func base64DataAfterPaddingIsIgnoredWithADefect() {
        let decoded = decode("=?us-ascii?b?dmk=QUJD?=")
        #expect(decoded.text == "vi")
        #expect(decoded.defects == ["data after base64 padding in an encoded word ignored"])
    }

    /// One base64 character too many cannot form a byte: the word is kept as written.
    @Test func undecodableBase64KeepsTheWord() {
        let decoded = decode("Hi =?utf-8?B?QW5kc?= there")
        #expect(decoded.text == "Hi =?utf-8?B?QW5kc?= there")
        #expect(decoded.defects == ["encoded word with undecodable base64 text kept as is"])
    }

    @Test func qEqualsWithoutHexIsLiteral() {
        let decoded = decode("=?iso-8859-1?Q?andr=e9=zz?=")
        #expect(decoded.text == "andré=zz")
        #expect(decoded.defects == ["\"=\" without two hex digits in a Q encoded word kept as is"])
    }

    @Test(arguments: ["=?UTF-8?Q?A=B?=", "=?UTF-8?Q?=A?=", "=?utf-8?Q?=?="])
    func truncatedQEscapeKeepsTheWord(input: String) {
        let decoded = decode(input)
        #expect(decoded.text == input)
        #expect(decoded.defects == ["encoded word with a truncated Q escape kept as is"])
    }

    @Test(arguments: ["=?UTF-8?A?Test?=", "=?utf-8?X?somevalue?="])
    func unknownEncodingKeepsTheWord(input: String) {
        let decoded = decode(input)
        #expect(decoded.text == input)
        #expect(decoded.defects.count == 1)
        #expect(decoded.defects.first?.contains("unknown encoding") == true)
    }

    @Test(
        arguments: [
            "=?", "=?UTF-8?", "=?UTF-8?=", "=?UTF-8?Q", "=?UTF-8?Q?", "=?UTF-8?Q?A", "=?UTF-8?Q?A?", "=????=",
            "=?UTF-8???=", "a=?b", "price =? 3", "=?utf 8?q?x?=",
        ]
    )
    func incompleteWordsAreText(input: String) {
        #expect(decode(input) == DecodedText(text: input))
    }
}

@Suite("Encoded words: joining and white space")
struct EncodedWordJoiningTests {
    @Test(
        arguments: [
            ("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"),
            ("=?ISO-8859-1?Q?a?=\t \t=?ISO-8859-1?Q?b?=", "ab"),
            ("=?ISO-8859-1?Q?a?=\r\n =?ISO-8859-1?Q?b?=", "ab"),
            ("=?ISO-8859-1?Q?a?=\n\t=?ISO-8859-1?Q?b?=", "ab"),
            ("=?ISO-8859-1?Q?a?==?ISO-8859-1?Q?b?=", "ab"),
            ("=?ISO-8859-1?Q?a?= b", "a b"),
            ("a =?ISO-8859-1?Q?b?=", "a b"),
            ("a  =?ISO-8859-1?Q?b?=  c", "a  b  c"),
            ("=?ISO-8859-1?Q?a?= x =?ISO-8859-1?Q?b?=", "a x b"),
            ("=?ISO-8859-1?Q?a_?= =?ISO-8859-1?Q?b?=", "a b"),
            ("Sm=?ISO-8859-1?B?9g==?=rg=?ISO-8859-1?B?5Q==?=sbord", "Smörgåsbord"),
            ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
            ("Re: [ticket #42] =?utf-8?q?Drucker_kaputt?=", "Re: [ticket #42] Drucker kaputt"),
        ]
    )
    func whiteSpaceRules(input: String, expected: String) {
        let decoded = decode(input)
        #expect(decoded.text == expected)
        #expect(decoded.defects.isEmpty)
    }

    @Test func foldedPlainTextIsUnfolded() {
        #expect(decode("Hello\r\n world\r\n").text == "Hello world")
        #expect(decode("Hello\nworld").text == "Hello world")
    }

    /// A UTF-8 character whose bytes are split over two encoded words (B and Q) decodes whole.
    @Test func multibyteCharacterSplitAcrossWords() {
        // 山田太郎 in UTF-8, split after the first byte of 田.
        let b = decode("=?utf-8?B?5bGx5w==?= =?utf-8?B?lLDlpKrpg44=?=")
        #expect(b == DecodedText(text: "山田太郎"))
        let q = decode("=?UTF-8?Q?Ren=C3?=\r\n =?UTF-8?Q?=A9e?=")
        #expect(q == DecodedText(text: "Renée"))
        // Shift_JIS: 山田 split inside the first double-byte character; the labels differ in spelling only.
        let sjis = decode("=?shift_jis?B?jg==?= =?SJIS?B?UpNj?=")
        #expect(sjis == DecodedText(text: "山田"))
    }

    /// Words in different charsets are decoded separately: half a character in one charset cannot be completed
    /// by another, and the stray byte is reported.
    @Test func splitCharacterAcrossDifferentCharsetsIsReported() {
        let decoded = decode("=?utf-8?Q?Ren=C3?= =?iso-8859-1?Q?e?=")
        #expect(decoded.text == "RenÃe")
        #expect(decoded.defects == ["utf-8 text is not valid UTF-8; read as windows-1252"])
    }

    /// Plain text between words of the same charset ends the run: the words are not joined across it.
    @Test func wordsAreNotJoinedAcrossText() {
        #expect(decode("=?utf-8?q?a?= - =?utf-8?q?b?=").text == "a - b")
    }

    @Test func mixedCharsetsInOneHeader() {
        let input =
            "=?koi8-r?B?8NLP18XSy8E=?= =?iso-8859-2?B?o/NkvA==?= / =?shift_jis?B?jlKTY5G+mFk=?= "
            + "=?utf-8?q?=E2=9C=93?="
        #expect(decode(input) == DecodedText(text: "ПроверкаŁódź / 山田太郎✓"))
    }

    @Test func unknownCharsetKeepsTheWordAndItsWhiteSpace() {
        let decoded = decode("=?utf-8?q?Jos=C3=A9?= =?x-klingon?q?Qapla?= =?utf-8?q?!?=")
        #expect(decoded.text == "José =?x-klingon?q?Qapla?= !")
        #expect(decoded.defects == ["encoded word with unknown charset \"x-klingon\" kept as is"])
    }

    @Test func defectsOfReadingWordsComeBeforeDefectsOfDecodingText() {
        // Joined as bytes (one charset, white space between), then decoded: the Q defect is found first.
        let decoded = decode("=?utf-8?q?=FF?= =?utf-8?q?a=zz?= x\u{FF}")
        #expect(decoded.text == "ÿa=zz xÿ")
        #expect(
            decoded.defects == [
                "\"=\" without two hex digits in a Q encoded word kept as is",
                "utf-8 text is not valid UTF-8; read as windows-1252",
            ])
        // Different charsets: the white space between the words is still dropped, each word decoded on its own.
        #expect(decode("=?iso-8859-1?q?=E9?= \t=?utf-8?q?=C3=A9?=") == DecodedText(text: "éé"))
        // Text between words is kept, and an undecodable word stays as written within it.
        #expect(decode("=?utf-8?q?a?= =?utf-8?b?w?= =?utf-8?q?b?=").text == "a =?utf-8?b?w?= b")
    }

    @Test func emptyWords() {
        #expect(decode("=?UTF-8?Q??=") == DecodedText(text: ""))
        #expect(decode("=?UTF-8?B??=") == DecodedText(text: ""))
        #expect(decode("a =?UTF-8?Q??= b").text == "a  b")
        #expect(decode("=?UTF-8?Q?a?= =?UTF-8?Q??= =?UTF-8?Q?b?=").text == "ab")
        #expect(decode("") == DecodedText(text: ""))
    }

    @Test func longWordsAndLongRuns() {
        let text = String(repeating: "Grüße aus Köln, ", count: 500)
        let long = "=?utf-8?B?" + Data(text.utf8).base64EncodedString() + "?="
        #expect(decode(long) == DecodedText(text: text))

        let words = (0..<1000).map { "=?iso-8859-1?q?w\($0)=E9_?=" }.joined(separator: "\r\n ")
        let expected = (0..<1000).map { "w\($0)é " }.joined()
        #expect(decode(words) == DecodedText(text: expected))
    }

    /// A header full of `=?` that never ends in `?=` is scanned in linear time (it would take minutes if each
    /// `=?` rescanned the rest of the header).
    @Test func pathologicalInputStaysLinear() {
        let input = String(repeating: "=?a?q?", count: 100_000)
        let start = ContinuousClock.now
        #expect(decode(input).text == input)
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}

@Suite("Encoded words: raw 8-bit text")
struct RawHeaderTextTests {
    @Test func utf8PlainTextNeedsNoFallback() {
        #expect(decode("Jörg Müller <j@x.de>") == DecodedText(text: "Jörg Müller <j@x.de>"))
        #expect(EncodedWordDecoder.decode(raw: Array("山田 太郎".utf8)) == DecodedText(text: "山田 太郎"))
    }

    @Test func latin1BytesFallBackToWindows1252() {
        // "Jörg – Müller" in windows-1252 (0xF6 ö, 0x96 en dash, 0xFC ü).
        let bytes: [UInt8] = [0x4A, 0xF6, 0x72, 0x67, 0x20, 0x96, 0x20, 0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]
        let expected = DecodedText(
            text: "Jörg – Müller",
            defects: ["8-bit header text is not UTF-8; read as windows-1252"]
        )
        #expect(decode(bytes: bytes) == expected)
        #expect(EncodedWordDecoder.decode(raw: bytes) == expected)
    }

    @Test func mixedUTF8AndLatin1() {
        // "é" as UTF-8, then a lone 0xE9 (Latin-1 é), then a truncated UTF-8 sequence at the end.
        let bytes: [UInt8] = [0xC3, 0xA9, 0x20, 0xE9, 0x20, 0xE2, 0x82]
        let decoded = EncodedWordDecoder.decode(raw: bytes)
        #expect(decoded.text == "é é â‚")
        #expect(decoded.defects.count == 1)
    }

    @Test func rawTextAroundEncodedWords() {
        let bytes = Array("=?utf-8?q?Jos=C3=A9?= ".utf8) + [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]
        let decoded = decode(bytes: bytes)
        #expect(decoded.text == "José Müller")
        #expect(decoded.defects == ["8-bit header text is not UTF-8; read as windows-1252"])
    }

    /// Inside a quoted string encoded words are not decoded (RFC 2047 §5 (3)).
    @Test func rawNeverDecodesEncodedWords() {
        #expect(EncodedWordDecoder.decode(raw: Array("=?utf-8?q?a?=".utf8)) == DecodedText(text: "=?utf-8?q?a?="))
    }

    /// Raw 8-bit bytes inside an encoded word belong to its charset.
    @Test func rawBytesInsideAQWord() {
        let bytes = Array("=?iso-8859-1?q?M".utf8) + [0xFC] + Array("ller?=".utf8)
        #expect(decode(bytes: bytes) == DecodedText(text: "Müller"))
    }

    @Test func invalidUTF8DeclaredAsUTF8() {
        let decoded = decode("=?utf-8?q?M=FCller?=")
        #expect(decoded.text == "Müller")
        #expect(decoded.defects == ["utf-8 text is not valid UTF-8; read as windows-1252"])
    }

    @Test func nonContiguousCollectionsDecodeTheSame() {
        let input = "=?utf-8?B?QW5kcsOp?= <a@b>"
        let viaLazy = EncodedWordDecoder.decode(unstructured: input.utf8.lazy.map { $0 })
        #expect(viaLazy == DecodedText(text: "André <a@b>"))
        let slice = Array(("xx" + input).utf8).dropFirst(2)
        #expect(EncodedWordDecoder.decode(unstructured: slice) == DecodedText(text: "André <a@b>"))
        #expect(EncodedWordDecoder.decode(raw: input.utf8.lazy.map { $0 }).text == input)
    }
}
