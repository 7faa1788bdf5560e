package import Foundation

/// Many message observations in compact form: what classification consumes.
///
/// A struct of arrays: addresses and display names are numbered once (``addresses``, ``names``) and each message
/// refers to them by number, so a batch of a million messages is a few dozen flat arrays rather than millions of
/// strings and small arrays. Classification resolves each distinct address number once. Message-IDs and subjects
/// are kept as UTF-8 bytes in one buffer; a `String` is made only for the few messages shown as evidence (and for
/// the subjects an ownership rule may match).
///
/// The message at index `i` has its appearances at `appearanceStart(i)..<appearanceEnds[i]` of the appearance
/// arrays, in header order. ``init(_:)`` builds a batch from ``MessageObservation``s; the ledger builds one directly
/// from its interned tables.
package struct ObservationBatch: Sendable {
    // MARK: - Tables

    /// Address number → the address as written.
    package var addresses: [String]
    /// Name number → display name; number 0 is the empty name.
    package var names: [String]
    /// Folder list number → the folders a message was seen in; number 0 is the empty list.
    package var folderLists: [[FolderLocation]] = [[]]
    /// Automation reason list number → the reasons; number 0 is "not automated" (no reasons).
    package var reasonLists: [[String]] = [[]]

    // MARK: - Messages

    /// Message → date as seconds since the reference date (`Date.timeIntervalSinceReferenceDate`); NaN when
    /// undated.
    package private(set) var dates: [Double] = []
    /// Message → ``folderLists`` number.
    package private(set) var folderList: [UInt32] = []
    /// Message → ``reasonLists`` number.
    package private(set) var reasonList: [UInt32] = []
    /// Message → end of its appearances (exclusive); the start is the previous message's end.
    package private(set) var appearanceEnds: [Int32] = []
    /// Message → start of its Message-ID in its text segment; the subject follows it.
    private var textStarts: [Int] = []
    /// Message → byte counts of its Message-ID and subject, -1 when absent.
    private var messageIDLengths: [Int32] = []
    private var subjectLengths: [Int32] = []
    /// The text of the messages from ``textFirstMessage`` on (new messages' text is appended here).
    private var text: [UInt8] = []
    private var textFirstMessage = 0
    /// The text of earlier messages, in segments with their first message, ascending: an appended batch's text
    /// becomes a segment of its own instead of being copied (tens of megabytes for a million messages).
    private var earlierTexts: [(firstMessage: Int, bytes: [UInt8])] = []

    // MARK: - Appearances

    /// Appearance → ``addresses`` number.
    package private(set) var appearanceAddresses: [UInt32] = []
    /// Appearance → ``names`` number.
    package private(set) var appearanceNames: [UInt32] = []
    /// Appearance → header field.
    package private(set) var appearanceFields: [AddressField] = []

    /// An empty batch over the given address and name tables (`names[0]` must be the empty name).
    package init(addresses: [String] = [], names: [String] = [""]) {
        self.addresses = addresses
        self.names = names.isEmpty ? [""] : names
    }

    /// Messages in the batch.
    package var count: Int { dates.count }

    /// Reserves room for `messages` messages with `appearances` appearances in total, and `textBytes` bytes of
    /// Message-IDs and subjects (room that is never written costs no memory: the pages are never touched).
    package mutating func reserveCapacity(messages: Int, appearances: Int, textBytes: Int = 0) {
        text.reserveCapacity(textBytes)
        dates.reserveCapacity(messages)
        folderList.reserveCapacity(messages)
        reasonList.reserveCapacity(messages)
        appearanceEnds.reserveCapacity(messages)
        textStarts.reserveCapacity(messages)
        messageIDLengths.reserveCapacity(messages)
        subjectLengths.reserveCapacity(messages)
        appearanceAddresses.reserveCapacity(appearances)
        appearanceNames.reserveCapacity(appearances)
        appearanceFields.reserveCapacity(appearances)
    }

    // MARK: - Building

    /// Adds one appearance to the message being built: the next
    /// ``appendMessage(date:folderList:reasonList:messageID:subject:)`` ends it.
    package mutating func appendAppearance(address: UInt32, field: AddressField, name: UInt32) {
        appearanceAddresses.append(address)
        appearanceFields.append(field)
        appearanceNames.append(name)
    }

    /// Ends a message: its appearances are those appended since the previous message.
    /// - Parameters:
    ///   - date: seconds since the reference date, NaN when undated.
    ///   - messageID: the Message-ID's UTF-8 bytes, nil when absent.
    ///   - subject: the subject's UTF-8 bytes, nil when absent.
    package mutating func appendMessage(
        date: Double, folderList list: UInt32, reasonList reasons: UInt32, messageID: UnsafeRawBufferPointer?,
        subject: UnsafeRawBufferPointer?
    ) {
        dates.append(date)
        folderList.append(list)
        reasonList.append(reasons)
        appearanceEnds.append(Int32(appearanceAddresses.count))
        textStarts.append(text.count)
        if let messageID {
            text.append(contentsOf: messageID)
            messageIDLengths.append(Int32(messageID.count))
        } else {
            messageIDLengths.append(-1)
        }
        if let subject {
            text.append(contentsOf: subject)
            subjectLengths.append(Int32(subject.count))
        } else {
            subjectLengths.append(-1)
        }
    }

    /// Appends `other`'s messages, which number addresses and names as this batch does; its folder and reason
    /// lists are renumbered into this batch's.
    package mutating func append(_ other: ObservationBatch) {
        let folderMap = other.folderLists.map { intern(folders: $0) }
        let reasonMap = other.reasonLists.map { intern(reasons: $0) }
        let appearanceBase = Int32(appearanceAddresses.count)
        let messageBase = count
        dates.append(contentsOf: other.dates)
        folderList.append(contentsOf: other.folderList.lazy.map { folderMap[Int($0)] })
        reasonList.append(contentsOf: other.reasonList.lazy.map { reasonMap[Int($0)] })
        appearanceEnds.append(contentsOf: other.appearanceEnds.lazy.map { $0 + appearanceBase })
        earlierTexts.append((textFirstMessage, text))
        earlierTexts += other.earlierTexts.map { ($0.firstMessage + messageBase, $0.bytes) }
        (text, textFirstMessage) = (other.text, other.textFirstMessage + messageBase)
        textStarts.append(contentsOf: other.textStarts)
        messageIDLengths.append(contentsOf: other.messageIDLengths)
        subjectLengths.append(contentsOf: other.subjectLengths)
        appearanceAddresses.append(contentsOf: other.appearanceAddresses)
        appearanceNames.append(contentsOf: other.appearanceNames)
        appearanceFields.append(contentsOf: other.appearanceFields)
    }

    /// The number of `folders` in ``folderLists``, added when new.
    package mutating func intern(folders: [FolderLocation]) -> UInt32 {
        if folders.isEmpty { return 0 }
        if let index = folderLists.firstIndex(of: folders) { return UInt32(index) }
        folderLists.append(folders)
        return UInt32(folderLists.count - 1)
    }

    /// The number of `reasons` in ``reasonLists``, added when new (0 for none).
    package mutating func intern(reasons: [String]) -> UInt32 {
        if reasons.isEmpty { return 0 }
        if let index = reasonLists.firstIndex(of: reasons) { return UInt32(index) }
        reasonLists.append(reasons)
        return UInt32(reasonLists.count - 1)
    }

    // MARK: - Reading

    /// The appearances of message `index`: a range of the appearance arrays.
    package func appearances(of index: Int) -> Range<Int> {
        (index == 0 ? 0 : Int(appearanceEnds[index - 1]))..<Int(appearanceEnds[index])
    }

    /// The message's date, nil when undated.
    package func date(of index: Int) -> Date? {
        dates[index].isNaN ? nil : Date(timeIntervalSinceReferenceDate: dates[index])
    }

    package func messageID(of index: Int) -> String? {
        withMessageID(of: index) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    package func subject(of index: Int) -> String? {
        withSubject(of: index) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Calls `body` with the Message-ID's UTF-8 bytes (nil when absent), valid only during the call.
    func withMessageID<R>(of index: Int, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        let length = Int(messageIDLengths[index])
        guard length >= 0 else { return body(nil) }
        let start = textStarts[index]
        return withText(of: index) { body(UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
    }

    /// Calls `body` with the subject's UTF-8 bytes (nil when absent), valid only during the call.
    func withSubject<R>(of index: Int, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        let length = Int(subjectLengths[index])
        guard length >= 0 else { return body(nil) }
        let start = textStarts[index] + max(0, Int(messageIDLengths[index]))
        return withText(of: index) { body(UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
    }

    /// Calls `body` with the text segment that holds message `index`'s Message-ID and subject.
    private func withText<R>(of index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if index >= textFirstMessage { return text.withUnsafeBufferPointer(body) }
        // The last segment starting at or before the message (an empty batch's segment may share its start).
        let segment = earlierTexts.lastIndex { $0.firstMessage <= index } ?? 0
        return earlierTexts[segment].bytes.withUnsafeBufferPointer(body)
    }

    /// The folders message `index` was seen in.
    package func locations(of index: Int) -> [FolderLocation] { folderLists[Int(folderList[index])] }

    /// The message's automation facts.
    package func automation(of index: Int) -> AutomationFacts {
        AutomationFacts(reasons: reasonLists[Int(reasonList[index])])
    }

    /// Message `index` as an observation; its key is derived from the Message-ID (the batch keeps no digest), or
    /// numbered when there is none.
    package func observation(_ index: Int) -> MessageObservation {
        let messageID = messageID(of: index)
        let appearances = appearances(of: index).map { slot in
            AddressAppearance(
                field: appearanceFields[slot],
                mailbox: Mailbox(
                    name: names[Int(appearanceNames[slot])], address: addresses[Int(appearanceAddresses[slot])]))
        }
        let key = messageID.flatMap { $0.isEmpty ? nil : "mid:" + $0 } ?? "batch:\(index)"
        return MessageObservation(
            key: key, messageID: messageID, date: date(of: index), subject: subject(of: index),
            locations: locations(of: index), appearances: appearances, automation: automation(of: index))
    }
}

extension ObservationBatch {
    /// The observations in compact form, in the same order; addresses and names are numbered in order of first
    /// appearance. A large array is converted in parts at once, one per processor (up to 4).
    package init(_ observations: [MessageObservation], parallelMinimum: Int = 100_000) {
        let parts = parallelParts(observations.count, minimum: parallelMinimum, maximum: 4)
        if parts == 1 {
            self.init(observations, range: observations.indices)
            return
        }
        var all = forEachPart(of: observations.count, parts: parts) { ObservationBatch(observations, range: $0) }
        self = all.removeFirst()
        reserveCapacity(messages: observations.count, appearances: appearanceAddresses.count * parts)
        for part in all { appendRenumbering(part) }
    }

    /// `observations[range]` in compact form, with its own tables.
    private init(_ observations: [MessageObservation], range: Range<Int>) {
        self.init()
        // Numbered in the order first met: the tables' indexes (byte-wise keys, no SipHash, no retains).
        var addressNumbers = AddressTable()
        var nameNumbers = AddressTable()
        _ = nameNumbers.index(of: "")
        var folderNumbers: [[FolderLocation]: UInt32] = [[]: 0]
        var reasonNumbers: [[String]: UInt32] = [[]: 0]
        // Each address's last name, and the last message's folders and reasons: mostly equal to the next ones
        // (and then often the same storage, which compares at once), so few strings and lists are hashed.
        var lastNames: [(name: String, number: UInt32)] = []
        var lastFolders: (list: [FolderLocation], number: UInt32) = ([], 0)
        var lastReasons: (list: [String], number: UInt32) = ([], 0)
        reserveCapacity(messages: range.count, appearances: range.count * 4)
        // Read in place: copying a message or an appearance costs a retain per string and array.
        observations.withUnsafeBufferPointer { messages in
            for message in range {
                messages[message].appearances.withUnsafeBufferPointer { appearances in
                    for slot in appearances.indices {
                        let (index, newAddress) = addressNumbers.index(of: appearances[slot].mailbox.address)
                        let addressNumber = Int(index)
                        if newAddress {
                            addresses.append(appearances[slot].mailbox.address)
                            lastNames.append(("", 0))
                        }
                        let nameNumber: UInt32
                        if appearances[slot].mailbox.name == lastNames[addressNumber].name {
                            nameNumber = lastNames[addressNumber].number
                        } else {
                            let name = appearances[slot].mailbox.name
                            let (index, newName) = nameNumbers.index(of: name)
                            nameNumber = UInt32(index)
                            if newName { names.append(name) }
                            lastNames[addressNumber] = (name, nameNumber)
                        }
                        appendAppearance(
                            address: UInt32(addressNumber), field: appearances[slot].field, name: nameNumber)
                    }
                }
                Self.number(messages[message].locations, last: &lastFolders, numbers: &folderNumbers, in: &folderLists)
                Self.number(
                    messages[message].automation.reasons, last: &lastReasons, numbers: &reasonNumbers, in: &reasonLists)
                var messageID = messages[message].messageID
                var subject = messages[message].subject
                let date = messages[message].date?.timeIntervalSinceReferenceDate ?? .nan
                let (folders, reasons) = (lastFolders.number, lastReasons.number)
                Self.withOptionalUTF8(&messageID) { id in
                    Self.withOptionalUTF8(&subject) { subject in
                        appendMessage(
                            date: date, folderList: folders, reasonList: reasons, messageID: id, subject: subject)
                    }
                }
            }
        }
    }

    /// Appends `other`'s messages, which has tables of its own: its addresses and names are renumbered into
    /// this batch's (added when new).
    private mutating func appendRenumbering(_ other: ObservationBatch) {
        let addressMap = Self.renumber(other.addresses, into: &addresses)
        let nameMap = Self.renumber(other.names, into: &names)
        var renumbered = other
        renumbered.addresses = addresses
        renumbered.names = names
        renumbered.appearanceAddresses = other.appearanceAddresses.map { addressMap[Int($0)] }
        renumbered.appearanceNames = other.appearanceNames.map { nameMap[Int($0)] }
        append(renumbered)
    }

    /// Sets `last` to `list` and its number in `lists` (added when new); the same list as last time is not hashed.
    private static func number<List: Hashable>(
        _ list: List, last: inout (list: List, number: UInt32), numbers: inout [List: UInt32], in lists: inout [List]
    ) {
        if list == last.list { return }
        if let known = numbers[list] {
            last = (list, known)
        } else {
            last = (list, UInt32(lists.count))
            numbers[list] = last.number
            lists.append(list)
        }
    }

    /// The numbers of `values` in `table`, each added when new.
    private static func renumber(_ values: [String], into table: inout [String]) -> [UInt32] {
        var numbers = [String: UInt32](minimumCapacity: table.count)
        for (number, value) in table.enumerated() { numbers[value] = UInt32(number) }
        return values.map { value in
            if let known = numbers[value] { return known }
            table.append(value)
            numbers[value] = UInt32(table.count - 1)
            return UInt32(table.count - 1)
        }
    }

    private static func withOptionalUTF8<R>(_ string: inout String?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard var value = string else { return body(nil) }
        defer { string = value }
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// Every message as an observation (see ``observation(_:)``).
    package var observations: [MessageObservation] { (0..<count).map { observation($0) } }
}
