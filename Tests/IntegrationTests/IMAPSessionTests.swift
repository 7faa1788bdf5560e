import Foundation
import Glibc
@testable import SeatMeterCurl
import Testing
import TestSupport

/// The IMAP session against a real Dovecot started per test (see TEST-SERVERS.md).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct IMAPSessionTests {
    // MARK: - Fetching

    @Test("EXAMINE and a header fetch return the delivered fields byte for byte", arguments: Transport.allCases)
    func fetchesExactFields(transport: Transport) throws {
        let server = try DovecotServer()
        let messages = (1...5).map {
            IMAPTestMail.message($0, extraHeaders: $0 == 2 ? ["Auto-Submitted: auto-replied"] : [])
        }
        try server.deliver(messages.map { ($0, "S") })
        let session = try IMAPSession(endpoint: server.endpoint(transport))
        let status = try session.examine("INBOX")
        #expect(status.exists == 5)
        #expect(status.uidNext == 6)
        #expect(status.uidValidity > 0)
        let headers = try session.collect(1...(status.uidNext - 1))
        #expect(headers.map(\.uid) == [1, 2, 3, 4, 5])
        for (header, raw) in zip(headers, messages) {
            #expect(String(decoding: header.bytes, as: UTF8.self)
                == String(decoding: IMAPTestMail.expectedFields(of: raw), as: UTF8.self))
        }
        session.logout()
        // The login really was (or was not) over TLS.
        let logins = server.log.split(separator: "\n").filter { $0.contains("Login: user=<\(server.user)>") }
        #expect(logins.count == 1)
        #expect(logins.allSatisfy { $0.contains(", TLS,") } == (transport != .plain))
    }

    @Test("the session sends only EXAMINE, UID FETCH with BODY.PEEK and LOGOUT")
    func sendsOnlyReadOnlyCommands() throws {
        let server = try DovecotServer()
        try server.deliver((1...3).map { (IMAPTestMail.message($0), "") })
        try server.deliver([(IMAPTestMail.message(9), "")], folder: "Sent")
        let session = try IMAPSession(endpoint: server.endpoint(.startTLS))
        _ = try session.examine("INBOX")
        _ = try session.collect(1...3)
        _ = try session.examine("Sent")
        _ = try session.collect(1...UInt32.max)
        session.logout()
        let commands = try server.clientCommands()
        #expect(commands.count == 5)
        for command in commands {
            let verb = command.split(separator: " ").dropFirst().prefix(2).joined(separator: " ").uppercased()
            #expect(verb.hasPrefix("EXAMINE") || verb == "UID FETCH" || verb == "LOGOUT", "\(command)")
            if verb == "UID FETCH" {
                #expect(command.contains("BODY.PEEK[HEADER.FIELDS ("))
                #expect(!command.uppercased().contains("BODY["))
            }
        }
    }

    @Test("a 300 KB header block (a To: with thousands of addresses) arrives intact, and the stream goes on")
    func hugeHeaderBlock() throws {
        let server = try DovecotServer()
        let addresses = (1...9_000).map { "Customer Number \($0) <customer.\($0)@example.org>" }
        var folded = ""
        for (index, address) in addresses.enumerated() {
            folded += address + (index == addresses.count - 1 ? "" : index % 4 == 3 ? ",\r\n " : ", ")
        }
        let huge = IMAPTestMail.message(1, to: folded)
        let messages = [IMAPTestMail.message(0), huge, IMAPTestMail.message(2)]
        try server.deliver(messages.map { ($0, "") })
        for transport in [Transport.plain, .implicitTLS] {
            let session = try IMAPSession(endpoint: server.endpoint(transport))
            _ = try session.examine("INBOX")
            let headers = try session.collect(1...3)
            #expect(headers.map(\.uid) == [1, 2, 3])
            #expect(headers.count == 3 && headers[1].bytes.count > 300_000)
            #expect(headers.map(\.bytes) == messages.map { IMAPTestMail.expectedFields(of: $0) })
            session.logout()
        }
    }

    @Test("incremental fetch: after new mail arrives, a range above the checkpoint returns exactly the new messages")
    func incrementalFetch() throws {
        let server = try DovecotServer()
        let first = (1...4).map { IMAPTestMail.message($0) }
        try server.deliver(first.map { ($0, "") })
        let session = try IMAPSession(endpoint: server.endpoint(.plain))
        let before = try session.examine("INBOX")
        #expect(before.uidNext == 5)
        #expect(try session.collect(1...(before.uidNext - 1)).map(\.uid) == [1, 2, 3, 4])
        let checkpoint = before.uidNext - 1

        let second = (5...7).map { IMAPTestMail.message($0) }
        try server.deliver(second.map { ($0, "") })
        let after = try session.examine("INBOX")
        #expect(after.uidValidity == before.uidValidity)
        #expect(after.uidNext == 8)
        #expect(after.exists == 7)
        let fresh = try session.collect((checkpoint + 1)...(after.uidNext - 1))
        #expect(fresh.map(\.uid) == [5, 6, 7])
        #expect(fresh.map(\.bytes) == second.map { IMAPTestMail.expectedFields(of: $0) })

        // Nothing new: the range above the checkpoint is empty (the caller skips the fetch).
        let again = try session.examine("INBOX")
        #expect(again.uidNext == after.uidNext)
        session.logout()
    }

    @Test("UIDs outside the requested range are dropped (n:* with n above the highest UID returns the highest)")
    func rangeFiltering() throws {
        let server = try DovecotServer()
        try server.deliver((1...5).map { (IMAPTestMail.message($0), "") })
        let session = try IMAPSession(endpoint: server.endpoint(.plain))
        _ = try session.examine("INBOX")
        #expect(try session.collect(6...UInt32.max).isEmpty)  // sent as 6:*, which returns UID 5
        #expect(try session.collect(3...UInt32.max).map(\.uid) == [3, 4, 5])
        #expect(try session.collect(2...3).map(\.uid) == [2, 3])
        #expect(try session.collect(10...20).isEmpty)
        #expect(try session.collect(0...1).map(\.uid) == [1])
        session.logout()
        #expect(try server.clientCommands().contains { $0.contains("UID FETCH 6:* ") })
    }

    @Test("flags on the server are unchanged after a fetch, unread messages included", arguments: Transport.allCases)
    func flagsUnchanged(transport: Transport) throws {
        let server = try DovecotServer()
        let flags = ["", "S", "", "FS", "R", "", "DS", ""]
        try server.deliver(flags.enumerated().map { (IMAPTestMail.message($0.offset), $0.element) })
        try server.deliver([(IMAPTestMail.message(100), ""), (IMAPTestMail.message(101), "S")], folder: "Sent")
        let inboxBefore = try server.flags(folder: "INBOX")
        let sentBefore = try server.flags(folder: "Sent")
        #expect(inboxBefore.count == flags.count)
        #expect(inboxBefore.values.filter { !$0.contains("\\Seen") }.count == 5)  // unread ones are there

        let session = try IMAPSession(endpoint: server.endpoint(transport))
        _ = try session.examine("INBOX")
        #expect(try session.collect(1...UInt32.max).count == flags.count)
        _ = try session.examine("Sent")
        #expect(try session.collect(1...UInt32.max).count == 2)
        session.logout()

        #expect(try server.flags(folder: "INBOX") == inboxBefore)
        #expect(try server.flags(folder: "Sent") == sentBefore)
    }

    @Test("folders other than INBOX, with non-ASCII names sent in modified UTF-7")
    func otherFolders() throws {
        let server = try DovecotServer()
        let names = ["Sent", "Éléments envoyés", "Support & \"Ops\"", "日本語 台北"]
        for (index, name) in names.enumerated() {
            try server.deliver((0...index).map { (IMAPTestMail.message(index * 10 + $0), "S") }, folder: name)
        }
        let session = try IMAPSession(endpoint: server.endpoint(.plain))
        for (index, name) in names.enumerated() {
            let status = try session.examine(name)
            #expect(status.exists == index + 1, "\(name)")
            let headers = try session.collect(1...UInt32.max)
            #expect(headers.map(\.bytes)
                == (0...index).map { IMAPTestMail.expectedFields(of: IMAPTestMail.message(index * 10 + $0)) })
        }
        session.logout()
    }

    @Test("a reset UIDVALIDITY is reported by EXAMINE, with the messages renumbered")
    func uidValidityReset() throws {
        let server = try DovecotServer()
        let messages = (1...3).map { IMAPTestMail.message($0) }
        try server.deliver(messages.map { ($0, "") })
        let first = try IMAPSession(endpoint: server.endpoint(.plain))
        let before = try first.examine("INBOX")
        first.logout()
        try server.resetUIDValidity(folder: "INBOX")
        let second = try IMAPSession(endpoint: server.endpoint(.plain))
        let after = try second.examine("INBOX")
        #expect(after.uidValidity != before.uidValidity)
        #expect(after.exists == 3)
        #expect(try second.collect(1...(after.uidNext - 1)).map(\.bytes)
            == messages.map { IMAPTestMail.expectedFields(of: $0) })
        second.logout()
    }

    @Test("an error thrown by the callback stops the deliveries, is rethrown, and leaves the session usable")
    func callbackErrorAbortsCleanly() throws {
        struct Stop: Error {}
        let server = try DovecotServer()
        try server.deliver((1...50).map { (IMAPTestMail.message($0), "") })
        let session = try IMAPSession(endpoint: server.endpoint(.plain))
        _ = try session.examine("INBOX")
        var seen: [UInt32] = []
        #expect(throws: Stop.self) {
            try session.fetchHeaders(uids: 1...50, fields: IMAPTestMail.fields) { header in
                seen.append(header.uid)
                if header.uid == 3 { throw Stop() }
            }
        }
        #expect(seen == [1, 2, 3])
        #expect(try session.collect(1...50).count == 50)
        #expect(try session.examine("INBOX").exists == 50)
        session.logout()
    }

    @Test("fetchHeaders without a successful EXAMINE is refused")
    func fetchWithoutExamine() throws {
        let server = try DovecotServer()
        let session = try IMAPSession(endpoint: server.endpoint(.plain))
        #expect(throws: IMAPError.self) { try session.collect(1...10) }
        #expect(throws: IMAPError.self) { _ = try session.examine("Missing") }
        #expect(throws: IMAPError.self) { try session.collect(1...10) }
        session.logout()
    }

    // MARK: - Failures

    @Test("a wrong password is authenticationFailed, not transient; the next correct login is not delayed")
    func wrongPassword() throws {
        let server = try DovecotServer()
        for transport in Transport.allCases {
            let error = try #require(throws: IMAPError.self) {
                _ = try IMAPSession(endpoint: server.endpoint(transport, password: "wrong password"))
            }
            #expect(error.kind == .authenticationFailed, "\(transport): \(error)")
            #expect(!error.isTransient)
            #expect(error.curlError?.code == .loginDenied)
            #expect(!error.description.contains(server.password) && !error.description.contains("wrong password"))
        }
        let clock = ContinuousClock()
        let start = clock.now
        let session = try IMAPSession(endpoint: server.endpoint(.plain))
        #expect(clock.now - start < .seconds(2))
        session.logout()
    }

    @Test("nothing listening is connectionFailed, transient", arguments: ["imap", "imaps"])
    func nothingListening(scheme: String) throws {
        let port = try TestPorts.pickFree()
        let endpoint = IMAPEndpoint(url: "\(scheme)://127.0.0.1:\(port)", username: "u", password: "p",
                                    allowInsecure: scheme == "imap", connectTimeout: .seconds(5))
        let error = try #require(throws: IMAPError.self) { _ = try IMAPSession(endpoint: endpoint) }
        #expect(error.kind == .connectionFailed, "\(error)")
        #expect(error.isTransient)
        #expect(error.curlError?.code == .couldntConnect)
    }

    @Test("an untrusted certificate (no ca_file) is tlsFailed", arguments: [Transport.startTLS, .implicitTLS])
    func untrustedCertificate(transport: Transport) throws {
        let server = try DovecotServer()
        var endpoint = server.endpoint(transport)
        endpoint.caFile = nil
        let error = try #require(throws: IMAPError.self) { _ = try IMAPSession(endpoint: endpoint) }
        #expect(error.kind == .tlsFailed, "\(error)")
        #expect(!error.isTransient)
        #expect(error.curlError?.code == .peerFailedVerification)
        #expect(!server.log.contains("Login: user="))
    }

    @Test("the right public-key pin connects; a wrong one is tlsFailed", arguments: [Transport.startTLS, .implicitTLS])
    func publicKeyPinning(transport: Transport) throws {
        let server = try DovecotServer()
        var endpoint = server.endpoint(transport)
        endpoint.pinnedPublicKey = server.publicKeyPin
        let session = try IMAPSession(endpoint: endpoint)
        #expect(try session.examine("INBOX").exists == 0)
        session.logout()

        endpoint.pinnedPublicKey = "sha256//" + String(repeating: "A", count: 43) + "="
        let error = try #require(throws: IMAPError.self) { _ = try IMAPSession(endpoint: endpoint) }
        #expect(error.kind == .tlsFailed, "\(error)")
        #expect(error.curlError?.code == .sslPinnedPubKeyNotMatch)
        #expect(!error.isTransient)
    }

    @Test("imaps:// pointed at the plain port is tlsFailed")
    func tlsToPlainPort() throws {
        let server = try DovecotServer()
        let endpoint = IMAPEndpoint(url: "imaps://127.0.0.1:\(server.imapPort)", username: server.user,
                                    password: server.password, caFile: server.caFile, connectTimeout: .seconds(5))
        let error = try #require(throws: IMAPError.self) { _ = try IMAPSession(endpoint: endpoint) }
        #expect(error.kind == .tlsFailed, "\(error)")
    }

    @Test("a missing folder is folderNotFound, not transient, and the session goes on")
    func missingFolder() throws {
        let server = try DovecotServer()
        try server.deliver([(IMAPTestMail.message(1), "")])
        let session = try IMAPSession(endpoint: server.endpoint(.implicitTLS))
        let error = try #require(throws: IMAPError.self) { _ = try session.examine("No Such Folder") }
        #expect(error.kind == .folderNotFound, "\(error)")
        #expect(!error.isTransient)
        #expect(error.message.contains("No Such Folder"))
        #expect(try session.examine("INBOX").exists == 1)
        session.logout()
    }

    @Test("a server that accepts but never greets times out within the connect timeout", arguments: ["imap", "imaps"])
    func silentServer(scheme: String) throws {
        let silent = try SilentServer()
        let endpoint = IMAPEndpoint(url: scheme == "imap" ? silent.plainURL : silent.tlsURL, username: "u",
                                    password: "p", allowInsecure: scheme == "imap", connectTimeout: .seconds(2),
                                    idleTimeout: .seconds(2))
        let clock = ContinuousClock()
        let start = clock.now
        let error = try #require(throws: IMAPError.self) { _ = try IMAPSession(endpoint: endpoint) }
        let elapsed = clock.now - start
        #expect(error.kind == .timeout, "\(error)")
        #expect(error.isTransient)
        #expect(elapsed >= .milliseconds(1_500) && elapsed < .seconds(5), "\(elapsed)")
    }

    @Test("a server that stops answering after login times out within the idle timeout")
    func idleTimeout() throws {
        let server = try DovecotServer()
        try server.deliver([(IMAPTestMail.message(1), "")])
        let session = try IMAPSession(endpoint: server.endpoint(.startTLS, idleTimeout: .seconds(2)))
        _ = try session.examine("INBOX")
        #expect(server.killIMAPSessions(signal: SIGSTOP) == 1)
        defer { server.killIMAPSessions(signal: SIGKILL) }
        let clock = ContinuousClock()
        let start = clock.now
        let error = try #require(throws: IMAPError.self) { try session.collect(1...1) }
        let elapsed = clock.now - start
        #expect(error.kind == .timeout, "\(error)")
        #expect(error.isTransient)
        #expect(elapsed >= .milliseconds(1_500) && elapsed < .seconds(5), "\(elapsed)")
        // The session is done for; further calls fail at once.
        let again = try #require(throws: IMAPError.self) { _ = try session.examine("INBOX") }
        #expect(again.isTransient)
        session.logout()
    }

    @Test("the session's imap process killed mid-fetch is connectionLost; a new session then completes",
          arguments: [Transport.plain, .implicitTLS])
    func killedMidFetch(transport: Transport) throws {
        let server = try DovecotServer()
        // About 20 MB of header fields: more than the socket buffers hold, so the kill lands mid-response.
        let count = 2_500
        let to = (1...200).map { "Agent \($0) <agent\($0)@example.com>" }.joined(separator: ",\r\n ")
        try server.deliver((1...count).map { (IMAPTestMail.message($0, to: to), "") })
        let session = try IMAPSession(endpoint: server.endpoint(transport))
        _ = try session.examine("INBOX")
        var received = 0
        let error = try #require(throws: IMAPError.self) {
            try session.fetchHeaders(uids: 1...UInt32(count), fields: IMAPTestMail.fields) { _ in
                received += 1
                if received == 1 { #expect(server.killIMAPSessions() == 1) }
            }
        }
        #expect(error.kind == .connectionLost, "\(error)")
        #expect(error.isTransient)
        #expect(received < count)

        let fresh = try IMAPSession(endpoint: server.endpoint(transport))
        let status = try fresh.examine("INBOX")
        var uids: [UInt32] = []
        try fresh.fetchHeaders(uids: 1...(status.uidNext - 1), fields: IMAPTestMail.fields) { uids.append($0.uid) }
        #expect(uids == Array(1...UInt32(count)))
        fresh.logout()
    }

    // MARK: - Insecure configurations

    @Test("imap:// without allow_insecure against a server without STARTTLS is refused; with it, plain works")
    func noSTARTTLSOffered() throws {
        let server = try DovecotServer(options: .init(tls: false))
        let secure = IMAPEndpoint(url: server.plainURL, username: server.user, password: server.password)
        let error = try #require(throws: IMAPError.self) { _ = try IMAPSession(endpoint: secure) }
        #expect(error.kind == .insecureConfiguration, "\(error)")
        #expect(!error.isTransient)
        #expect(error.curlError?.code == .useSSLFailed)
        #expect(!server.log.contains("Login: user="))  // no credentials went out in clear text

        var insecure = secure
        insecure.allowInsecure = true
        let session = try IMAPSession(endpoint: insecure)
        #expect(try session.examine("INBOX").exists == 0)
        session.logout()
    }

    @Test("allow_insecure with a non-loopback host is rejected by validation, before any network activity")
    func insecureNonLoopbackRejected() throws {
        let clock = ContinuousClock()
        for url in ["imap://mail.example.invalid", "imaps://mail.example.invalid:993", "imap://10.0.0.1"] {
            let endpoint = IMAPEndpoint(url: url, username: "u", password: "p", allowInsecure: true,
                                        connectTimeout: .seconds(20))
            #expect(throws: IMAPError.self) { try endpoint.validate() }
            let start = clock.now
            let error = try #require(throws: IMAPError.self) { _ = try IMAPSession(endpoint: endpoint) }
            // A resolution or connection attempt would be connectionFailed/timeout, with a libcurl error.
            #expect(error.kind == .insecureConfiguration, "\(error)")
            #expect(error.curlError == nil)
            #expect(error.message.contains("loopback"))
            #expect(clock.now - start < .milliseconds(100))
        }
    }
}
