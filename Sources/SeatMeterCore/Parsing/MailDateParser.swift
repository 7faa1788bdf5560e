package import Foundation

/// A hand-written, tolerant parser for the `Date` field (no `DateFormatter`).
///
/// Reads RFC 5322 `date-time` and what mailers really write:
/// - optional day of week (with or without the comma), comments anywhere;
/// - obsolete zones (RFC 5322 §4.3): `UT`, `GMT`, `Z`, the US zones `EST EDT CST CDT MST MDT PST PDT`, and the
///   military letters, which RFC 822 defined with the wrong sign and RFC 5322 says to read as `-0000` (UTC);
///   also `UTC`;
/// - two-digit years (00–49 → 20xx, 50–99 → 19xx) and three-digit years (+1900), RFC 5322 §4.3;
/// - missing seconds; `-` between day, month and year (`2-Jun-2003`); month names written in full;
/// - the asctime form `Mon Jun  2 10:00:00 2003` and ISO 8601 `2003-06-02T10:00:00Z`;
/// - text after the zone (`+0000 (UTC)`, `+0000 GMT`) is ignored.
///
/// A missing or unknown zone is read as UTC with a defect. An impossible date (no month, day 31 of June, hour 25)
/// gives nil and a defect.
///
/// - SeeAlso: [RFC 5322 §3.3, §4.3](https://www.rfc-editor.org/rfc/rfc5322#section-3.3)
package enum MailDateParser {
    private enum Token: Equatable {
        case number(value: Int, digits: Int)
        /// A run of letters, lowercased, packed (first 8 letters) with its length.
        case word(packed: UInt64, length: Int)
        case colon
        case plus
        case minus
        case other
    }

    /// Parses a `Date` field value; defects are prefixed with `date: `.
    package static func parse(_ value: some Collection<UInt8>) -> (date: Date?, defects: [String]) {
        if let result = value.withContiguousStorageIfAvailable({ parse(buffer: $0) }) { return result }
        return Array(value).withUnsafeBufferPointer { parse(buffer: $0) }
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>) -> (date: Date?, defects: [String]) {
        if let seconds = commonForm(buffer) {
            return (Date(timeIntervalSince1970: TimeInterval(seconds)), [])
        }
        return generalParse(buffer: buffer)
    }

    /// The tokenizing parser, for every form (``parse(buffer:)`` tries ``commonForm(_:)`` first).
    static func generalParse(buffer: UnsafeBufferPointer<UInt8>) -> (date: Date?, defects: [String]) {
        let tokens = tokenize(buffer)
        var defects: [String] = []
        guard let seconds = interpret(tokens, defects: &defects) else {
            if defects.isEmpty { defects.append("date: unparseable") }
            return (nil, defects)
        }
        return (Date(timeIntervalSince1970: TimeInterval(seconds)), defects)
    }

    // MARK: - Fast path

    /// Seconds since 1970 for the form nearly all mail uses, `[Ddd, ]D[D] Mmm YYYY HH:MM:SS ±HHMM` with single
    /// spaces (white space and anything else may follow the zone, as the general parser ignores it); nil for
    /// anything else, or for values the general parser would accept only with a defect. Read with integer
    /// arithmetic in one pass, without tokens; it gives exactly what the general parser gives.
    static func commonForm(_ buffer: UnsafeBufferPointer<UInt8>) -> Int64? {
        let count = buffer.count
        var index = 0
        while index < count, buffer[index] == 0x20 || buffer[index] == 0x09 { index += 1 }
        @inline(__always) func letters3(_ at: Int) -> UInt64? {
            guard at + 3 <= count else { return nil }
            var packed: UInt64 = 0
            for offset in 0..<3 {
                let letter = buffer[at + offset] | 0x20
                guard letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "z"), buffer[at + offset] >= 0x41 else {
                    return nil
                }
                packed |= UInt64(letter) << (8 * UInt64(offset))
            }
            return packed
        }
        @inline(__always) func digit(_ at: Int) -> Int? {
            guard at < count else { return nil }
            let byte = buffer[at]
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            return Int(byte - 0x30)
        }
        @inline(__always) func isByte(_ at: Int, _ expected: UInt8) -> Bool { at < count && buffer[at] == expected }
        // Day of week: three letters, a comma, a space.
        if index < count, buffer[index] >= 0x41 {
            guard let packed = letters3(index), days.contains(packed), isByte(index + 3, UInt8(ascii: ",")),
                isByte(index + 4, 0x20)
            else { return nil }
            index += 5
        }
        guard let d1 = digit(index) else { return nil }
        var day = d1
        index += 1
        if let d2 = digit(index) {
            day = day * 10 + d2
            index += 1
        }
        guard isByte(index, 0x20), let monthPacked = letters3(index + 1), isByte(index + 4, 0x20),
            let monthIndex = months.firstIndex(of: monthPacked)
        else { return nil }
        let month = monthIndex + 1
        index += 5
        guard let y1 = digit(index), let y2 = digit(index + 1), let y3 = digit(index + 2), let y4 = digit(index + 3),
            isByte(index + 4, 0x20)
        else { return nil }
        let year = y1 * 1000 + y2 * 100 + y3 * 10 + y4
        index += 5
        guard let h1 = digit(index), let h2 = digit(index + 1), isByte(index + 2, UInt8(ascii: ":")),
            let m1 = digit(index + 3), let m2 = digit(index + 4), isByte(index + 5, UInt8(ascii: ":")),
            let s1 = digit(index + 6), let s2 = digit(index + 7), isByte(index + 8, 0x20)
        else { return nil }
        let hour = h1 * 10 + h2
        let minute = m1 * 10 + m2
        let second = s1 * 10 + s2
        index += 9
        guard index < count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-"),
            let z1 = digit(index + 1), let z2 = digit(index + 2), let z3 = digit(index + 3), let z4 = digit(index + 4),
            digit(index + 5) == nil
        else { return nil }
        let zoneHours = z1 * 10 + z2
        let zoneMinutes = z3 * 10 + z4
        guard year >= 1900, day >= 1, day <= daysIn(month: month, year: year), hour <= 23, minute <= 59,
            second <= 60, zoneHours <= 23, zoneMinutes <= 59
        else { return nil }
        let sign = buffer[index] == UInt8(ascii: "-") ? -1 : 1
        let offset = sign * (zoneHours * 3600 + zoneMinutes * 60)
        let days = daysFromCivil(year: year, month: month, day: day)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offset)
    }

    // MARK: - General path

    private static func tokenize(_ buffer: UnsafeBufferPointer<UInt8>) -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(16)
        var index = 0
        let count = buffer.count
        while index < count, tokens.count < 32 {
            let byte = buffer[index]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                var value = 0
                var digits = 0
                while index < count, buffer[index] >= 0x30, buffer[index] <= 0x39 {
                    if digits < 9 { value = value * 10 + Int(buffer[index] - 0x30) }
                    digits += 1
                    index += 1
                }
                tokens.append(.number(value: value, digits: digits))
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                var packed: UInt64 = 0
                var length = 0
                while index < count {
                    let letter = buffer[index] | 0x20
                    guard letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "z"),
                        buffer[index] >= UInt8(ascii: "A")
                    else { break }
                    if length < 8 { packed |= UInt64(letter) << (8 * UInt64(length)) }
                    length += 1
                    index += 1
                }
                tokens.append(.word(packed: packed, length: length))
            case UInt8(ascii: "("):
                var depth = 0
                while index < count {
                    let inner = buffer[index]
                    if inner == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if inner == UInt8(ascii: "(") { depth += 1 }
                    if inner == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    index += 1
                }
                index += 1
            case UInt8(ascii: ":"):
                tokens.append(.colon)
                index += 1
            case UInt8(ascii: "+"):
                tokens.append(.plus)
                index += 1
            case UInt8(ascii: "-"):
                tokens.append(.minus)
                index += 1
            case 0x20, 0x09, 0x0D, 0x0A, UInt8(ascii: ","), UInt8(ascii: "."):
                index += 1
            default:
                tokens.append(.other)
                index += 1
            }
        }
        return tokens
    }

    private static func pack(_ text: StaticString) -> UInt64 {
        var packed: UInt64 = 0
        text.withUTF8Buffer { buffer in
            for (offset, byte) in buffer.prefix(8).enumerated() { packed |= UInt64(byte) << (8 * UInt64(offset)) }
        }
        return packed
    }

    private static let months: [UInt64] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ].map { pack($0) }
    private static let days: [UInt64] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map { pack($0) }

    /// 1...12 when the word names a month (three letters or more of its name).
    private static func month(_ packed: UInt64, _ length: Int) -> Int? {
        guard length >= 3 else { return nil }
        let prefix = packed & 0xFF_FFFF
        guard let index = months.firstIndex(of: prefix) else { return nil }
        return index + 1
    }

    private static func isDayName(_ packed: UInt64, _ length: Int) -> Bool {
        length >= 3 && days.contains(packed & 0xFF_FFFF)
    }

    /// Offset from UTC in seconds of a zone name; nil when unknown.
    private static func zoneOffset(_ packed: UInt64, _ length: Int) -> Int? {
        switch length {
        case 1:
            let letter = UInt8(truncatingIfNeeded: packed)
            return letter == UInt8(ascii: "j") ? nil : 0
        case 2:
            return packed == pack("ut") ? 0 : nil
        case 3:
            switch packed {
            case pack("gmt"), pack("utc"): return 0
            case pack("est"): return -5 * 3600
            case pack("edt"): return -4 * 3600
            case pack("cst"): return -6 * 3600
            case pack("cdt"): return -5 * 3600
            case pack("mst"): return -7 * 3600
            case pack("mdt"): return -6 * 3600
            case pack("pst"): return -8 * 3600
            case pack("pdt"): return -7 * 3600
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func interpret(_ tokens: [Token], defects: inout [String]) -> Int64? {
        var index = 0
        func peek(_ offset: Int = 0) -> Token? {
            index + offset < tokens.count ? tokens[index + offset] : nil
        }
        if case .word(let packed, let length) = peek(), isDayName(packed, length) { index += 1 }

        var day = 0
        var monthNumber = 0
        var year = -1
        var yearDigits = 4
        var time: (hour: Int, minute: Int, second: Int)?
        var zoneIndex: Int?

        func readTime() -> Bool {
            guard case .number(let hour, _) = peek(), peek(1) == .colon, case .number(let minute, _) = peek(2)
            else { return false }
            index += 3
            var second = 0
            if peek() == .colon, case .number(let value, _) = peek(1) {
                second = value
                index += 2
            }
            time = (hour, minute, second)
            return true
        }
        func skipDashes() {
            while peek() == .minus { index += 1 }
        }

        switch peek() {
        case .number(let value, let digits) where digits == 4 && peek(1) == .minus:
            // ISO 8601: yyyy-mm-dd[T]hh:mm[:ss]
            guard case .number(let monthValue, _) = peek(2), peek(3) == .minus,
                case .number(let dayValue, _) = peek(4)
            else { return fail("date: unparseable", &defects) }
            year = value
            monthNumber = monthValue
            day = dayValue
            index += 5
            if case .word(_, let length) = peek(), length == 1 { index += 1 }
            _ = readTime()
        case .number(let value, _):
            day = value
            index += 1
            skipDashes()
            guard case .word(let packed, let length) = peek(), let found = month(packed, length) else {
                return fail("date: no month", &defects)
            }
            monthNumber = found
            index += 1
            skipDashes()
            guard case .number(let yearValue, let digits) = peek() else { return fail("date: no year", &defects) }
            if peek(1) == .colon {
                return fail("date: no year", &defects)
            }
            year = yearValue
            yearDigits = digits
            index += 1
            _ = readTime()
        case .word(let packed, let length):
            // asctime: Jun 2 10:00:00 2003 (zone may come before the year)
            guard let found = month(packed, length) else { return fail("date: no month", &defects) }
            monthNumber = found
            index += 1
            guard case .number(let dayValue, _) = peek() else { return fail("date: no day", &defects) }
            day = dayValue
            index += 1
            if case .number(let yearValue, let digits) = peek(), peek(1) != .colon {
                year = yearValue
                yearDigits = digits
                index += 1
                _ = readTime()
            } else {
                _ = readTime()
                if case .number(let yearValue, let digits) = peek() {
                    year = yearValue
                    yearDigits = digits
                    index += 1
                } else if case .word = peek(), case .number(let yearValue, let digits) = peek(1) {
                    // `date(1)` output: Mon Jun  2 10:00:00 PDT 2003
                    zoneIndex = index
                    year = yearValue
                    yearDigits = digits
                    index += 2
                }
            }
        default:
            return fail("date: unparseable", &defects)
        }

        guard year >= 0 else { return fail("date: no year", &defects) }
        switch yearDigits {
        case 1, 2: year += year < 50 ? 2000 : 1900
        case 3: year += 1900
        case 4: break
        default: return fail("date: invalid year", &defects)
        }
        guard year >= 1900, (1...12).contains(monthNumber), day >= 1, day <= daysIn(month: monthNumber, year: year)
        else { return fail("date: invalid day, month or year", &defects) }

        if time == nil {
            defects.append("date: no time of day")
            time = (0, 0, 0)
        }
        guard let time, (0...23).contains(time.hour), (0...59).contains(time.minute), (0...60).contains(time.second)
        else { return fail("date: invalid time of day", &defects) }

        var offset = 0
        if let zoneIndex { index = zoneIndex }
        switch peek() {
        case .plus, .minus:
            let sign = peek() == .minus ? -1 : 1
            if case .number(let value, let digits) = peek(1), digits == 4 || digits == 2 {
                let hours = digits == 4 ? value / 100 : value
                let minutes = digits == 4 ? value % 100 : 0
                if hours > 23 || minutes > 59 {
                    defects.append("date: invalid time zone; read as UTC")
                } else {
                    offset = sign * (hours * 3600 + minutes * 60)
                }
            } else {
                defects.append("date: invalid time zone; read as UTC")
            }
        case .word(let packed, let length):
            if let zone = zoneOffset(packed, length) {
                offset = zone
            } else {
                defects.append("date: unknown time zone; read as UTC")
            }
        case .number(let value, let digits) where digits == 4:
            // A zone written without its sign (e.g. "0200").
            if value / 100 <= 23, value % 100 <= 59 { offset = (value / 100) * 3600 + (value % 100) * 60 }
            defects.append("date: time zone without sign")
        case nil:
            defects.append("date: no time zone; read as UTC")
        default:
            defects.append("date: unknown time zone; read as UTC")
        }

        let days = daysFromCivil(year: year, month: monthNumber, day: day)
        let second = min(time.second, 59)
        return days * 86_400 + Int64(time.hour * 3600 + time.minute * 60 + second) - Int64(offset)
    }

    private static func fail(_ defect: String, _ defects: inout [String]) -> Int64? {
        defects.append(defect)
        return nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
