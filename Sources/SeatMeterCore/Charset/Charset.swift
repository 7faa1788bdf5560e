import Synchronization

/// A character set named by a MIME charset label, resolved to a decoder SeatMeter can run.
///
/// UTF-8, US-ASCII, ISO-8859-1 and windows-1252 are decoded in Swift; every other charset goes through the C
/// library's iconv (see ``IconvConverter``). Labels are matched the way mail readers match them: case-insensitively,
/// with an RFC 2231 language suffix (`utf-8*en`) ignored, `x-` prefixes and `_`/`-` spellings tolerated, and the
/// common mislabels mapped to the superset that real senders mean (`shift_jis` → CP932, `gb2312` → GBK,
/// `ks_c_5601-1987`/`euc-kr` → CP949, `big5` → BIG5-HKSCS), as the WHATWG Encoding Standard does.
package enum Charset: Hashable, Sendable {
    case utf8
    case ascii
    case latin1
    case windows1252
    /// `unknown-8bit` (RFC 1428): the sender did not know; decoded like raw header bytes.
    case unknown8Bit
    /// ISO-2022-JP and its extensions (CP50220/50221): transcoded to EUC-JP in Swift, then decoded by iconv's
    /// EUC-JP-MS so NEC and IBM extension characters (①, ㈱ …) survive.
    case iso2022JP
    /// Any other charset, decoded by iconv under this (iconv) name.
    case iconv(String)

    /// The charset a MIME label names, or `nil` when neither SeatMeter nor iconv knows it (or the label is not a
    /// plausible charset name at all).
    package init?(label: some Collection<UInt8>) {
        let resolved =
            label.withContiguousStorageIfAvailable { Self.resolve(label: $0) }
            ?? Array(label).withUnsafeBufferPointer { Self.resolve(label: $0) }
        guard let resolved else { return nil }
        self = resolved
    }

    /// The charset a MIME label names, or `nil` when it is unknown.
    package init?(label: String) {
        var label = label
        guard let resolved = label.withUTF8({ Self.resolve(label: $0) }) else { return nil }
        self = resolved
    }

    /// Longest label considered (IANA's longest registered name is 45 characters).
    private static let maximumLabelLength = 64

    /// Trims white space, drops an RFC 2231 language (`charset*language`, §5), lowercases and validates; answers
    /// the common labels without allocating.
    private static func resolve(label: UnsafeBufferPointer<UInt8>) -> Charset? {
        var start = 0
        var end = label.firstIndex(of: UInt8(ascii: "*")) ?? label.count
        while start < end, label[start] == 0x20 || label[start] == 0x09 {
            start &+= 1
        }
        while end > start, label[end &- 1] == 0x20 || label[end &- 1] == 0x09 {
            end &-= 1
        }
        let length = end &- start
        guard length > 0, length <= maximumLabelLength else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { lowered -> Charset? in
            for offset in 0..<length {
                var byte = label[start &+ offset]
                if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
                    byte |= 0x20
                }
                guard isLabelByte(byte) else { return nil }
                lowered[offset] = byte
            }
            let name = UnsafeBufferPointer(lowered)
            for (literal, charset) in commonLabels where name.elementsEqual(literal.utf8) {
                return charset
            }
            return resolve(normalizedName: String(decoding: name, as: UTF8.self))
        }
    }

    /// Labels checked byte for byte before anything is allocated.
    private static let commonLabels: [(String, Charset)] = [
        ("utf-8", .utf8), ("iso-8859-1", .latin1), ("us-ascii", .ascii), ("windows-1252", .windows1252),
        ("utf8", .utf8),
    ]

    /// Resolves a trimmed, lowercased label made of label bytes only.
    private static func resolve(normalizedName exact: String) -> Charset? {
        if let known = aliases[exact] {
            return known
        }
        if let cached = resolved.withLock({ $0[exact] }) {
            return cached
        }
        let charset = resolveVariants(of: exact)
        resolved.withLock { cache in
            if cache.count < maximumCachedLabels {
                cache[exact] = .some(charset)
            }
        }
        return charset
    }

    /// Labels already resolved beyond the alias table (`nil` answers included), so iconv is asked once per label.
    private static let resolved = Mutex<[String: Charset?]>([:])
    private static let maximumCachedLabels = 1024

    private static func resolveVariants(of exact: String) -> Charset? {
        // Variants a sender may have meant: without `x-`, with `_` for `-` (Python spells `iso8859_15`),
        // `latin-2` for `latin2`, and the bidi suffixes of ISO-8859-6/8 (`iso-8859-8-i`).
        var candidates: [String] = [exact]
        func addCandidate(_ candidate: String) {
            if !candidates.contains(candidate) {
                candidates.append(candidate)
            }
        }
        for candidate in candidates {
            if candidate.hasPrefix("x-") {
                addCandidate(String(candidate.dropFirst(2)))
            }
        }
        for candidate in candidates where candidate.contains("_") {
            addCandidate(candidate.replacing("_", with: "-"))
        }
        for candidate in candidates {
            if candidate.hasPrefix("latin-") {
                addCandidate("latin" + candidate.dropFirst(6))
            }
            for suffix in ["-i", "-e"] where candidate.hasPrefix("iso-8859-") && candidate.hasSuffix(suffix) {
                addCandidate(String(candidate.dropLast(2)))
            }
        }
        for candidate in candidates.dropFirst() {
            if let known = aliases[candidate] {
                return known
            }
        }
        for candidate in candidates {
            let iconvName = candidate.uppercased()
            if IconvConverter.shared.supports(iconvName) {
                return .iconv(iconvName)
            }
        }
        return nil
    }

    /// Bytes a charset label may contain: letters, digits and `-_.:+()`. Anything else (notably `/`, which would
    /// pass iconv options such as `//TRANSLIT`) makes the label unknown.
    private static func isLabelByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "+"),
            UInt8(ascii: "("), UInt8(ascii: ")"):
            true
        default:
            false
        }
    }

    /// Labels resolved without asking iconv (lowercase). Everything not here is tried on iconv as spelled.
    private static let aliases: [String: Charset] = {
        var table: [String: Charset] = [:]
        func add(_ charset: Charset, _ labels: [String]) {
            for label in labels {
                table[label] = charset
            }
        }
        add(.utf8, ["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"])
        add(
            .ascii,
            [
                "us-ascii", "ascii", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso646-us", "iso_646.irv:1991", "us",
                "cp367", "ibm367", "csascii", "iso-ir-6", "646",
            ]
        )
        add(
            .latin1,
            [
                "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "iso88591", "latin1", "latin-1", "l1",
                "cp819", "ibm819", "iso-ir-100", "csisolatin1", "8859-1", "iso8859_1",
            ]
        )
        add(.windows1252, ["windows-1252", "cp1252", "x-cp1252", "cp-1252", "win-1252", "ms-ansi", "windows1252"])
        add(.unknown8Bit, ["unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined"])
        add(
            .iso2022JP,
            ["iso-2022-jp", "csiso2022jp", "iso2022jp", "iso-2022-jp-1", "cp50220", "cp50221", "cp50222"]
        )
        add(.iconv("ISO-2022-JP-2"), ["iso-2022-jp-2", "csiso2022jp2"])
        add(
            .iconv("CP932"),
            [
                "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932",
                "x-ms-cp932", "cswindows31j", "shiftjis",
            ]
        )
        add(.iconv("EUC-JP-MS"), ["euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese", "ujis", "x-euc"])
        add(
            .iconv("CP949"),
            [
                "ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc5601", "ksc_5601", "korean", "windows-949",
                "euc-kr", "cseuckr", "euckr", "cp949", "uhc", "iso-ir-149", "csksc56011987",
            ]
        )
        add(
            .iconv("GBK"),
            [
                "gb2312", "csgb2312", "euc-cn", "euccn", "gb_2312-80", "gb_2312", "chinese", "csiso58gb231280",
                "iso-ir-58", "cp936", "windows-936", "ms936", "gbk", "x-gbk",
            ]
        )
        add(.iconv("GB18030"), ["gb18030", "gb-18030"])
        add(
            .iconv("BIG5-HKSCS"),
            ["big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-hkscs", "big5hkscs", "cp950", "windows-950"]
        )
        add(
            .iconv("WINDOWS-874"),
            ["tis-620", "tis620", "iso-8859-11", "iso8859-11", "windows-874", "cp874", "dos-874", "x-windows-874"]
        )
        add(.iconv("UTF-7"), ["utf-7", "unicode-1-1-utf-7", "x-unicode-2-0-utf-7", "csunicode11utf7", "utf7"])
        add(.iconv("MAC-IS"), ["mac-iceland", "maciceland", "x-mac-icelandic", "mac-is", "macis", "mac_iceland"])
        add(.iconv("MACINTOSH"), ["macintosh", "mac", "x-mac-roman", "mac-roman", "macroman", "csmacintosh"])
        add(.iconv("MAC-CYRILLIC"), ["x-mac-cyrillic", "mac-cyrillic", "maccyrillic", "x-mac-ukrainian"])
        add(
            .iconv("MAC-CENTRALEUROPE"),
            ["x-mac-ce", "mac-centraleurope", "mac-latin2", "maccentraleurope", "x-mac-centraleurroman"]
        )
        add(.iconv("KOI8-U"), ["koi8-u", "koi8-ru", "koi8u"])
        add(.iconv("KOI8-R"), ["koi8-r", "koi8r", "koi8", "cskoi8r", "koi"])
        add(.iconv("UTF-16"), ["utf-16", "utf16", "ucs-2", "iso-10646-ucs-2", "csunicode"])
        return table
    }()
}
