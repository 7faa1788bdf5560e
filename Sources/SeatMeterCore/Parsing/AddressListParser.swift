/// A lenient RFC 5322 §3.4 address-list parser over bytes.
///
/// It reads `address-list` (and the obsolete `obs-addr-list`, `obs-mbox-list`, `obs-route`, `obs-local-part`,
/// `obs-domain`, `obs-phrase`) and recovers per element: the list is split at top-level commas, each element is
/// interpreted on its own, and an element that cannot give a mailbox is dropped with a defect while the others are
/// kept. Nothing is invented: no address without `@`, no group name, no `<>`, and text before an angle address is
/// always a display name even when it looks like an address (a display name is never counted).
///
/// Display names:
/// - A run of unquoted words (atoms, with the dots of `obs-phrase`) is decoded with
///   ``EncodedWordDecoder/decode(unstructured:)``, so RFC 2047 encoded words in it are decoded and adjacent encoded
///   words join without the white space between them.
/// - A quoted string is unescaped (quoted pairs) and decoded with ``EncodedWordDecoder/decode(raw:)``:
///   **encoded words inside a quoted string are never decoded** (RFC 2047 §5: "An 'encoded-word' MUST NOT appear
///   within a 'quoted-string'"), so `"=?utf-8?q?x?="` stays literally `=?utf-8?q?x?=`.
/// - Comments are not part of a name (RFC 5322 §3.2.2): `john@x (John)` has no display name.
/// - Runs and quoted strings are joined with one space where the header had white space or a comment between them.
///
/// - SeeAlso: [RFC 5322 §3.4](https://www.rfc-editor.org/rfc/rfc5322#section-3.4),
///   [§4.4](https://www.rfc-editor.org/rfc/rfc5322#section-4.4)
struct AddressListParser {
    struct Token {
        enum Kind: UInt8 {
            case atom
            case quoted
            case literal
            case special
        }

        var kind: Kind
        /// The byte of a `.special` token.
        var byte: UInt8
        /// White space or a comment came before this token.
        var spaceBefore: Bool
        var hasEscape: Bool
        var unterminated: Bool
        /// Content range: inside the quotes of a quoted string, inside the brackets of a literal.
        var start: Int
        var end: Int
    }

    private enum Terminator {
        case comma
        case semicolon
        case colon
        case end
        /// A bare address was complete and another word followed without a comma.
        case implicit
    }

    private var tokens: [Token] = []
    private var unfolded: [UInt8] = []
    private var localBuffer: [UInt8] = []
    private var addressBuffer: [UInt8] = []
    private var nameRun: [UInt8] = []
    private var quotedBuffer: [UInt8] = []
    private var position = 0
    /// Encoded-word scanning: no `?=` before this index (until white space), so scans starting earlier fail fast.
    private var encodedWordNoCloseBefore = -1
    private var label = ""
    /// Whether plain elements take ``simpleElement(_:defects:)`` (tests turn it off to compare both paths).
    var usesFastPath: Bool
    /// How many elements the general path read (for the tests).
    private(set) var generalElements = 0

    /// Decoded display names kept from earlier values and messages (nil: decode every time).
    private let cache: HeaderParseCache?

    /// The scratch buffers grow on first use: most values never need the general path's buffers.
    init(usesFastPath: Bool = true, cache: HeaderParseCache? = nil) {
        self.usesFastPath = usesFastPath
        self.cache = cache
    }

    // MARK: - Entry

    /// Parses a field value, unfolding it first when it has line ends, appending its mailboxes as appearances in
    /// `field`; returns whether a group was seen.
    mutating func parse(
        unfoldingIfNeeded value: UnsafeBufferPointer<UInt8>,
        label: String,
        field: AddressField,
        into appearances: inout [AddressAppearance],
        defects: inout [String]
    ) -> Bool {
        // A lone CR is no fold; the lexer reads it as white space (and drops it from names and addresses).
        guard ByteSearch.firstIndex(of: 0x0A, in: value, from: 0, to: value.count) < value.count else {
            return parse(value, label: label, field: field, into: &appearances, defects: &defects)
        }
        // The fast path reads folded plain elements as they are (line ends are white space between elements, and
        // anything else with a line end in it is not plain). At the first element that is not plain, the rest of
        // the value is unfolded and read from there, as if the whole value had been unfolded first: up to that
        // point no group, stray ';' or defect can have been seen, so the parser state is the initial one.
        var rest = 0
        if usesFastPath {
            self.label = label
            position = 0
            encodedWordNoCloseBefore = -1
            while let (mailbox, isEnd) = simpleElement(value, defects: &defects) {
                appearances.append(AddressAppearance(field: field, mailbox: mailbox))
                if isEnd { return false }
            }
            rest = position
        }
        var copy = unfolded
        unfolded = []
        HeaderUnfolding.unfold(UnsafeBufferPointer(rebasing: value[rest...]), into: &copy)
        let result = copy.withUnsafeBufferPointer {
            parse($0, label: label, field: field, into: &appearances, defects: &defects)
        }
        unfolded = copy
        return result
    }

    /// Parses an unfolded field value, appending its mailboxes as appearances in `field`; returns whether a group
    /// was seen.
    mutating func parse(
        _ input: UnsafeBufferPointer<UInt8>,
        label: String,
        field: AddressField,
        into appearances: inout [AddressAppearance],
        defects: inout [String]
    ) -> Bool {
        self.label = label
        position = 0
        encodedWordNoCloseBefore = -1
        var inGroup = false
        var containsGroup = false
        var commaExpected = false
        while true {
            if usesFastPath, !commaExpected, let (mailbox, isEnd) = simpleElement(input, defects: &defects) {
                appearances.append(AddressAppearance(field: field, mailbox: mailbox))
                if isEnd {
                    if inGroup { addDefect("group without closing ';'", to: &defects) }
                    return containsGroup
                }
                continue
            }
            tokens.removeAll(keepingCapacity: true)
            generalElements &+= 1
            let terminator = lexElement(input, defects: &defects)
            if commaExpected {
                if !tokens.isEmpty { addDefect("missing ',' after a group", to: &defects) }
                commaExpected = false
            }
            if terminator == .colon {
                if isGroupPhrase() {
                    if inGroup { addDefect("nested group", to: &defects) }
                    inGroup = true
                    containsGroup = true
                    continue
                }
                addDefect("unexpected ':'", to: &defects)
            }
            if !tokens.isEmpty, let mailbox = interpretElement(input, defects: &defects) {
                appearances.append(AddressAppearance(field: field, mailbox: mailbox))
            }
            switch terminator {
            case .semicolon:
                if inGroup {
                    inGroup = false
                    commaExpected = true
                } else {
                    addDefect("stray ';'", to: &defects)
                }
            case .end:
                if inGroup { addDefect("group without closing ';'", to: &defects) }
                return containsGroup
            case .implicit:
                addDefect("missing ',' between addresses", to: &defects)
            case .comma, .colon:
                break
            }
        }
    }

    private func addDefect(_ message: String, to defects: inout [String]) {
        defects.append(label + ": " + message)
    }

    private func isGroupPhrase() -> Bool {
        for token in tokens where token.kind == .special {
            switch token.byte {
            case UInt8(ascii: "@"), UInt8(ascii: "<"), UInt8(ascii: ">"): return false
            default: continue
            }
        }
        return true
    }

    // MARK: - Fast path

    /// The element at `position` when it has one of the plain shapes nearly all mail uses, read in one pass
    /// without tokens; nil (with `position` and `defects` unchanged) for anything else, which the general path
    /// then reads from the same place.
    ///
    /// Accepted, with white space (SP, HTAB, CR, LF) before the element, white space and comments after it, and
    /// `,` or the end after that:
    /// - `local@domain`;
    /// - `<local@domain>`, `Words <local@domain>`, `"Quoted name" <local@domain>`;
    /// where `local` and `domain` are ASCII dot-atoms without `=?` and no label of `domain` is an `xn--` label;
    /// words are atoms (printable, 8-bit allowed, no specials but `.`) and RFC 2047 encoded words, one SP between
    /// them; a quoted name has no backslash and no control character. For exactly these inputs the general path
    /// gives the address with the domain lowercased, the name bytes as written (decoded like the general path
    /// decodes them, with the same defects) and no other defect; this path gives the same.
    private mutating func simpleElement(
        _ input: UnsafeBufferPointer<UInt8>, defects: inout [String]
    ) -> (Mailbox, isEnd: Bool)? {
        let count = input.count
        var index = Self.skipWhiteSpace(input, from: position)
        guard index < count else { return nil }
        var nameStart = index
        var nameEnd = index
        var quotedName = false
        let addressStart: Int
        if input[index] == UInt8(ascii: "\"") {
            index += 1
            nameStart = index
            while index < count {
                let byte = input[index]
                if byte == UInt8(ascii: "\"") { break }
                guard byte >= 0x20, byte != 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            guard index < count else { return nil }
            nameEnd = index
            quotedName = true
            index = Self.skipWhiteSpace(input, from: index + 1)
            guard index < count, input[index] == UInt8(ascii: "<") else { return nil }
            addressStart = index + 1
        } else {
            // Words, as the lexer would split them into atoms (an encoded word at the start of an atom may hold
            // specials) and '.' specials; a run directly followed by '@' is the local part of a bare address.
            var sawSpace = false
            var atTokenStart = true
            while index < count {
                let byte = input[index]
                if atTokenStart, byte == UInt8(ascii: "="), let end = encodedWordEnd(input, at: index) {
                    index = end
                    atTokenStart = false
                } else if byte == UInt8(ascii: ".") {
                    index += 1
                    atTokenStart = true
                } else if byte == 0x20 {
                    guard index + 1 < count, Self.isSimpleWordByte(input[index + 1]) else { break }
                    sawSpace = true
                    index += 1
                    atTokenStart = true
                } else if Self.isSimpleWordByte(byte) {
                    index += 1
                    atTokenStart = false
                } else {
                    break
                }
            }
            guard index > nameStart else { return nil }
            if !sawSpace, index < count, input[index] == UInt8(ascii: "@") {
                // A bare addr-spec.
                guard let (address, end) = simpleAddrSpec(input, from: nameStart),
                    let after = Self.skipTrailingCFWS(input, from: end)
                else { return nil }
                if after < count, input[after] != UInt8(ascii: ",") { return nil }
                position = after < count ? after + 1 : count
                return (Mailbox(name: "", address: address), after >= count)
            }
            nameEnd = index
            index = Self.skipWhiteSpace(input, from: index)
            guard index < count, input[index] == UInt8(ascii: "<") else { return nil }
            addressStart = index + 1
        }
        guard let (address, end) = simpleAddrSpec(input, from: addressStart), end < count,
            input[end] == UInt8(ascii: ">"), let after = Self.skipTrailingCFWS(input, from: end + 1)
        else { return nil }
        if after < count, input[after] != UInt8(ascii: ",") { return nil }
        position = after < count ? after + 1 : count
        let nameBytes = UnsafeBufferPointer(rebasing: input[nameStart..<nameEnd])
        let name: String
        if Self.isPlainASCII(nameBytes, allowEncodedWords: quotedName) {
            name = String(decoding: nameBytes, as: UTF8.self)
        } else {
            func decode() -> DecodedText {
                quotedName
                    ? EncodedWordDecoder.decode(raw: nameBytes) : EncodedWordDecoder.decode(unstructured: nameBytes)
            }
            let decoded = cache?.name(nameBytes, quoted: quotedName, decode: decode) ?? decode()
            for defect in decoded.defects { addDefect(defect, to: &defects) }
            name = decoded.text
        }
        return (Mailbox(name: name, address: address), after >= count)
    }

    /// A byte of an atom in a display name on the fast path: printable ASCII other than specials and `\`, or
    /// 8-bit.
    @inline(__always)
    private static func isSimpleWordByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte != 0x7F && byte != UInt8(ascii: "\\") && !endsAtom(byte)
    }

    /// White space and complete comments after an element (as ``skipCFWS(_:defects:)`` skips them); nil when a
    /// comment is not terminated (the general path records that).
    private static func skipTrailingCFWS(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let (end, unterminated) = scanCFWS(input, from: start)
        return unterminated ? nil : end
    }

    /// An ASCII `dot-atom "@" dot-atom` starting at `start` (no `xn--` label, no `=?`): the canonical address
    /// (domain lowercased) and the index after it; nil for anything else.
    private mutating func simpleAddrSpec(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> (String, Int)? {
        let count = input.count
        var index = start
        var previous: UInt8 = UInt8(ascii: ".")
        while index < count {
            let byte = input[index]
            if byte == UInt8(ascii: "@") { break }
            if byte == UInt8(ascii: ".") {
                if previous == UInt8(ascii: ".") { return nil }
            } else {
                guard byte < 0x80, CanonicalAddress.isAtext(byte) else { return nil }
                if previous == UInt8(ascii: "="), byte == UInt8(ascii: "?") { return nil }
            }
            previous = byte
            index += 1
        }
        guard index < count, index > start, previous != UInt8(ascii: ".") else { return nil }
        let at = index
        index += 1
        var labelStart = index
        var upper = false
        previous = UInt8(ascii: ".")
        while index < count {
            let byte = input[index]
            if byte == UInt8(ascii: ".") {
                if previous == UInt8(ascii: ".") { return nil }
                labelStart = index + 1
            } else {
                guard byte < 0x80, CanonicalAddress.isAtext(byte) else { break }
                if previous == UInt8(ascii: "="), byte == UInt8(ascii: "?") { return nil }
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                    upper = true
                } else if byte == UInt8(ascii: "-"), index == labelStart + 3, input[index - 1] == UInt8(ascii: "-"),
                    input[index - 2] | 0x20 == UInt8(ascii: "n"), input[index - 3] | 0x20 == UInt8(ascii: "x")
                {
                    return nil
                }
            }
            previous = byte
            index += 1
        }
        guard index > at + 1, previous != UInt8(ascii: ".") else { return nil }
        let end = index
        if !upper {
            return (String(decoding: UnsafeBufferPointer(rebasing: input[start..<end]), as: UTF8.self), end)
        }
        let address = String(unsafeUninitializedCapacity: end - start) { output in
            for offset in 0..<(end - start) {
                let byte = input[start + offset]
                output[offset] =
                    offset > at - start && byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            return end - start
        }
        return (address, end)
    }

    @inline(__always)
    private static func skipWhiteSpace(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < input.count {
            let byte = input[index]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A else { break }
            index += 1
        }
        return index
    }

    // MARK: - Lexing

    /// Skips white space and comments; returns whether any was skipped.
    private mutating func skipCFWS(_ input: UnsafeBufferPointer<UInt8>, defects: inout [String]) -> Bool {
        let (end, unterminated) = Self.scanCFWS(input, from: position)
        let skipped = end > position
        position = end
        if unterminated { addDefect("unterminated comment", to: &defects) }
        return skipped
    }

    /// The index after the white space (SP, HTAB, CR, LF) and comments (nested, with quoted pairs) at `start`,
    /// and whether a comment ran to the end of the input unterminated.
    private static func scanCFWS(
        _ input: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> (end: Int, unterminated: Bool) {
        var index = start
        let count = input.count
        while index < count {
            let byte = input[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                index += 1
            } else if byte == UInt8(ascii: "(") {
                var depth = 0
                while index < count {
                    let inner = input[index]
                    if inner == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if inner == UInt8(ascii: "(") {
                        depth += 1
                    } else if inner == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    index += 1
                }
                if index >= count { return (count, true) }
                index += 1
            } else {
                break
            }
        }
        return (index, false)
    }

    /// Bytes that end an atom: white space, CR, LF and the specials `()<>[]:;@,."` (bit sets for 0-63 and 64-127).
    private static let atomEndLow: UInt64 = 0x5C00_5305_0000_2600
    private static let atomEndHigh: UInt64 = 0x2800_0001

    @inline(__always)
    private static func endsAtom(_ byte: UInt8) -> Bool {
        if byte < 64 { return (atomEndLow >> UInt64(byte)) & 1 != 0 }
        if byte < 128 { return (atomEndHigh >> UInt64(byte &- 64)) & 1 != 0 }
        return false
    }

    /// Lexes tokens up to the end of one element.
    private mutating func lexElement(_ input: UnsafeBufferPointer<UInt8>, defects: inout [String]) -> Terminator {
        let count = input.count
        var inAngle = false
        // Inside angle brackets: the tokens so far are an obsolete route (`@domain` items and commas).
        var routeSoFar = false
        var angleTokens = 0
        var sawAngle = false
        var sawAtOutsideAngle = false
        var domainComplete = false
        var seenTokens = 0
        while true {
            // Track whether the tokens inside the angle brackets so far form a route (`@a,@b:`), one token at a time.
            if inAngle, tokens.count > seenTokens, let last = tokens.last {
                let isAt = last.kind == .special && last.byte == UInt8(ascii: "@")
                let isRouteToken =
                    isAt || last.kind == .atom || last.kind == .literal
                    || (last.kind == .special && (last.byte == UInt8(ascii: ".") || last.byte == UInt8(ascii: ",")))
                if !(last.kind == .special && last.byte == UInt8(ascii: "<")) {
                    routeSoFar = angleTokens == 0 ? isAt : routeSoFar && isRouteToken
                    angleTokens += 1
                }
            }
            seenTokens = tokens.count
            let space = skipCFWS(input, defects: &defects)
            guard position < count else { return .end }
            let byte = input[position]
            switch byte {
            case UInt8(ascii: ","):
                if inAngle, routeSoFar, nextSignificantIsAt(input, after: position) {
                    appendSpecial(byte, space: space)
                    position += 1
                    continue
                }
                position += 1
                return .comma
            case UInt8(ascii: ";"):
                position += 1
                return .semicolon
            case UInt8(ascii: ":"):
                if inAngle {
                    appendSpecial(byte, space: space)
                    position += 1
                    continue
                }
                position += 1
                return .colon
            case UInt8(ascii: "<"):
                inAngle = true
                sawAngle = true
                routeSoFar = false
                angleTokens = 0
                appendSpecial(byte, space: space)
                position += 1
            case UInt8(ascii: ">"):
                inAngle = false
                appendSpecial(byte, space: space)
                position += 1
            case UInt8(ascii: "@"):
                if !inAngle { sawAtOutsideAngle = true }
                domainComplete = false
                appendSpecial(byte, space: space)
                position += 1
            case UInt8(ascii: "."), UInt8(ascii: ")"), UInt8(ascii: "]"):
                domainComplete = false
                appendSpecial(byte, space: space)
                position += 1
            case UInt8(ascii: "["):
                tokens.append(lexDelimited(input, close: UInt8(ascii: "]"), kind: .literal, space: space))
                domainComplete = sawAtOutsideAngle && !inAngle
            default:
                if !inAngle, !sawAngle, space, domainComplete { return .implicit }
                if byte == UInt8(ascii: "\"") {
                    tokens.append(lexDelimited(input, close: UInt8(ascii: "\""), kind: .quoted, space: space))
                    domainComplete = false
                } else {
                    tokens.append(lexAtom(input, space: space))
                    domainComplete = sawAtOutsideAngle && !inAngle
                }
            }
        }
    }

    @inline(__always)
    private mutating func appendSpecial(_ byte: UInt8, space: Bool) {
        tokens.append(
            Token(
                kind: .special, byte: byte, spaceBefore: space, hasEscape: false, unterminated: false,
                start: position, end: position + 1))
    }

    private func nextSignificantIsAt(_ input: UnsafeBufferPointer<UInt8>, after index: Int) -> Bool {
        var cursor = index + 1
        var depth = 0
        while cursor < input.count {
            let byte = input[cursor]
            if depth > 0 {
                if byte == UInt8(ascii: "\\") {
                    cursor += 1
                } else if byte == UInt8(ascii: "(") {
                    depth += 1
                } else if byte == UInt8(ascii: ")") {
                    depth -= 1
                }
            } else if byte == UInt8(ascii: "(") {
                depth = 1
            } else if byte != 0x20 && byte != 0x09 && byte != 0x0D && byte != 0x0A {
                return byte == UInt8(ascii: "@")
            }
            cursor += 1
        }
        return false
    }

    private mutating func lexDelimited(
        _ input: UnsafeBufferPointer<UInt8>, close: UInt8, kind: Token.Kind, space: Bool
    ) -> Token {
        let count = input.count
        let start = position + 1
        var cursor = start
        var hasEscape = false
        while cursor < count {
            let byte = input[cursor]
            if byte == UInt8(ascii: "\\") {
                hasEscape = true
                cursor += 2
                continue
            }
            if byte == close { break }
            // A domain literal never holds these: stop there, so an unclosed '[' cannot swallow the next elements.
            if kind == .literal, byte == UInt8(ascii: "[") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") {
                position = cursor
                return Token(
                    kind: kind, byte: 0, spaceBefore: space, hasEscape: hasEscape, unterminated: true, start: start,
                    end: cursor)
            }
            cursor += 1
        }
        if cursor >= count {
            position = count
            return Token(
                kind: kind, byte: 0, spaceBefore: space, hasEscape: hasEscape, unterminated: true, start: start,
                end: count)
        }
        position = cursor + 1
        return Token(
            kind: kind, byte: 0, spaceBefore: space, hasEscape: hasEscape, unterminated: false, start: start,
            end: cursor)
    }

    private mutating func lexAtom(_ input: UnsafeBufferPointer<UInt8>, space: Bool) -> Token {
        let count = input.count
        let start = position
        var cursor = start
        var hasEscape = false
        if let end = encodedWordEnd(input, at: cursor) { cursor = end }
        while cursor < count {
            let byte = input[cursor]
            if byte == UInt8(ascii: "\\") {
                hasEscape = true
                cursor = min(cursor + 2, count)
                continue
            }
            if Self.endsAtom(byte) { break }
            cursor += 1
        }
        position = cursor
        return Token(
            kind: .atom, byte: 0, spaceBefore: space, hasEscape: hasEscape, unterminated: false, start: start,
            end: cursor)
    }

    /// When an RFC 2047 encoded word `=?charset?e?text?=` starts at `index`, the index after it: its text may hold
    /// specials (`,`, `.`, `"`), which must not split the word.
    private mutating func encodedWordEnd(_ input: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let count = input.count
        guard index + 1 < count, input[index] == UInt8(ascii: "="), input[index + 1] == UInt8(ascii: "?") else {
            return nil
        }
        var cursor = index + 2
        let charsetStart = cursor
        while cursor < count, input[cursor] != UInt8(ascii: "?") {
            let byte = input[cursor]
            if byte <= 0x20 || byte >= 0x7F || Self.endsAtom(byte) || cursor - charsetStart > 64 { return nil }
            cursor += 1
        }
        guard cursor > charsetStart, cursor + 2 < count, input[cursor + 2] == UInt8(ascii: "?") else { return nil }
        switch input[cursor + 1] {
        case UInt8(ascii: "B"), UInt8(ascii: "b"), UInt8(ascii: "Q"), UInt8(ascii: "q"): break
        default: return nil
        }
        cursor += 3
        if cursor < encodedWordNoCloseBefore { return nil }
        let textStart = cursor
        while cursor < count {
            let byte = input[cursor]
            if byte <= 0x20 || byte == 0x7F { break }
            if byte == UInt8(ascii: "?"), cursor + 1 < count, input[cursor + 1] == UInt8(ascii: "=") {
                return cursor - textStart > 4096 ? nil : cursor + 2
            }
            cursor += 1
        }
        encodedWordNoCloseBefore = cursor
        return nil
    }

    // MARK: - Interpretation

    /// Turns the current element's tokens into a mailbox, or drops the element with a defect.
    private mutating func interpretElement(
        _ input: UnsafeBufferPointer<UInt8>, defects: inout [String]
    ) -> Mailbox? {
        for token in tokens where token.unterminated {
            addDefect(token.kind == .quoted ? "unterminated quoted string" : "unterminated domain literal",
                to: &defects)
        }
        var lastOpen: Int?
        for index in tokens.indices.reversed()
        where tokens[index].kind == .special && tokens[index].byte == UInt8(ascii: "<") {
            lastOpen = index
            break
        }
        guard let open = lastOpen else {
            guard let address = addrSpec(input, tokens.startIndex..<tokens.endIndex, inAngle: false, defects: &defects)
            else { return nil }
            return Mailbox(name: "", address: address)
        }
        var close: Int?
        for index in (open + 1)..<tokens.endIndex
        where tokens[index].kind == .special && tokens[index].byte == UInt8(ascii: ">") {
            close = index
            break
        }
        if let close {
            if close + 1 < tokens.endIndex { addDefect("text after '>' ignored", to: &defects) }
        } else {
            addDefect("missing '>'", to: &defects)
        }
        let angle = (open + 1)..<(close ?? tokens.endIndex)
        if angle.isEmpty {
            addDefect("dropped a null address <>", to: &defects)
            return nil
        }
        guard let address = addrSpec(input, angle, inAngle: true, defects: &defects) else { return nil }
        let name = displayName(input, tokens.startIndex..<open, defects: &defects)
        return Mailbox(name: name, address: address)
    }

    /// The canonical address of an addr-spec (with an optional obsolete route when in angle brackets).
    private mutating func addrSpec(
        _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, inAngle: Bool, defects: inout [String]
    ) -> String? {
        var range = range
        if inAngle, tokens[range.lowerBound].kind == .special, tokens[range.lowerBound].byte == UInt8(ascii: "@") {
            var routeEnd: Int?
            for index in range
            where tokens[index].kind == .special && tokens[index].byte == UInt8(ascii: ":") {
                routeEnd = index
                break
            }
            guard let routeEnd else {
                addDefect("dropped an element without a local part", to: &defects)
                return nil
            }
            range = (routeEnd + 1)..<range.upperBound
        }
        var at: Int?
        for index in range where tokens[index].kind == .special && tokens[index].byte == UInt8(ascii: "@") {
            if at != nil {
                addDefect("dropped an element with more than one '@'", to: &defects)
                return nil
            }
            at = index
        }
        guard let at else {
            addDefect("dropped an element without '@'", to: &defects)
            return nil
        }
        guard buildLocalPart(input, range.lowerBound..<at, inAngle: inAngle, defects: &defects) else { return nil }
        addressBuffer.removeAll(keepingCapacity: true)
        CanonicalAddress.appendLocalPart(content: localBuffer, to: &addressBuffer)
        addressBuffer.append(UInt8(ascii: "@"))
        guard appendDomain(input, (at + 1)..<range.upperBound, defects: &defects) else { return nil }
        return String(decoding: addressBuffer, as: UTF8.self)
    }

    /// Builds the unquoted local-part content into `localBuffer`; false (with a defect) when unusable.
    private mutating func buildLocalPart(
        _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, inAngle: Bool, defects: inout [String]
    ) -> Bool {
        localBuffer.removeAll(keepingCapacity: true)
        guard !range.isEmpty else {
            addDefect("dropped an element with an empty local part", to: &defects)
            return false
        }
        var previousWasWord = false
        var obsolete = false
        var stray = false
        var sawQuoted = false
        var backslash = false
        for index in range {
            let token = tokens[index]
            switch token.kind {
            case .atom, .quoted:
                if previousWasWord {
                    obsolete = true
                    if token.spaceBefore { localBuffer.append(0x20) }
                }
                if token.kind == .atom {
                    localBuffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[token.start..<token.end]))
                    backslash = backslash || token.hasEscape
                } else {
                    sawQuoted = true
                    Self.appendUnescaped(input, token.start..<token.end, to: &localBuffer)
                    if index != range.lowerBound || index + 1 != range.upperBound { obsolete = true }
                }
                previousWasWord = true
            case .special:
                if token.byte != UInt8(ascii: ".") {
                    // Only ':' is kept (inside angle brackets, e.g. `<mailto:x@y>`); other specials make the
                    // local part unusable rather than part of an invented address.
                    guard inAngle, token.byte == UInt8(ascii: ":") else {
                        addDefect("dropped an element with an invalid local part", to: &defects)
                        return false
                    }
                    stray = true
                }
                localBuffer.append(token.byte)
                previousWasWord = false
            case .literal:
                addDefect("dropped an element with a domain literal in the local part", to: &defects)
                return false
            }
        }
        if localBuffer.isEmpty {
            addDefect("dropped an element with an empty local part", to: &defects)
            return false
        }
        var ascii = true
        for byte in localBuffer {
            if byte < 0x20 || byte == 0x7F {
                addDefect("dropped an element with a control character in the address", to: &defects)
                return false
            }
            if byte >= 0x80 { ascii = false }
        }
        if !ascii, !Self.isValidUTF8(localBuffer) {
            addDefect("dropped an element with invalid UTF-8 in the address", to: &defects)
            return false
        }
        if stray || backslash {
            addDefect("unexpected character in local part", to: &defects)
        } else if obsolete {
            addDefect("obsolete local part", to: &defects)
        } else if !sawQuoted, !CanonicalAddress.isDotAtom(localBuffer) {
            addDefect("local part is not a dot-atom", to: &defects)
        }
        return true
    }

    /// Appends the canonical domain to `addressBuffer`; false (with a defect) when unusable.
    private mutating func appendDomain(
        _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, defects: inout [String]
    ) -> Bool {
        guard !range.isEmpty else {
            addDefect("dropped an element with an empty domain", to: &defects)
            return false
        }
        let first = tokens[range.lowerBound]
        if first.kind == .literal {
            if range.count > 1 { addDefect("text after domain ignored", to: &defects) }
            return appendDomainLiteral(input, first, defects: &defects)
        }
        let domainStart = addressBuffer.count
        var expectLabel = true
        var trailingDot = false
        var ascii = true
        var sawACE = false
        var index = range.lowerBound
        while index < range.upperBound {
            let token = tokens[index]
            if expectLabel {
                guard token.kind == .atom, !token.hasEscape else {
                    addDefect("dropped an element with an invalid domain", to: &defects)
                    return false
                }
                let labelStart = addressBuffer.count
                for byte in UnsafeBufferPointer(rebasing: input[token.start..<token.end]) {
                    if byte >= 0x80 {
                        ascii = false
                        addressBuffer.append(byte)
                    } else if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                        addressBuffer.append(byte | 0x20)
                    } else {
                        addressBuffer.append(byte)
                    }
                }
                if addressBuffer.count - labelStart > 4, addressBuffer[labelStart] == UInt8(ascii: "x"),
                    addressBuffer[labelStart + 1] == UInt8(ascii: "n"),
                    addressBuffer[labelStart + 2] == UInt8(ascii: "-"),
                    addressBuffer[labelStart + 3] == UInt8(ascii: "-")
                {
                    sawACE = true
                }
                expectLabel = false
                trailingDot = false
            } else if token.kind == .special, token.byte == UInt8(ascii: ".") {
                addressBuffer.append(UInt8(ascii: "."))
                expectLabel = true
                trailingDot = true
            } else if token.kind == .special {
                addDefect("text after domain ignored", to: &defects)
                break
            } else {
                addDefect("dropped an element with an invalid domain", to: &defects)
                return false
            }
            index += 1
        }
        if expectLabel {
            guard trailingDot, addressBuffer.count - domainStart > 1 else {
                addDefect("dropped an element with an invalid domain", to: &defects)
                return false
            }
            addressBuffer.removeLast()
            addDefect("trailing dot in domain removed", to: &defects)
        }
        if !ascii || sawACE {
            let raw = Array(addressBuffer[domainStart...])
            if !ascii, !Self.isValidUTF8(raw) {
                addDefect("dropped an element with invalid UTF-8 in the address", to: &defects)
                return false
            }
            addressBuffer.removeSubrange(domainStart...)
            addressBuffer.append(contentsOf: CanonicalAddress.domain(raw).utf8)
        }
        return true
    }

    /// A domain literal: an IPv4 address, `IPv6:` plus an IPv6 address, or a `tag:content` general literal.
    private mutating func appendDomainLiteral(
        _ input: UnsafeBufferPointer<UInt8>, _ token: Token, defects: inout [String]
    ) -> Bool {
        var content: [UInt8] = []
        var index = token.start
        while index < token.end {
            var byte = input[index]
            if byte == UInt8(ascii: "\\"), index + 1 < token.end {
                index += 1
                byte = input[index]
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                index += 1
                continue
            }
            content.append(byte)
            index += 1
        }
        guard !token.unterminated, DomainLiteral.isValid(content) else {
            addDefect("dropped an element with an invalid domain literal", to: &defects)
            return false
        }
        addressBuffer.append(UInt8(ascii: "["))
        for byte in content {
            addressBuffer.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        }
        addressBuffer.append(UInt8(ascii: "]"))
        return true
    }

    /// The decoded display name of the phrase tokens in `range`.
    private mutating func displayName(
        _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, defects: inout [String]
    ) -> String {
        guard !range.isEmpty else { return "" }
        var name = ""
        var runNeedsSpace = false
        var strayCharacter = false
        var controlCharacter = false
        nameRun.removeAll(keepingCapacity: true)
        for index in range {
            let token = tokens[index]
            if token.kind == .quoted {
                if !nameRun.isEmpty {
                    flushNameRun(into: &name, leadingSpace: runNeedsSpace, defects: &defects)
                }
                quotedBuffer.removeAll(keepingCapacity: true)
                Self.appendUnescaped(input, token.start..<token.end, to: &quotedBuffer)
                controlCharacter = Self.removeControlCharacters(&quotedBuffer) || controlCharacter
                if token.spaceBefore, !name.isEmpty { name.append(" ") }
                name.append(decodeQuoted(defects: &defects))
                continue
            }
            if nameRun.isEmpty {
                runNeedsSpace = token.spaceBefore && !name.isEmpty
            } else if token.spaceBefore {
                nameRun.append(0x20)
            }
            switch token.kind {
            case .atom:
                nameRun.append(contentsOf: UnsafeBufferPointer(rebasing: input[token.start..<token.end]))
            case .special:
                if token.byte != UInt8(ascii: ".") { strayCharacter = true }
                nameRun.append(token.byte)
            case .literal:
                strayCharacter = true
                nameRun.append(UInt8(ascii: "["))
                nameRun.append(contentsOf: UnsafeBufferPointer(rebasing: input[token.start..<token.end]))
                if !token.unterminated { nameRun.append(UInt8(ascii: "]")) }
            case .quoted:
                break
            }
        }
        if !nameRun.isEmpty {
            controlCharacter = Self.removeControlCharacters(&nameRun) || controlCharacter
            flushNameRun(into: &name, leadingSpace: runNeedsSpace, defects: &defects)
        }
        if strayCharacter { addDefect("unexpected character in display name", to: &defects) }
        if controlCharacter { addDefect("control character removed from display name", to: &defects) }
        return name
    }

    private mutating func flushNameRun(into name: inout String, leadingSpace: Bool, defects: inout [String]) {
        if leadingSpace { name.append(" ") }
        if Self.isPlainASCII(nameRun, allowEncodedWords: false) {
            name.append(String(decoding: nameRun, as: UTF8.self))
        } else {
            let decoded = EncodedWordDecoder.decode(unstructured: nameRun)
            name.append(decoded.text)
            for defect in decoded.defects { addDefect(defect, to: &defects) }
        }
        nameRun.removeAll(keepingCapacity: true)
    }

    private func decodeQuoted(defects: inout [String]) -> String {
        if Self.isPlainASCII(quotedBuffer, allowEncodedWords: true) {
            return String(decoding: quotedBuffer, as: UTF8.self)
        }
        let decoded = EncodedWordDecoder.decode(raw: quotedBuffer)
        for defect in decoded.defects { addDefect(defect, to: &defects) }
        return decoded.text
    }

    // MARK: - Byte helpers

    /// ASCII only, and (unless allowed) no `=?` that could start an encoded word: decoding is the identity.
    private static func isPlainASCII(_ bytes: some Sequence<UInt8>, allowEncodedWords: Bool) -> Bool {
        var previousWasEquals = false
        for byte in bytes {
            if byte >= 0x80 { return false }
            if !allowEncodedWords {
                if previousWasEquals && byte == UInt8(ascii: "?") { return false }
                previousWasEquals = byte == UInt8(ascii: "=")
            }
        }
        return true
    }

    /// Removes C0 controls (except tab) and DEL; returns whether any was removed.
    private static func removeControlCharacters(_ bytes: inout [UInt8]) -> Bool {
        guard bytes.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else { return false }
        bytes.removeAll { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
        return true
    }

    static func appendUnescaped(_ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to output: inout [UInt8]) {
        var index = range.lowerBound
        while index < range.upperBound {
            var byte = input[index]
            if byte == UInt8(ascii: "\\"), index + 1 < range.upperBound {
                index += 1
                byte = input[index]
            }
            output.append(byte)
            index += 1
        }
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
