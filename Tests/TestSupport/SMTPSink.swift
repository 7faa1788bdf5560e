import Foundation
import Glibc

/// The aiosmtpd sink (`scripts/smtp_sink.py`) on a free 127.0.0.1 port, from a private temporary directory.
///
/// Every message it accepts lands in its output directory as `NNNN.eml` (the DATA, byte for byte) and `NNNN.json`
/// (envelope, EHLO name, AUTH login, TLS), both written before the server answers the final `250`, so a send that
/// returned has its files in place. Recipients whose address starts with `reject` are refused with `550`.
///
/// ``stop()`` or `deinit` ends the server and removes the directory.
package final class SMTPSink {
    package struct Options {
        /// STARTTLS offered and required, with a fresh self-signed certificate (``caFile``).
        package var tls: Bool
        /// AUTH required (after STARTTLS when ``tls`` is on) with this user and password; nil: no AUTH.
        package var user: String?
        package var password: String
        /// With ``user``: also accept OAuth 2.0 bearer tokens (AUTH XOAUTH2 and OAUTHBEARER) that this RFC 7662
        /// endpoint (an ``OAuthServer``'s ``OAuthServer/introspectionURL``) says are active.
        package var introspectionURL: String?

        package init(
            tls: Bool = false, user: String? = nil, password: String = "sink secret 9", introspectionURL: String? = nil
        ) {
            self.tls = tls
            self.user = user
            self.password = password
            self.introspectionURL = introspectionURL
        }
    }

    /// What the sink recorded about one SMTP transaction.
    package struct Envelope: Decodable, Sendable, Hashable {
        package var mailFrom: String
        package var rcptTos: [String]
        package var ehlo: String?
        /// The AUTH user name, nil without AUTH.
        package var authLogin: String?
        /// Whether the session was under TLS (after STARTTLS) when the message arrived.
        package var tls: Bool

        package init(mailFrom: String, rcptTos: [String], ehlo: String?, authLogin: String?, tls: Bool) {
            self.mailFrom = mailFrom
            self.rcptTos = rcptTos
            self.ehlo = ehlo
            self.authLogin = authLogin
            self.tls = tls
        }

        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from"
            case rcptTos = "rcpt_tos"
            case ehlo
            case authLogin = "auth_login"
            case tls
        }
    }

    /// One received message.
    package struct Message: Sendable {
        /// The message as the sink received it (dot-unstuffed, line ends as sent).
        package var eml: [UInt8]
        package var envelope: Envelope
    }

    package let port: Int
    /// The certificate clients should trust (nil without TLS).
    package let caFile: String?
    package let user: String?
    package let password: String
    private let directory: TemporaryDirectory
    private let outputDirectory: String
    private let process: ManagedProcess

    /// Starts the sink and waits until it accepts connections.
    ///
    /// - Throws: ``TestServerError`` if /usr/bin/python3 or aiosmtpd (Debian `python3-aiosmtpd`) or openssl is
    ///   missing, or the sink does not come up (with its log).
    package init(options: Options = Options()) throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestServerError(
                "\(python) is missing: install the Debian package python3-aiosmtpd (`make test` does)"
            )
        }
        if let problem = Self.aiosmtpdProblem {
            throw TestServerError(
                "aiosmtpd cannot be imported by \(python) (\(problem)): install the Debian package python3-aiosmtpd"
                    + " (`make test` does)"
            )
        }
        let script = try Self.packageRoot() + "/scripts/smtp_sink.py"
        guard FileManager.default.fileExists(atPath: script) else { throw TestServerError("\(script) is missing") }
        directory = try TemporaryDirectory(prefix: "seatmeter-smtp")
        outputDirectory = directory.path + "/out"
        user = options.user
        password = options.password
        var arguments = [script, "--outdir", outputDirectory, "--ready-file", directory.path + "/ready"]
        if options.tls {
            let certificate = try TLSCertificate.generate(in: directory.path + "/tls")
            caFile = certificate.certificatePath
            arguments += ["--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath]
        } else {
            caFile = nil
        }
        if let user = options.user { arguments += ["--user", user, "--password", options.password] }
        if let introspection = options.introspectionURL { arguments += ["--introspection-url", introspection] }
        let requestedPort = try TestPorts.pickFree()
        arguments += ["--port", String(requestedPort)]
        process = try ManagedProcess(executable: python, arguments: arguments, logPath: directory.path + "/sink.log")

        let written = try process.waitForReadyFile(directory.path + "/ready", name: "the SMTP sink")
        guard let port = Int(written), port == requestedPort else {
            process.stop()
            throw TestServerError(
                "the SMTP sink wrote \"\(written)\" to its ready file, expected "
                    + "\(requestedPort)"
            )
        }
        self.port = port
        try TestPorts.waitUntilAccepting(ports: [port], process: process) { self.process.log }
    }

    deinit { process.stop() }

    /// `smtp://127.0.0.1:PORT`.
    package var url: String { "smtp://127.0.0.1:\(port)" }

    /// `smtp://localhost:PORT`: the name the certificate is for, so TLS verification passes by name too.
    package var localhostURL: String { "smtp://localhost:\(port)" }

    /// Every message received so far, in arrival order.
    package func messages() throws -> [Message] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
        return try names.filter { $0.hasSuffix(".eml") }.sorted().map { name in
            let base = outputDirectory + "/" + name.dropLast(".eml".count)
            guard let eml = FileManager.default.contents(atPath: base + ".eml"),
                let json = FileManager.default.contents(atPath: base + ".json")
            else { throw TestServerError("the sink's files for \(name) cannot be read") }
            return Message(eml: Array(eml), envelope: try JSONDecoder().decode(Envelope.self, from: json))
        }
    }

    /// Stops the server (SIGTERM; it exits within about a second).
    package func stop() { process.stop() }

    package var isRunning: Bool { process.isRunning }

    /// The sink's output so far (Python tracebacks land here).
    package var log: String { process.log }

    // MARK: - Locating things

    /// nil when `import aiosmtpd` works, else why not. Checked once per test process.
    private static let aiosmtpdProblem: String? = {
        do {
            let output = try TestTools.run(
                "/usr/bin/python3",
                ["-c", "import aiosmtpd.controller, aiosmtpd.smtp"],
                check: false
            )
            return output.status == 0 ? nil : output.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            return "\(error)"
        }
    }()

    /// The directory holding Package.swift, found by walking up from this source file.
    package static func packageRoot(filePath: String = #filePath) throws -> String {
        var url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
            url.deleteLastPathComponent()
        }
        throw TestServerError("no Package.swift above \(filePath)")
    }
}

// MARK: - Reading received MIME

/// A MIME entity (a whole message or one body part) split the simple, strict way, to check what the builder made
/// and what the sink received. Not a general parser: it expects CRLF line ends and well-formed multiparts, and
/// throws on anything else.
package struct MIMEEntity: Sendable {
    /// Header fields in order, names as written, values unfolded (each CRLF removed) and trimmed at the ends.
    package var fields: [(name: String, value: String)]
    /// The raw header block, fold lines included, without the blank line.
    package var rawHeader: [UInt8]
    /// The body as transmitted (still transfer-encoded).
    package var body: [UInt8]
    /// The body parts of a multipart entity, else empty.
    package var parts: [MIMEEntity]

    package static func parse(_ bytes: [UInt8]) throws -> MIMEEntity {
        let separator: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
        let split: Int
        if bytes.starts(with: [0x0D, 0x0A]) {
            split = 0  // no header fields at all
        } else if let found = firstIndex(of: separator, in: bytes, from: 0) {
            split = found + 2
        } else {
            throw TestServerError("no blank line after the header")
        }
        let rawHeader = Array(bytes[..<split])
        let body = Array(bytes[(split + 2)...])
        var fields: [(name: String, value: String)] = []
        let headerText = String(decoding: rawHeader, as: UTF8.self)
        for line in headerText.components(separatedBy: "\r\n") where !line.isEmpty {
            if line.first == " " || line.first == "\t" {
                guard !fields.isEmpty else { throw TestServerError("a fold line before the first field") }
                fields[fields.count - 1].value += line
            } else {
                guard let colon = line.firstIndex(of: ":") else { throw TestServerError("a field without a colon") }
                fields.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        fields = fields.map { ($0.name, $0.value.trimmingCharacters(in: .whitespaces)) }
        var entity = MIMEEntity(fields: fields, rawHeader: rawHeader, body: body, parts: [])
        if entity.mediaType.hasPrefix("multipart/") {
            guard let boundary = entity.parameter("boundary") else {
                throw TestServerError("multipart without boundary")
            }
            entity.parts = try splitMultipart(body, boundary: boundary).map(parse)
        }
        return entity
    }

    /// The first field called `name` (case-insensitive).
    package func field(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// All fields called `name`.
    package func allFields(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// `type/subtype` of Content-Type, lowercased (`text/plain` when absent, RFC 2045 §5.2).
    package var mediaType: String {
        guard let value = field("Content-Type") else { return "text/plain" }
        return value.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// A parameter of `Content-Type` (or of `field`), unquoted.
    package func parameter(_ name: String, of fieldName: String = "Content-Type") -> String? {
        guard let value = field(fieldName) else { return nil }
        for piece in value.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased()
            else { continue }
            var text = pair[1].trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 {
                text = String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            return text
        }
        return nil
    }

    /// The body with its Content-Transfer-Encoding undone.
    package func decodedBody() throws -> [UInt8] {
        switch (field("Content-Transfer-Encoding") ?? "7bit").lowercased() {
        case "7bit", "8bit", "binary": return body
        case "base64":
            let text = String(decoding: body.filter { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
            guard let data = Data(base64Encoded: text) else { throw TestServerError("bad base64 body") }
            return Array(data)
        case "quoted-printable": return try Self.decodeQuotedPrintable(body)
        case let other: throw TestServerError("unknown transfer encoding \(other)")
        }
    }

    /// The decoded body as UTF-8 text.
    package func text() throws -> String { String(decoding: try decodedBody(), as: UTF8.self) }

    package static func decodeQuotedPrintable(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil  // RFC 2045 §6.7: uppercase only
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "=") {
                if index + 2 < bytes.count && bytes[index + 1] == 0x0D && bytes[index + 2] == 0x0A {
                    index += 3  // soft line break
                    continue
                }
                guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else {
                    throw TestServerError("bad quoted-printable escape at \(index)")
                }
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    private static func splitMultipart(_ body: [UInt8], boundary: String) throws -> [[UInt8]] {
        let delimiter = Array("--\(boundary)".utf8)
        // Delimiter lines: at the start of the body or after a CRLF.
        var lineStarts = [0]
        for index in body.indices.dropLast() where body[index] == 0x0D && body[index + 1] == 0x0A {
            lineStarts.append(index + 2)
        }
        var parts: [[UInt8]] = []
        var currentStart: Int?
        var closed = false
        for start in lineStarts where body[start...].starts(with: delimiter) {
            let rest = body[(start + delimiter.count)...]
            let isClose = rest.starts(with: Array("--".utf8))
            let afterMarker = rest.dropFirst(isClose ? 2 : 0)
            guard afterMarker.isEmpty || afterMarker.starts(with: [0x0D, 0x0A]) else { continue }
            if let currentStart {
                // The CRLF before the delimiter belongs to the delimiter.
                parts.append(Array(body[currentStart..<max(currentStart, start - 2)]))
            }
            if isClose {
                closed = true
                break
            }
            currentStart = start + delimiter.count + 2
        }
        guard closed else { throw TestServerError("multipart without a closing delimiter") }
        return parts
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
