internal import Glibc

/// Where and how to submit mail.
///
/// Security rules, checked by ``validate()`` before any network activity (the same as ``IMAPEndpoint``'s):
/// - `smtps://host[:port]`: implicit TLS (default port 465); the certificate is always verified.
/// - `smtp://host[:port]`: STARTTLS is required (`CURLUSESSL_ALL`, default port 25; submission is usually 587),
///   with the same verification; a server that does not offer STARTTLS is an error, never a clear-text fallback.
/// - `smtp://` without TLS only when ``allowInsecure`` is set **and** the host is loopback (127.0.0.0/8, ::1,
///   localhost). ``allowInsecure`` with any other host is rejected, whatever the scheme.
///
/// Credentials go to libcurl through `CURLOPT_USERNAME` and `CURLOPT_PASSWORD` or `CURLOPT_XOAUTH2_BEARER`, never
/// in the URL; ``description`` never shows the password or token.
package struct SMTPEndpoint: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `smtp://host[:port]` or `smtps://host[:port]`, nothing else (no user info, path or query).
    package var url: String
    /// AUTH user; nil sends without AUTH. Both or neither of username and credential.
    package var username: String?
    /// A password, or an OAuth 2.0 access token with its SASL mechanism.
    package var credential: MailCredential?
    /// A PEM file of CA certificates to trust instead of the system store (`CURLOPT_CAINFO`).
    package var caFile: String?
    /// Plain SMTP without TLS; only accepted for a loopback host.
    package var allowInsecure: Bool
    /// Limit for connecting (TCP, TLS, greeting, EHLO, AUTH), for each server reply, and for a stalled upload.
    package var timeout: Duration
    /// The EHLO name; nil: this machine's host name when it is a fully qualified name, else
    /// `seatmeter.localdomain`.
    package var ehloName: String?

    package init(
        url: String,
        username: String? = nil,
        password: String? = nil,
        caFile: String? = nil,
        allowInsecure: Bool = false,
        timeout: Duration = .seconds(30),
        ehloName: String? = nil
    ) {
        self.init(
            url: url, username: username, credential: password.map { .password($0) }, caFile: caFile,
            allowInsecure: allowInsecure, timeout: timeout, ehloName: ehloName)
    }

    package init(
        url: String,
        username: String?,
        credential: MailCredential?,
        caFile: String? = nil,
        allowInsecure: Bool = false,
        timeout: Duration = .seconds(30),
        ehloName: String? = nil
    ) {
        self.url = url
        self.username = username
        self.credential = credential
        self.caFile = caFile
        self.allowInsecure = allowInsecure
        self.timeout = timeout
        self.ehloName = ehloName
    }

    /// Checks the endpoint against the security rules without touching the network.
    ///
    /// - Throws: ``SMTPError`` of kind ``SMTPError/Kind/insecureConfiguration`` naming the problem.
    package func validate() throws(SMTPError) {
        _ = try resolved()
    }

    package var description: String {
        "SMTPEndpoint(url: \(url), username: \(username ?? "nil"), credential: \(credential?.description ?? "nil"), "
            + "caFile: \(caFile ?? "nil"), allowInsecure: \(allowInsecure), timeout: \(timeout), "
            + "ehloName: \(ehloName ?? "nil"))"
    }

    package var debugDescription: String { description }

    package var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "url": url, "username": username ?? "nil", "credential": credential?.description ?? "nil",
                "caFile": caFile ?? "nil", "allowInsecure": allowInsecure,
            ],
            displayStyle: .struct
        )
    }
}

// MARK: - Validation

extension SMTPEndpoint {
    /// How the connection is protected.
    typealias Security = TransportSecurity

    /// The endpoint after validation: what the sender hands to libcurl.
    struct Resolved: Equatable {
        /// `scheme://host:port/<ehlo name>`, without credentials: libcurl sends the path as the EHLO name.
        var url: String
        /// The host as written (brackets stripped for IPv6), for messages.
        var host: String
        var security: Security
        var timeoutMilliseconds: Int
    }

    static let urlSyntax = ServerURL.Syntax(
        protocolName: "SMTP", scheme: "smtp", implicitTLSScheme: "smtps", defaultPort: 25,
        implicitTLSDefaultPort: 465,
        pathReason: "a path does not belong in the URL (the EHLO name is set apart)")

    func resolved() throws(SMTPError) -> Resolved {
        let parsed: ServerURL
        do {
            parsed = try ServerURL.parse(url, syntax: Self.urlSyntax, allowInsecure: allowInsecure)
        } catch {
            throw SMTPError(.insecureConfiguration, error.message)
        }
        switch (username, credential) {
        case (nil, nil): break
        case (let user?, let credential?):
            if user.isEmpty { throw SMTPError(.insecureConfiguration, "the SMTP username is empty") }
            for (name, value) in [("username", user), (credential.kind, credential.secret)]
            where EndpointField.hasNULOrLineBreak(value) {
                throw SMTPError(.insecureConfiguration, "the SMTP \(name) contains a NUL or line-break character")
            }
        case (.some, nil): throw SMTPError(.insecureConfiguration, "an SMTP username is set but no password")
        case (nil, .some): throw SMTPError(.insecureConfiguration, "an SMTP password is set but no username")
        }
        if let caFile, caFile.isEmpty { throw SMTPError(.insecureConfiguration, "ca_file is empty") }
        let ehlo = ehloName ?? Self.defaultEHLOName()
        guard Self.isValidEHLOName(ehlo) else {
            throw SMTPError(.insecureConfiguration, "the EHLO name \"\(ehlo)\" is not a host name")
        }
        guard let milliseconds = EndpointField.milliseconds(timeout, below: .seconds(86_400)) else {
            throw SMTPError(
                .insecureConfiguration,
                "the SMTP timeout must be positive and below a day (got \(timeout))"
            )
        }
        return Resolved(
            url: parsed.string(path: ehlo),
            host: parsed.host,
            security: parsed.security,
            timeoutMilliseconds: milliseconds
        )
    }

    /// This machine's host name when it is a fully qualified one (RFC 5321 §4.1.1.1 asks for that in EHLO);
    /// otherwise `seatmeter.localdomain`, which servers that check EHLO names accept more readily than a bare
    /// `vm` or `localhost`.
    static func defaultEHLOName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "seatmeter.localdomain" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let qualified = name.contains(".") && !name.hasSuffix(".") && name.lowercased() != "localhost.localdomain"
        return qualified && isValidEHLOName(name) ? name : "seatmeter.localdomain"
    }

    /// A host name of letters, digits, hyphens and dots (no empty labels), at most 253 characters.
    static func isValidEHLOName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy {
                    ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-"
                }
        }
    }
}
