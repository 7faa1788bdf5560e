internal import Glibc

/// Where and how to log in to one IMAP account.
///
/// Security rules, checked by ``validate()`` before any network activity:
/// - `imaps://host[:port]`: implicit TLS; the certificate is always verified.
/// - `imap://host[:port]`: STARTTLS is required (`CURLUSESSL_ALL`), with the same verification.
/// - `imap://` without any TLS only when ``allowInsecure`` is set **and** the host is loopback (127.0.0.0/8, ::1,
///   localhost). ``allowInsecure`` with any other host is rejected, whatever the scheme.
///
/// Credentials go to libcurl through `CURLOPT_USERNAME`/`CURLOPT_PASSWORD`, never in the URL, and ``description``
/// never shows the password.
package struct IMAPEndpoint: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `imap://host[:port]` or `imaps://host[:port]`, with nothing else (no user info, path or query).
    package var url: String
    package var username: String
    package var password: String
    /// A PEM file of CA certificates to trust instead of the system store (`CURLOPT_CAINFO`).
    package var caFile: String?
    /// libcurl's `CURLOPT_PINNEDPUBLICKEY`: `sha256//base64[;sha256//...]` or a PEM/DER public key file.
    package var pinnedPublicKey: String?
    /// Plain IMAP without TLS; only accepted for a loopback host.
    package var allowInsecure: Bool
    /// Limit for TCP connect, TLS handshake, greeting and login together.
    package var connectTimeout: Duration
    /// Longest silence tolerated while waiting for bytes from the server after login.
    package var idleTimeout: Duration

    package init(
        url: String, username: String, password: String, caFile: String? = nil, pinnedPublicKey: String? = nil,
        allowInsecure: Bool = false, connectTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60)
    ) {
        self.url = url
        self.username = username
        self.password = password
        self.caFile = caFile
        self.pinnedPublicKey = pinnedPublicKey
        self.allowInsecure = allowInsecure
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
    }

    /// Checks the endpoint against the security rules without touching the network.
    ///
    /// - Throws: ``IMAPError`` of kind ``IMAPError/Kind/insecureConfiguration`` naming the problem.
    package func validate() throws(IMAPError) {
        _ = try resolved()
    }

    package var description: String {
        "IMAPEndpoint(url: \(url), username: \(username), password: <redacted>, caFile: \(caFile ?? "nil"), "
            + "pinnedPublicKey: \(pinnedPublicKey ?? "nil"), allowInsecure: \(allowInsecure), "
            + "connectTimeout: \(connectTimeout), idleTimeout: \(idleTimeout))"
    }

    package var debugDescription: String { description }

    package var customMirror: Mirror {
        Mirror(self, children: ["url": url, "username": username, "password": "<redacted>"], displayStyle: .struct)
    }
}

// MARK: - Validation

extension IMAPEndpoint {
    /// How the connection is protected.
    enum Security: Equatable {
        /// `imaps://`: TLS from the first byte.
        case implicitTLS
        /// `imap://` upgraded with STARTTLS, which must succeed (`CURLUSESSL_ALL`).
        case startTLS
        /// `imap://` in clear text (allowInsecure, loopback only).
        case plain
    }

    /// The endpoint after validation: what the session hands to libcurl.
    struct Resolved {
        /// `scheme://host:port/`, without credentials.
        var url: String
        /// The host as written (brackets stripped for IPv6), for messages.
        var host: String
        var security: Security
        var connectTimeoutMilliseconds: Int
        var idleTimeoutMilliseconds: Int
    }

    func resolved() throws(IMAPError) -> Resolved {
        let parsed = try IMAPEndpoint.parse(url)
        let loopback = IMAPEndpoint.isLoopback(parsed.host)
        if allowInsecure && !loopback {
            throw IMAPError(.insecureConfiguration,
                            "allow_insecure is only honoured for loopback hosts (127.0.0.0/8, ::1, localhost),"
                                + " not for \(parsed.host)")
        }
        let security: Security =
            switch (parsed.implicitTLS, allowInsecure) {
            case (true, _): .implicitTLS
            case (false, false): .startTLS
            case (false, true): .plain
            }
        for (name, value) in [("username", username), ("password", password)] where value.utf8.contains(where: {
            $0 == 0 || $0 == 0x0D || $0 == 0x0A
        }) {
            throw IMAPError(.insecureConfiguration, "the \(name) contains a NUL or line-break character")
        }
        if username.isEmpty { throw IMAPError(.insecureConfiguration, "the username is empty") }
        if let caFile, caFile.isEmpty { throw IMAPError(.insecureConfiguration, "ca_file is empty") }
        if let pinnedPublicKey, pinnedPublicKey.isEmpty {
            throw IMAPError(.insecureConfiguration, "pinned_public_key is empty")
        }
        let connectMilliseconds = try IMAPEndpoint.milliseconds(connectTimeout, name: "connect timeout")
        let idleMilliseconds = try IMAPEndpoint.milliseconds(idleTimeout, name: "idle timeout")
        let authority = parsed.host.contains(":") ? "[\(parsed.host)]" : parsed.host
        return Resolved(
            url: "\(parsed.implicitTLS ? "imaps" : "imap")://\(authority):\(parsed.port)/",
            host: parsed.host, security: security,
            connectTimeoutMilliseconds: connectMilliseconds, idleTimeoutMilliseconds: idleMilliseconds)
    }

    private static func milliseconds(_ duration: Duration, name: String) throws(IMAPError) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, duration > .zero, seconds < 86_400 * 365 else {
            throw IMAPError(.insecureConfiguration, "the \(name) must be positive (got \(duration))")
        }
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    struct ParsedURL: Equatable {
        var implicitTLS: Bool
        var host: String
        var port: Int
    }

    /// Parses `imap[s]://host[:port][/]`. IPv6 hosts are bracketed (`imap://[::1]:143`).
    static func parse(_ url: String) throws(IMAPError) -> ParsedURL {
        func reject(_ why: String) -> IMAPError {
            IMAPError(.insecureConfiguration, "invalid IMAP URL \"\(url)\": \(why)")
        }
        let lower = url.lowercased()
        let implicitTLS: Bool
        let rest: Substring
        if lower.hasPrefix("imaps://") {
            implicitTLS = true
            rest = url.dropFirst("imaps://".count)
        } else if lower.hasPrefix("imap://") {
            implicitTLS = false
            rest = url.dropFirst("imap://".count)
        } else {
            throw reject("the scheme must be imap:// or imaps://")
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { throw reject("a path (folder) does not belong in the URL") }
            authority = rest[..<slash]
        }
        if authority.contains("@") { throw reject("credentials do not belong in the URL; use username/password") }
        if authority.contains(where: { $0 == "?" || $0 == "#" }) { throw reject("no query or fragment allowed") }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw reject("unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw reject("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard IMAPEndpoint.parseIPv6(String(host)) != nil else { throw reject("bad IPv6 address") }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            let allowed = host.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-"
                    || $0 == "." || $0 == "_"
            }
            guard allowed else { throw reject("the host name has characters that are not allowed") }
        }
        guard !host.isEmpty else { throw reject("no host") }
        var port = implicitTLS ? 993 : 143
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else {
                throw reject("bad port")
            }
            port = value
        }
        return ParsedURL(implicitTLS: implicitTLS, host: String(host), port: port)
    }

    /// 127.0.0.0/8, ::1 (also spelled out in full) and `localhost`.
    static func isLoopback(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "localhost." { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        if let v6 = parseIPv6(host) {
            return v6 == [UInt8](repeating: 0, count: 15) + [1]
        }
        return false
    }

    private static func parseIPv6(_ host: String) -> [UInt8]? {
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return nil }
        return withUnsafeBytes(of: &v6) { Array($0) }
    }
}
