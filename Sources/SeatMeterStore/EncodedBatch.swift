package import SeatMeterCore

/// An ``IngestBatch`` in the form the ledger's writer stores it, made by ``IngestEncoder``.
///
/// A sync fetches on one thread and commits on another, and the committing thread was its bottleneck. Everything
/// that does not need the database is therefore done by the encoder, on the fetching thread: the de-duplication
/// hashes, the dates in whole seconds, the joined automation reasons and defects, and the interning of addresses and
/// display names into small integers of the encoder's dictionary. The writer then binds and steps, and resolves each
/// dictionary index to its row id once per session (``IngestIDs``). The texts of all messages are kept in one buffer:
/// a batch is a handful of allocations instead of several per message, so it is cheap to keep in flight and to free.
package struct EncodedBatch: Sendable {
    package let account: String
    package let folder: String
    package let role: FolderRole
    /// The folder's UIDVALIDITY; nil for imports.
    package let uidValidity: UInt32?
    /// When non-nil, the folder's checkpoint advances to this UID in the same transaction.
    package let checkpointUID: UInt32?
    let messages: [EncodedMessage]
    /// The appearances of all messages, in message and header order (see ``EncodedMessage/appearanceEnd``).
    let appearances: [EncodedAppearance]
    /// The texts of all messages, back to back (see ``TextSpan``).
    let text: [UInt8]
    /// Per ``Interner/Table``: the values the encoder met first in this batch, which take the dictionary's indices
    /// from `firstNewIndex` on.
    let newValues: [[String]]
    let firstNewIndex: [Int]
    /// The encoder started its dictionary over with this batch (its indices restart at 0).
    let startsDictionary: Bool

    /// The number of messages.
    package var count: Int { messages.count }
}

/// Where a text lies in ``EncodedBatch/text``; `count` -1 stands for nil.
struct TextSpan {
    var start: Int
    var count: Int

    static let none = TextSpan(start: 0, count: -1)
}

struct EncodedMessage {
    /// The IMAP UID; 0 for none (IMAP never uses 0).
    var uid: UInt32
    var date: Int64?
    /// The first 16 bytes of the SHA-256 of the de-duplication key (`LedgerSchema.dedupHash`), whose two 8-byte
    /// halves are the message's two possible keys in the ledger (`LedgerSchema.dedupKeys`).
    var dedupHash: TextSpan
    var messageID: TextSpan
    var subject: TextSpan
    /// ``joinLines(_:)`` of the automation reasons and of the defects.
    var automationReasons: TextSpan
    var defects: TextSpan
    var digest: TextSpan
    /// The end of this message's appearances in ``EncodedBatch/appearances`` (they start at the previous message's).
    var appearanceEnd: Int
}

struct EncodedAppearance {
    /// Dictionary indices (``IngestEncoder``); `name` is -1 for no display name.
    var address: Int32
    var name: Int32
    var field: AddressField
}

/// Encodes the batches of one writer, in order, on the thread that fetched them (see ``EncodedBatch``): message by
/// message as they arrive (``append(_:)``), then a batch of them
/// (``finish(account:folder:role:uidValidity:checkpointUID:)``).
/// Its dictionary numbers each distinct address and display name (byte for byte, as the ledger's `UNIQUE` columns
/// compare them) in the order met; the ledger's side of it is the ``IngestIDs`` the batches are ingested with.
package struct IngestEncoder: Sendable {
    /// Above this many entries in either table the dictionary starts over (memory stays flat on huge imports).
    private let dictionaryLimit: Int
    private var tables = [AddressTable(), AddressTable()]
    private var startsDictionary = true
    /// The dictionary's size when the last batch was finished, and the values it gained since.
    private var firstNewIndex = [0, 0]
    private var newValues: [[String]] = [[], []]
    /// The messages appended since the last batch was finished.
    private var messages: [EncodedMessage] = []
    private var appearances: [EncodedAppearance] = []
    private var text: [UInt8] = []
    /// The current message's de-duplication key, in memory reused from message to message.
    private var key: [UInt8] = []

    /// Appends the stored form of a de-duplication key (given as UTF-8) to the batch's text.
    private let appendDedupHash: @Sendable (UnsafeRawBufferPointer, inout [UInt8]) -> Void

    package init(dictionaryLimit: Int = 200_000) {
        self.init(dictionaryLimit: dictionaryLimit, dedupHash: LedgerSchema.appendDedupHash(ofKey:to:))
    }

    /// An encoder whose de-duplication hashes `dedupHash` makes (tests: hashes that collide).
    init(
        dictionaryLimit: Int = 200_000, dedupHash: @escaping @Sendable (UnsafeRawBufferPointer, inout [UInt8]) -> Void
    ) {
        self.dictionaryLimit = dictionaryLimit
        appendDedupHash = dedupHash
    }

    /// The number of messages appended since the last batch was finished.
    package var count: Int { messages.count }

    /// Encodes all of `batch`'s messages into one batch.
    package mutating func encode(_ batch: IngestBatch) -> EncodedBatch {
        for message in batch.messages { append(message) }
        return finish(
            account: batch.account, folder: batch.folder, role: batch.role, uidValidity: batch.uidValidity,
            checkpointUID: batch.checkpointUID)
    }

    /// Encodes one message of the next batch.
    package mutating func append(_ message: IngestMessage) {
        if messages.isEmpty, tables.contains(where: { $0.count > dictionaryLimit }) {
            tables = [AddressTable(), AddressTable()]
            startsDictionary = true
            firstNewIndex = [0, 0]
            newValues = [[], []]
        }
        let facts = message.facts
        for appearance in facts.appearances {
            let name = appearance.mailbox.name
            appearances.append(EncodedAppearance(
                address: index(appearance.mailbox.address, in: .address),
                name: name.isEmpty ? -1 : index(name, in: .name),
                field: appearance.field))
        }
        key.removeAll(keepingCapacity: true)
        facts.appendDeduplicationKey(to: &key)
        let hashStart = text.count
        key.withUnsafeBytes { appendDedupHash($0, &text) }
        messages.append(EncodedMessage(
            uid: message.uid ?? 0,
            date: facts.date.flatMap(unixSeconds),
            dedupHash: TextSpan(start: hashStart, count: 16),
            messageID: span(facts.messageID),
            subject: span(facts.subject),
            automationReasons: lines(facts.automation.reasons),
            defects: lines(facts.defects),
            digest: span(facts.digest),
            appearanceEnd: appearances.count))
    }

    /// The messages appended since the last batch, as one batch.
    package mutating func finish(
        account: String, folder: String, role: FolderRole, uidValidity: UInt32?, checkpointUID: UInt32?
    ) -> EncodedBatch {
        defer {
            startsDictionary = false
            firstNewIndex = tables.map(\.count)
            newValues = [[], []]
            discardMessages()
        }
        return EncodedBatch(
            account: account, folder: folder, role: role, uidValidity: uidValidity, checkpointUID: checkpointUID,
            messages: messages, appearances: appearances, text: text, newValues: newValues,
            firstNewIndex: firstNewIndex, startsDictionary: startsDictionary)
    }

    /// Drops the messages appended since the last batch (a fetch that failed half-way). The dictionary keeps what
    /// they added: the next batch carries it.
    package mutating func discardMessages() {
        messages = []
        appearances = []
        text = []
    }

    /// ``joinLines(_:)`` of `items`, written straight into ``text``.
    private mutating func lines(_ items: [String]) -> TextSpan {
        let start = text.count
        appendLines(items, to: &text)
        return TextSpan(start: start, count: text.count - start)
    }

    private mutating func span(_ value: String?) -> TextSpan {
        guard var value else { return .none }
        let start = text.count
        value.withUTF8 { text.append(contentsOf: $0) }
        return TextSpan(start: start, count: text.count - start)
    }

    private mutating func index(_ value: String, in table: Interner.Table) -> Int32 {
        let (index, inserted) = tables[table.rawValue].index(of: value)
        if inserted { newValues[table.rawValue].append(value) }
        return index
    }
}

/// The ledger's side of an ``IngestEncoder``'s dictionary: each index's value, and its `address.id` or `name.id` once
/// resolved. Ids are resolved inside the ingest transactions and forgotten again when one fails.
package struct IngestIDs: Sendable {
    var values: [[String]] = [[], []]
    /// 0 while unresolved (ids are rowids, never 0).
    var ids: [[Int64]] = [[], []]

    package init() {}

    /// Takes in the values the batches add to the dictionary, in order.
    ///
    /// - Throws: ``LedgerError/invalidBatch(account:folder:reason:)`` when a batch does not continue the dictionary
    ///   where the previous one left it (batches ingested out of order, twice, or with another encoder's ids).
    ///   Nothing is taken in then.
    mutating func append(_ batches: [EncodedBatch]) throws {
        var counts = values.map(\.count)
        for batch in batches {
            if batch.startsDictionary { counts = [0, 0] }
            guard batch.firstNewIndex == counts else {
                throw LedgerError.invalidBatch(
                    account: batch.account, folder: batch.folder,
                    reason: "encoded batches must be ingested once each, in order, with their encoder's ids")
            }
            for table in counts.indices { counts[table] += batch.newValues[table].count }
        }
        for batch in batches {
            if batch.startsDictionary {
                values = [[], []]
                ids = [[], []]
            }
            for table in values.indices {
                values[table].append(contentsOf: batch.newValues[table])
                ids[table].append(contentsOf: repeatElement(0, count: batch.newValues[table].count))
            }
        }
    }
}
