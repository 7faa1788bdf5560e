import Foundation
import SeatMeterCore
package import SeatMeterStore

/// Backfills the ledger from a Maildir or mbox export, with the same parsing and de-duplication as a sync:
/// importing the same export twice, or an export of mail already synced, counts nothing twice.
package struct ImportEngine: Sendable {
    package var ledger: Ledger
    /// Folder names whose messages are the help desk's own outgoing mail (staff replies).
    package var outgoingFolders: Set<String>
    package var batchSize = 4000
    package var progress: (@Sendable (SyncProgress) -> Void)?

    package init(ledger: Ledger, outgoingFolders: Set<String>) {
        self.ledger = ledger
        self.outgoingFolders = outgoingFolders
    }

    /// Imports every message under `path`; returns one summary per folder.
    package func importMessages(at path: String) throws -> [FolderSyncSummary] {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let account = "import"
        var summaries: [String: FolderSyncSummary] = [:]
        var order: [String] = []
        var pendingFolder: String?
        let started = ContinuousClock.now
        var done = 0
        let writer = BatchWriter(ledger: ledger, chunkSize: BatchWriter.chunkSize(batchSize: batchSize))
        var submitted: [String] = []

        /// Commits the open batch, if it has messages.
        func flush() throws {
            guard let folder = pendingFolder, writer.appendedCount > 0 else {
                writer.abort()
                return
            }
            try writer.commit()
            submitted.append(folder)
        }
        func begin(_ folder: String) throws {
            try writer.begin(
                account: account, folder: location(absolute, folder), role: role(folder), uidValidity: nil,
                checkpointUID: nil)
        }

        let parseCache = HeaderParseCache()
        do {
            try MailFileReader.forEachMessage(at: absolute) { folder, bytes in
                if folder != pendingFolder {
                    try flush()
                    pendingFolder = folder
                    try begin(folder)
                }
                if summaries[folder] == nil {
                    summaries[folder] = FolderSyncSummary(account: account, folder: location(absolute, folder), role: role(folder))
                    order.append(folder)
                }
                writer.append(IngestMessage(uid: nil, facts: HeaderParser.parse(bytes, cache: parseCache)))
                done += 1
                if writer.appendedCount >= batchSize {
                    try flush()
                    try begin(folder)
                    if let progress {
                        let elapsed = ContinuousClock.now - started
                        progress(SyncProgress(
                            account: account, folder: folder, done: done, total: 0,
                            elapsed: elapsed.timeInterval))
                    }
                }
            }
            try flush()
        } catch {
            // A batch left open would hold the ledger's writer.
            writer.abort()
            throw error
        }
        // Results come back in submission order.
        for (folder, result) in zip(submitted, try writer.finish()) {
            summaries[folder]?.newMessages += result.newMessages
            summaries[folder]?.duplicates += result.duplicates
            summaries[folder]?.total += result.newMessages + result.duplicates
        }
        let elapsed = ContinuousClock.now - started
        let seconds = elapsed.timeInterval
        return order.compactMap { folder in
            guard var summary = summaries[folder] else { return nil }
            summary.seconds = seconds
            return summary
        }
    }

    private func role(_ folder: String) -> FolderRole {
        outgoingFolders.contains(folder) ? .outgoing : .incoming
    }

    private func location(_ path: String, _ folder: String) -> String {
        path + "#" + folder
    }
}
