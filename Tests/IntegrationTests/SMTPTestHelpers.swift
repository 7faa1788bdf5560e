import Foundation
import SeatMeterCore
@testable import SeatMeterCurl
import TestSupport

/// Messages and endpoints shared by the SMTP integration tests.
enum SMTPTestMail {
    static let from = "seatmeter@reports.example.com"
    /// 2025-01-06 10:00:00 UTC.
    static let date = Date(timeIntervalSince1970: 1_736_157_600)
    static let csv = "address,name,role\r\nanna@example.com,Anna Åström,agent\r\nbo@example.com,\"Bo, Jr.\",user\r\n"

    /// The weekly report: text, HTML and a CSV attachment, a non-ASCII subject and recipient name.
    static func report(to recipients: [String], messageID: String = "<week-02-2025@reports.example.com>") throws
        -> [UInt8]
    {
        let message = OutgoingMessage(
            from: Mailbox(name: "SeatMeter", address: from),
            to: recipients.enumerated().map { Mailbox(name: $0 == 0 ? "Jörg Müller" : "", address: $1) },
            subject: "Lizenzplätze: Wochenbericht KW 2 — 12 Agents",
            date: date,
            timeZone: TimeZone(identifier: "Europe/Berlin") ?? .gmt,
            messageID: messageID,
            text: "Seats this week: 12 agents.\n.\n..leading dots survive\n",
            html: "<html><body><h1>Seats</h1><p>12 agents, Müller included.</p></body></html>",
            attachments: [.csv(filename: "people.csv", text: csv)]
        )
        return try MIMEBuilder.build(message)
    }
}

extension SMTPSink {
    /// An endpoint for this sink: STARTTLS with its CA when it has TLS, plain loopback otherwise.
    func endpoint(
        username: String? = nil,
        password: String? = nil,
        timeout: Duration = .seconds(10),
        useCA: Bool = true
    ) -> SMTPEndpoint {
        SMTPEndpoint(
            url: url,
            username: username,
            password: password,
            caFile: useCA ? caFile : nil,
            allowInsecure: caFile == nil,
            timeout: timeout,
            ehloName: "client.seatmeter.test"
        )
    }
}

/// A one-connection SMTP server that follows a script, for what the sink cannot do: transient refusals, and a
/// connection that dies or stalls after the message was sent.
final class ScriptedSMTPServer {
    enum Mode: String, CaseIterable {
        /// `421` instead of a greeting.
        case greeting421
        /// `452` to every RCPT.
        case recipients452
        /// `451` after the message.
        case message451
        /// Closes the connection after the message, before any reply.
        case dropAfterMessage
        /// Reads the message and then says nothing.
        case stallAfterMessage
    }

    let port: Int
    private let directory: TemporaryDirectory
    private let process: ManagedProcess

    private static let script = #"""
        import os, socket, sys, time
        mode, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(1)
        with open(ready + ".tmp", "w") as f:
            f.write("ok")
        os.rename(ready + ".tmp", ready)
        conn, _ = server.accept()
        reader = conn.makefile("rb")
        def say(text):
            conn.sendall(text.encode() + b"\r\n")
        if mode == "greeting421":
            say("421 4.3.2 service shutting down")
            time.sleep(1)
            sys.exit(0)
        say("220 scripted ESMTP")
        while True:
            line = reader.readline()
            if not line:
                break
            command = line.strip().upper()
            if command.startswith(b"EHLO"):
                say("250-scripted")
                say("250 SIZE 10000000")
            elif command.startswith(b"MAIL"):
                say("250 2.1.0 ok")
            elif command.startswith(b"RCPT"):
                say("452 4.2.2 mailbox full" if mode == "recipients452" else "250 2.1.5 ok")
            elif command == b"DATA":
                say("354 go ahead")
                while True:
                    body = reader.readline()
                    if not body or body == b".\r\n":
                        break
                if mode == "dropAfterMessage":
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                    break
                if mode == "stallAfterMessage":
                    time.sleep(60)
                say("451 4.3.0 try again later" if mode == "message451" else "250 2.0.0 queued")
            elif command == b"QUIT":
                say("221 bye")
                break
            else:
                say("502 5.5.2 unknown")
        """#

    init(_ mode: Mode) throws {
        directory = try TemporaryDirectory(prefix: "seatmeter-scripted-smtp")
        port = try TestPorts.pickFree()
        let scriptPath = directory.path + "/server.py"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let ready = directory.path + "/ready"
        process = try ManagedProcess(
            executable: "/usr/bin/python3",
            arguments: [scriptPath, mode.rawValue, String(port), ready],
            logPath: directory.path + "/log"
        )
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while !FileManager.default.fileExists(atPath: ready) {
            guard process.isRunning, clock.now < deadline else {
                throw TestServerError("the scripted SMTP server did not start: \(process.log)")
            }
            usleep(10_000)
        }
    }

    deinit { process.stop() }

    func endpoint(timeout: Duration = .seconds(10)) -> SMTPEndpoint {
        SMTPEndpoint(url: "smtp://127.0.0.1:\(port)", allowInsecure: true, timeout: timeout)
    }
}
