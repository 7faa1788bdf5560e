import ArgumentParser
import Foundation
import SeatMeterDaemon
import SeatMeterCore
import SeatMeterStore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch new mail headers from the configured IMAP accounts into the ledger, once.",
        discussion: """
            Read-only on the mailbox (EXAMINE, BODY.PEEK). Incremental: only messages above each folder's \
            checkpoint are fetched. Exit status 1 if any account or folder failed (the others still sync).
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Sync only this account.")
    var account: String?

    @Option(name: .long, help: .hidden)
    var batchSize: UInt32?

    func run() async throws {
        let (configuration, logger) = try options.load()
        if configuration.accounts.isEmpty { throw CLIError("\(configuration.file): no accounts configured") }
        if let account, !configuration.accounts.contains(where: { $0.name == account }) {
            throw CLIError("no account named \"\(account)\" in \(configuration.file)")
        }
        // The accounts log in while the ledger opens.
        let earlyLogins = EarlyLogins(accounts: configuration.accounts(named: account), logger: logger)
        let ledger = try LedgerOpener.open(configuration)
        var engine = SyncEngine(configuration: configuration, ledger: ledger, logger: logger)
        engine.earlyLogins = earlyLogins
        if let batchSize, batchSize > 0 { engine.batchSize = batchSize }
        let progress = ProgressLine()
        engine.progress = { progress.update($0) }
        let results = await engine.syncAll(account: account)
        progress.clear()
        print(SummaryTable.render(results))
        if !results.allSatisfy(\.succeeded) { throw ExitCode(1) }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Backfill the ledger from a Maildir or an mbox export.",
        discussion: """
            Messages already in the ledger (by Message-ID, else a digest of the header block) are not counted again. \
            Maildir sub-folders named in an account's folders.outgoing (or --outgoing) count as the help desk's \
            outgoing mail.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "A folder name to treat as outgoing (staff) mail; repeatable.")
    var outgoing: [String] = []

    @Argument(help: ArgumentHelp("A Maildir directory or an mbox file.", valueName: "path"))
    var path: String

    func run() throws {
        let (configuration, _) = try options.load()
        let ledger = try LedgerOpener.open(configuration)
        var folders = Set(outgoing)
        for account in configuration.accounts { folders.formUnion(account.outgoingFolders) }
        var engine = ImportEngine(ledger: ledger, outgoingFolders: folders)
        let progress = ProgressLine()
        engine.progress = { progress.update($0) }
        let summaries: [FolderSyncSummary]
        do {
            summaries = try engine.importMessages(at: path)
        } catch let error as MailFileReader.ReadError {
            progress.clear()
            throw CLIError(error.description)
        }
        progress.clear()
        print(SummaryTable.render([AccountSyncResult(account: "import", folders: summaries)]))
    }
}

enum LedgerOpener {
    static func open(_ configuration: SeatMeterConfiguration) throws -> Ledger {
        do {
            return try Ledger(path: configuration.ledgerPath)
        } catch {
            throw CLIError("cannot open the ledger \(configuration.ledgerPath): \(error)")
        }
    }
}

/// The per-folder summary printed after a sync or an import.
enum SummaryTable {
    static func render(_ results: [AccountSyncResult]) -> String {
        var table = TextTable(
            ["account", "folder", "role", "new", "duplicates", "total", "time", "status"],
            [.left, .left, .left, .right, .right, .right, .right, .left])
        var errors: [String] = []
        for result in results {
            if let error = result.error {
                table.add([result.account, "-", "-", "-", "-", "-", "-", "FAILED"])
                errors.append(error)
            }
            for folder in result.folders {
                table.add([
                    folder.account, folder.folder, folder.role.rawValue, "\(folder.newMessages)", "\(folder.duplicates)",
                    "\(folder.total)", String(format: "%.2fs", folder.seconds),
                    folder.error == nil ? (folder.uidValidityChanged ? "ok (rescanned)" : "ok") : "FAILED",
                ])
                if let error = folder.error { errors.append(error) }
            }
        }
        var text = table.render(indent: "")
        for error in errors { text += "\nerror: " + error }
        return text
    }
}

/// A progress line on standard error, only when it is a terminal; redrawn at most 4 times a second.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: all state is behind `lock`; updates come from sync threads.
    private let lock = NSLock()
    private let enabled = isatty(STDERR_FILENO) == 1
    private var lastDraw = 0.0
    private var drawn = false

    func update(_ progress: SyncProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw >= 0.25 || progress.done == progress.total else { return }
        lastDraw = now
        let rate = progress.elapsed > 0 ? Double(progress.done) / progress.elapsed : 0
        var line = "\(progress.account)/\(progress.folder): \(progress.done)"
        if progress.total > 0 {
            line += "/\(progress.total) messages"
            if rate > 0 {
                let eta = Double(progress.total - progress.done) / rate
                line += String(format: ", %.0f/s, ETA %.0fs", rate, eta)
            }
        } else {
            line += String(format: " messages, %.0f/s", rate)
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
