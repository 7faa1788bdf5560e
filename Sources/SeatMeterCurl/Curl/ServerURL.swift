internal import Glibc

/// A mail server's URL, `scheme://host[:port][/]`, as ``IMAPEndpoint`` and ``SMTPEndpoint`` accept it: nothing but
/// the scheme, the host and the port (no user info, path, query or fragment). IPv6 hosts are bracketed
/// (`imap://[::1]:143`).
///
/// `package` only for ``isLoopback(host:)``, which the configuration loader uses too.
package struct ServerURL: Sendable, Hashable {
    /// The scheme names and default ports of one protocol, and what to say about a path in its URL.
    struct Syntax: Sendable {
        /// `IMAP`, `SMTP`: for messages.
        var protocolName: String
        /// `imap`, `smtp`: the scheme upgraded with STARTTLS (or, on loopback, left in clear text).
        var scheme: String
        /// `imaps`, `smtps`: TLS from the first byte.
        var implicitTLSScheme: String
        var defaultPort: Int
        var implicitTLSDefaultPort: Int
        /// The reason given when the URL has a path.
        var pathReason: String
    }

    /// The scheme as the syntax spells it (lower case).
    var scheme: String
    /// The host as written, brackets stripped for IPv6.
    var host: String
    var port: Int
    var security: TransportSecurity

    /// `scheme://host:port/path` for libcurl, the IPv6 host bracketed again.
    func string(path: String = "") -> String {
        let authority = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(authority):\(port)/\(path)"
    }

    /// Parses `scheme://host[:port][/]` and decides the connection's security: implicit TLS for the TLS scheme,
    /// else STARTTLS, or clear text when `allowInsecure` is set, which is refused unless the host is loopback.
    ///
    /// - Throws: ``ServerURLProblem`` with the message; the caller wraps it in its own error type.
    static func parse(_ url: String, syntax: Syntax, allowInsecure: Bool) throws(ServerURLProblem) -> ServerURL {
        let parsed: ServerURL
        do {
            parsed = try parseSyntax(url, syntax: syntax, allowInsecure: allowInsecure)
        } catch {
            throw ServerURLProblem("invalid \(syntax.protocolName) URL \"\(url)\": \(error.message)")
        }
        if allowInsecure && !isLoopback(host: parsed.host) {
            throw ServerURLProblem(
                "allow_insecure is only honoured for loopback hosts (127.0.0.0/8, ::1, localhost),"
                    + " not for \(parsed.host)")
        }
        return parsed
    }

    /// ``parse(_:syntax:allowInsecure:)`` without the loopback rule, throwing only the reason.
    private static func parseSyntax(
        _ url: String, syntax: Syntax, allowInsecure: Bool
    ) throws(ServerURLProblem) -> ServerURL {
        let lower = url.lowercased()
        let implicitTLS: Bool
        let rest: Substring
        if lower.hasPrefix("\(syntax.implicitTLSScheme)://") {
            implicitTLS = true
            rest = url.dropFirst("\(syntax.implicitTLSScheme)://".count)
        } else if lower.hasPrefix("\(syntax.scheme)://") {
            implicitTLS = false
            rest = url.dropFirst("\(syntax.scheme)://".count)
        } else {
            throw ServerURLProblem("the scheme must be \(syntax.scheme):// or \(syntax.implicitTLSScheme)://")
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { throw ServerURLProblem(syntax.pathReason) }
            authority = rest[..<slash]
        }
        if authority.contains("@") {
            throw ServerURLProblem("credentials do not belong in the URL; use username/password")
        }
        if authority.contains(where: { $0 == "?" || $0 == "#" }) {
            throw ServerURLProblem("no query or fragment allowed")
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ServerURLProblem("unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ServerURLProblem("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard parseIPv6(String(host)) != nil else { throw ServerURLProblem("bad IPv6 address") }
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
            guard allowed else { throw ServerURLProblem("the host name has characters that are not allowed") }
        }
        guard !host.isEmpty else { throw ServerURLProblem("no host") }
        var port = implicitTLS ? syntax.implicitTLSDefaultPort : syntax.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else {
                throw ServerURLProblem("bad port")
            }
            port = value
        }
        return ServerURL(
            scheme: implicitTLS ? syntax.implicitTLSScheme : syntax.scheme, host: String(host), port: port,
            security: TransportSecurity(implicitTLS: implicitTLS, allowInsecure: allowInsecure))
    }

    // MARK: - Loopback

    /// Whether `host` is 127.0.0.0/8, ::1 (also spelled out in full, and also in brackets as in a URL) or
    /// `localhost` (with or without the final dot). A name that merely starts with one of these
    /// (`localhost.example.com`, `127.0.0.1.example.com`) is not loopback.
    package static func isLoopback(host: String) -> Bool {
        var host = host
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
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

/// Why ``ServerURL/parse(_:syntax:allowInsecure:)`` rejected a URL, in words for the user.
struct ServerURLProblem: Error, Sendable, Equatable {
    var message: String

    init(_ message: String) { self.message = message }
}

/// How a mail connection is protected, decided from the URL's scheme and `allow_insecure`.
enum TransportSecurity: Sendable, Equatable {
    /// `imaps://`, `smtps://`: TLS from the first byte.
    case implicitTLS
    /// `imap://`, `smtp://` upgraded with STARTTLS, which must succeed (`CURLUSESSL_ALL`).
    case startTLS
    /// `imap://`, `smtp://` in clear text (allowInsecure, loopback only).
    case plain

    init(implicitTLS: Bool, allowInsecure: Bool) {
        self =
            switch (implicitTLS, allowInsecure) {
            case (true, _): .implicitTLS
            case (false, false): .startTLS
            case (false, true): .plain
            }
    }
}

// MARK: - Endpoint field checks

/// The checks on endpoint fields that ``IMAPEndpoint`` and ``SMTPEndpoint`` share.
enum EndpointField {
    /// Whether a credential has a NUL, CR or LF, which would end or split the protocol command it is sent in.
    static func hasNULOrLineBreak(_ value: String) -> Bool {
        value.utf8.contains { $0 == 0 || $0 == 0x0D || $0 == 0x0A }
    }

    /// A timeout in whole milliseconds for libcurl's `*_MS` options (at least 1), or nil unless
    /// `0 < duration < limit`.
    static func milliseconds(_ duration: Duration, below limit: Duration) -> Int? {
        guard duration > .zero, duration < limit else { return nil }
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
