import Foundation
import Glibc

/// A private Dovecot IMAP server on 127.0.0.1, run from a temporary directory (see TEST-SERVERS.md).
///
/// One passwd-file user with a Maildir. A plain IMAP listener (offering STARTTLS when TLS is on) and an IMAPS
/// listener, with a self-signed certificate whose file is ``caFile``. Failed logins cost no delay
/// (`auth_failure_delay = 0`, anvil penalty off), so wrong-password tests do not slow the others down.
///
/// Works as root (the mail user gets uid/gid 65534 and owns its home; mail is never served as uid 0) and as an
/// ordinary user (everything runs as that user). ``stop()`` or `deinit` ends the server and removes the directory.
package final class DovecotServer {
    package struct Options {
        /// TLS on: STARTTLS on the plain port and an IMAPS port. Off: plain IMAP only, no STARTTLS offered.
        package var tls: Bool
        package var user: String
        package var password: String
        /// An RFC 7662 introspection URL (`http://127.0.0.1:PORT/introspect`): adds Dovecot's `oauth2` passdb for
        /// the XOAUTH2 and OAUTHBEARER mechanisms (`introspection_mode = post`), beside the password login.
        package var oauth2IntrospectionURL: String?

        package init(
            tls: Bool = true, user: String = "helpdesk", password: String = "correct horse 7",
            oauth2IntrospectionURL: String? = nil
        ) {
            self.tls = tls
            self.user = user
            self.password = password
            self.oauth2IntrospectionURL = oauth2IntrospectionURL
        }
    }

    package let user: String
    package let password: String
    package let imapPort: Int
    /// nil when started without TLS.
    package let imapsPort: Int?
    /// The certificate clients should trust (nil without TLS).
    package let caFile: String?
    /// `sha256//...` of the server's public key, for `CURLOPT_PINNEDPUBLICKEY` (nil without TLS).
    package let publicKeyPin: String?
    /// Names this instance's processes (`<instance>/imap`).
    package let instanceName: String
    package let configPath: String

    private let directory: TemporaryDirectory
    private let home: String
    private let doveadm: String
    /// uid/gid that owns the mail (65534 when running as root; nil: the current user).
    private let mailOwner: (uid: uid_t, gid: gid_t)?
    private var process: ManagedProcess?
    private var deliverySequence = 0

    /// Starts the server and waits until its ports accept connections.
    ///
    /// - Throws: ``TestServerError`` if Dovecot or openssl is missing, or the server does not come up (with the log).
    package init(options: Options = Options()) throws {
        let dovecot = try TestTools.locate("dovecot", package: "dovecot-imapd")
        doveadm = try TestTools.locate("doveadm", package: "dovecot-imapd")
        user = options.user
        password = options.password
        directory = try TemporaryDirectory(prefix: "seatmeter-dovecot", mode: 0o755)
        let root = directory.path
        imapPort = try TestPorts.pickFree()
        var tlsPort: Int?
        if options.tls {
            var port = try TestPorts.pickFree()
            while port == imapPort { port = try TestPorts.pickFree() }
            tlsPort = port
        }
        imapsPort = tlsPort
        instanceName = "seatmeter-test-\(imapPort)"
        configPath = root + "/dovecot.conf"
        home = root + "/home/" + options.user
        let runningAsRoot = geteuid() == 0
        mailOwner = runningAsRoot ? (uid_t(65534), gid_t(65534)) : nil

        let fileManager = FileManager.default
        for sub in ["run", "state", "log", "home", "rawlog"] {
            try fileManager.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        chmod(root + "/home", 0o755)
        for sub in ["", "/Maildir", "/Maildir/cur", "/Maildir/new", "/Maildir/tmp"] {
            try fileManager.createDirectory(atPath: home + sub, withIntermediateDirectories: true)
        }
        try Self.chown(home, recursive: true, owner: mailOwner)
        try Self.chown(root + "/rawlog", recursive: false, owner: mailOwner)

        let certificate = options.tls ? try TLSCertificate.generate(in: root + "/tls") : nil
        caFile = certificate?.certificatePath
        publicKeyPin = certificate?.publicKeyPin

        let ids = runningAsRoot ? "65534:65534" : ":"
        try "\(options.user):{PLAIN}\(options.password):\(ids)::\(home)::\n"
            .write(toFile: root + "/passwd", atomically: true, encoding: .utf8)

        var config = """
            protocols = imap
            listen = 127.0.0.1
            base_dir = \(root)/run
            state_dir = \(root)/state
            instance_name = \(instanceName)
            log_path = \(root)/log/dovecot.log
            verbose_proctitle = yes
            disable_plaintext_auth = no
            auth_mechanisms = plain login\(options.oauth2IntrospectionURL == nil ? "" : " xoauth2 oauthbearer")
            auth_failure_delay = 0
            first_valid_uid = 1
            mail_location = maildir:~/Maildir
            protocol imap {
              rawlog_dir = \(root)/rawlog
            }
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(root)/passwd
            \(options.oauth2IntrospectionURL == nil ? "" : "  mechanisms = plain login")
            }
            userdb {
              driver = passwd-file
              args = username_format=%u \(root)/passwd
            }

            """
        if let introspection = options.oauth2IntrospectionURL {
            try """
                introspection_mode = post
                introspection_url = \(introspection)
                username_attribute = username
                active_attribute = active
                active_value = true
                force_introspection = yes

                """.write(toFile: root + "/dovecot-oauth2.conf.ext", atomically: true, encoding: .utf8)
            config += """
                passdb {
                  driver = oauth2
                  mechanisms = xoauth2 oauthbearer
                  args = \(root)/dovecot-oauth2.conf.ext
                }

                """
        }
        if let certificate {
            config += """
                ssl = yes
                ssl_cert = <\(certificate.certificatePath)
                ssl_key = <\(certificate.keyPath)

                """
        } else {
            config += "ssl = no\n"
        }
        config += """
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = \(imapPort)
              }
              inet_listener imaps {
                address = 127.0.0.1
                port = \(tlsPort ?? 0)
                ssl = yes
              }
            \(runningAsRoot ? "" : "  chroot =")
            }
            service anvil {
              unix_listener anvil-auth-penalty {
                mode = 0
              }
            \(runningAsRoot ? "" : "  chroot =")
            }

            """
        if !runningAsRoot {
            let me = String(cString: getpwuid(geteuid()).pointee.pw_name)
            let group = String(cString: getgrgid(getegid()).pointee.gr_name)
            config += """
                default_internal_user = \(me)
                default_internal_group = \(group)
                default_login_user = \(me)

                """
        }
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)

        let started = try ManagedProcess(
            executable: dovecot, arguments: ["-c", configPath, "-F"], logPath: root + "/log/stderr.log")
        process = started
        let logFile = root + "/log/dovecot.log"
        try TestPorts.waitUntilAccepting(ports: [imapPort] + (tlsPort.map { [$0] } ?? []), process: started) {
            started.log + ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")
        }
    }

    deinit { stop() }

    /// Stops the server (SIGTERM to the master, which ends every session) and waits for it to exit.
    package func stop() {
        process?.stop()
        process = nil
    }

    // MARK: - Addresses

    /// `imap://127.0.0.1:PORT` (plain; STARTTLS when TLS is on).
    package var plainURL: String { "imap://127.0.0.1:\(imapPort)" }
    /// `imaps://127.0.0.1:PORT` (nil without TLS).
    package var tlsURL: String? { imapsPort.map { "imaps://127.0.0.1:\($0)" } }

    /// Dovecot's own log (for failure messages).
    package var log: String {
        (try? String(contentsOfFile: directory.path + "/log/dovecot.log", encoding: .utf8)) ?? ""
    }

    /// Every command line that IMAP clients sent to this server after login, from Dovecot's rawlogs
    /// (`*.in` files), in file order. Proves what a client did and did not send (no SELECT, no STORE, ...).
    package func clientCommands() throws -> [String] {
        let rawlog = directory.path + "/rawlog"
        let files = try FileManager.default.contentsOfDirectory(atPath: rawlog).filter { $0.hasSuffix(".in") }.sorted()
        return try files.flatMap { file in
            try String(contentsOfFile: "\(rawlog)/\(file)", encoding: .utf8)
                .split(whereSeparator: \.isNewline).map { line in
                    // "1795916538.208060 S1 EXAMINE ..." -> "S1 EXAMINE ..."
                    let parts = line.split(separator: " ", maxSplits: 1)
                    guard parts.count == 2, Double(parts[0]) != nil else { return String(line) }
                    return String(parts[1])
                }
        }
    }

    /// The number of sessions that logged in so far (Dovecot starts one rawlog per logged-in session).
    package func loggedInSessions() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: directory.path + "/rawlog").filter { $0.hasSuffix(".in") }
            .count
    }

    // MARK: - Mail

    /// The user's Maildir (INBOX); other folders are its `.Name` subdirectories.
    package func maildir(for user: String? = nil) -> String {
        precondition(user == nil || user == self.user, "this server has one user, \(self.user)")
        return home + "/Maildir"
    }

    /// Writes messages straight into the folder's Maildir `cur/`, with Dovecot-style names whose time part grows
    /// with every delivery, so Dovecot gives them ascending UIDs in delivery order.
    ///
    /// - Parameters:
    ///   - messages: raw bytes (use CRLF line ends for byte-exact comparisons) and Maildir flag letters
    ///     (`"S"` seen, `"F"` flagged, `"R"` answered, `"T"` deleted, `"D"` draft; `""` unread).
    ///   - folder: `INBOX`, or another folder (created through doveadm if missing, e.g. `Sent`).
    package func deliver(_ messages: [(rawBytes: [UInt8], flags: String)], folder: String = "INBOX") throws {
        let folderPath = try path(of: folder, create: true)
        for message in messages {
            deliverySequence += 1
            let size = message.rawBytes.count
            let virtualSize = size + Self.bareLineFeeds(in: message.rawBytes)
            let flags = String(message.flags.sorted())
            let time = 1_700_000_000 + deliverySequence
            let name = "\(time).M\(deliverySequence)P\(getpid())Q\(deliverySequence).seatmeter"
                + ",S=\(size),W=\(virtualSize):2,\(flags)"
            let temporary = "\(folderPath)/tmp/\(name)"
            try Self.writeFile(temporary, message.rawBytes, owner: mailOwner)
            guard rename(temporary, "\(folderPath)/cur/\(name)") == 0 else {
                throw TestServerError("cannot move \(name) into cur/: errno \(errno)")
            }
        }
    }

    /// Every message's flags as Dovecot reports them (`doveadm fetch 'uid flags'`), by UID.
    package func flags(folder: String = "INBOX") throws -> [UInt32: String] {
        let output = try TestTools.run(
            doveadm, ["-c", configPath, "-f", "tab", "fetch", "-u", user, "uid flags", "mailbox", folder, "all"])
        var result: [UInt32: String] = [:]
        for line in output.standardOutput.split(separator: "\n").dropFirst() {  // first line: "uid\tflags"
            let columns = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard let uid = UInt32(columns[0]) else { throw TestServerError("unexpected doveadm line: \(line)") }
            result[uid] = columns.count > 1 ? String(columns[1]) : ""
        }
        return result
    }

    /// Makes Dovecot forget the folder's UIDs, so that it assigns a new UIDVALIDITY and renumbers the messages:
    /// deletes `dovecot-uidlist` and the index files. Kill or log out the IMAP sessions first.
    package func resetUIDValidity(folder: String = "INBOX") throws {
        let folderPath = try path(of: folder, create: false)
        let fileManager = FileManager.default
        for entry in try fileManager.contentsOfDirectory(atPath: folderPath)
        where entry == "dovecot-uidlist" || entry.hasPrefix("dovecot.index") {
            try fileManager.removeItem(atPath: "\(folderPath)/\(entry)")
        }
        let root = maildir()
        for entry in try fileManager.contentsOfDirectory(atPath: root) where entry.hasPrefix("dovecot.list.index") {
            try fileManager.removeItem(atPath: "\(root)/\(entry)")
        }
    }

    /// The `imap` session processes of this instance (titled `dovecot-<instance>/imap [user ip ...]`).
    package var imapSessionProcesses: [Int32] {
        let prefixes = ["dovecot-\(instanceName)/imap", "\(instanceName)/imap"]
        return TestProcesses.find { title in
            prefixes.contains { title == $0 || title.hasPrefix($0 + " ") }
        }
    }

    /// Sends `signal` (SIGKILL by default: a crash mid-fetch) to every IMAP session process of this instance.
    ///
    /// - Returns: how many processes were signalled.
    @discardableResult
    package func killIMAPSessions(signal: Int32 = SIGKILL) -> Int {
        let pids = imapSessionProcesses
        for pid in pids { kill(pid, signal) }
        return pids.count
    }

    // MARK: - Helpers

    private var folderPaths: [String: String] = [:]

    private func path(of folder: String, create: Bool) throws -> String {
        if folder.uppercased() == "INBOX" { return maildir() }
        if let known = folderPaths[folder] { return known }
        if create {
            let created = try TestTools.run(
                doveadm, ["-c", configPath, "mailbox", "create", "-u", user, folder], check: false)
            if created.status != 0 && !created.standardError.contains("already exists") {
                throw TestServerError("doveadm mailbox create \(folder) failed: \(created.standardError)")
            }
        }
        let output = try TestTools.run(doveadm, ["-c", configPath, "mailbox", "path", "-u", user, folder])
        let path = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !path.isEmpty else { throw TestServerError("doveadm gave no path for \(folder)") }
        for sub in ["", "/cur", "/new", "/tmp"] {
            try FileManager.default.createDirectory(atPath: path + sub, withIntermediateDirectories: true)
            try Self.chown(path + sub, recursive: false, owner: mailOwner)
        }
        folderPaths[folder] = path
        return path
    }

    /// Writes a new file with plain POSIX calls (FileManager's atomic writes cost several times more per file).
    private static func writeFile(_ path: String, _ bytes: [UInt8], owner: (uid: uid_t, gid: gid_t)?) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw TestServerError("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let written = write(fd, base + offset, buffer.count - offset)
                guard written > 0 else { throw TestServerError("cannot write \(path): errno \(errno)") }
                offset += written
            }
        }
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            throw TestServerError("cannot chown \(path): errno \(errno)")
        }
    }

    /// LF bytes not preceded by CR (each counts one more byte in Dovecot's CRLF "virtual size", `W=`).
    private static func bareLineFeeds(in bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var count = 0
            var offset = 0
            while offset < buffer.count, let found = memchr(base + offset, 0x0A, buffer.count - offset) {
                let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if index == 0 || base[index - 1] != 0x0D { count += 1 }
                offset = index + 1
            }
            return count
        }
    }

    private static func chown(_ path: String, recursive: Bool, owner: (uid: uid_t, gid: gid_t)?) throws {
        guard let owner else { return }
        guard Glibc.chown(path, owner.uid, owner.gid) == 0 else {
            throw TestServerError("chown \(path) failed: errno \(errno)")
        }
        guard recursive, let enumerator = FileManager.default.enumerator(atPath: path) else { return }
        for case let entry as String in enumerator {
            guard Glibc.chown("\(path)/\(entry)", owner.uid, owner.gid) == 0 else {
                throw TestServerError("chown \(path)/\(entry) failed: errno \(errno)")
            }
        }
    }
}
