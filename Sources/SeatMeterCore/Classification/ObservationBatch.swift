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
    /// Message → start of its Message-ID in ``text``; the subject follows it.
    private var textStarts: [Int] = []
    /// Message → byte counts of its Message-ID and subject, -1 when absent.
    private var messageIDLengths: [Int32] = []
    private var subjectLengths: [Int32] = []
    private var text: [UInt8] = []

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

    /// Reserves room for `messages` messages with `appearances` appearances in total.
    package mutating func reserveCapacity(messages: Int, appearances: Int) {
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
        let textBase = text.count
        dates.append(contentsOf: other.dates)
        folderList.append(contentsOf: other.folderList.lazy.map { folderMap[Int($0)] })
        reasonList.append(contentsOf: other.reasonList.lazy.map { reasonMap[Int($0)] })
        appearanceEnds.append(contentsOf: other.appearanceEnds.lazy.map { $0 + appearanceBase })
        textStarts.append(contentsOf: other.textStarts.lazy.map { $0 + textBase })
        messageIDLengths.append(contentsOf: other.messageIDLengths)
        subjectLengths.append(contentsOf: other.subjectLengths)
        text.append(contentsOf: other.text)
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
        return text.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
    }

    /// Calls `body` with the subject's UTF-8 bytes (nil when absent), valid only during the call.
    func withSubject<R>(of index: Int, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        let length = Int(subjectLengths[index])
        guard length >= 0 else { return body(nil) }
        let start = textStarts[index] + max(0, Int(messageIDLengths[index]))
        return text.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
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
    /// appearance.
    package init(_ observations: [MessageObservation]) {
        self.init()
        var addressNumbers: [String: UInt32] = [:]
        var nameNumbers: [String: UInt32] = ["": 0]
        var folderNumbers: [[FolderLocation]: UInt32] = [[]: 0]
        var reasonNumbers: [[String]: UInt32] = [[]: 0]
        reserveCapacity(messages: observations.count, appearances: observations.count * 3)
        for observation in observations {
            for appearance in observation.appearances {
                let address = appearance.mailbox.address
                let addressNumber: UInt32
                if let known = addressNumbers[address] {
                    addressNumber = known
                } else {
                    addressNumber = UInt32(addresses.count)
                    addressNumbers[address] = addressNumber
                    addresses.append(address)
                }
                let name = appearance.mailbox.name
                let nameNumber: UInt32
                if name.isEmpty {
                    nameNumber = 0
                } else if let known = nameNumbers[name] {
                    nameNumber = known
                } else {
                    nameNumber = UInt32(names.count)
                    nameNumbers[name] = nameNumber
                    names.append(name)
                }
                appendAppearance(address: addressNumber, field: appearance.field, name: nameNumber)
            }
            let folders: UInt32
            if let known = folderNumbers[observation.locations] {
                folders = known
            } else {
                folders = UInt32(folderLists.count)
                folderNumbers[observation.locations] = folders
                folderLists.append(observation.locations)
            }
            let reasons: UInt32
            if let known = reasonNumbers[observation.automation.reasons] {
                reasons = known
            } else {
                reasons = UInt32(reasonLists.count)
                reasonNumbers[observation.automation.reasons] = reasons
                reasonLists.append(observation.automation.reasons)
            }
            var messageID = observation.messageID
            var subject = observation.subject
            let date = observation.date?.timeIntervalSinceReferenceDate ?? .nan
            Self.withOptionalUTF8(&messageID) { id in
                Self.withOptionalUTF8(&subject) { subject in
                    appendMessage(date: date, folderList: folders, reasonList: reasons, messageID: id, subject: subject)
                }
            }
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
